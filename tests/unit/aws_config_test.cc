// ResolveAwsConfig: credentials and region from an explicit environment and temporary shared
// files, in the AWS CLI's order.
#include "daemon/store/dynamo/aws_config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/support/temp_dir.h"

namespace agentdraft::store::dynamo {
namespace {

using Env = std::map<std::string, std::string>;

class AwsConfigTest : public ::testing::Test {
 protected:
  // Writes `text` to <dir>/<name> and returns the path.
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = dir_.File(name);
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path) << text;
    return path;
  }

  // An environment naming the two shared files, plus `extra`.
  Env Files(Env extra = {}) {
    extra.emplace("AWS_SHARED_CREDENTIALS_FILE", dir_.File("credentials"));
    extra.emplace("AWS_CONFIG_FILE", dir_.File("config"));
    return extra;
  }

  static Result<AwsConfig> Resolve(Env env, std::optional<std::string> profile = std::nullopt,
                                   std::optional<std::string> region = std::nullopt) {
    return ResolveAwsConfig({std::move(profile), std::move(region), std::move(env)});
  }

  testing::TempDir dir_;
};

TEST_F(AwsConfigTest, EnvironmentBeatsTheSharedFiles) {
  Write("credentials", "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = FILESECRET\n");
  Write("config", "[default]\nregion = eu-west-1\n");

  auto config = Resolve(Files({{"AWS_ACCESS_KEY_ID", "ENVKEY"},
                               {"AWS_SECRET_ACCESS_KEY", "ENVSECRET"},
                               {"AWS_SESSION_TOKEN", "ENVTOKEN"}}));

  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->credentials.access_key_id, "ENVKEY");
  EXPECT_EQ(config->credentials.secret_access_key, "ENVSECRET");
  EXPECT_EQ(config->credentials.session_token, "ENVTOKEN");
  EXPECT_EQ(config->credentials_source, "environment");
  EXPECT_EQ(config->region, "eu-west-1");
}

TEST_F(AwsConfigTest, ProfileFromAwsProfileReadsItsCredentialsSection) {
  const std::string path = Write("credentials",
                                 "# comment\n[default]\naws_access_key_id = DEFKEY\naws_secret_access_key = DEFSECRET\n"
                                 "\n[dev]\naws_access_key_id=DEVKEY\naws_secret_access_key=DEVSECRET\n"
                                 "aws_session_token = DEVTOKEN\n");

  auto config = Resolve(Files({{"AWS_PROFILE", "dev"}, {"AWS_REGION", "us-west-2"}}));

  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->profile, "dev");
  EXPECT_EQ(config->credentials.access_key_id, "DEVKEY");
  EXPECT_EQ(config->credentials.session_token, "DEVTOKEN");
  EXPECT_EQ(config->credentials_source, path + " [dev]");
}

TEST_F(AwsConfigTest, ExplicitProfileBeatsAwsProfile) {
  Write("credentials",
        "[dev]\naws_access_key_id = DEVKEY\naws_secret_access_key = S\n"
        "[prod]\naws_access_key_id = PRODKEY\naws_secret_access_key = S\n");

  auto config = Resolve(Files({{"AWS_PROFILE", "dev"}, {"AWS_REGION", "us-west-2"}}), "prod");

  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->profile, "prod");
  EXPECT_EQ(config->credentials.access_key_id, "PRODKEY");
}

TEST_F(AwsConfigTest, ConfigFileNamesProfilesWithThePrefixAndDefaultWithout) {
  const std::string path = Write("config",
                                 "[default]\naws_access_key_id = DEFKEY\naws_secret_access_key = S\nregion = eu-central-1\n"
                                 "[profile ci]\naws_access_key_id = CIKEY\naws_secret_access_key = S\nregion = ap-south-1\n"
                                 "s3 =\n  max_concurrent_requests = 4\n"
                                 "[ci]\naws_access_key_id = WRONG\naws_secret_access_key = WRONG\n");

  auto ci = Resolve(Files(), "ci");
  auto fallback = Resolve(Files());

  ASSERT_TRUE(ci.ok()) << ci.status().ToString();
  ASSERT_TRUE(fallback.ok()) << fallback.status().ToString();
  EXPECT_EQ(ci->credentials.access_key_id + " " + ci->region + " " + ci->credentials_source,
            "CIKEY ap-south-1 " + path + " [profile ci]");
  EXPECT_EQ(fallback->credentials.access_key_id + " " + fallback->region + " " + fallback->credentials_source,
            "DEFKEY eu-central-1 " + path + " [default]");
}

