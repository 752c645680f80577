// DaemonProcess: the real agentdraftd, started on 127.0.0.1:0 with a data directory, for
// end-to-end tests. With AGENTDRAFT_TEST_STORE=dynamodb in the environment (and no --store
// among the extra args), it runs on a table of its own in the tests' DynamoDB Local instead
// of SQLite, so the same end-to-end suite covers both stores. Start() reads the ready line (no fixed sleeps) and polls /healthz.
// Stop() sends SIGTERM and returns the exit status; Kill() sends SIGKILL. Start() again
// restarts on the same directory. Not thread-safe.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "common/status.h"

namespace agentdraft::testing {

class DaemonProcess {
 public:
  DaemonProcess(std::string data_dir, std::vector<std::string> extra_args = {"--dev"});
  ~DaemonProcess();  // kills a still-running daemon

  Status Start();
  // Environment variables for the next Start() (on top of the test's own).
  void set_env(std::map<std::string, std::string> env) { env_ = std::move(env); }
  // Another daemon executable for the next Start() (e.g. agentdraftd_planted); "" = agentdraftd.
  void set_binary(std::string path) { binary_ = std::move(path); }
  // The ready line the daemon printed on its last Start().
  const std::string& ready_line() const { return ready_line_; }
  int Stop();  // exit status (0 = clean), or -1 if it was not running
  void Kill();

  const std::string& base_url() const { return base_url_; }
  // The DynamoDB table it runs on, or "" on SQLite.
  const std::string& dynamodb_table() const { return table_; }
  // The owner's Unix socket: <data_dir>/agentdraftd.sock, unless extra_args name one
  // (--socket PATH), or "" when they leave the choice to the daemon (--socket default).
  const std::string& socket_path() const { return socket_path_; }
  pid_t pid() const { return pid_; }
  // The daemon's stderr so far (for failure messages).
  std::string Log() const;

 private:
  std::string data_dir_;
  std::vector<std::string> extra_args_;
  std::string log_path_;
  std::string base_url_;
  std::string socket_path_;
  std::string ready_line_;
  std::map<std::string, std::string> env_;
  std::string table_;
  std::string binary_;
  pid_t pid_ = -1;
};

}  // namespace agentdraft::testing
