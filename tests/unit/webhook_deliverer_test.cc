// Deliverer: signed POSTs to a real receiver (cpp-httplib on 127.0.0.1), retries with
// backoff and jitter on a FakeClock, per-subscription order, give-up, the target policy
// (literal addresses refused at once, names refused before connecting), the one error text for
// every failure to connect, and deliveries that survive a restart of the store.
#include "daemon/webhooks/deliverer.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "daemon/store/sqlite_store.h"
#include "tests/support/backlog_listener.h"
#include "tests/support/fake_clock.h"
#include "tests/support/temp_dir.h"

namespace agentdraft::webhooks {
namespace {

using namespace std::chrono_literals;
using testing::BacklogListener;
using testing::LoopbackHostName;
using store::DeliveryState;
using store::WebhookDelivery;
using store::WebhookSubscription;
using testing::FakeClock;
using testing::TempDir;

constexpr char kSecret[] = "whsec_test_secret";

// A webhook receiver on 127.0.0.1 that records every POST and answers `status`.
class Receiver {
 public:
  struct Hit {
    httplib::Headers headers;
    std::string body;
    std::string header(const std::string& name) const {
      auto it = headers.find(name);
      return it == headers.end() ? "" : it->second;
    }
  };

  Receiver() {
    server_.Post(".*", [this](const httplib::Request& req, httplib::Response& res) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        hits_.push_back({req.headers, req.body});
      }
      cv_.notify_all();
      res.status = status.load();
      res.set_content("{}", "application/json");
    });
    server_.set_tcp_nodelay(true);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() is a no-op until the accept loop runs.
    while (!server_.is_running()) std::this_thread::yield();
  }
  ~Receiver() {
    server_.stop();
    thread_.join();
  }

  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
  int port() const { return port_; }
  std::vector<Hit> Hits() {
    std::lock_guard<std::mutex> lock(mu_);
    return hits_;
  }
  size_t Count() {
    std::lock_guard<std::mutex> lock(mu_);
    return hits_.size();
  }
  // Waits (real time, bounded) until `n` POSTs arrived: for the background thread's test only.
  bool WaitFor(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, 10s, [&] { return hits_.size() >= n; });
  }

  std::atomic<int> status{200};

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Hit> hits_;  // GUARDED_BY(mu_)
};

// A port nothing listens on: one a receiver had, closed again.
int ClosedPort() {
  Receiver r;
  return r.port();
}

std::unique_ptr<store::SqliteStore> OpenStore(const std::string& path) {
  store::SqliteStoreOptions so;
  so.path = path;
  auto opened = store::SqliteStore::Open(so);
  EXPECT_TRUE(opened.ok()) << opened.status().ToString();
  return opened.ok() ? std::move(opened.value()) : nullptr;
}

WebhookSubscription Sub(const std::string& id, const std::string& url, Time at) {
  WebhookSubscription s;
  s.id = id;
  s.owner_id = "usr_1";
  s.event_type = "*";
  s.url = url;
  s.secret = kSecret;
  s.created_at = at;
  return s;
}

WebhookDelivery Delivery(const std::string& sub, int64_t seq, Time at) {
  WebhookDelivery d;
  d.id = "dlv_" + sub + "_" + std::to_string(seq);
  d.subscription_id = sub;
  d.owner_id = "usr_1";
  d.audit_seq = seq;
  d.event_type = "booking.committed";
  d.body = R"({"seq":)" + std::to_string(seq) + R"(,"kind":"booking.committed"})";
  d.created_at = at;
  d.next_attempt_at = at;
  return d;
}

DelivererOptions Options() {
  DelivererOptions o;
  o.seed = 42;
  o.timeout = 2000ms;
  return o;
}

