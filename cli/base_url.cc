#include "cli/base_url.h"

#include <cstdlib>

namespace agentdraft::cli {

std::string ResolveBaseUrl(const std::string& flag) {
  const char* env = std::getenv("AGENTDRAFT_BASE_URL");
  std::string url = !flag.empty()                      ? flag
                    : (env != nullptr && *env != '\0') ? std::string(env)
                                                       : std::string(kDefaultBaseUrl);
  while (url.size() > 1 && url.back() == '/') url.pop_back();
  return url;
}

}  // namespace agentdraft::cli
