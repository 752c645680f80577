// DaemonProcess: the real agentdraftd, started on 127.0.0.1:0 with a data directory, for
// end-to-end tests. Start() reads the ready line (no fixed sleeps) and polls /healthz.
// Stop() sends SIGTERM and returns the exit status; Kill() sends SIGKILL. Start() again
// restarts on the same directory. Not thread-safe.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/status.h"

namespace agentdraft::testing {

class DaemonProcess {
 public:
  DaemonProcess(std::string data_dir, std::vector<std::string> extra_args = {"--dev"});
  ~DaemonProcess();  // kills a still-running daemon

  Status Start();
  int Stop();  // exit status (0 = clean), or -1 if it was not running
  void Kill();

  const std::string& base_url() const { return base_url_; }
  // The owner's Unix socket: <data_dir>/agentdraftd.sock.
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
  pid_t pid_ = -1;
};

}  // namespace agentdraft::testing
