// DaemonConfig: agentdraftd's settings, from its command line, its environment and an optional
// config file.
//
// Precedence, highest first: a flag on the command line; its environment variable
// (AGENTDRAFT_<FLAG NAME>, e.g. AGENTDRAFT_TIE_WINDOW for --tie-window); a key of the config
// file (the flag's name without the dashes: `tie-window = "50ms"`); the built-in default.
// The config file is --config FILE or $AGENTDRAFT_CONFIG (must exist), else
// DefaultConfigPath() when it exists. docs/cli.md lists every setting.
#pragma once

#include <optional>
#include <string>

#include "common/status.h"
#include "daemon/api/server.h"
#include "daemon/audit/checkpointer.h"
#include "daemon/engine/engine.h"
#include "daemon/store/open_store.h"
#include "daemon/webhooks/deliverer.h"

namespace agentdraft::daemon {

// Every default is written once: in the options struct of the part it configures (a flag's
// default is that member's initial value), or below where agentdraftd's differs.
struct DaemonConfig {
  std::string data_dir;     // holds agentdraft.db, secret.key and audit.key
  store::StoreConfig store;  // sqlite_path "" = <data_dir>/agentdraft.db
  std::string config_file;  // the file read, or ""
  std::string log_level = "info";
  api::ServerOptions server = [] {
    api::ServerOptions o;
    // On by default: 50 requests a second per agent, bursts of 100. An agent books a slot in
    // two to four requests (availability, hold, commit), so no real agent comes near it; a
    // flood is cut to 50 requests (and at most 50 audit rows) a second per agent.
    o.rate_per_second = 50;
    o.rate_burst = 100;
    return o;
  }();
  engine::EngineOptions engine;
  audit::CheckpointerOptions checkpoints;  // key_path set by the Daemon from data_dir
  webhooks::DelivererOptions webhooks;
};

// The default data directory: /var/lib/agentdraft for root, else
// $XDG_DATA_HOME/agentdraft or ~/.local/share/agentdraft.
std::string DefaultDataDir();

// /etc/agentdraft/agentdraftd.toml for root, else $XDG_CONFIG_HOME/agentdraft/agentdraftd.toml
// or ~/.config/agentdraft/agentdraftd.toml.
std::string DefaultConfigPath();

// Parses argv (with the environment and the config file). Returns nullopt when the process
// should stop right away, with the exit code in `exit_code` (--help: 0; bad usage or a bad
// config file: 2) and the message already printed.
std::optional<DaemonConfig> ParseCommandLine(int argc, char** argv, int* exit_code);

}  // namespace agentdraft::daemon