class WebhookDeliverer : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = OpenStore(":memory:");
    ASSERT_NE(store_, nullptr);
  }

  void Put(store::Store& s, std::vector<WebhookSubscription> subs,
           std::vector<WebhookDelivery> deliveries) {
    store::Decision d;
    d.subscriptions = std::move(subs);
    d.deliveries = std::move(deliveries);
    ASSERT_TRUE(s.ApplySync(std::move(d)).ok());
  }
  void Put(std::vector<WebhookSubscription> subs, std::vector<WebhookDelivery> deliveries) {
    Put(*store_, std::move(subs), std::move(deliveries));
  }

  WebhookDelivery Get(const std::string& id) { return Get(*store_, id); }
  static WebhookDelivery Get(store::Store& s, const std::string& id) {
    store::DeliveryQuery q;
    q.limit = 10000;
    auto all = s.ListDeliveries(q);
    EXPECT_TRUE(all.ok());
    for (const auto& d : all.value()) {
      if (d.id == id) return d;
    }
    ADD_FAILURE() << "no delivery " << id;
    return {};
  }

  FakeClock clock_;
  std::unique_ptr<store::SqliteStore> store_;
};

TEST(WebhookSignature, RoundTripsAndRejectsTampering) {
  const Time at = FromMicros(1780315200LL * 1000000 + 999999);
  const std::string body = R"({"kind":"booking.evicted"})";
  const std::string header = SignatureHeader(kSecret, at, body);
  EXPECT_EQ(header.rfind("t=1780315200,v1=", 0), 0u) << header;
  const std::string hex = header.substr(header.find("v1=") + 3);
  EXPECT_EQ(hex.size(), 64u);
  EXPECT_EQ(hex.find_first_not_of("0123456789abcdef"), std::string::npos);

  EXPECT_TRUE(VerifySignatureHeader(kSecret, header, body));
  EXPECT_FALSE(VerifySignatureHeader(kSecret, header, body + " "));
  EXPECT_FALSE(VerifySignatureHeader("whsec_other", header, body));
  // The timestamp is signed too.
  std::string moved = header;
  moved.replace(2, 10, "1780315201");
  EXPECT_FALSE(VerifySignatureHeader(kSecret, moved, body));
  EXPECT_FALSE(VerifySignatureHeader(kSecret, "", body));
  EXPECT_FALSE(VerifySignatureHeader(kSecret, "v1=" + hex, body));
  EXPECT_FALSE(VerifySignatureHeader(kSecret, "t=x,v1=" + hex, body));
}

TEST(WebhookSignature, IsHmacSha256OfTimestampDotBody) {
  // Computed independently: Python's hmac.new(key, b'1780315200.{"a":1}', sha256).hexdigest().
  EXPECT_EQ(SignatureHeader(kSecret, FromMicros(1780315200LL * 1000000), R"({"a":1})"),
            "t=1780315200,v1=d7f0cd6424c462693ec724113873a2dced8af20c05d4de17e1a287c1b70dc356");
}

TEST_F(WebhookDeliverer, PostsOnceWithSignedHeadersAndMarksDelivered) {
  Receiver rx;
  const Time t0 = clock_.Now();
  Put({Sub("sub_a", rx.Url(), t0)}, {Delivery("sub_a", 1, t0)});

  Deliverer deliverer(*store_, clock_, Options());
  EXPECT_EQ(deliverer.RunOnce(), Time::max());

  auto hits = rx.Hits();
  ASSERT_EQ(hits.size(), 1u);
  const auto& hit = hits[0];
  const WebhookDelivery sent = Delivery("sub_a", 1, t0);
  EXPECT_EQ(hit.body, sent.body);
  EXPECT_EQ(hit.header("Content-Type"), "application/json");
  EXPECT_EQ(hit.header("X-Agentdraft-Delivery"), sent.id);
  EXPECT_EQ(hit.header("X-Agentdraft-Event"), "booking.committed");
  EXPECT_EQ(hit.header("User-Agent"), "agentdraftd-webhooks/1");
  EXPECT_EQ(hit.header("X-Agentdraft-Signature"), SignatureHeader(kSecret, t0, sent.body));
  EXPECT_TRUE(VerifySignatureHeader(kSecret, hit.header("X-Agentdraft-Signature"), hit.body));

  const WebhookDelivery d = Get(sent.id);
  EXPECT_EQ(d.state, DeliveryState::kDelivered);
  EXPECT_EQ(d.attempts, 1);
  EXPECT_EQ(d.last_status, 200);
  EXPECT_EQ(d.last_error, "");
  ASSERT_TRUE(d.finished_at.has_value());
  EXPECT_EQ(*d.finished_at, t0);

  // Nothing more to do.
  EXPECT_EQ(deliverer.RunOnce(), Time::max());
  EXPECT_EQ(rx.Count(), 1u);
}

