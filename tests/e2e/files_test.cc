// What agentdraftd leaves on disk: a data directory it creates is 0700 and every file in it
// 0600 (database, -wal, -shm, keys, lock, socket); a directory that already exists keeps its
// mode; a key file other users may read stops the daemon with the fix; a database other users
// may read is used, with a warning. The real daemon on SQLite, under the usual umask 022.
#include <sys/stat.h>
#include <sys/types.h>

#include <filesystem>
#include <sstream>

#include "tests/cli/run_process.h"
#include "tests/e2e/e2e_support.h"

namespace agentdraft::testing {
namespace {

std::string ModeOf(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return "missing";
  std::ostringstream out;
  out << std::oct << (st.st_mode & 07777);
  return "0" + out.str();
}

// "name mode" for every entry of `dir`, sorted, one a line.
std::string Listing(const std::string& dir) {
  std::vector<std::string> lines;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    lines.push_back(e.path().filename().string() + " " + ModeOf(e.path().string()));
  }
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const std::string& l : lines) out += l + "\n";
  return out;
}

class FilesTest : public E2eTest {
 protected:
  // Files are made under the umask most shells have; without the daemon's own care they
  // would be 0644 and 0755.
  void SetUp() override { old_umask_ = ::umask(022); }
  void TearDown() override {
    E2eTest::TearDown();
    ::umask(old_umask_);
  }
  std::string Data(const std::string& name = "") const {
    return dir_.File("data") + (name.empty() ? "" : "/" + name);
  }
  // The daemon on SQLite (whatever AGENTDRAFT_TEST_STORE says): the files are the point.
  void StartOnSqlite() { StartDaemon({"--dev", "--store", "sqlite"}); }
  // Runs agentdraftd on the data directory, for refusals: it should exit at once (a daemon
  // that starts instead is stopped after 20 s, exit code 124).
  ProcessResult RunRefused() {
    return RunProcess({"/usr/bin/timeout", "20", AGENTDRAFTD_PATH, "--http", "127.0.0.1:0",
                       "--data-dir", Data(), "--socket", Data("agentdraftd.sock"), "--store",
                       "sqlite"});
  }

  mode_t old_umask_ = 0;
};

TEST_F(FilesTest, AFreshDataDirectoryIs0700AndEveryFileInIt0600) {
  ASSERT_NO_FATAL_FAILURE(StartOnSqlite());
  EXPECT_EQ(ModeOf(Data()), "0700");
  EXPECT_EQ(Listing(Data()),
            "agentdraft.db 0600\n"
            "agentdraft.db-shm 0600\n"
            "agentdraft.db-wal 0600\n"
            "agentdraftd.lock 0600\n"
            "agentdraftd.sock 0600\n"
            "agentdraftd.sock.lock 0600\n"
            "audit.key 0600\n"
            "secret.key 0600\n");
}

TEST_F(FilesTest, AnExistingDataDirectoryKeepsItsMode) {
  ASSERT_EQ(::mkdir(Data().c_str(), 0755), 0);
  ASSERT_EQ(::chmod(Data().c_str(), 0755), 0);
  ASSERT_NO_FATAL_FAILURE(StartOnSqlite());
  EXPECT_EQ(ModeOf(Data()), "0755");
  EXPECT_EQ(ModeOf(Data("agentdraft.db")), "0600");
}

TEST_F(FilesTest, AGroupWritableDataDirectoryIsUsedWithAWarning) {
  ASSERT_EQ(::mkdir(Data().c_str(), 0775), 0);
  ASSERT_EQ(::chmod(Data().c_str(), 0775), 0);
  ASSERT_NO_FATAL_FAILURE(StartOnSqlite());
  EXPECT_EQ(ModeOf(Data()), "0775");
  EXPECT_NE(daemon_->Log().find("data directory " + Data() + " is writable by other users (mode 0775)"),
            std::string::npos) << daemon_->Log();
}

TEST_F(FilesTest, AWorldWritableDataDirectoryWithoutTheStickyBitIsRefused) {
  ASSERT_EQ(::mkdir(Data().c_str(), 0777), 0);
  ASSERT_EQ(::chmod(Data().c_str(), 0777), 0);
  const ProcessResult r = RunRefused();
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("data directory " + Data() + " is writable by every user (mode 0777)"),
            std::string::npos) << r.err;
  EXPECT_NE(r.err.find("chmod o-w " + Data()), std::string::npos) << r.err;
  EXPECT_EQ(Listing(Data()), "");  // nothing created in it
  EXPECT_EQ(ModeOf(Data()), "0777");
}

TEST_F(FilesTest, AKeyFileOtherUsersMayReadStopsTheDaemonWithTheFix) {
  ASSERT_NO_FATAL_FAILURE(StartOnSqlite());
  ASSERT_EQ(daemon_->Stop(), 0);
  for (const char* key : {"audit.key", "secret.key"}) {
    const std::string path = Data(key);
    ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
    const std::string before = ReadWholeFile(path);
    const ProcessResult r = RunRefused();
    EXPECT_EQ(r.exit_code, 1) << key << ": " << r.err;
    EXPECT_EQ(r.out, "") << key;  // no ready line
    EXPECT_NE(r.err.find(path + " holds a private key but other users may read it (mode 0644); "
                         "run: chmod 600 " + path),
              std::string::npos) << r.err;
    EXPECT_EQ(ReadWholeFile(path), before) << key;
    EXPECT_EQ(ModeOf(path), "0644") << key;  // left for its owner to fix
    ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  }
  ASSERT_NO_FATAL_FAILURE(Restart());  // fixed: it starts again
}

TEST_F(FilesTest, ADatabaseOtherUsersMayReadIsUsedWithAWarning) {
  ASSERT_NO_FATAL_FAILURE(StartOnSqlite());
  ASSERT_EQ(daemon_->Stop(), 0);
  ASSERT_EQ(::chmod(Data("agentdraft.db").c_str(), 0644), 0);
  ASSERT_NO_FATAL_FAILURE(Restart());
  EXPECT_NE(daemon_->Log().find(Data("agentdraft.db") + " is open to other users (mode 0644); run: "
                                "chmod 600 " + Data("agentdraft.db")),
            std::string::npos) << daemon_->Log();
  EXPECT_EQ(ModeOf(Data("agentdraft.db")), "0644");  // used as it is
}

}  // namespace
}  // namespace agentdraft::testing
