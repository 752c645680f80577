#include "daemon/api/origin_policy.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

namespace agentdraft::api {

namespace {
std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// The name in a Host header: "[::1]:8080" → "::1", "LocalHost:80" → "localhost".
std::string HostName(const std::string& host_header) {
  std::string h = Lower(host_header);
  if (!h.empty() && h.front() == '[') {
    const size_t close = h.find(']');
    return close == std::string::npos ? h : h.substr(1, close - 1);
  }
  return h.substr(0, h.find(':'));
}
}  // namespace

OriginPolicy::OriginPolicy(const std::string& bound_host, const std::vector<std::string>& allowed_hosts)
    : check_host_(IsLoopback(HostName(bound_host)) || !allowed_hosts.empty()),
      names_{"localhost", "127.0.0.1", "::1"} {
  names_.push_back(HostName(bound_host));
  for (const std::string& name : allowed_hosts) names_.push_back(HostName(name));
}

bool OriginPolicy::IsLoopback(const std::string& host) {
  if (Lower(host) == "localhost") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  return inet_pton(AF_INET6, host.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

std::string OriginPolicy::HostProblem(const std::string& host_header) const {
  if (!check_host_ || host_header.empty()) return "";
  const std::string name = HostName(host_header);
  if (std::find(names_.begin(), names_.end(), name) != names_.end()) return "";
  return "Host \"" + host_header + "\" is not a name of this daemon (a DNS-rebinding page?); use "
         "localhost or 127.0.0.1, or start agentdraftd with --allowed-host " + name;
}

std::string OriginPolicy::OriginProblem(const std::string& method, const std::string& origin,
                                        const std::string& sec_fetch_site,
                                        const std::string& host_header) const {
  if (method == "GET" || method == "HEAD" || method == "OPTIONS") return "";
  if (origin.empty()) {
    const std::string site = Lower(sec_fetch_site);
    if (site != "cross-site" && site != "same-site") return "";
    return "cross-origin request refused: Sec-Fetch-Site is " + site;
  }
  const std::string o = Lower(origin), h = Lower(host_header);
  if (!h.empty() && (o == "http://" + h || o == "https://" + h)) return "";
  return "cross-origin request refused: Origin " + origin + " is not this daemon's";
}

}  // namespace agentdraft::api