TEST_F(WebhookDeliverer, RetriesWithBackoffThenDeliversEverythingInOrder) {
  Receiver rx;
  rx.status = 503;
  const Time t0 = clock_.Now();
  std::vector<WebhookDelivery> rows;
  for (int seq = 1; seq <= 10; ++seq) rows.push_back(Delivery("sub_a", seq, t0));
  Put({Sub("sub_a", rx.Url(), t0)}, rows);

  DelivererOptions o = Options();
  Deliverer deliverer(*store_, clock_, o);
  for (int k = 1; k <= 6; ++k) {
    const Time now = clock_.Now();
    const Time next = deliverer.RunOnce();
    // Only the oldest delivery is tried while it is pending.
    ASSERT_EQ(rx.Count(), static_cast<size_t>(k));
    EXPECT_EQ(rx.Hits().back().header("X-Agentdraft-Delivery"), rows[0].id);
    const WebhookDelivery d = Get(rows[0].id);
    EXPECT_EQ(d.state, DeliveryState::kPending);
    EXPECT_EQ(d.attempts, k);
    EXPECT_EQ(d.last_status, 503);
    EXPECT_EQ(d.last_error, "HTTP 503");
    EXPECT_EQ(next, d.next_attempt_at);
    const Duration full = o.base_backoff * (int64_t{1} << (k - 1));
    EXPECT_GE(d.next_attempt_at - now, full / 2) << "attempt " << k;
    EXPECT_LE(d.next_attempt_at - now, full) << "attempt " << k;
    for (size_t i = 1; i < rows.size(); ++i) {
      EXPECT_EQ(Get(rows[i].id).attempts, 0);
    }

    // Not due yet: a pass does nothing, even just before the due time.
    clock_.Set(d.next_attempt_at - 1us);
    EXPECT_EQ(deliverer.RunOnce(), d.next_attempt_at);
    EXPECT_EQ(rx.Count(), static_cast<size_t>(k));
    clock_.Set(d.next_attempt_at);
  }

  // The receiver is back: one pass delivers all ten, in audit_seq order, each once.
  rx.status = 200;
  EXPECT_EQ(deliverer.RunOnce(), Time::max());
  auto hits = rx.Hits();
  ASSERT_EQ(hits.size(), 6u + 10u);
  std::set<std::string> delivered;
  for (size_t i = 6; i < hits.size(); ++i) {
    const auto& hit = hits[i];
    EXPECT_EQ(hit.header("X-Agentdraft-Delivery"), rows[i - 6].id);
    EXPECT_EQ(hit.body, rows[i - 6].body);
    EXPECT_TRUE(VerifySignatureHeader(kSecret, hit.header("X-Agentdraft-Signature"), hit.body));
    EXPECT_TRUE(delivered.insert(hit.header("X-Agentdraft-Delivery")).second);
  }
  EXPECT_EQ(delivered.size(), 10u);
  EXPECT_EQ(Get(rows[0].id).attempts, 7);
  for (size_t i = 0; i < rows.size(); ++i) {
    const WebhookDelivery d = Get(rows[i].id);
    EXPECT_EQ(d.state, DeliveryState::kDelivered) << d.id;
    EXPECT_EQ(d.last_status, 200);
    if (i > 0) {
      EXPECT_EQ(d.attempts, 1);
    }
  }
}

