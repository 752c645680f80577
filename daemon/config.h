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
#include "daemon/webhooks/deliverer.h"

namespace agentdraft::daemon {

// Where decisions are kept: the embedded SQLite file, or a DynamoDB table shared by several
// daemons (credentials and region from the standard AWS sources, daemon/store/dynamo/aws_config.h).
struct StoreConfig {
  std::string kind = "sqlite";      // "sqlite" or "dynamodb"
  std::string dynamodb_table;       // --dynamodb-table
  std::string dynamodb_endpoint;    // --dynamodb-endpoint ("" = the region's AWS endpoint)
  std::string region;               // --region ("" = AWS_REGION, the profile's, …)
  std::string profile;              // --profile ("" = AWS_PROFILE or "default")
  bool create_table = false;        // --create-table
};

struct DaemonConfig {
  std::string data_dir;     // holds agentdraft.db and secret.key
  StoreConfig store;
  std::string config_file;  // the file read, or ""
  std::string log_level = "info";
  api::ServerOptions server;
  engine::EngineOptions engine;
  audit::CheckpointerOptions checkpoints;  // key_path set by main from data_dir
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
