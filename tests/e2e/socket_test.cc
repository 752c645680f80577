// End-to-end: the owner's Unix socket (permissions, peer uid, stale and live sockets) and the
// daemon's configuration (flags, environment, config file, in that order).
#include <gtest/gtest.h>
#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>

#include "common/api_client.h"
#include "tests/cli/run_process.h"
#include "tests/support/daemon_process.h"
#include "tests/support/temp_dir.h"

namespace agentdraft::testing {
namespace {

mode_t ModeBits(const std::string& path) {
  struct stat st{};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

ApiClient SocketClient(const std::string& path) {
  ApiClientOptions o;
  o.base_url = "http://agentdraftd";
  o.unix_socket_path = path;
  return ApiClient(o);
}

TEST(OwnerSocket, IsMode0600InADirectoryOfMode0700AndCarriesTheOwnersAuthority) {
  TempDir dir;
  const std::string socket = dir.File("run/agentdraft/agentdraftd.sock");
  DaemonProcess daemon(dir.File("data"), {"--socket", socket});
  ASSERT_TRUE(daemon.Start().ok()) << daemon.Log();
  EXPECT_NE(daemon.ready_line().find(" socket=" + socket), std::string::npos) << daemon.ready_line();
  EXPECT_EQ(ModeBits(socket), 0600u);
  EXPECT_EQ(ModeBits(dir.File("run/agentdraft")), 0700u);

  // No key, no cookie: the socket alone is the owner's authority. Over HTTP the same request
  // is refused.
  ApiClient owner = SocketClient(socket);
  auto created = owner.Post("/v1/dashboard/agents", {{"name", "bot"}, {"priority", 1}});
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->status, 201) << created->body;
  ApiClientOptions http;
  http.base_url = daemon.base_url();
  auto refused = ApiClient(http).Get("/v1/dashboard/agents");
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->status, 401);
  // A forged X-Agentdraft-As over HTTP gives no authority either.
  auto forged = ApiClient(http).Request("GET", "/v1/agents/me", nullptr, {"X-Agentdraft-As: bot"});
  ASSERT_TRUE(forged.ok());
  EXPECT_EQ(forged->status, 401);
  EXPECT_EQ(daemon.Stop(), 0);
  // A clean stop removes the socket file.
  EXPECT_NE(::access(socket.c_str(), F_OK), 0);
}

// Connects to `path` as `uid`/`gid` in a child process; returns the HTTP status line's code
// (or -errno when connecting failed).
int StatusAsOtherUser(const std::string& path, uid_t uid, gid_t gid) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    int code = -1;
    if (setgroups(0, nullptr) == 0 && setgid(gid) == 0 && setuid(uid) == 0) {
      int fd = socket(AF_UNIX, SOCK_STREAM, 0);
      sockaddr_un addr{};
      addr.sun_family = AF_UNIX;
      std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
      if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        code = -errno;
      } else {
        const char request[] = "GET /v1/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        (void)!write(fd, request, sizeof request - 1);
        char buf[64] = {};
        ssize_t n = read(fd, buf, sizeof buf - 1);
        if (n > 12) code = std::atoi(buf + 9);  // "HTTP/1.1 403"
      }
    }
    (void)!write(pipe_fds[1], &code, sizeof code);
    _exit(0);
  }
  close(pipe_fds[1]);
  int code = -1;
  if (read(pipe_fds[0], &code, sizeof code) != sizeof code) code = -1;
  close(pipe_fds[0]);
  waitpid(pid, nullptr, 0);
  return code;
}

TEST(OwnerSocket, APeerWithAnotherUidIsRefusedEvenIfTheFileModeWouldLetItIn) {
  if (geteuid() != 0) {
    GTEST_SKIP() << "not root: cannot run a client as another uid here";
  }
  TempDir dir;
  // A directory others may traverse, and (after start) a socket file anyone may open: only
  // the daemon's peer-credential check stands between uid 65534 and the owner's authority.
  const std::string open_dir = dir.File("open");
  ASSERT_EQ(::mkdir(open_dir.c_str(), 0711), 0);
  ASSERT_EQ(::chmod(dir.path().c_str(), 0711), 0);
  const std::string socket = open_dir + "/ad.sock";
  DaemonProcess daemon(dir.File("data"), {"--socket", socket});
  ASSERT_TRUE(daemon.Start().ok()) << daemon.Log();
  EXPECT_EQ(ModeBits(open_dir), 0711u);  // an existing directory is left as it is
  ASSERT_EQ(::chmod(socket.c_str(), 0666), 0);
  EXPECT_EQ(StatusAsOtherUser(socket, 65534, 65534), 403);
  // Root and the daemon's own user are let in.
  auto mine = SocketClient(socket).Get("/v1/status");
  ASSERT_TRUE(mine.ok());
  EXPECT_EQ(mine->status, 200);
  // With the daemon's own modes the other user cannot even connect.
  ASSERT_EQ(::chmod(socket.c_str(), 0600), 0);
  EXPECT_EQ(StatusAsOtherUser(socket, 65534, 65534), -EACCES);
  EXPECT_EQ(daemon.Stop(), 0);
}

