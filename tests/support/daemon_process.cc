#include "tests/support/daemon_process.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <chrono>
#include <fstream>
#include <sstream>

#include "common/api_client.h"
#include "tests/support/dynamodb_local.h"

namespace agentdraft::testing {

DaemonProcess::DaemonProcess(std::string data_dir, std::vector<std::string> extra_args)
    : data_dir_(std::move(data_dir)), extra_args_(std::move(extra_args)),
      log_path_(data_dir_ + ".log") {}

DaemonProcess::~DaemonProcess() {
  if (pid_ > 0) Kill();
}

std::string DaemonProcess::Log() const {
  std::ifstream in(log_path_);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

Status DaemonProcess::Start() {
  int out[2];
  if (pipe(out) != 0) return Status::Internal("pipe");
  std::vector<std::string> args = {binary_.empty() ? AGENTDRAFTD_PATH : binary_, "--http", "127.0.0.1:0", "--data-dir", data_dir_};
  socket_path_ = data_dir_ + "/agentdraftd.sock";
  auto named = std::find(extra_args_.begin(), extra_args_.end(), "--socket");
  if (named == extra_args_.end()) {
    args.insert(args.end(), {"--socket", socket_path_});
  } else if (named + 1 != extra_args_.end() && *(named + 1) == "default") {
    socket_path_.clear();
  } else if (named + 1 != extra_args_.end()) {
    socket_path_ = *(named + 1);
  }
  for (auto it = extra_args_.begin(); it != extra_args_.end(); ++it) {
    if (it == named && it + 1 != extra_args_.end() && *(it + 1) == "default") {
      ++it;  // "--socket default": no flag at all
      continue;
    }
    args.push_back(*it);
  }
  const char* store = std::getenv("AGENTDRAFT_TEST_STORE");
  if (store != nullptr && std::string(store) == "dynamodb" &&
      std::find(extra_args_.begin(), extra_args_.end(), "--store") == extra_args_.end()) {
    if (table_.empty()) table_ = DynamoDbLocal::UniqueTableName("e2e");  // kept across restarts
    UseLocalAwsCredentials();
    args.insert(args.end(), {"--store", "dynamodb", "--dynamodb-table", table_, "--dynamodb-endpoint",
                             DynamoDbLocal::Shared().endpoint(), "--create-table"});
  }
  pid_t pid = fork();
  if (pid < 0) return Status::Internal("fork");
  if (pid == 0) {
    for (const auto& [name, value] : env_) setenv(name.c_str(), value.c_str(), 1);
    dup2(out[1], STDOUT_FILENO);
    FILE* err = std::fopen(log_path_.c_str(), "a");
    if (err) dup2(fileno(err), STDERR_FILENO);
    close(out[0]);
    close(out[1]);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out[1]);
  pid_ = pid;
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
  if (at == std::string::npos) return Status::Unavailable("no ready line; log:\n" + Log());
  ready_line_ = text.substr(0, text.find('\n'));
  base_url_ = text.substr(at + 5, text.find('\n', at) - at - 5);
  base_url_ = base_url_.substr(0, base_url_.find(' '));  // "… socket=PATH" follows
  ApiClientOptions options;
  options.base_url = base_url_;
  ApiClient client(options);
  for (int i = 0; i < 100; ++i) {
    auto r = client.Get("/healthz");
    if (r.ok() && r->status == 200) return Status::Ok();
  }
  return Status::Unavailable("/healthz never answered 200");
}

int DaemonProcess::Stop() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void DaemonProcess::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

}  // namespace agentdraft::testing
