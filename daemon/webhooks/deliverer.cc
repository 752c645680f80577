#include "daemon/webhooks/deliverer.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sodium.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <utility>
#include <vector>

#include "common/ids.h"
#include "daemon/webhooks/target_policy.h"

namespace agentdraft::webhooks {

namespace {

using store::DeliveryState;
using store::WebhookDelivery;
using store::WebhookSubscription;

constexpr int kScanPage = 1000;
constexpr auto kMaxSleep = std::chrono::seconds(1);
constexpr auto kPollSlice = std::chrono::milliseconds(100);  // how often a round checks Stop()

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (sodium_init() < 0) spdlog::warn("webhooks: sodium_init failed");
  });
}

int64_t UnixSeconds(Time t) {
  return std::chrono::floor<std::chrono::seconds>(t).time_since_epoch().count();
}

std::string HmacHex(const std::string& secret, const std::string& message) {
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(secret.data()),
                              secret.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(message.data()),
                                message.size());
  crypto_auth_hmacsha256_final(&st, mac);
  return ToHex(std::string_view(reinterpret_cast<const char*>(mac), sizeof mac));
}

size_t Discard(char*, size_t size, size_t n, void*) { return size * n; }

// Frees a curl_slist on scope exit.
struct HeaderList {
  curl_slist* list = nullptr;
  HeaderList() = default;
  HeaderList(HeaderList&& o) noexcept : list(std::exchange(o.list, nullptr)) {}
  HeaderList& operator=(HeaderList&& o) noexcept {
    std::swap(list, o.list);
    return *this;
  }
  void Add(const std::string& line) { list = curl_slist_append(list, line.c_str()); }
  ~HeaderList() { curl_slist_free_all(list); }
};

// What OpenSocket knows of its transfer.
struct SocketGuard {
  TargetPolicy policy;
  std::string refused;  // the last address refused, and why (for the log)
};

// CURLOPT_OPENSOCKETFUNCTION: refuses, before connecting, an address the policy does not allow
// (whatever name it came from: a DNS answer can change between subscription and delivery).
curl_socket_t OpenSocket(void* user, curlsocktype, curl_sockaddr* addr) {
  auto* g = static_cast<SocketGuard*>(user);
  const AddressKind kind = ClassifySockaddr(&addr->addr);
  if (!Allowed(kind, g->policy)) {
    char text[INET6_ADDRSTRLEN] = "?";
    const void* raw = addr->family == AF_INET
                          ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(&addr->addr)->sin_addr)
                          : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(&addr->addr)->sin6_addr);
    if (addr->family == AF_INET || addr->family == AF_INET6) inet_ntop(addr->family, raw, text, sizeof text);
    g->refused = std::string("refused to connect to ") + text + ", " + Describe(kind);
    return CURL_SOCKET_BAD;
  }
  return ::socket(addr->family, addr->socktype, addr->protocol);
}

struct EasyDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};

}  // namespace

struct Deliverer::Attempt {
  WebhookDelivery delivery;
  WebhookSubscription subscription;
  // Outcome.
  int http_status = 0;  // 0: no HTTP answer
  std::string error;    // "" on 2xx
  bool permanent = false;  // fail now, without retries (a literal target that is refused)
  // libcurl's state while in flight.
  std::unique_ptr<CURL, EasyDeleter> easy;
  HeaderList headers;
  char errbuf[CURL_ERROR_SIZE] = {};
  SocketGuard guard;
};


std::string SignatureHeader(const std::string& secret, Time at, const std::string& body) {
  GlobalInitOnce();
  const std::string t = std::to_string(UnixSeconds(at));
  return "t=" + t + ",v1=" + HmacHex(secret, t + "." + body);
}