TEST(OwnerSocket, AStaleSocketIsReplacedAndALiveOneIsNeverStolen) {
  TempDir dir;
  const std::string socket = dir.File("ad.sock");
  DaemonProcess first(dir.File("data1"), {"--socket", socket});
  ASSERT_TRUE(first.Start().ok()) << first.Log();

  // A second daemon on the same socket (its own data) exits with a clear message.
  ProcessResult second = RunProcess({AGENTDRAFTD_PATH, "--http", "127.0.0.1:0", "--data-dir",
                                     dir.File("data2"), "--socket", socket});
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_NE(second.err.find("another agentdraftd is serving " + socket), std::string::npos)
      << second.err;
  // …and the first one still serves it.
  auto alive = SocketClient(socket).Get("/v1/status");
  ASSERT_TRUE(alive.ok());
  EXPECT_EQ(alive->status, 200);

  // Killed: the socket file stays behind, stale. The next daemon replaces it.
  first.Kill();
  ASSERT_EQ(::access(socket.c_str(), F_OK), 0);
  DaemonProcess third(dir.File("data1"), {"--socket", socket});
  ASSERT_TRUE(third.Start().ok()) << third.Log();
  auto after = SocketClient(socket).Get("/v1/status");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->status, 200);
  EXPECT_EQ(third.Stop(), 0);
}

// RFC 9112 §6.3 over the socket too: a POST with neither Content-Length nor Transfer-Encoding
// has an empty body and is answered at once; a request pipelined behind it is answered next.
TEST(OwnerSocket, ABodilessPostIsAnsweredAtOnceAndAPipelinedRequestAfterIt) {
  TempDir dir;
  DaemonProcess daemon(dir.File("data"), {"--dev", "--read-timeout", "60s"});
  ASSERT_TRUE(daemon.Start().ok()) << daemon.Log();
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, daemon.socket_path().c_str(), sizeof addr.sun_path - 1);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << std::strerror(errno);
  const std::string requests =
      "POST /v1/bookings/bkg_nosuch/counters/ctr_nosuch/reject HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  ASSERT_EQ(::send(fd, requests.data(), requests.size(), MSG_NOSIGNAL), static_cast<ssize_t>(requests.size()));
  // Read until the daemon closes (after the second answer); with the body awaited, nothing would
  // come for 60 s and the test would time out instead.
  std::string answers;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) answers.append(buf, static_cast<size_t>(n));
  ::close(fd);
  EXPECT_EQ(answers.rfind("HTTP/1.1 404", 0), 0u) << answers;
  EXPECT_NE(answers.find("\"not_found\""), std::string::npos) << answers;
  EXPECT_NE(answers.find("HTTP/1.1 200"), std::string::npos) << answers;
  EXPECT_EQ(daemon.Stop(), 0) << daemon.Log();
}

TEST(OwnerSocket, TwoDaemonsOnOneDataDirectoryAreRefused) {
  TempDir dir;
  DaemonProcess first(dir.File("data"), {"--socket", dir.File("a.sock")});
  ASSERT_TRUE(first.Start().ok());
  ProcessResult second = RunProcess({AGENTDRAFTD_PATH, "--http", "127.0.0.1:0", "--data-dir",
                                     dir.File("data"), "--socket", dir.File("b.sock")});
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_NE(second.err.find("another agentdraftd uses the data directory"), std::string::npos)
      << second.err;
  EXPECT_EQ(first.Stop(), 0);
}

