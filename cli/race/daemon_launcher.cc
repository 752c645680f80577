#include "cli/race/daemon_launcher.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace agentdraft::cli {

namespace fs = std::filesystem;

namespace {

constexpr char kReadyPrefix[] = "agentdraftd ready http=";
constexpr char kLogName[] = "agentdraftd.log";

bool IsExecutable(const fs::path& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec) && access(path.c_str(), X_OK) == 0;
}

// In the child, between fork and exec: only async-signal-safe calls.
[[noreturn]] void ExecDaemon(const char* binary, char* const* argv, int stdout_fd,
                             const char* log_path, pid_t parent) {
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != parent) _exit(127);  // the parent died before prctl
  const int log_fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (log_fd >= 0) dup2(log_fd, STDERR_FILENO);
  dup2(stdout_fd, STDOUT_FILENO);
  execv(binary, argv);
  const char* why = strerror(errno);
  (void)!write(STDERR_FILENO, "cannot execute: ", 16);
  (void)!write(STDERR_FILENO, why, strlen(why));
  _exit(127);
}

int ExitStatus(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return -1;
}

}  // namespace

std::string FindDaemonBinary() {
  std::error_code ec;
  const fs::path self_dir = fs::read_symlink("/proc/self/exe", ec).parent_path();
  if (!ec) {
    for (const fs::path& candidate :
         {self_dir / "agentdraftd", self_dir.parent_path() / "daemon" / "agentdraftd"}) {
      if (IsExecutable(candidate)) return candidate.string();
    }
  }
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path != nullptr ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (!dir.empty() && IsExecutable(fs::path(dir) / "agentdraftd")) {
      return (fs::path(dir) / "agentdraftd").string();
    }
  }
  return "";
}

Result<std::unique_ptr<DaemonLauncher>> DaemonLauncher::Start(const DaemonLaunchOptions& options) {
  const std::string binary = options.binary.empty() ? FindDaemonBinary() : options.binary;
  if (binary.empty()) {
    return Status::NotFound(
        "agentdraftd was not found next to agentdraft, in ../daemon/, or on PATH");
  }
  std::unique_ptr<DaemonLauncher> daemon(new DaemonLauncher());
  daemon->binary_ = binary;
  if (Status s = daemon->Spawn(binary, options.extra_args); !s.ok()) return s;
  if (Status s = daemon->ReadReadyLine(options.ready_timeout); !s.ok()) return s;
  return daemon;  // on the error paths above, ~DaemonLauncher stops it and cleans up
}

Status DaemonLauncher::Spawn(const std::string& binary,
                             const std::vector<std::string>& extra_args) {
  std::string tmpl = (fs::temp_directory_path() / "agentdraft-demo-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) {
    return Status::Unavailable("cannot create a temporary directory: " +
                               std::string(strerror(errno)));
  }
  data_dir_ = tmpl;
  // Its own socket in its own directory: never the user's default one. No rate limit and no
  // practical claims quota: the demo's and the benchmark's agents fire round after round at a
  // daemon of their own, and the top-ranked one keeps every slot it wins.
  std::vector<std::string> args = {binary,   "--http",       "127.0.0.1:0", "--data-dir",          data_dir_,
                                   "--socket", data_dir_ + "/agentdraftd.sock", "--dev", "--rate-limit", "0",
                                   "--max-active-claims", "1000000"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  std::vector<char*> argv;  // built before fork: the child may only make async-signal-safe calls
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string log_path = data_dir_ + "/" + kLogName;
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0)
    return Status::Unavailable("pipe: " + std::string(strerror(errno)));
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid == 0) ExecDaemon(binary.c_str(), argv.data(), out[1], log_path.c_str(), parent);
  close(out[1]);
  if (pid < 0) {
    close(out[0]);
    return Status::Unavailable("fork: " + std::string(strerror(errno)));
  }
  pid_ = pid;
  stdout_fd_ = out[0];
  return Status::Ok();
}

Status DaemonLauncher::ReadReadyLine(std::chrono::milliseconds timeout) {
  std::string text;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (text.find('\n') == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{stdout_fd_, POLLIN, 0};
    if (left.count() <= 0 || poll(&p, 1, static_cast<int>(left.count())) == 0) {
      return Status::Unavailable(binary_ + " printed no ready line within " +
                                 std::to_string(timeout.count()) + " ms" + LogTail());
    }
    char buf[512];
    const ssize_t n = read(stdout_fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // it exited (or closed stdout) before a whole line
    text.append(buf, static_cast<size_t>(n));
  }
  close(stdout_fd_);  // it prints nothing else on stdout; it ignores SIGPIPE
  stdout_fd_ = -1;
  const std::string line = text.substr(0, text.find('\n'));
  if (line.rfind(kReadyPrefix, 0) != 0) {
    return Status::Unavailable(binary_ + " did not start" +
                               (line.empty() ? "" : " (stdout: \"" + line + "\")") + LogTail());
  }
  // "agentdraftd ready http=URL[ socket=PATH]"
  base_url_ = line.substr(sizeof kReadyPrefix - 1);
  base_url_ = base_url_.substr(0, base_url_.find(' '));
  return Status::Ok();
}

std::string DaemonLauncher::LogTail() const {
  std::ifstream in(data_dir_ + "/" + kLogName);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  if (lines.empty()) return "; it wrote nothing on stderr";
  std::string tail = "; its stderr:";
  for (size_t i = lines.size() > 20 ? lines.size() - 20 : 0; i < lines.size(); ++i) {
    tail += "\n  " + lines[i];
  }
  return tail;
}

int DaemonLauncher::Stop() {
  int status = -1;
  if (stdout_fd_ >= 0) close(stdout_fd_);
  stdout_fd_ = -1;
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    int wait_status = 0;
    pid_t reaped = 0;
    // Give it 10 s to drain, then SIGKILL.
    for (int waited_ms = 0; (reaped = waitpid(pid_, &wait_status, WNOHANG)) == 0; waited_ms += 10) {
      if (waited_ms == 10000) kill(pid_, SIGKILL);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    status = reaped == pid_ ? ExitStatus(wait_status) : -1;
    pid_ = -1;
  }
  std::error_code ec;
  if (!data_dir_.empty()) fs::remove_all(data_dir_, ec);
  data_dir_.clear();
  return status;
}

DaemonLauncher::~DaemonLauncher() { Stop(); }

}  // namespace agentdraft::cli
