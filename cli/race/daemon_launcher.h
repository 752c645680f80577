// DaemonLauncher: a private agentdraftd for one CLI run, on a temporary data directory.
//
// `agentdraft race demo` uses it when no daemon answers. Start() creates a directory with
// mkdtemp, runs `agentdraftd --http 127.0.0.1:0 --data-dir <dir> --dev --rate-limit 0
// --max-active-claims 1000000` (its agents race round after round; the limits are not what
// they show), and reads the one
// ready line ("agentdraftd ready http=http://127.0.0.1:41234") from the daemon's stdout; the
// daemon's stderr goes to <dir>/agentdraftd.log and is quoted when it fails to start.
// Stop() (or the destructor) sends SIGTERM, waits for the process (SIGKILL after 10 s) and
// removes the directory. The daemon also gets SIGTERM if the CLI dies first (PDEATHSIG).
//
// Not thread-safe. Start() forks: call it before starting threads.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace agentdraft::cli {

// The agentdraftd binary to run: next to the running executable, then in ../daemon/ relative
// to it (the build tree: build/cli/agentdraft, build/daemon/agentdraftd), then on PATH.
// "" when there is none.
std::string FindDaemonBinary();

struct DaemonLaunchOptions {
  std::string binary;                   // "" = FindDaemonBinary()
  std::vector<std::string> extra_args;  // after --http, --data-dir and --dev
  std::chrono::milliseconds ready_timeout{10000};
};

class DaemonLauncher {
 public:
  // NotFound when there is no agentdraftd binary; Unavailable when it did not print its ready
  // line in time, with its stderr in the message. Nothing is left behind on failure.
  static Result<std::unique_ptr<DaemonLauncher>> Start(const DaemonLaunchOptions& options);

  ~DaemonLauncher();  // Stop()s
  DaemonLauncher(const DaemonLauncher&) = delete;
  DaemonLauncher& operator=(const DaemonLauncher&) = delete;

  // SIGTERM, wait, remove the data directory. Returns the daemon's exit status (0 = drained
  // cleanly), 128+signal if a signal ended it, -1 if it was already stopped. Idempotent.
  int Stop();

  const std::string& base_url() const { return base_url_; }  // "http://127.0.0.1:41234"
  const std::string& data_dir() const { return data_dir_; }
  pid_t pid() const { return pid_; }

 private:
  DaemonLauncher() = default;
  Status Spawn(const std::string& binary, const std::vector<std::string>& extra_args);
  Status ReadReadyLine(std::chrono::milliseconds timeout);
  std::string LogTail() const;  // the last lines of the daemon's stderr

  pid_t pid_ = -1;
  int stdout_fd_ = -1;  // read end of the daemon's stdout, until the ready line is read
  std::string binary_;
  std::string data_dir_;
  std::string base_url_;
};

}  // namespace agentdraft::cli
