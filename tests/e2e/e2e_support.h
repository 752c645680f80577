// Shared bits of the end-to-end tests: a daemon in a temp dir with a signed-in owner, and
// slot times.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "common/api_client.h"
#include "common/time.h"
#include "tests/support/daemon_process.h"
#include "tests/support/dev_owner.h"
#include "tests/support/temp_dir.h"

namespace agentdraft::testing {

// For timing in the tests (agentdraft::Clock is the daemon's own clock).
using SteadyClock = std::chrono::steady_clock;

// "2027-03-01T09:00:00Z" + minutes.
inline std::string At(int64_t minutes) {
  return FormatRfc3339(FromMicros((1803978000LL + minutes * 60) * 1000000));
}

inline nlohmann::json Claim(int64_t from_min, int64_t to_min, const std::string& key = "") {
  nlohmann::json j = {{"start", At(from_min)}, {"end", At(to_min)}};
  if (!key.empty()) j["idempotency_key"] = key;
  return j;
}

class E2eTest : public ::testing::Test {
 protected:
  void StartDaemon(std::vector<std::string> args = {"--dev"}) {
    daemon_ = std::make_unique<DaemonProcess>(dir_.File("data"), std::move(args));
    Status s = daemon_->Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
    owner_ = std::make_unique<DevOwner>(daemon_->base_url());
  }
  void SetUp() override { StartDaemon(); }
  // Every test ends with a clean stop: exit 0 (a sanitizer report in the daemon would make it
  // non-zero).
  void TearDown() override {
    if (daemon_ && daemon_->pid() > 0) {
      EXPECT_EQ(daemon_->Stop(), 0) << daemon_->Log();
    }
  }
  // Starts the daemon again on the same data directory (a new port); the owner's session
  // survives.
  void Restart() {
    Status s = daemon_->Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
    owner_->Rebind(daemon_->base_url());
  }

  ApiClient Client(const std::string& key = "") {
    ApiClientOptions o;
    o.base_url = daemon_->base_url();
    o.api_key = key;
    return ApiClient(o);
  }

  TempDir dir_;
  std::unique_ptr<DaemonProcess> daemon_;
  std::unique_ptr<DevOwner> owner_;
};

}  // namespace agentdraft::testing