bool VerifySignatureHeader(const std::string& secret, const std::string& header,
                           const std::string& body) {
  GlobalInitOnce();
  std::string t;
  std::vector<std::string> v1s;
  size_t pos = 0;
  while (pos <= header.size()) {
    size_t comma = header.find(',', pos);
    if (comma == std::string::npos) comma = header.size();
    const std::string part = header.substr(pos, comma - pos);
    pos = comma + 1;
    const size_t eq = part.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = part.substr(0, eq);
    const std::string value = part.substr(eq + 1);
    if (key == "t") {
      if (!t.empty()) return false;  // ambiguous
      t = value;
    } else if (key == "v1") {
      v1s.push_back(value);
    }
  }
  if (t.empty() || t.size() > 19 ||
      !std::all_of(t.begin(), t.end(), [](unsigned char c) { return std::isdigit(c); })) {
    return false;
  }
  const std::string want = HmacHex(secret, t + "." + body);
  for (const std::string& v : v1s) {
    if (v.size() == want.size() && sodium_memcmp(v.data(), want.data(), want.size()) == 0) {
      return true;
    }
  }
  return false;
}

Deliverer::Deliverer(store::Store& store, const Clock& clock, DelivererOptions options)
    : store_(store), clock_(clock), options_(std::move(options)) {
  GlobalInitOnce();
  uint64_t seed = options_.seed;
  if (seed == 0) seed = (uint64_t{randombytes_random()} << 32) | randombytes_random();
  rng_.seed(seed);
}

Deliverer::~Deliverer() { Stop(); }

Duration Deliverer::Backoff(int attempts) {
  const double base = static_cast<double>(options_.base_backoff.count());
  const double cap = static_cast<double>(options_.max_backoff.count());
  const int exponent = std::clamp(attempts - 1, 0, 62);
  double wait = std::min(cap, base * std::ldexp(1.0, exponent));
  const double jitter = std::clamp(options_.jitter, 0.0, 1.0);
  if (jitter > 0) {
    std::uniform_real_distribution<double> factor(1.0 - jitter, 1.0);
    std::lock_guard<std::mutex> lock(rng_mu_);
    wait *= factor(rng_);
  }
  return Duration(static_cast<int64_t>(std::max(0.0, wait)));
}

WebhookDelivery Deliverer::Settle(const Attempt& a, Time now) {
  WebhookDelivery d = a.delivery;
  d.attempts += 1;
  d.last_status = a.http_status;
  if (a.error.empty()) {
    d.state = DeliveryState::kDelivered;
    d.finished_at = now;
    d.last_error.clear();
    spdlog::info("webhooks: delivered {} ({} seq {}) to {} after {} attempt(s), HTTP {}", d.id,
                 d.event_type, d.audit_seq, d.subscription_id, d.attempts, d.last_status);
  } else if (a.permanent) {
    d.state = DeliveryState::kFailed;
    d.finished_at = now;
    d.last_error = a.error;
    spdlog::warn("webhooks: delivery {} to {} failed: {}", d.id, d.subscription_id, d.last_error);
  } else if (d.attempts >= options_.max_attempts) {
    d.state = DeliveryState::kFailed;
    d.finished_at = now;
    d.last_error = "gave up after " + std::to_string(d.attempts) + " attempts: " + a.error;
    spdlog::warn("webhooks: delivery {} to {} failed: {}", d.id, d.subscription_id, d.last_error);
  } else {
    d.last_error = a.error;
    d.next_attempt_at = now + Backoff(d.attempts);
    spdlog::warn("webhooks: delivery {} to {} attempt {} failed ({}); next attempt at {}", d.id,
                 d.subscription_id, d.attempts, d.last_error, FormatRfc3339(d.next_attempt_at));
  }
  return d;
}

