// OriginPolicy: which `Host` and `Origin` headers the HTTP listener accepts, against DNS
// rebinding and cross-site requests from web pages (a browser is the one client that sends a
// victim's cookie to a page's choice of address). The Unix socket is exempt: no browser
// reaches it.
//
// - Host: when the listener is bound to a loopback address (or --allowed-host names were
//   given), a request's Host must be `localhost`, `127.0.0.1`, `[::1]`, the bound address, or
//   a configured name, with or without a port. A request without Host (HTTP/1.0) passes: no
//   browser sends one.
// - Origin: a state-changing request (POST, PUT, PATCH, DELETE) that carries `Origin` must
//   come from the daemon's own origin, `http://` (or `https://`, behind a proxy) followed by
//   the request's own Host; without Origin, `Sec-Fetch-Site: cross-site` or `same-site` is
//   refused. Agents' clients (curl, the SDKs, `agentdraft`) send neither header.
//
// Pure and thread-safe.
#pragma once

#include <string>
#include <vector>

namespace agentdraft::api {

class OriginPolicy {
 public:
  // `bound_host`: the listener's address (--http HOST); `allowed_hosts`: more names for Host.
  OriginPolicy(const std::string& bound_host, const std::vector<std::string>& allowed_hosts);

  // "" when the Host header (as sent; "" = none) is acceptable, else why not.
  std::string HostProblem(const std::string& host_header) const;
  // "" when a request with this method, Origin and Sec-Fetch-Site ("" = absent) and Host may
  // proceed, else why not.
  std::string OriginProblem(const std::string& method, const std::string& origin,
                            const std::string& sec_fetch_site, const std::string& host_header) const;

  // Whether `host` (a name or address, without port or brackets) is a loopback one.
  static bool IsLoopback(const std::string& host);

 private:
  bool check_host_ = false;
  std::vector<std::string> names_;  // lower case, IPv6 without brackets
};

}  // namespace agentdraft::api
