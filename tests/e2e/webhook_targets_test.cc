// Webhook targets against the real daemon: every forbidden literal address is refused with
// 422 forbidden_target and nothing is stored; --webhooks-allow-private lets private ranges
// through (never link-local or metadata); and a delivery to a host name whose address is now
// refused connects nowhere and reports only the one coarse error.
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <thread>

#include <httplib.h>

#include "tests/e2e/e2e_support.h"
#include "tests/support/backlog_listener.h"

namespace agentdraft::testing {
namespace {

using nlohmann::json;

// What the deliveries list says of any attempt that got no HTTP answer (docs/api.md).
constexpr char kCouldNotConnect[] = "could not connect to the webhook target";

// 10/8, 172.16/12, 192.168/16, fc00::/7.
bool IsPrivate(const sockaddr* a) {
  if (a->sa_family == AF_INET) {
    const uint32_t ip = ntohl(reinterpret_cast<const sockaddr_in*>(a)->sin_addr.s_addr);
    return (ip >> 24) == 10 || (ip >> 20) == 0xac1 || (ip >> 16) == 0xc0a8;
  }
  return a->sa_family == AF_INET6 &&
         (reinterpret_cast<const sockaddr_in6*>(a)->sin6_addr.s6_addr[0] & 0xfe) == 0xfc;
}

// One of this machine's own private addresses (an interface's), as a URL host, or "".
std::string OwnPrivateAddress() {
  ifaddrs* all = nullptr;
  if (::getifaddrs(&all) != 0) return "";
  std::string found;
  for (const ifaddrs* i = all; i != nullptr && found.empty(); i = i->ifa_next) {
    if (i->ifa_addr == nullptr || (i->ifa_addr->sa_family != AF_INET && i->ifa_addr->sa_family != AF_INET6)) continue;
    if (!IsPrivate(i->ifa_addr)) continue;
    char text[INET6_ADDRSTRLEN] = {};
    const bool v4 = i->ifa_addr->sa_family == AF_INET;
    const void* raw = v4 ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr)
                         : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(i->ifa_addr)->sin6_addr);
    ::inet_ntop(i->ifa_addr->sa_family, raw, text, sizeof text);
    found = text;
  }
  ::freeifaddrs(all);
  return found;
}

class WebhookTargetsTest : public E2eTest {
 protected:
  void SetUp() override {}  // each test starts its daemon with the flags it needs

  // booking.committed by default: no test here commits, so nothing is sent.
  Result<ApiResponse> Subscribe(const std::string& url,
                                const std::string& event_type = "booking.committed") {
    return owner_->client().Post("/v1/dashboard/webhooks", {{"event_type", event_type}, {"url", url}});
  }
  // "url -> status error" for each, one a line.
  std::string Outcomes(const std::vector<std::string>& urls) {
    std::ostringstream out;
    for (const std::string& url : urls) {
      auto r = Subscribe(url);
      out << url << " -> " << (r.ok() ? std::to_string(r->status) + " " + r->ErrorCode() : r.status().ToString())
          << "\n";
    }
    return out.str();
  }
  std::string Subscriptions() {
    auto r = owner_->client().Get("/v1/dashboard/webhooks");
    return r.ok() ? r->body : r.status().ToString();
  }
  std::string Audit() {
    auto r = owner_->client().Get("/v1/audit?limit=1000");
    return r.ok() ? r->body : r.status().ToString();
  }
  // The subscription's deliveries once one has been attempted (bounded wait).
  json AttemptedDeliveries(const std::string& sub_id) {
    json listed;
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < until) {
      auto r = owner_->client().Get("/v1/dashboard/webhooks/" + sub_id + "/deliveries");
      if (r.ok() && r->status == 200) {
        listed = json::parse(r->body)["deliveries"];
        for (const json& d : listed) {
          if (d["attempts"].get<int>() > 0 || d["status"] != "pending") return listed;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return listed;
  }
};

const std::vector<std::string> kNeverAllowed = {
    "http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/", "http://100.100.100.200/",
    "http://169.254.1.1/", "http://[fe80::1]/", "http://0.0.0.0:8080/", "http://[::]/",
    "http://224.0.0.1/", "http://[ff02::1]/", "http://255.255.255.255/", "http://240.0.0.1/",
    "http://[::ffff:169.254.169.254]/", "http://2852039166/", "http://0xa9.0xfe.0xa9.0xfe/"};
const std::vector<std::string> kPrivate = {
    "http://10.0.0.1/", "http://172.16.0.1/", "http://192.168.1.1/", "http://100.64.0.1/",
    "http://[fd00::1]/", "http://[fc00::1]/", "http://[::ffff:10.0.0.1]/", "http://167772161/"};

std::string Expected(const std::vector<std::string>& urls, const std::string& outcome) {
  std::string out;
  for (const std::string& url : urls) out += url + " -> " + outcome + "\n";
  return out;
}

TEST_F(WebhookTargetsTest, EveryForbiddenLiteralTargetIs422AndNothingIsStored) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  const std::string audit = Audit(), subscriptions = Subscriptions();
  EXPECT_EQ(Outcomes(kNeverAllowed), Expected(kNeverAllowed, "422 forbidden_target"));
  EXPECT_EQ(Outcomes(kPrivate), Expected(kPrivate, "422 forbidden_target"));
  EXPECT_EQ(Subscriptions(), subscriptions);
  EXPECT_EQ(Audit(), audit);
  auto r = Subscribe("http://169.254.169.254/latest/meta-data/");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->Json()->value("message", ""),
            "target 169.254.169.254 is a cloud metadata address, which webhooks may never target");
  r = Subscribe("http://10.0.0.1/");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->Json()->value("message", ""),
            "target 10.0.0.1 is a private address, and private targets are not allowed "
            "(agentdraftd --webhooks-allow-private allows them)");
}

