// CliTest: the real `agentdraft` binary against a real agentdraftd in a temp dir, with the
// daemon's socket and URL in the environment and no inherited identity; plus the API itself
// (over the socket as the owner, over HTTP with a key) to compare with.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/api_client.h"
#include "tests/cli/run_process.h"
#include "tests/support/daemon_process.h"
#include "tests/support/temp_dir.h"

namespace agentdraft::testing {

using nlohmann::json;

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override { StartDaemon({"--tie-window", "0ms"}); }
  void TearDown() override {
    if (daemon_ && daemon_->pid() > 0) {
      EXPECT_EQ(daemon_->Stop(), 0) << daemon_->Log();
    }
  }

  void StartDaemon(std::vector<std::string> args) {
    daemon_ = std::make_unique<DaemonProcess>(dir_.File("data"), std::move(args));
    Status s = daemon_->Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  // `agentdraft ARGS…` with the test daemon's socket and URL and no inherited identity.
  ProcessResult Run(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
    std::map<std::string, std::string> full = {{"AGENTDRAFT_SOCKET", daemon_->socket_path()},
                                               {"AGENTDRAFT_BASE_URL", daemon_->base_url()},
                                               {"AGENTDRAFT_API_KEY", ""},
                                               {"AGENTDRAFT_TZ", ""},
                                               {"NO_COLOR", "1"}};
    for (auto& [k, v] : env) full[k] = v;
    args.insert(args.begin(), AGENTDRAFT_CLI_PATH);
    return RunProcess(args, full);
  }
  ProcessResult AsAgent(const std::string& key, std::vector<std::string> args) {
    return Run(std::move(args), {{"AGENTDRAFT_API_KEY", key}});
  }

  // The API itself, over the socket (the owner) or over HTTP with a key.
  ApiClient Socket() {
    ApiClientOptions o;
    o.base_url = "http://agentdraftd";
    o.unix_socket_path = daemon_->socket_path();
    return ApiClient(o);
  }
  ApiClient Http(const std::string& key) {
    ApiClientOptions o;
    o.base_url = daemon_->base_url();
    o.api_key = key;
    return ApiClient(o);
  }
  static json Body(const Result<ApiResponse>& r) {
    EXPECT_TRUE(r.ok());
    return r.ok() ? json::parse(r->body) : json();
  }
  static json Parse(const ProcessResult& r) {
    json j = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "stdout is not one JSON document: " << r.out << r.err;
    return j;
  }

  // Adds an agent through the CLI; returns its key.
  std::string AddAgent(const std::string& name, int priority) {
    ProcessResult r = Run({"agents", "add", name, "--priority", std::to_string(priority), "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return Parse(r).value("plaintext_key", "");
  }

  TempDir dir_;
  std::unique_ptr<DaemonProcess> daemon_;
};

}  // namespace agentdraft::testing