TEST_F(AwsConfigTest, CredentialsFileBeatsConfigFile) {
  Write("credentials", "[default]\naws_access_key_id = CREDKEY\naws_secret_access_key = S\n");
  Write("config", "[default]\naws_access_key_id = CONFKEY\naws_secret_access_key = S\nregion = us-east-2\n");

  auto config = Resolve(Files());

  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->credentials.access_key_id, "CREDKEY");
}

TEST_F(AwsConfigTest, RegionComesFromFlagThenAwsRegionThenAwsDefaultRegionThenConfig) {
  Write("credentials", "[default]\naws_access_key_id = K\naws_secret_access_key = S\n");
  Write("config", "[default]\nregion = from-config\n");
  const Env both = Files({{"AWS_REGION", "from-aws-region"}, {"AWS_DEFAULT_REGION", "from-default-region"}});

  std::string seen;
  for (auto r : {Resolve(both, std::nullopt, "from-flag"), Resolve(both),
                 Resolve(Files({{"AWS_DEFAULT_REGION", "from-default-region"}})), Resolve(Files())}) {
    seen += (r.ok() ? r->region : r.status().ToString()) + "\n";
  }

  EXPECT_EQ(seen, "from-flag\nfrom-aws-region\nfrom-default-region\nfrom-config\n");
}

TEST_F(AwsConfigTest, SharedFilesDefaultToHomeDotAws) {
  Write(".aws/credentials", "[default]\naws_access_key_id = HOMEKEY\naws_secret_access_key = S\n");
  Write(".aws/config", "[default]\nregion = home-region\n");

  auto config = Resolve({{"HOME", dir_.path()}});

  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->credentials.access_key_id + " " + config->region, "HOMEKEY home-region");
  EXPECT_EQ(config->credentials_source, dir_.path() + "/.aws/credentials [default]");
}

TEST_F(AwsConfigTest, MissingCredentialsNameEverySourceLookedAt) {
  Write("credentials", "[other]\naws_access_key_id = K\naws_secret_access_key = S\n");

  auto config = Resolve(Files({{"AWS_REGION", "us-east-1"}}), "dev");

  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument);
  const std::string message = config.status().message();
  EXPECT_NE(message.find("profile \"dev\""), std::string::npos) << message;
  EXPECT_NE(message.find("AWS_ACCESS_KEY_ID"), std::string::npos) << message;
  EXPECT_NE(message.find(dir_.File("credentials")), std::string::npos) << message;
  EXPECT_NE(message.find(dir_.File("config")), std::string::npos) << message;
}

TEST_F(AwsConfigTest, MissingRegionSaysWhereToSetIt) {
  auto config = Resolve(Files({{"AWS_ACCESS_KEY_ID", "K"}, {"AWS_SECRET_ACCESS_KEY", "S"}}));

  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(config.status().message().find("AWS_REGION"), std::string::npos) << config.status().message();
  EXPECT_NE(config.status().message().find(dir_.File("config")), std::string::npos) << config.status().message();
}

TEST_F(AwsConfigTest, HalfAKeyPairIsAnError) {
  auto env_half = Resolve(Files({{"AWS_ACCESS_KEY_ID", "K"}, {"AWS_REGION", "us-east-1"}}));
  Write("credentials", "[default]\naws_access_key_id = K\n");
  auto file_half = Resolve(Files({{"AWS_REGION", "us-east-1"}}));

  EXPECT_EQ(env_half.status().ToString(),
            "InvalidArgument: AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
  EXPECT_EQ(file_half.status().message(),
            dir_.File("credentials") + " [default] has aws_access_key_id but no aws_secret_access_key");
}

TEST_F(AwsConfigTest, MalformedFileNamesFileAndLine) {
  Write("credentials", "[default]\naws_access_key_id = K\nthis line has no equals sign\n");

  auto config = Resolve(Files({{"AWS_REGION", "us-east-1"}}));

  EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(config.status().message(), dir_.File("credentials") + ":3: expected \"key = value\"");
}

}  // namespace
}  // namespace agentdraft::store::dynamo