TEST_F(WebhookDeliverer, BackoffIsCappedAndJitterStaysInBounds) {
  Receiver rx;
  rx.status = 500;
  const Time t0 = clock_.Now();
  Put({Sub("sub_a", rx.Url(), t0)}, {Delivery("sub_a", 1, t0)});
  DelivererOptions o = Options();
  o.base_backoff = 1s;
  o.max_backoff = 10s;
  o.jitter = 0.25;
  Deliverer deliverer(*store_, clock_, o);
  std::set<int64_t> waits;
  for (int k = 1; k <= 8; ++k) {
    const Time now = clock_.Now();
    deliverer.RunOnce();
    const WebhookDelivery d = Get("dlv_sub_a_1");
    ASSERT_EQ(d.attempts, k);
    const Duration full = std::min<Duration>(o.max_backoff, o.base_backoff * (int64_t{1} << (k - 1)));
    const Duration wait = d.next_attempt_at - now;
    EXPECT_GE(wait, full * 3 / 4) << "attempt " << k;
    EXPECT_LE(wait, full) << "attempt " << k;
    waits.insert(wait.count());
    clock_.Set(d.next_attempt_at);
  }
  EXPECT_GT(waits.size(), 4u);  // jittered, not constant
}

TEST_F(WebhookDeliverer, UnreachableReceiverRecordsOneCoarseErrorAndRetries) {
  const Time t0 = clock_.Now();
  Put({Sub("sub_a", "http://127.0.0.1:" + std::to_string(ClosedPort()) + "/hook", t0)},
      {Delivery("sub_a", 1, t0)});
  Deliverer deliverer(*store_, clock_, Options());
  const Time next = deliverer.RunOnce();
  const WebhookDelivery d = Get("dlv_sub_a_1");
  EXPECT_EQ(d.state, DeliveryState::kPending);
  EXPECT_EQ(d.attempts, 1);
  EXPECT_EQ(d.last_status, 0);
  EXPECT_EQ(d.last_error, kCouldNotConnect);  // not "Connection refused": no port-scan oracle
  EXPECT_EQ(next, d.next_attempt_at);
  EXPECT_GT(d.next_attempt_at, t0);
}

TEST_F(WebhookDeliverer, OneDownReceiverDoesNotDelayAnother) {
  Receiver down, up;
  down.status = 503;
  const Time t0 = clock_.Now();
  std::vector<WebhookDelivery> rows;
  for (int seq = 1; seq <= 3; ++seq) {
    rows.push_back(Delivery("sub_down", seq, t0));
    rows.push_back(Delivery("sub_up", seq, t0));
  }
  // One more subscription whose receiver does not listen at all.
  const std::string closed = "http://127.0.0.1:" + std::to_string(ClosedPort()) + "/hook";
  rows.push_back(Delivery("sub_closed", 1, t0));
  Put({Sub("sub_down", down.Url(), t0), Sub("sub_up", up.Url(), t0), Sub("sub_closed", closed, t0)},
      rows);

  Deliverer deliverer(*store_, clock_, Options());
  deliverer.RunOnce();
  auto hits = up.Hits();
  ASSERT_EQ(hits.size(), 3u);
  for (int seq = 1; seq <= 3; ++seq) {
    EXPECT_EQ(hits[seq - 1].header("X-Agentdraft-Delivery"), "dlv_sub_up_" + std::to_string(seq));
    EXPECT_EQ(Get("dlv_sub_up_" + std::to_string(seq)).state, DeliveryState::kDelivered);
  }
  EXPECT_EQ(down.Count(), 1u);
  EXPECT_EQ(Get("dlv_sub_down_1").attempts, 1);
  EXPECT_EQ(Get("dlv_sub_down_2").attempts, 0);
  EXPECT_EQ(Get("dlv_sub_closed_1").attempts, 1);

  // New events for the healthy subscription go out while the other is still down.
  Put({}, {Delivery("sub_up", 4, clock_.Now())});
  deliverer.RunOnce();
  EXPECT_EQ(up.Count(), 4u);
  EXPECT_EQ(down.Count(), 1u);
}

TEST_F(WebhookDeliverer, GivesUpAfterMaxAttempts) {
  Receiver rx;
  rx.status = 500;
  const Time t0 = clock_.Now();
  Put({Sub("sub_a", rx.Url(), t0)}, {Delivery("sub_a", 1, t0), Delivery("sub_a", 2, t0)});
  DelivererOptions o = Options();
  o.max_attempts = 3;
  Deliverer deliverer(*store_, clock_, o);
  for (int k = 1; k <= 3; ++k) {
    deliverer.RunOnce();
    clock_.Advance(1h);
  }
  const WebhookDelivery d = Get("dlv_sub_a_1");
  EXPECT_EQ(d.state, DeliveryState::kFailed);
  EXPECT_EQ(d.attempts, 3);
  EXPECT_EQ(d.last_status, 500);
  EXPECT_NE(d.last_error.find("gave up after 3 attempts"), std::string::npos) << d.last_error;
  EXPECT_NE(d.last_error.find("HTTP 500"), std::string::npos) << d.last_error;
  EXPECT_TRUE(d.finished_at.has_value());
  // The next one took its place right away (and failed its first attempt).
  EXPECT_EQ(Get("dlv_sub_a_2").attempts, 1);
  EXPECT_EQ(rx.Count(), 4u);
}