TEST(DaemonConfig, FlagsBeatEnvironmentBeatConfigFileBeatDefaults) {
  TempDir dir;
  const std::string config = dir.File("agentdraftd.toml");
  {
    std::ofstream(config) << "# agentdraftd settings\n"
                          << "socket = \"" << dir.File("from-file.sock") << "\"\n"
                          << "tie-window = \"0ms\"\n"
                          << "max-holds = 7\n"
                          << "dev = true\n";
  }
  // The file alone.
  DaemonProcess from_file(dir.File("d1"), {"--config", config, "--socket", "default"});
  ASSERT_TRUE(from_file.Start().ok()) << from_file.Log();
  EXPECT_NE(from_file.ready_line().find("socket=" + dir.File("from-file.sock")), std::string::npos)
      << from_file.ready_line();
  auto settings = SocketClient(dir.File("from-file.sock")).Get("/v1/dashboard/settings");
  ASSERT_TRUE(settings.ok());
  EXPECT_EQ(nlohmann::json::parse(settings->body)["max_holds_per_agent"], 7);
  EXPECT_EQ(from_file.Stop(), 0);

  // The environment beats the file.
  DaemonProcess from_env(dir.File("d2"), {"--socket", "default"});
  from_env.set_env({{"AGENTDRAFT_CONFIG", config}, {"AGENTDRAFT_SOCKET", dir.File("from-env.sock")},
                    {"AGENTDRAFT_MAX_HOLDS", "9"}});
  ASSERT_TRUE(from_env.Start().ok()) << from_env.Log();
  EXPECT_NE(from_env.ready_line().find("socket=" + dir.File("from-env.sock")), std::string::npos)
      << from_env.ready_line();
  settings = SocketClient(dir.File("from-env.sock")).Get("/v1/dashboard/settings");
  ASSERT_TRUE(settings.ok());
  EXPECT_EQ(nlohmann::json::parse(settings->body)["max_holds_per_agent"], 9);
  EXPECT_EQ(from_env.Stop(), 0);

  // A flag beats both.
  DaemonProcess from_flag(dir.File("d3"), {"--socket", dir.File("from-flag.sock"), "--max-holds", "11"});
  from_flag.set_env({{"AGENTDRAFT_CONFIG", config}, {"AGENTDRAFT_SOCKET", dir.File("from-env.sock")},
                     {"AGENTDRAFT_MAX_HOLDS", "9"}});
  ASSERT_TRUE(from_flag.Start().ok()) << from_flag.Log();
  settings = SocketClient(dir.File("from-flag.sock")).Get("/v1/dashboard/settings");
  ASSERT_TRUE(settings.ok());
  EXPECT_EQ(nlohmann::json::parse(settings->body)["max_holds_per_agent"], 11);
  EXPECT_EQ(from_flag.Stop(), 0);
}

TEST(DaemonConfig, ABadConfigFileStopsTheDaemonWithExitTwoNamingTheProblem) {
  TempDir dir;
  const std::string config = dir.File("bad.toml");
  { std::ofstream(config) << "tie-windwo = \"5ms\"\n"; }
  ProcessResult r = RunProcess({AGENTDRAFTD_PATH, "--config", config, "--data-dir", dir.File("d")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown setting \"tie-windwo\""), std::string::npos) << r.err;

  { std::ofstream(config) << "tie-window = [\n"; }
  r = RunProcess({AGENTDRAFTD_PATH, "--config", config, "--data-dir", dir.File("d")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(config), std::string::npos) << r.err;

  r = RunProcess({AGENTDRAFTD_PATH, "--config", dir.File("missing.toml"), "--data-dir", dir.File("d")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("does not exist"), std::string::npos) << r.err;
}

TEST(DaemonConfig, HelpListsEverySettingWithExamples) {
  ProcessResult r = RunProcess({AGENTDRAFTD_PATH, "--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* flag : {"--http", "--socket", "--data-dir", "--dev", "--tie-window", "--bump-window",
                           "--hold-ttl", "--max-holds", "--max-active-claims", "--max-metadata-bytes",
                           "--rate-limit", "--rate-burst", "--threads",
                           "--log-level", "--config", "Examples:", "AGENTDRAFT_"}) {
    EXPECT_NE(r.out.find(flag), std::string::npos) << flag;
  }
}

TEST(DaemonConfig, DebugLogsOneLinePerRequest) {
  TempDir dir;
  DaemonProcess daemon(dir.File("data"), {"--log-level", "debug"});
  ASSERT_TRUE(daemon.Start().ok());
  ApiClient owner = SocketClient(daemon.socket_path());
  ASSERT_TRUE(owner.Get("/v1/status").ok());
  ASSERT_TRUE(owner.Get("/v1/dashboard/settings").ok());
  EXPECT_EQ(daemon.Stop(), 0);
  const std::string log = daemon.Log();
  EXPECT_NE(log.find("unix GET /v1/status -> 200"), std::string::npos) << log;
  EXPECT_NE(log.find("unix GET /v1/dashboard/settings -> 200"), std::string::npos) << log;
}

}  // namespace
}  // namespace agentdraft::testing
