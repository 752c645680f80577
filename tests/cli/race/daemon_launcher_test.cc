// DaemonLauncher against stand-in daemons (shell scripts), so every path runs fast and
// without the real agentdraftd.
#include "cli/race/daemon_launcher.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>

#include "tests/cli/run_process.h"
#include "tests/support/temp_dir.h"

namespace agentdraft::cli {
namespace {

namespace fs = std::filesystem;
using agentdraft::testing::ReadWholeFile;
using agentdraft::testing::TempDir;

// Points TMPDIR at a fresh directory for one test, so the launcher's temporary data
// directories can be seen (and seen to be gone).
class DaemonLauncherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char* old = std::getenv("TMPDIR")) old_tmpdir_ = old;
    setenv("TMPDIR", tmp_.path().c_str(), 1);
  }
  void TearDown() override {
    if (old_tmpdir_)
      setenv("TMPDIR", old_tmpdir_->c_str(), 1);
    else
      unsetenv("TMPDIR");
  }
  // An executable script standing in for agentdraftd.
  std::string FakeDaemon(const std::string& body) {
    const std::string path = scripts_.File("agentdraftd");
    std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
    chmod(path.c_str(), 0755);
    return path;
  }
  // Entries of TMPDIR: the launcher's data directories while they exist.
  std::vector<std::string> TmpEntries() {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(tmp_.path())) names.push_back(e.path().filename());
    return names;
  }

  TempDir tmp_, scripts_;
  std::optional<std::string> old_tmpdir_;
};

TEST_F(DaemonLauncherTest, ReadsTheAddressFromTheReadyLineAndStopRemovesTheDirectory) {
  DaemonLaunchOptions o;
  o.binary = FakeDaemon("echo 'agentdraftd ready http=http://127.0.0.1:41234'\nexec sleep 30");
  auto daemon = DaemonLauncher::Start(o);
  ASSERT_TRUE(daemon.ok()) << daemon.status().ToString();
  EXPECT_EQ(daemon.value()->base_url(), "http://127.0.0.1:41234");
  EXPECT_TRUE(fs::is_directory(daemon.value()->data_dir()));
  EXPECT_EQ(daemon.value()->Stop(), 128 + SIGTERM);
  EXPECT_EQ(TmpEntries(), std::vector<std::string>{});
}

TEST_F(DaemonLauncherTest, RunsTheDaemonOnAnyPortWithItsDataDirInDevMode) {
  DaemonLaunchOptions o;
  o.binary = FakeDaemon("echo \"$@\" > " + scripts_.File("args") +
                        "\necho 'agentdraftd ready http=http://127.0.0.1:1 socket=/x/y.sock'");
  o.extra_args = {"--tie-window", "20ms"};
  auto daemon = DaemonLauncher::Start(o);
  ASSERT_TRUE(daemon.ok()) << daemon.status().ToString();
  const std::string dir = daemon.value()->data_dir();
  EXPECT_EQ(ReadWholeFile(scripts_.File("args")),
            "--http 127.0.0.1:0 --data-dir " + dir + " --socket " + dir +
                "/agentdraftd.sock --dev --rate-limit 0 --max-active-claims 1000000 --tie-window 20ms\n");
  EXPECT_EQ(daemon.value()->base_url(), "http://127.0.0.1:1");
}

TEST_F(DaemonLauncherTest, ADaemonThatFailsIsReportedWithItsStderrAndLeavesNothingBehind) {
  DaemonLaunchOptions o;
  o.binary = FakeDaemon("echo 'agentdraftd: cannot open the store: disk full' >&2\nexit 1");
  auto daemon = DaemonLauncher::Start(o);
  ASSERT_FALSE(daemon.ok());
  EXPECT_EQ(daemon.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(daemon.status().message(), o.binary +
                                           " did not start; its stderr:\n"
                                           "  agentdraftd: cannot open the store: disk full");
  EXPECT_EQ(TmpEntries(), std::vector<std::string>{});
}

TEST_F(DaemonLauncherTest, ADaemonThatNeverGetsReadyTimesOut) {
  DaemonLaunchOptions o;
  o.binary = FakeDaemon("exec sleep 30");
  o.ready_timeout = std::chrono::milliseconds(200);
  auto daemon = DaemonLauncher::Start(o);
  ASSERT_FALSE(daemon.ok());
  EXPECT_EQ(daemon.status().message(),
            o.binary + " printed no ready line within 200 ms; it wrote nothing on stderr");
  EXPECT_EQ(TmpEntries(), std::vector<std::string>{});
}

TEST_F(DaemonLauncherTest, ABinaryThatCannotRunIsReported) {
  DaemonLaunchOptions o;
  o.binary = scripts_.File("missing-agentdraftd");
  auto daemon = DaemonLauncher::Start(o);
  ASSERT_FALSE(daemon.ok());
  EXPECT_NE(daemon.status().message().find("cannot execute: No such file or directory"),
            std::string::npos)
      << daemon.status().message();
}

TEST(FindDaemonBinary, FindsTheDaemonOfThisBuildTree) {
  // This test binary is <build>/tests/…, so ../daemon/agentdraftd is the build's daemon.
  if (!fs::exists(AGENTDRAFTD_PATH)) GTEST_SKIP() << AGENTDRAFTD_PATH << " is not built";
  EXPECT_EQ(fs::canonical(FindDaemonBinary()), fs::canonical(AGENTDRAFTD_PATH));
}

}  // namespace
}  // namespace agentdraft::cli