TEST_F(WebhookDeliverer, DeletedSubscriptionFailsItsDeliveries) {
  Receiver rx;
  const Time t0 = clock_.Now();
  WebhookSubscription sub = Sub("sub_a", rx.Url(), t0);
  sub.deleted_at = t0;
  Put({sub}, {Delivery("sub_a", 1, t0), Delivery("sub_a", 2, t0),
              Delivery("sub_gone", 3, t0)});  // never existed
  Deliverer deliverer(*store_, clock_, Options());
  EXPECT_EQ(deliverer.RunOnce(), Time::max());
  EXPECT_EQ(rx.Count(), 0u);
  for (const char* id : {"dlv_sub_a_1", "dlv_sub_a_2", "dlv_sub_gone_3"}) {
    const WebhookDelivery d = Get(id);
    EXPECT_EQ(d.state, DeliveryState::kFailed) << id;
    EXPECT_EQ(d.last_error, "subscription deleted") << id;
    EXPECT_EQ(d.attempts, 0) << id;
    EXPECT_TRUE(d.finished_at.has_value()) << id;
  }
}

TEST_F(WebhookDeliverer, LoopbackTargetsFailAtOnceWhenNotAllowed) {
  Receiver rx;
  const Time t0 = clock_.Now();
  const std::string port = std::to_string(rx.port());
  Put({Sub("sub_v4", rx.Url(), t0), Sub("sub_v4b", "http://127.8.9.10:" + port + "/", t0),
       Sub("sub_name", "http://LocalHost:" + port + "/hook", t0),
       Sub("sub_v6", "http://[::1]:" + port + "/hook", t0)},
      {Delivery("sub_v4", 1, t0), Delivery("sub_v4b", 1, t0), Delivery("sub_name", 1, t0),
       Delivery("sub_v6", 1, t0)});
  DelivererOptions o = Options();
  o.allow_loopback = false;
  Deliverer deliverer(*store_, clock_, o);
  EXPECT_EQ(deliverer.RunOnce(), Time::max());
  EXPECT_EQ(rx.Count(), 0u);
  for (const char* id : {"dlv_sub_v4_1", "dlv_sub_v4b_1", "dlv_sub_name_1", "dlv_sub_v6_1"}) {
    const WebhookDelivery d = Get(id);
    EXPECT_EQ(d.state, DeliveryState::kFailed) << id;
    EXPECT_NE(d.last_error.find("loopback"), std::string::npos) << id << ": " << d.last_error;
    EXPECT_EQ(d.last_status, 0) << id;
  }
}

TEST_F(WebhookDeliverer, PrivateLinkLocalAndMetadataLiteralsFailAtOnceWithoutAConnection) {
  const Time t0 = clock_.Now();
  const std::vector<std::string> urls = {
      "http://10.0.0.1:9/", "http://192.168.1.1/", "http://[fd00::1]/", "http://100.64.0.1/",
      "http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/",
      "http://[::ffff:172.16.0.1]/", "http://0.0.0.0:9/", "http://[fe80::1]/"};
  std::vector<WebhookSubscription> subs;
  std::vector<WebhookDelivery> deliveries;
  for (size_t i = 0; i < urls.size(); ++i) {
    subs.push_back(Sub("sub_" + std::to_string(i), urls[i], t0));
    deliveries.push_back(Delivery("sub_" + std::to_string(i), 1, t0));
  }
  Put(subs, deliveries);
  Deliverer deliverer(*store_, clock_, Options());  // the defaults: loopback yes, private no
  EXPECT_EQ(deliverer.RunOnce(), Time::max());
  for (size_t i = 0; i < urls.size(); ++i) {
    const WebhookDelivery d = Get("dlv_sub_" + std::to_string(i) + "_1");
    EXPECT_EQ(d.state, DeliveryState::kFailed) << urls[i];
    EXPECT_EQ(d.last_error.rfind("target ", 0), 0u) << urls[i] << ": " << d.last_error;
    EXPECT_EQ(d.last_status, 0) << urls[i];
  }
}

