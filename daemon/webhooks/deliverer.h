// Deliverer: POSTs persisted webhook deliveries to their receivers, signed, with retries.
//
// The rows it sends are written by others (a delivery row lands in the same transaction as
// the audit row it carries); the deliverer only reads pending rows and writes each one back,
// whole, after every attempt — so a delivery's progress survives restarts and a new
// Deliverer on the same store carries on where the last one stopped.
//
// Order: per subscription, only the oldest pending delivery (lowest audit_seq) is attempted;
// a later one waits while an earlier one is pending, so a receiver sees its events strictly
// in order. Different subscriptions never wait for each other: the due head of every
// subscription is in flight at once (one libcurl multi handle per pass), and a subscription
// whose head is settled moves on to its next delivery at once, so a receiver that is down or
// slow only delays its own subscription.
//
// Retries: attempt k failing (no answer, or a status other than 2xx) schedules the next one
// base_backoff·2^(k-1) later, capped at max_backoff, times a uniform factor in
// [1 - jitter, 1]. After max_attempts the delivery is failed for good. An attempt without an
// HTTP answer records kCouldNotConnect whatever went wrong; one with an answer, "HTTP <code>". Delivery is
// at-least-once: a crash (or a store error) between the receiver's 2xx and the write-back
// sends it again, with the same X-Agentdraft-Delivery id, which receivers use to deduplicate.
//
// Time: every decision (what is due, when to retry, the signature's timestamp) reads the
// Clock; only the background thread's sleep between passes uses real time.
//
// Thread-safety: all methods may be called from any thread. Passes (RunOnce, and the
// background thread's) are serialized. Never throws.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <random>
#include <string>
#include <thread>

#include "common/clock.h"
#include "common/time.h"
#include "daemon/store/store.h"

namespace agentdraft::webhooks {

struct DelivererOptions {
  int max_attempts = 20;                 // then the delivery is kFailed ("gave up after N attempts")
  Duration base_backoff = std::chrono::seconds(1);   // attempt k waits base*2^(k-1), capped
  Duration max_backoff = std::chrono::hours(1);
  double jitter = 0.5;                   // the wait is multiplied by a uniform factor in [1-jitter, 1]
  std::chrono::milliseconds timeout{10000};  // per HTTP attempt (connect + response)
  // Which addresses may be reached (target_policy.h). A URL whose literal address (or
  // localhost) is refused fails at once (kFailed, last_error says why); a host name is judged
  // on each address libcurl is about to connect to, before the connection is made.
  bool allow_loopback = true;            // --webhooks-allow-loopback
  bool allow_private = false;            // --webhooks-allow-private
  uint64_t seed = 0;                     // jitter's PRNG seed (0 = random); tests pin it
};

// "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<unix seconds>.<body>")>" — the value of the
// X-Agentdraft-Signature header. Hex is lower-case.
std::string SignatureHeader(const std::string& secret, Time at, const std::string& body);

// True when `header` is a valid signature of `body` with `secret` (for receivers and tests):
// it has a t=<digits> and a v1=<hex> that matches (compared in constant time). It does not
// judge the timestamp's age; a receiver that wants replay protection checks t itself.
bool VerifySignatureHeader(const std::string& secret, const std::string& header,
                           const std::string& body);

// The last_error of an attempt that got no HTTP answer: refused by the target policy at
// connect time, DNS failure, connection refused, unreachable, timeout, TLS or transfer error.
// One text for all, so the deliveries list cannot serve as a port scanner; the daemon's log
// has libcurl's own message.
inline constexpr char kCouldNotConnect[] = "could not connect to the webhook target";

class Deliverer {
 public:
  Deliverer(store::Store& store, const Clock& clock, DelivererOptions options);
  ~Deliverer();  // Stop()

  Deliverer(const Deliverer&) = delete;
  Deliverer& operator=(const Deliverer&) = delete;

  // One pass over pending deliveries whose next_attempt_at <= clock.Now(): per subscription,
  // only its oldest pending delivery may be attempted. Each outcome is written back with
  // store.ApplySync before the subscription's next delivery is considered; a subscription
  // whose head was delivered (or given up) moves on to its next pending delivery in the same
  // pass. A delivery whose subscription was deleted is failed ("subscription deleted").
  // Returns the earliest next_attempt_at among the subscriptions' remaining heads
  // (Time::max() if none are pending; about a second from now after a store error).
  Time RunOnce();

  // A thread that calls RunOnce, then sleeps until the next due time or Wake(), at most 1 s
  // (real time) between passes. Start and Stop are idempotent; Stop abandons attempts in
  // flight (they stay pending, and are sent again later).
  void Start();
  // Runs a pass soon (new deliveries were written, say). No-op when not started.
  void Wake();
  void Stop();

 private:
  struct Attempt;
  struct Pass;  // one RunOnce

  // Sets up `a`'s request (signed at `now`). False, with a's error set, when it cannot be
  // sent (a literal target the policy refuses: permanently).
  bool Prepare(Attempt& a, Time now);
  // Fills `a`'s outcome from its finished transfer (`curl_code` is a CURLcode).
  static void Finish(Attempt& a, int curl_code);
  // The delivery after one attempt with this outcome.
  store::WebhookDelivery Settle(const Attempt& a, Time now);
  Duration Backoff(int attempts);
  void Loop();

  store::Store& store_;
  const Clock& clock_;
  const DelivererOptions options_;

  std::mutex run_mu_;  // serializes passes
  std::mutex rng_mu_;
  std::mt19937_64 rng_;  // GUARDED_BY(rng_mu_)

  std::mutex mu_;
  std::condition_variable cv_;
  bool woken_ = false;           // GUARDED_BY(mu_)
  bool running_ = false;         // GUARDED_BY(mu_)
  std::atomic<bool> stopping_{false};
  std::thread thread_;           // GUARDED_BY(start_stop_mu_)
  std::mutex start_stop_mu_;     // serializes Start and Stop
};

}  // namespace agentdraft::webhooks
