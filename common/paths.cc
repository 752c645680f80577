#include "common/paths.h"

#include <unistd.h>

#include <cstdlib>

namespace agentdraft {

std::string DefaultSocketPath() {
  if (::geteuid() == 0) return "/run/agentdraft/agentdraftd.sock";
  if (const char* xdg = std::getenv("XDG_RUNTIME_DIR"); xdg != nullptr && *xdg != '\0') {
    return std::string(xdg) + "/agentdraft/agentdraftd.sock";
  }
  return "/tmp/agentdraft-" + std::to_string(::getuid()) + "/agentdraftd.sock";
}

}  // namespace agentdraft