TEST_F(WebhookDeliverer, ANameResolvingToARefusedAddressIsRefusedBeforeConnecting) {
  const std::string name = LoopbackHostName();
  if (name.empty()) GTEST_SKIP() << "this machine's name does not resolve to loopback only";
  BacklogListener listener;
  const Time t0 = clock_.Now();
  Put({Sub("sub_a", "http://" + name + ":" + std::to_string(listener.port()) + "/hook", t0)},
      {Delivery("sub_a", 1, t0)});
  DelivererOptions o = Options();
  o.allow_loopback = false;
  Deliverer deliverer(*store_, clock_, o);
  deliverer.RunOnce();
  EXPECT_FALSE(listener.Connected());
  const WebhookDelivery d = Get("dlv_sub_a_1");
  EXPECT_EQ(d.state, DeliveryState::kPending);  // like any failure to connect: retried
  EXPECT_EQ(d.attempts, 1);
  EXPECT_EQ(d.last_error, kCouldNotConnect);
}

TEST_F(WebhookDeliverer, PendingDeliveriesSurviveARestart) {
  TempDir dir;
  const std::string path = dir.File("agentdraft.db");
  Receiver rx;
  rx.status = 503;
  const Time t0 = clock_.Now();
  {
    auto s = OpenStore(path);
    ASSERT_NE(s, nullptr);
    Put(*s, {Sub("sub_a", rx.Url(), t0)},
        {Delivery("sub_a", 1, t0), Delivery("sub_a", 2, t0), Delivery("sub_a", 3, t0)});
    Deliverer first(*s, clock_, Options());
    first.RunOnce();
    EXPECT_EQ(Get(*s, "dlv_sub_a_1").attempts, 1);
  }  // the deliverer, then the store, are gone

  rx.status = 200;
  clock_.Advance(1h);
  auto s = OpenStore(path);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(Get(*s, "dlv_sub_a_1").attempts, 1);
  EXPECT_EQ(Get(*s, "dlv_sub_a_1").state, DeliveryState::kPending);
  Deliverer second(*s, clock_, Options());
  EXPECT_EQ(second.RunOnce(), Time::max());
  auto hits = rx.Hits();
  ASSERT_EQ(hits.size(), 4u);
  for (int seq = 1; seq <= 3; ++seq) {
    EXPECT_EQ(hits[seq].header("X-Agentdraft-Delivery"), "dlv_sub_a_" + std::to_string(seq));
    const WebhookDelivery d = Get(*s, "dlv_sub_a_" + std::to_string(seq));
    EXPECT_EQ(d.state, DeliveryState::kDelivered);
    EXPECT_EQ(d.attempts, seq == 1 ? 2 : 1);
  }
}

TEST_F(WebhookDeliverer, BackgroundThreadDeliversOnWake) {
  Receiver rx;
  const Time t0 = clock_.Now();
  Put({Sub("sub_a", rx.Url(), t0)}, {});
  Deliverer deliverer(*store_, clock_, Options());
  deliverer.Start();
  deliverer.Start();  // idempotent
  Put({}, {Delivery("sub_a", 1, t0)});
  deliverer.Wake();
  ASSERT_TRUE(rx.WaitFor(1));
  // The POST arrived; wait (bounded) for the thread to record the answer.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (Get("dlv_sub_a_1").state != DeliveryState::kDelivered &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  deliverer.Stop();
  deliverer.Stop();  // idempotent
  EXPECT_EQ(Get("dlv_sub_a_1").state, DeliveryState::kDelivered);
  EXPECT_EQ(rx.Count(), 1u);
}

}  // namespace
}  // namespace agentdraft::webhooks
