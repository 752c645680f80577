// Where agentdraft keeps things by default, shared by the daemon and the CLI.
// Thread-safe (reads the environment).
#pragma once

#include <string>

namespace agentdraft {

// The owner's Unix socket: /run/agentdraft/agentdraftd.sock for root, else
// $XDG_RUNTIME_DIR/agentdraft/agentdraftd.sock, else /tmp/agentdraft-<uid>/agentdraftd.sock.
std::string DefaultSocketPath();

}  // namespace agentdraft