bool Deliverer::Prepare(Attempt& a, Time now) {
  a.guard.policy = {options_.allow_loopback, options_.allow_private};
  if (std::string why = LiteralTargetRefusal(a.subscription.url, a.guard.policy); !why.empty()) {
    a.error = why;
    a.permanent = true;
    return false;
  }
  a.easy.reset(curl_easy_init());
  CURL* c = a.easy.get();
  if (c == nullptr) {
    a.error = "curl_easy_init failed";
    return false;
  }
  const WebhookDelivery& d = a.delivery;
  a.headers.Add("Content-Type: application/json");
  a.headers.Add("X-Agentdraft-Delivery: " + d.id);
  a.headers.Add("X-Agentdraft-Event: " + d.event_type);
  a.headers.Add("X-Agentdraft-Signature: " + SignatureHeader(a.subscription.secret, now, d.body));
  a.headers.Add("User-Agent: agentdraftd-webhooks/1");
  a.headers.Add("Expect:");  // no 100-continue round trip for larger bodies
  curl_easy_setopt(c, CURLOPT_URL, a.subscription.url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, d.body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(d.body.size()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, a.headers.list);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, Discard);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, a.errbuf);
  curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, OpenSocket);
  curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, &a.guard);
  return true;
}

void Deliverer::Finish(Attempt& a, int curl_code) {
  const auto rc = static_cast<CURLcode>(curl_code);
  if (rc != CURLE_OK) {
    // The owner sees one text (no port-scan oracle); the operator's log says what happened.
    a.error = kCouldNotConnect;
    spdlog::warn("webhooks: delivery {} to {}: {}", a.delivery.id, a.subscription.url,
                 !a.guard.refused.empty() ? a.guard.refused
                 : a.errbuf[0] != '\0'   ? std::string(a.errbuf)
                                         : std::string(curl_easy_strerror(rc)));
  } else {
    long code = 0;
    curl_easy_getinfo(a.easy.get(), CURLINFO_RESPONSE_CODE, &code);
    a.http_status = static_cast<int>(code);
    if (code < 200 || code > 299) a.error = "HTTP " + std::to_string(code);
  }
}

// One pass of RunOnce: the subscriptions' heads, and the transfers in flight.
struct Deliverer::Pass {
  explicit Pass(Deliverer& deliverer) : d(deliverer) {}

  bool ReadHeads();
  bool ReadSubscriptions();
  std::optional<WebhookDelivery> NextOf(const std::string& sub, int64_t seq);
  bool Write(const WebhookDelivery& delivery);
  void FailDeleted();
  void Settle(const Attempt& a);
  void Launch(const std::string& sub);
  void RunTransfers();
  Time Earliest(Time retry_soon) const;

  Deliverer& d;
  std::map<std::string, WebhookDelivery> heads;        // by subscription
  std::map<std::string, WebhookSubscription> live;     // subscriptions not deleted
  bool store_trouble = false;                          // come back soon
  std::set<std::string> retry_later;                   // an attempt failed this pass
  CURLM* multi = nullptr;
  std::map<CURL*, std::unique_ptr<Attempt>> active;
};

// Every pending delivery, oldest first: the first per subscription is its head. Read before
// the subscriptions, so a delivery seen here has its subscription in the later read unless it
// really was deleted. Deliveries behind a head are not kept: once the head is settled, the
// next one is read again (it may have been written since). False on a store error.
bool Deliverer::Pass::ReadHeads() {
  store::DeliveryQuery q;
  q.state = DeliveryState::kPending;
  q.limit = kScanPage;
  while (true) {
    auto page = d.store_.ListDeliveries(q);
    if (!page.ok()) {
      spdlog::warn("webhooks: cannot list pending deliveries: {}", page.status().ToString());
      return false;
    }
    std::vector<WebhookDelivery>& rows = page.value();
    const bool full = static_cast<int>(rows.size()) >= q.limit;
    if (full) {
      // Rows of one audit_seq may straddle the page end: read the last seq again next page
      // (or, if the whole page is one seq, read a bigger page).
      const int64_t last = rows.back().audit_seq;
      if (rows.front().audit_seq == last) {
        q.limit *= 2;
        continue;
      }
      while (rows.back().audit_seq == last) rows.pop_back();
      q.after_seq = last - 1;
    }
    for (WebhookDelivery& w : rows) heads.try_emplace(w.subscription_id, std::move(w));
    if (!full) return true;
    q.limit = kScanPage;
  }
}

