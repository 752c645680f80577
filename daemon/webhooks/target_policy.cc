#include "daemon/webhooks/target_policy.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>

#include <algorithm>
#include <cctype>
#include <cstring>

namespace agentdraft::webhooks {

namespace {

constexpr uint32_t V4(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  return (a << 24) | (b << 16) | (c << 8) | d;
}

// True when `ip` is inside net/bits.
constexpr bool In(uint32_t ip, uint32_t net, int bits) {
  return (ip >> (32 - bits)) == (net >> (32 - bits));
}

bool Zero(const uint8_t* bytes, size_t n) {
  return std::all_of(bytes, bytes + n, [](uint8_t b) { return b == 0; });
}

uint32_t EmbeddedV4(const in6_addr& ip) {
  const uint8_t* b = ip.s6_addr;
  return V4(b[12], b[13], b[14], b[15]);
}

bool IsLocalhostName(const std::string& host) {
  return host == "localhost" ||
         (host.size() > 10 && host.compare(host.size() - 10, 10, ".localhost") == 0);
}

std::string Hint(AddressKind kind) {
  switch (kind) {
    case AddressKind::kLoopback:
      return ", and loopback targets are not allowed (agentdraftd --webhooks-allow-loopback=false)";
    case AddressKind::kPrivate:
      return ", and private targets are not allowed (agentdraftd --webhooks-allow-private "
             "allows them)";
    default:
      return ", which webhooks may never target";
  }
}

}  // namespace

AddressKind ClassifyIpv4(uint32_t ip) {
  if (ip == V4(169, 254, 169, 254) || ip == V4(100, 100, 100, 200)) return AddressKind::kMetadata;
  if (In(ip, V4(0, 0, 0, 0), 8)) return AddressKind::kUnspecified;
  if (In(ip, V4(127, 0, 0, 0), 8)) return AddressKind::kLoopback;
  if (In(ip, V4(10, 0, 0, 0), 8) || In(ip, V4(172, 16, 0, 0), 12) ||
      In(ip, V4(192, 168, 0, 0), 16) || In(ip, V4(100, 64, 0, 0), 10)) {
    return AddressKind::kPrivate;
  }
  if (In(ip, V4(169, 254, 0, 0), 16)) return AddressKind::kLinkLocal;
  if (In(ip, V4(224, 0, 0, 0), 4)) return AddressKind::kMulticast;
  if (ip == V4(255, 255, 255, 255)) return AddressKind::kBroadcast;
  if (In(ip, V4(240, 0, 0, 0), 4)) return AddressKind::kReserved;
  return AddressKind::kPublic;
}

AddressKind ClassifyIpv6(const in6_addr& ip) {
  const uint8_t* b = ip.s6_addr;
  static const uint8_t kNat64[12] = {0x00, 0x64, 0xff, 0x9b};  // 64:ff9b::/96
  static const uint8_t kEc2Metadata[16] = {0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0,
                                           0,    0,    0,    0,    0, 0, 0x02, 0x54};
  if (Zero(b, 16)) return AddressKind::kUnspecified;
  if (Zero(b, 15) && b[15] == 1) return AddressKind::kLoopback;
  const bool mapped = Zero(b, 10) && b[10] == 0xff && b[11] == 0xff;
  if (mapped || Zero(b, 12) || std::memcmp(b, kNat64, 12) == 0) return ClassifyIpv4(EmbeddedV4(ip));
  if (std::memcmp(b, kEc2Metadata, 16) == 0) return AddressKind::kMetadata;
  if ((b[0] & 0xfe) == 0xfc) return AddressKind::kPrivate;                 // fc00::/7
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return AddressKind::kPrivate; // fec0::/10
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return AddressKind::kLinkLocal;
  if (b[0] == 0xff) return AddressKind::kMulticast;
  return AddressKind::kPublic;
}

AddressKind ClassifySockaddr(const sockaddr* addr) {
  if (addr->sa_family == AF_INET) {
    return ClassifyIpv4(ntohl(reinterpret_cast<const sockaddr_in*>(addr)->sin_addr.s_addr));
  }
  if (addr->sa_family == AF_INET6) {
    return ClassifyIpv6(reinterpret_cast<const sockaddr_in6*>(addr)->sin6_addr);
  }
  return AddressKind::kReserved;
}

std::optional<AddressKind> ClassifyLiteral(const std::string& text) {
  in_addr v4;
  in6_addr v6;
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) return ClassifyIpv4(ntohl(v4.s_addr));
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) return ClassifyIpv6(v6);
  return std::nullopt;
}

std::string Describe(AddressKind kind) {
  switch (kind) {
    case AddressKind::kPublic: return "a public address";
    case AddressKind::kLoopback: return "a loopback address";
    case AddressKind::kPrivate: return "a private address";
    case AddressKind::kLinkLocal: return "a link-local address";
    case AddressKind::kMetadata: return "a cloud metadata address";
    case AddressKind::kUnspecified: return "an unspecified address";
    case AddressKind::kMulticast: return "a multicast address";
    case AddressKind::kBroadcast: return "a broadcast address";
    case AddressKind::kReserved: return "a reserved address";
  }
  return "an unknown address";
}

bool Allowed(AddressKind kind, const TargetPolicy& policy) {
  switch (kind) {
    case AddressKind::kPublic: return true;
    case AddressKind::kLoopback: return policy.allow_loopback;
    case AddressKind::kPrivate: return policy.allow_private;
    default: return false;
  }
}

std::string UrlHost(const std::string& url) {
  CURLU* u = curl_url();
  if (u == nullptr) return "";
  std::string h;
  char* host = nullptr;
  if (curl_url_set(u, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && host != nullptr) {
    h = host;
    std::transform(h.begin(), h.end(), h.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
    if (const size_t zone = h.find('%'); zone != std::string::npos) h.resize(zone);
    while (!h.empty() && h.back() == '.') h.pop_back();
  }
  curl_free(host);
  curl_url_cleanup(u);
  return h;
}

std::string LiteralTargetRefusal(const std::string& url, const TargetPolicy& policy) {
  const std::string host = UrlHost(url);
  if (host.empty()) return "";
  std::optional<AddressKind> kind = ClassifyLiteral(host);
  if (!kind && IsLocalhostName(host)) kind = AddressKind::kLoopback;
  if (!kind || Allowed(*kind, policy)) return "";
  return "target " + host + " is " + Describe(*kind) + Hint(*kind);
}

std::string CheckSubscriptionTarget(const std::string& url, const TargetPolicy& policy) {
  if (std::string refusal = LiteralTargetRefusal(url, policy); !refusal.empty()) return refusal;
  const std::string host = UrlHost(url);
  if (host.empty() || ClassifyLiteral(host)) return "";
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
#ifdef AI_IDN
  hints.ai_flags = AI_IDN;  // as libcurl resolves international names
#endif
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0) return "";
  std::string refusal;
  for (const addrinfo* a = found; a != nullptr && refusal.empty(); a = a->ai_next) {
    const AddressKind kind = ClassifySockaddr(a->ai_addr);
    if (Allowed(kind, policy)) continue;
    char text[INET6_ADDRSTRLEN] = {};
    const void* raw = a->ai_family == AF_INET
                          ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(a->ai_addr)->sin_addr)
                          : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(a->ai_addr)->sin6_addr);
    inet_ntop(a->ai_family, raw, text, sizeof text);
    refusal = "target " + host + " resolves to " + text + ", " + Describe(kind) + Hint(kind);
  }
  freeaddrinfo(found);
  return refusal;
}

}  // namespace agentdraft::webhooks
