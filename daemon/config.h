// DaemonConfig: agentdraftd's settings, from its command line.
#pragma once

#include <string>

#include "common/status.h"
#include "daemon/api/server.h"
#include "daemon/engine/engine.h"

namespace agentdraft::daemon {

struct DaemonConfig {
  std::string data_dir;  // holds agentdraft.db and secret.key
  std::string log_level = "info";
  api::ServerOptions server;
  engine::EngineOptions engine;
};

// The default data directory: /var/lib/agentdraft for root, else
// $XDG_DATA_HOME/agentdraft or ~/.local/share/agentdraft.
std::string DefaultDataDir();

// Parses argv. Returns the exit code to use when the process should stop right away
// (--help: 0; bad usage: 2) through `exit_code`, with the message already printed.
std::optional<DaemonConfig> ParseCommandLine(int argc, char** argv, int* exit_code);

}  // namespace agentdraft::daemon
