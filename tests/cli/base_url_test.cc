// Which daemon a command talks to.
#include "cli/base_url.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>

namespace agentdraft::cli {
namespace {

// Sets AGENTDRAFT_BASE_URL (or unsets it) for one test, and restores it.
class BaseUrlEnv {
 public:
  explicit BaseUrlEnv(const char* value) {
    if (const char* old = std::getenv("AGENTDRAFT_BASE_URL")) old_ = old;
    if (value)
      setenv("AGENTDRAFT_BASE_URL", value, 1);
    else
      unsetenv("AGENTDRAFT_BASE_URL");
  }
  ~BaseUrlEnv() {
    if (old_)
      setenv("AGENTDRAFT_BASE_URL", old_->c_str(), 1);
    else
      unsetenv("AGENTDRAFT_BASE_URL");
  }

 private:
  std::optional<std::string> old_;
};

TEST(BaseUrl, FlagWinsOverEnvironment) {
  BaseUrlEnv env("http://10.0.0.1:9000");
  EXPECT_EQ(ResolveBaseUrl("http://127.0.0.1:7000"), "http://127.0.0.1:7000");
}

TEST(BaseUrl, EnvironmentWinsOverDefault) {
  BaseUrlEnv env("http://10.0.0.1:9000/");
  EXPECT_EQ(ResolveBaseUrl(""), "http://10.0.0.1:9000");
}

TEST(BaseUrl, DefaultIsLocalPort8080) {
  BaseUrlEnv env(nullptr);
  EXPECT_EQ(ResolveBaseUrl(""), "http://127.0.0.1:8080");
}

}  // namespace
}  // namespace agentdraft::cli
