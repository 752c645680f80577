// AWS credentials and region from the standard sources, in the AWS CLI's order:
//   credentials: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN), else the
//     profile's section of the shared credentials file (AWS_SHARED_CREDENTIALS_FILE, default
//     ~/.aws/credentials, section "[name]"), else the profile's section of the config file
//     (AWS_CONFIG_FILE, default ~/.aws/config, section "[profile name]" or "[default]");
//   profile: the explicit one, else AWS_PROFILE, else "default";
//   region: the explicit one, else AWS_REGION, else AWS_DEFAULT_REGION, else the profile's
//     "region" in the config file.
// Errors name what is missing and where it was looked for.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "common/status.h"

namespace agentdraft::store::dynamo {

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // "" when none
};

struct AwsConfigRequest {
  std::optional<std::string> profile;  // --profile
  std::optional<std::string> region;   // --region
  // The environment to read (tests pass their own); nullopt = the process's environment.
  std::optional<std::map<std::string, std::string>> env;
};

struct AwsConfig {
  AwsCredentials credentials;
  std::string region;
  std::string profile;            // the profile consulted
  std::string credentials_source;  // "environment", "/root/.aws/credentials [dev]", …
};

// InvalidArgument when no credentials or no region can be found, or a file is malformed.
Result<AwsConfig> ResolveAwsConfig(const AwsConfigRequest& request);

}  // namespace agentdraft::store::dynamo
