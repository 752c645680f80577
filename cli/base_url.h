// Which daemon a command talks to: --base-url, else $AGENTDRAFT_BASE_URL, else the default.
// Thread-safe (reads the environment).
#pragma once

#include <string>

namespace agentdraft::cli {

inline constexpr char kDefaultBaseUrl[] = "http://127.0.0.1:8080";

// `flag` when non-empty, else $AGENTDRAFT_BASE_URL when non-empty, else kDefaultBaseUrl;
// trailing slashes removed ("http://h:1/" → "http://h:1").
std::string ResolveBaseUrl(const std::string& flag);

}  // namespace agentdraft::cli
