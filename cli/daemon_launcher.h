// DaemonLauncher: starts a private agentdraftd on a temporary data directory and stops it.
//
// Used by `agentdraft race demo` when no daemon answers. The daemon runs with
// `--http 127.0.0.1:0 --dev`; its ready line gives the address. Destruction sends SIGTERM,
// waits for the process, and removes the directory. Not thread-safe.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace agentdraft::cli {

// The agentdraftd binary: next to the running agentdraft, then ../daemon/ (the build tree),
// then on PATH. "" when none is found.
std::string FindDaemonBinary();

class DaemonLauncher {
 public:
  static Result<std::unique_ptr<DaemonLauncher>> Start(const std::vector<std::string>& extra_args);
  ~DaemonLauncher();

  const std::string& base_url() const { return base_url_; }
  const std::string& data_dir() const { return data_dir_; }

 private:
  DaemonLauncher() = default;
  pid_t pid_ = -1;
  std::string data_dir_;
  std::string base_url_;
};

}  // namespace agentdraft::cli