TEST_F(WebhookTargetsTest, LoopbackTargetsAre422WhenLoopbackIsNotAllowed) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon({"--dev", "--webhooks-allow-loopback=false"}));
  const std::vector<std::string> loopback = {"http://127.0.0.1:9/", "http://[::1]/",
                                             "http://localhost/", "http://2130706433/",
                                             "http://[::ffff:127.0.0.1]/"};
  EXPECT_EQ(Outcomes(loopback), Expected(loopback, "422 forbidden_target"));
  EXPECT_EQ(json::parse(Subscriptions())["subscriptions"].size(), 0u);
}

TEST_F(WebhookTargetsTest, TheAllowPrivateFlagAllowsPrivateRangesButNeverTheRest) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon({"--dev", "--webhooks-allow-private"}));
  EXPECT_EQ(Outcomes(kPrivate), Expected(kPrivate, "201 "));
  EXPECT_EQ(Outcomes(kNeverAllowed), Expected(kNeverAllowed, "422 forbidden_target"));
  EXPECT_EQ(json::parse(Subscriptions())["subscriptions"].size(), kPrivate.size());
}

TEST_F(WebhookTargetsTest, WithTheFlagADeliveryReachesAReceiverOnThisMachinesPrivateAddress) {
  const std::string address = OwnPrivateAddress();
  if (address.empty()) GTEST_SKIP() << "this machine has no private interface address";
  httplib::Server receiver;
  std::atomic<int> hits{0};
  receiver.Post("/hook", [&](const httplib::Request&, httplib::Response& res) {
    ++hits;
    res.status = 200;
  });
  const int port = receiver.bind_to_any_port(address);
  ASSERT_GT(port, 0) << address;
  std::thread serving([&] { receiver.listen_after_bind(); });
  ASSERT_NO_FATAL_FAILURE(StartDaemon({"--dev", "--webhooks-allow-private"}));
  const std::string host = address.find(':') == std::string::npos ? address : "[" + address + "]";
  auto sub = Subscribe("http://" + host + ":" + std::to_string(port) + "/hook", "agent.created");
  ASSERT_TRUE(sub.ok() && sub->status == 201) << (sub.ok() ? sub->body : sub.status().ToString());
  owner_->AddAgent("bot", 1);
  const json deliveries = AttemptedDeliveries(json::parse(sub->body)["subscription_id"]);
  receiver.stop();
  serving.join();
  ASSERT_EQ(deliveries.size(), 1u) << deliveries.dump();
  EXPECT_EQ(deliveries[0]["status"], "delivered") << deliveries.dump();
  EXPECT_EQ(hits.load(), 1);
}

TEST_F(WebhookTargetsTest, ANameThatNowResolvesToARefusedAddressIsNeverConnectedTo) {
  const std::string name = LoopbackHostName();
  if (name.empty()) GTEST_SKIP() << "this machine's name does not resolve to loopback only";
  BacklogListener listener;
  // Loopback allowed (the default): the subscription is accepted.
  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  auto sub = Subscribe("http://" + name + ":" + std::to_string(listener.port()) + "/hook",
                       "agent.created");
  ASSERT_TRUE(sub.ok() && sub->status == 201) << (sub.ok() ? sub->body : sub.status().ToString());
  const std::string sub_id = json::parse(sub->body)["subscription_id"];
  const std::string user_id = owner_->user_id();
  ASSERT_EQ(daemon_->Stop(), 0);
  // The same data directory, so the same owner and subscription.
  ASSERT_NO_FATAL_FAILURE(StartDaemon({"--dev", "--webhooks-allow-loopback=false"}));
  ASSERT_EQ(owner_->user_id(), user_id);

  owner_->AddAgent("bot", 1);  // agent.created: one delivery
  const json deliveries = AttemptedDeliveries(sub_id);
  ASSERT_EQ(deliveries.size(), 1u) << deliveries.dump();
  EXPECT_EQ(deliveries[0]["status"], "pending") << deliveries.dump();  // retried like any failure
  EXPECT_EQ(deliveries[0]["last_error"], kCouldNotConnect) << deliveries.dump();
  EXPECT_EQ(deliveries[0]["last_status"], 0);
  EXPECT_FALSE(listener.Connected());
  EXPECT_NE(daemon_->Log().find("refused to connect to 127.0.0.1, a loopback address"), std::string::npos)
      << daemon_->Log();
}

}  // namespace
}  // namespace agentdraft::testing
