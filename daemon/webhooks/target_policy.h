// TargetPolicy: which addresses a webhook may reach, so that a subscription cannot turn the
// daemon into a client of the host's own services, its LAN or its cloud's metadata endpoint
// (SSRF).
//
// Every IP address falls in one AddressKind. Public addresses are always allowed; loopback
// follows --webhooks-allow-loopback (default true); private ranges follow
// --webhooks-allow-private (default false); the rest — link-local, cloud metadata,
// unspecified, multicast, broadcast, reserved — are never allowed. An IPv6 address that
// carries an IPv4 one (IPv4-mapped ::ffff:a.b.c.d, IPv4-compatible ::a.b.c.d, NAT64
// 64:ff9b::a.b.c.d) is judged by that IPv4 address.
//
// The policy is applied twice: when a subscription is made (CheckSubscriptionTarget: the URL's
// literal address, or every address its host name resolves to) and on every delivery, to the
// address libcurl is about to connect to (Allowed on the sockaddr, from the deliverer's
// CURLOPT_OPENSOCKETFUNCTION), so a name that later resolves elsewhere (DNS rebinding) is
// refused before any connection is made.
//
// Thread-safe (pure functions; CheckSubscriptionTarget calls getaddrinfo).
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>

namespace agentdraft::webhooks {

enum class AddressKind {
  kPublic,
  kLoopback,      // 127.0.0.0/8, ::1
  kPrivate,       // 10/8, 172.16/12, 192.168/16, 100.64/10 (CGNAT), fc00::/7, fec0::/10
  kLinkLocal,     // 169.254/16, fe80::/10
  kMetadata,      // 169.254.169.254, 100.100.100.200, fd00:ec2::254
  kUnspecified,   // 0.0.0.0/8, ::
  kMulticast,     // 224/4, ff00::/8
  kBroadcast,     // 255.255.255.255
  kReserved,      // 240/4
};

struct TargetPolicy {
  bool allow_loopback = true;   // --webhooks-allow-loopback
  bool allow_private = false;   // --webhooks-allow-private
};

// `ip` in host byte order.
AddressKind ClassifyIpv4(uint32_t ip);
AddressKind ClassifyIpv6(const in6_addr& ip);
// AF_INET or AF_INET6; anything else is kReserved.
AddressKind ClassifySockaddr(const sockaddr* addr);
// An IPv4 or IPv6 literal (no brackets, no zone); nullopt when `text` is not one.
std::optional<AddressKind> ClassifyLiteral(const std::string& text);

// "a private address", "a cloud metadata address", …
std::string Describe(AddressKind kind);
bool Allowed(AddressKind kind, const TargetPolicy& policy);

// The URL's host, lower-case, without brackets, zone or trailing dots, with libcurl's reading
// of numeric IPv4 forms (http://2130706433/ is 127.0.0.1). "" when the URL does not parse.
std::string UrlHost(const std::string& url);

// Why `url` may not be a target, judged without DNS ("" when nothing refuses it): a literal
// address the policy refuses, or localhost / *.localhost while loopback is refused.
std::string LiteralTargetRefusal(const std::string& url, const TargetPolicy& policy);

// LiteralTargetRefusal, then every address the host name resolves to (getaddrinfo; a name
// that does not resolve is not refused here: its deliveries fail to connect). "" when the
// target is allowed, else a message naming the host, the kind of address and the flag.
std::string CheckSubscriptionTarget(const std::string& url, const TargetPolicy& policy);

}  // namespace agentdraft::webhooks
