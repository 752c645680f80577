#include "cli/daemon_launcher.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace agentdraft::cli {

namespace fs = std::filesystem;

std::string FindDaemonBinary() {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (fs::path candidate : {self.parent_path() / "agentdraftd",
                               self.parent_path().parent_path() / "daemon" / "agentdraftd"}) {
      if (access(candidate.c_str(), X_OK) == 0) return candidate.string();
    }
  }
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    fs::path candidate = fs::path(dir) / "agentdraftd";
    if (!dir.empty() && access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return "";
}

Result<std::unique_ptr<DaemonLauncher>> DaemonLauncher::Start(const std::vector<std::string>& extra_args) {
  const std::string binary = FindDaemonBinary();
  if (binary.empty()) {
    return Status::NotFound("agentdraftd was not found next to agentdraft or on PATH");
  }
  std::string tmpl = (fs::temp_directory_path() / "agentdraft-demo-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) return Status::Unavailable("cannot create a temporary directory");
  std::unique_ptr<DaemonLauncher> d(new DaemonLauncher());
  d->data_dir_ = tmpl;
  const std::string log = d->data_dir_ + "/agentdraftd.log";

  int out[2];
  if (pipe(out) != 0) return Status::Unavailable("pipe failed");
  std::vector<std::string> args = {binary, "--http", "127.0.0.1:0", "--data-dir", d->data_dir_, "--dev"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  pid_t pid = fork();
  if (pid < 0) return Status::Unavailable("fork failed");
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    FILE* err = std::fopen(log.c_str(), "w");
    if (err) dup2(fileno(err), STDERR_FILENO);
    close(out[0]);
    close(out[1]);
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  close(out[1]);
  d->pid_ = pid;

  // Read the ready line: "agentdraftd ready http=http://127.0.0.1:41234".
  std::string text;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (text.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    pollfd p{out[0], POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    char buf[256];
    ssize_t n = read(out[0], buf, sizeof buf);
    if (n <= 0) break;
    text.append(buf, n);
  }
  close(out[0]);
  const size_t at = text.find("http=");
  if (at == std::string::npos) {
    std::ifstream in(log);
    std::stringstream err;
    err << in.rdbuf();
    return Status::Unavailable("agentdraftd (" + binary + ") did not start: " + err.str());
  }
  d->base_url_ = text.substr(at + 5, text.find('\n', at) - at - 5);
  return d;
}

DaemonLauncher::~DaemonLauncher() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  std::error_code ec;
  if (!data_dir_.empty()) fs::remove_all(data_dir_, ec);
}

}  // namespace agentdraft::cli
