// TargetPolicy: every address range a webhook may not reach, the addresses just outside each
// range, IPv6 forms that carry an IPv4 address, numeric IPv4 spellings in URLs, and the flags.
#include "daemon/webhooks/target_policy.h"

#include <gtest/gtest.h>
#include <netdb.h>
#include <unistd.h>

#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace agentdraft::webhooks {
namespace {

std::string KindOf(const std::string& literal) {
  auto kind = ClassifyLiteral(literal);
  return kind ? Describe(*kind) : "not an address";
}

// "address: kind" for each, one line each, so a failure shows the whole table.
std::string Table(const std::vector<std::string>& addresses) {
  std::ostringstream out;
  for (const std::string& a : addresses) out << a << ": " << KindOf(a) << "\n";
  return out.str();
}

TEST(WebhookTargetPolicy, ClassifiesEveryIpv4RangeAndTheAddressesJustOutside) {
  EXPECT_EQ(Table({"0.0.0.0", "0.255.255.255", "1.0.0.0",
                   "127.0.0.1", "127.255.255.255", "126.255.255.255", "128.0.0.0",
                   "10.0.0.0", "10.255.255.255", "9.255.255.255", "11.0.0.0",
                   "172.16.0.0", "172.31.255.255", "172.15.255.255", "172.32.0.0",
                   "192.168.0.0", "192.168.255.255", "192.167.255.255", "192.169.0.0",
                   "100.64.0.0", "100.127.255.255", "100.63.255.255", "100.128.0.0",
                   "169.254.0.0", "169.254.255.255", "169.253.255.255", "169.255.0.0",
                   "169.254.169.254", "100.100.100.200",
                   "224.0.0.0", "239.255.255.255", "223.255.255.255",
                   "240.0.0.0", "255.255.255.254", "255.255.255.255",
                   "8.8.8.8", "192.0.2.2"}),
            "0.0.0.0: an unspecified address\n"
            "0.255.255.255: an unspecified address\n"
            "1.0.0.0: a public address\n"
            "127.0.0.1: a loopback address\n"
            "127.255.255.255: a loopback address\n"
            "126.255.255.255: a public address\n"
            "128.0.0.0: a public address\n"
            "10.0.0.0: a private address\n"
            "10.255.255.255: a private address\n"
            "9.255.255.255: a public address\n"
            "11.0.0.0: a public address\n"
            "172.16.0.0: a private address\n"
            "172.31.255.255: a private address\n"
            "172.15.255.255: a public address\n"
            "172.32.0.0: a public address\n"
            "192.168.0.0: a private address\n"
            "192.168.255.255: a private address\n"
            "192.167.255.255: a public address\n"
            "192.169.0.0: a public address\n"
            "100.64.0.0: a private address\n"
            "100.127.255.255: a private address\n"
            "100.63.255.255: a public address\n"
            "100.128.0.0: a public address\n"
            "169.254.0.0: a link-local address\n"
            "169.254.255.255: a link-local address\n"
            "169.253.255.255: a public address\n"
            "169.255.0.0: a public address\n"
            "169.254.169.254: a cloud metadata address\n"
            "100.100.100.200: a cloud metadata address\n"
            "224.0.0.0: a multicast address\n"
            "239.255.255.255: a multicast address\n"
            "223.255.255.255: a public address\n"
            "240.0.0.0: a reserved address\n"
            "255.255.255.254: a reserved address\n"
            "255.255.255.255: a broadcast address\n"
            "8.8.8.8: a public address\n"
            "192.0.2.2: a public address\n");
}

TEST(WebhookTargetPolicy, ClassifiesEveryIpv6RangeAndTheAddressesJustOutside) {
  EXPECT_EQ(Table({"::", "::1", "::2",
                   "fc00::", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                   "fe00::", "fd00::2", "fd00:ec2::254", "fd00:ec2::255",
                   "fe80::", "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                   "fec0::1", "ff00::", "ff02::1", "feff::1",
                   "2001:4860:4860::8888", "2606:4700::1111"}),
            "::: an unspecified address\n"
            "::1: a loopback address\n"
            "::2: an unspecified address\n"
            "fc00::: a private address\n"
            "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff: a private address\n"
            "fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff: a public address\n"
            "fe00::: a public address\n"
            "fd00::2: a private address\n"
            "fd00:ec2::254: a cloud metadata address\n"
            "fd00:ec2::255: a private address\n"
            "fe80::: a link-local address\n"
            "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff: a link-local address\n"
            "fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff: a public address\n"
            "fec0::1: a private address\n"
            "ff00::: a multicast address\n"
            "ff02::1: a multicast address\n"
            "feff::1: a private address\n"
            "2001:4860:4860::8888: a public address\n"
            "2606:4700::1111: a public address\n");
}

TEST(WebhookTargetPolicy, Ipv6FormsCarryingAnIpv4AddressAreJudgedByIt) {
  EXPECT_EQ(Table({"::ffff:127.0.0.1", "::ffff:10.1.2.3", "::ffff:172.16.0.1", "::ffff:192.168.1.1",
                   "::ffff:169.254.169.254", "::ffff:a9fe:a9fe", "::ffff:100.64.0.1",
                   "::ffff:0.0.0.0", "::ffff:224.0.0.1", "::ffff:255.255.255.255",
                   "::ffff:8.8.8.8", "::10.0.0.1", "::127.0.0.1",
                   "64:ff9b::169.254.169.254", "64:ff9b::10.0.0.1", "64:ff9b::8.8.8.8",
                   "::fffe:10.0.0.1"}),
            "::ffff:127.0.0.1: a loopback address\n"
            "::ffff:10.1.2.3: a private address\n"
            "::ffff:172.16.0.1: a private address\n"
            "::ffff:192.168.1.1: a private address\n"
            "::ffff:169.254.169.254: a cloud metadata address\n"
            "::ffff:a9fe:a9fe: a cloud metadata address\n"
            "::ffff:100.64.0.1: a private address\n"
            "::ffff:0.0.0.0: an unspecified address\n"
            "::ffff:224.0.0.1: a multicast address\n"
            "::ffff:255.255.255.255: a broadcast address\n"
            "::ffff:8.8.8.8: a public address\n"
            "::10.0.0.1: a private address\n"
            "::127.0.0.1: a loopback address\n"
            "64:ff9b::169.254.169.254: a cloud metadata address\n"
            "64:ff9b::10.0.0.1: a private address\n"
            "64:ff9b::8.8.8.8: a public address\n"
            "::fffe:10.0.0.1: a public address\n");
}

TEST(WebhookTargetPolicy, LoopbackAndPrivateFollowTheirFlagsAndTheRestIsNeverAllowed) {
  std::ostringstream out;
  for (bool loopback : {false, true}) {
    for (bool priv : {false, true}) {
      const TargetPolicy p{loopback, priv};
      out << "loopback=" << loopback << " private=" << priv << ":";
      for (AddressKind k : {AddressKind::kPublic, AddressKind::kLoopback, AddressKind::kPrivate,
                            AddressKind::kLinkLocal, AddressKind::kMetadata, AddressKind::kUnspecified,
                            AddressKind::kMulticast, AddressKind::kBroadcast, AddressKind::kReserved}) {
        out << " " << Allowed(k, p);
      }
      out << "\n";
    }
  }
  EXPECT_EQ(out.str(),
            "loopback=0 private=0: 1 0 0 0 0 0 0 0 0\n"
            "loopback=0 private=1: 1 0 1 0 0 0 0 0 0\n"
            "loopback=1 private=0: 1 1 0 0 0 0 0 0 0\n"
            "loopback=1 private=1: 1 1 1 0 0 0 0 0 0\n");
  EXPECT_TRUE(TargetPolicy{}.allow_loopback);
  EXPECT_FALSE(TargetPolicy{}.allow_private);
}

TEST(WebhookTargetPolicy, UrlHostReadsNumericIpv4SpellingsBracketsZonesAndTrailingDots) {
  std::ostringstream out;
  for (const char* url : {"http://2130706433/", "http://0x7f.1/", "http://017700000001/",
                          "http://0xa9.0xfe.0xa9.0xfe/latest", "http://167772161:8080/",
                          "http://[::FFFF:10.0.0.1]:80/", "http://[fe80::1%25eth0]/",
                          "https://LocalHost./x", "http://Example.COM/x", "not a url"}) {
    out << url << " -> " << UrlHost(url) << "\n";
  }
  EXPECT_EQ(out.str(),
            "http://2130706433/ -> 127.0.0.1\n"
            "http://0x7f.1/ -> 127.0.0.1\n"
            "http://017700000001/ -> 127.0.0.1\n"
            "http://0xa9.0xfe.0xa9.0xfe/latest -> 169.254.169.254\n"
            "http://167772161:8080/ -> 10.0.0.1\n"
            "http://[::FFFF:10.0.0.1]:80/ -> ::ffff:10.0.0.1\n"
            "http://[fe80::1%25eth0]/ -> fe80::1\n"
            "https://LocalHost./x -> localhost\n"
            "http://Example.COM/x -> example.com\n"
            "not a url -> \n");
}

TEST(WebhookTargetPolicy, LiteralRefusalsNameTheHostTheKindAndTheFlag) {
  const TargetPolicy defaults;
  const TargetPolicy strict{false, false};
  EXPECT_EQ(LiteralTargetRefusal("http://10.0.0.1/", defaults),
            "target 10.0.0.1 is a private address, and private targets are not allowed "
            "(agentdraftd --webhooks-allow-private allows them)");
  EXPECT_EQ(LiteralTargetRefusal("http://169.254.169.254/latest/meta-data/", TargetPolicy{true, true}),
            "target 169.254.169.254 is a cloud metadata address, which webhooks may never target");
  EXPECT_EQ(LiteralTargetRefusal("http://127.0.0.1:9/", strict),
            "target 127.0.0.1 is a loopback address, and loopback targets are not allowed "
            "(agentdraftd --webhooks-allow-loopback=false)");
  EXPECT_EQ(LiteralTargetRefusal("http://sub.localhost/", strict),
            "target sub.localhost is a loopback address, and loopback targets are not allowed "
            "(agentdraftd --webhooks-allow-loopback=false)");
  EXPECT_EQ(LiteralTargetRefusal("http://127.0.0.1:9/", defaults), "");
  EXPECT_EQ(LiteralTargetRefusal("http://10.0.0.1/", TargetPolicy{true, true}), "");
  EXPECT_EQ(LiteralTargetRefusal("https://example.com/hook", strict), "");
}

// This machine's own name, when it resolves to loopback addresses only (as /etc/hosts makes it
// on most machines and containers); "" otherwise.
std::string HostNameIfLoopbackOnly() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0 || ClassifyLiteral(name)) return "";
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(name, nullptr, &hints, &found) != 0) return "";
  bool loopback_only = true;
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    loopback_only = loopback_only && ClassifySockaddr(a->ai_addr) == AddressKind::kLoopback;
  }
  freeaddrinfo(found);
  return loopback_only ? name : "";
}

TEST(WebhookTargetPolicy, ANameIsJudgedOnTheAddressesItResolvesTo) {
  // A name that does not resolve is not refused here; its deliveries cannot connect.
  EXPECT_EQ(CheckSubscriptionTarget("http://no-such-host.invalid/", TargetPolicy{false, false}), "");
  const std::string name = HostNameIfLoopbackOnly();
  if (name.empty()) GTEST_SKIP() << "this machine's name does not resolve to loopback only";
  EXPECT_EQ(CheckSubscriptionTarget("http://" + name + ":9/", TargetPolicy{}), "");
  const std::string refusal = CheckSubscriptionTarget("http://" + name + ":9/", TargetPolicy{false, true});
  EXPECT_EQ(refusal.rfind("target " + name + " resolves to ", 0), 0u) << refusal;
  EXPECT_NE(refusal.find(", a loopback address, and loopback targets are not allowed"),
            std::string::npos) << refusal;
}

}  // namespace
}  // namespace agentdraft::webhooks