bool Deliverer::Pass::ReadSubscriptions() {
  auto subs = d.store_.ListSubscriptions("");
  if (!subs.ok()) {
    spdlog::warn("webhooks: cannot list subscriptions: {}", subs.status().ToString());
    return false;
  }
  for (WebhookSubscription& s : subs.value()) live.emplace(s.id, std::move(s));
  return true;
}

// The next pending delivery of `sub` after `seq`, or nullopt (also on a store error, which
// postpones the subscription to the next pass).
std::optional<WebhookDelivery> Deliverer::Pass::NextOf(const std::string& sub, int64_t seq) {
  store::DeliveryQuery q;
  q.subscription_id = sub;
  q.state = DeliveryState::kPending;
  q.after_seq = seq;
  q.limit = 1;
  auto r = d.store_.ListDeliveries(q);
  if (!r.ok()) {
    spdlog::warn("webhooks: cannot list deliveries of {}: {}", sub, r.status().ToString());
    store_trouble = true;
    return std::nullopt;
  }
  if (r->empty()) return std::nullopt;
  return std::move(r->front());
}

bool Deliverer::Pass::Write(const WebhookDelivery& delivery) {
  store::Decision decision;
  decision.deliveries.push_back(delivery);
  Status st = d.store_.ApplySync(std::move(decision));
  if (!st.ok()) {
    spdlog::warn("webhooks: cannot record delivery {}: {}", delivery.id, st.ToString());
    store_trouble = true;
  }
  return st.ok();
}

// Subscriptions that were deleted: every pending delivery of theirs fails, not just the head.
void Deliverer::Pass::FailDeleted() {
  for (auto it = heads.begin(); it != heads.end();) {
    if (live.count(it->first) != 0) {
      ++it;
      continue;
    }
    std::optional<WebhookDelivery> next = std::move(it->second);
    const std::string sub = it->first;
    it = heads.erase(it);
    while (next && !d.stopping_.load()) {
      WebhookDelivery failed = *next;
      failed.state = DeliveryState::kFailed;
      failed.finished_at = d.clock_.Now();
      failed.last_error = "subscription deleted";
      spdlog::info("webhooks: delivery {} failed: subscription {} deleted", failed.id, sub);
      if (!Write(failed)) break;
      next = NextOf(sub, failed.audit_seq);
    }
  }
}

// Writes an attempt's outcome; a settled head (delivered or failed) makes way for the
// subscription's next delivery, a failed attempt waits for a later pass.
void Deliverer::Pass::Settle(const Attempt& a) {
  const std::string sub = a.delivery.subscription_id;
  WebhookDelivery settled = d.Settle(a, d.clock_.Now());
  if (!Write(settled)) {
    heads.erase(sub);  // try again next pass
    return;
  }
  if (settled.state == DeliveryState::kPending) {
    retry_later.insert(sub);
    heads[sub] = std::move(settled);
  } else if (auto next = NextOf(sub, settled.audit_seq)) {
    heads[sub] = std::move(*next);
  } else {
    heads.erase(sub);
  }
}

// Starts `sub`'s head if it is due; settles at once those that cannot be sent.
void Deliverer::Pass::Launch(const std::string& sub) {
  while (!d.stopping_.load()) {
    auto it = heads.find(sub);
    const Time now = d.clock_.Now();
    if (it == heads.end() || retry_later.count(sub) != 0 || it->second.next_attempt_at > now) {
      return;
    }
    auto a = std::make_unique<Attempt>();
    a->delivery = it->second;
    a->subscription = live.at(sub);
    if (!d.Prepare(*a, now)) {
      Settle(*a);
      continue;
    }
    CURL* easy = a->easy.get();
    if (curl_multi_add_handle(multi, easy) != CURLM_OK) {
      a->error = "curl_multi_add_handle failed";
      Settle(*a);
      continue;
    }
    active.emplace(easy, std::move(a));
    return;
  }
}

