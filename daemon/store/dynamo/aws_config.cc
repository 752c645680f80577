#include "daemon/store/dynamo/aws_config.h"

#include <fstream>
#include <utility>
#include <vector>

extern "C" char** environ;  // unistd.h declares it only with _GNU_SOURCE

namespace agentdraft::store::dynamo {
namespace {

using Env = std::map<std::string, std::string>;
using Section = std::map<std::string, std::string>;
using IniFile = std::map<std::string, Section>;

Env ProcessEnvironment() {
  Env env;
  for (char** entry = environ; entry && *entry; ++entry) {
    std::string text(*entry);
    const size_t eq = text.find('=');
    if (eq != std::string::npos) env.emplace(text.substr(0, eq), text.substr(eq + 1));
  }
  return env;
}

// The value of `name`, or "" when unset or empty.
std::string Get(const Env& env, const std::string& name) {
  auto it = env.find(name);
  return it == env.end() ? "" : it->second;
}

std::string Trim(const std::string& s) {
  const size_t begin = s.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return "";
  return s.substr(begin, s.find_last_not_of(" \t\r") - begin + 1);
}

// The AWS shared-file INI dialect: "[section]", "key = value", '#'/';' comments, and indented
// sub-keys under a key with an empty value (e.g. "s3 =\n  max_concurrent_requests = 4"),
// which are skipped. A missing file is an empty one.
Result<IniFile> ReadIni(const std::string& path) {
  IniFile ini;
  std::ifstream in(path);
  if (!in) return ini;
  std::string line;
  std::string section;
  bool in_nested = false;
  for (int number = 1; std::getline(in, line); ++number) {
    const std::string text = Trim(line);
    if (text.empty() || text[0] == '#' || text[0] == ';') continue;
    const bool indented = line[0] == ' ' || line[0] == '\t';
    if (indented && in_nested) continue;
    const std::string where = path + ":" + std::to_string(number);
    if (text.front() == '[') {
      if (text.back() != ']') return Status::InvalidArgument(where + ": unterminated section header");
      section = Trim(text.substr(1, text.size() - 2));
      ini[section];
      in_nested = false;
      continue;
    }
    const size_t eq = text.find('=');
    if (eq == std::string::npos) return Status::InvalidArgument(where + ": expected \"key = value\"");
    if (section.empty()) return Status::InvalidArgument(where + ": key outside any [section]");
    const std::string value = Trim(text.substr(eq + 1));
    in_nested = value.empty();
    ini[section][Trim(text.substr(0, eq))] = value;
  }
  return ini;
}

std::string HomeFile(const Env& env, const std::string& override_var, const std::string& name) {
  const std::string path = Get(env, override_var);
  if (!path.empty()) return path;
  const std::string home = Get(env, "HOME");
  return home.empty() ? "" : home + "/.aws/" + name;
}

// The config file names the default profile "[default]" and every other "[profile name]".
const Section* ConfigSection(const IniFile& config, const std::string& profile, std::string* name) {
  std::vector<std::string> candidates = {"profile " + profile};
  if (profile == "default") candidates.insert(candidates.begin(), "default");
  for (const std::string& candidate : candidates) {
    auto it = config.find(candidate);
    if (it != config.end()) {
      *name = candidate;
      return &it->second;
    }
  }
  return nullptr;
}

// Credentials from a section, if it has a key pair; InvalidArgument if it has half of one.
Result<std::optional<AwsCredentials>> CredentialsIn(const Section& section, const std::string& where) {
  auto value = [&](const char* key) {
    auto it = section.find(key);
    return it == section.end() ? std::string() : it->second;
  };
  AwsCredentials c{value("aws_access_key_id"), value("aws_secret_access_key"), value("aws_session_token")};
  if (c.access_key_id.empty() && c.secret_access_key.empty()) return std::optional<AwsCredentials>();
  if (c.access_key_id.empty()) return Status::InvalidArgument(where + " has aws_secret_access_key but no aws_access_key_id");
  if (c.secret_access_key.empty()) return Status::InvalidArgument(where + " has aws_access_key_id but no aws_secret_access_key");
  return std::optional<AwsCredentials>(std::move(c));
}

struct Sources {
  std::string credentials_path;
  std::string config_path;
  IniFile credentials_file;
  IniFile config_file;
};

Status ResolveCredentials(const Env& env, const Sources& files, AwsConfig* out) {
  const std::string key_id = Get(env, "AWS_ACCESS_KEY_ID");
  const std::string secret = Get(env, "AWS_SECRET_ACCESS_KEY");
  if (!key_id.empty() && !secret.empty()) {
    out->credentials = {key_id, secret, Get(env, "AWS_SESSION_TOKEN")};
    out->credentials_source = "environment";
    return Status::Ok();
  }
  if (!key_id.empty() || !secret.empty()) {
    return Status::InvalidArgument(key_id.empty() ? "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not"
                                                  : "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
  }
  const std::string& profile = out->profile;
  if (auto it = files.credentials_file.find(profile); it != files.credentials_file.end()) {
    const std::string where = files.credentials_path + " [" + profile + "]";
    auto found = CredentialsIn(it->second, where);
    if (!found.ok()) return found.status();
    if (*found) {
      out->credentials = **found;
      out->credentials_source = where;
      return Status::Ok();
    }
  }
  std::string section_name;
  if (const Section* section = ConfigSection(files.config_file, profile, &section_name)) {
    const std::string where = files.config_path + " [" + section_name + "]";
    auto found = CredentialsIn(*section, where);
    if (!found.ok()) return found.status();
    if (*found) {
      out->credentials = **found;
      out->credentials_source = where;
      return Status::Ok();
    }
  }
  auto describe = [](const std::string& path) { return path.empty() ? std::string("(no HOME)") : path; };
  return Status::InvalidArgument(
      "no AWS credentials for profile \"" + profile +
      "\": AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are unset, and neither the credentials file " +
      describe(files.credentials_path) + " nor the config file " + describe(files.config_path) +
      " has aws_access_key_id/aws_secret_access_key for it");
}

Status ResolveRegion(const AwsConfigRequest& request, const Env& env, const Sources& files, AwsConfig* out) {
  if (request.region && !request.region->empty()) {
    out->region = *request.region;
    return Status::Ok();
  }
  for (const char* name : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    out->region = Get(env, name);
    if (!out->region.empty()) return Status::Ok();
  }
  std::string section_name;
  if (const Section* section = ConfigSection(files.config_file, out->profile, &section_name)) {
    auto it = section->find("region");
    if (it != section->end() && !it->second.empty()) {
      out->region = it->second;
      return Status::Ok();
    }
  }
  return Status::InvalidArgument("no AWS region: pass --region, or set AWS_REGION or AWS_DEFAULT_REGION, or "
                                 "\"region\" for profile \"" + out->profile + "\" in the config file " +
                                 (files.config_path.empty() ? "(no HOME)" : files.config_path));
}

}  // namespace

Result<AwsConfig> ResolveAwsConfig(const AwsConfigRequest& request) {
  const Env env = request.env ? *request.env : ProcessEnvironment();
  AwsConfig config;
  config.profile = request.profile && !request.profile->empty() ? *request.profile : Get(env, "AWS_PROFILE");
  if (config.profile.empty()) config.profile = "default";

  Sources files;
  files.credentials_path = HomeFile(env, "AWS_SHARED_CREDENTIALS_FILE", "credentials");
  files.config_path = HomeFile(env, "AWS_CONFIG_FILE", "config");
  if (!files.credentials_path.empty()) {
    auto ini = ReadIni(files.credentials_path);
    if (!ini.ok()) return ini.status();
    files.credentials_file = std::move(ini.value());
  }
  if (!files.config_path.empty()) {
    auto ini = ReadIni(files.config_path);
    if (!ini.ok()) return ini.status();
    files.config_file = std::move(ini.value());
  }

  if (Status s = ResolveCredentials(env, files, &config); !s.ok()) return s;
  if (Status s = ResolveRegion(request, env, files, &config); !s.ok()) return s;
  return config;
}

}  // namespace agentdraft::store::dynamo