// Every subscription's due head is in flight at once. When one finishes, its outcome is
// written and, if it was settled (delivered or failed), the subscription's next delivery
// starts right away, whatever the others are doing. A subscription whose attempt failed
// waits for a later pass, whatever its backoff.
void Deliverer::Pass::RunTransfers() {
  std::vector<std::string> initial;
  for (const auto& [sub, head] : heads) initial.push_back(sub);
  for (const std::string& sub : initial) Launch(sub);

  while (!active.empty() && !d.stopping_.load()) {
    int running = 0;
    if (CURLMcode mc = curl_multi_perform(multi, &running); mc != CURLM_OK) {
      spdlog::warn("webhooks: curl_multi_perform: {}", curl_multi_strerror(mc));
      store_trouble = true;  // come back soon; the attempts in flight stay pending
      break;
    }
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &queued)) {
      if (msg->msg != CURLMSG_DONE) continue;
      auto found = active.find(msg->easy_handle);
      if (found == active.end()) continue;
      std::unique_ptr<Attempt> a = std::move(found->second);
      active.erase(found);
      Finish(*a, msg->data.result);
      curl_multi_remove_handle(multi, a->easy.get());
      Settle(*a);
      Launch(a->delivery.subscription_id);
    }
    if (!active.empty()) {
      curl_multi_poll(multi, nullptr, 0, static_cast<int>(kPollSlice.count()), nullptr);
    }
  }
  // Abandoned (Stop, or a multi error): no outcome is written, so they stay pending.
  for (auto& [easy, a] : active) curl_multi_remove_handle(multi, easy);
  active.clear();
}

Time Deliverer::Pass::Earliest(Time retry_soon) const {
  Time earliest = Time::max();
  for (const auto& [sub, head] : heads) earliest = std::min(earliest, head.next_attempt_at);
  if (store_trouble || d.stopping_.load()) earliest = std::min(earliest, retry_soon);
  return earliest;
}

Time Deliverer::RunOnce() {
  std::lock_guard<std::mutex> run_lock(run_mu_);
  const Time retry_soon = clock_.Now() + kMaxSleep;
  Pass pass(*this);
  if (!pass.ReadHeads()) return retry_soon;
  if (pass.heads.empty()) return Time::max();
  if (!pass.ReadSubscriptions()) return retry_soon;
  pass.FailDeleted();
  std::unique_ptr<CURLM, decltype(&curl_multi_cleanup)> multi(curl_multi_init(), &curl_multi_cleanup);
  if (multi == nullptr) {
    spdlog::warn("webhooks: curl_multi_init failed");
    return retry_soon;
  }
  pass.multi = multi.get();
  pass.RunTransfers();
  return pass.Earliest(retry_soon);
}

void Deliverer::Start() {
  std::lock_guard<std::mutex> ss(start_stop_mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    woken_ = false;
    running_ = true;
  }
  thread_ = std::thread([this] { Loop(); });
  spdlog::info("webhooks: deliverer started");
}

void Deliverer::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

void Deliverer::Stop() {
  std::lock_guard<std::mutex> ss(start_stop_mu_);
  if (!thread_.joinable()) return;
  stopping_ = true;
  {
    std::lock_guard<std::mutex> lock(mu_);
    running_ = false;
  }
  cv_.notify_all();
  thread_.join();
  stopping_ = false;
  spdlog::info("webhooks: deliverer stopped");
}

void Deliverer::Loop() {
  while (!stopping_.load()) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      woken_ = false;  // a Wake() from here on asks for another pass
    }
    const Time next = RunOnce();
    const Time now = clock_.Now();
    Duration wait = std::chrono::duration_cast<Duration>(kMaxSleep);
    if (next <= now) {
      wait = Duration(0);
    } else if (next - now < wait) {
      wait = next - now;
    }
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, wait, [this] { return woken_ || !running_; });
  }
}

}  // namespace agentdraft::webhooks
