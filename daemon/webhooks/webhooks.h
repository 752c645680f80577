// Webhooks: an owner's subscriptions, and the delivery rows each audit row creates.
//
// AddDeliveries() is the engine's before_apply hook: for every audit row of a decision and
// every subscription of that row's owner whose event type matches (exactly, "booking.*", or
// "*"), it adds a pending WebhookDelivery to the same decision, so a delivery exists (durably)
// before its first attempt and exactly when its event does. The Deliverer (deliverer.h) sends
// them. Subscription changes are recorded through the engine with their own audit rows.
//
// Thread-safe. AddDeliveries runs under the engine's lock and takes only this class's lock;
// Create/Delete call the engine without holding it.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "daemon/engine/engine.h"
#include "daemon/store/store.h"

namespace agentdraft::webhooks {

struct WebhooksOptions {
  bool allow_loopback = true;  // targets on 127.0.0.0/8, ::1, localhost
  bool allow_private = false;  // targets on private ranges (target_policy.h)
  bool resolve_names = true;   // false: judge literal addresses only, no DNS (the fuzz harness)
};

class Webhooks {
 public:
  Webhooks(store::Store& store, const Clock& clock, WebhooksOptions options);

  // Loads the subscriptions from the store.
  Status Load();
  void SetEngine(engine::Engine* engine) { engine_ = engine; }

  // The engine's before_apply hook.
  void AddDeliveries(store::Decision& d);
  // For the after_durable hook: true (once) when rows up to `durable_seq` include deliveries
  // not yet announced, i.e. when the Deliverer has new work. Keeps the common case — no
  // subscriptions — free of wake-ups.
  bool TakeNewDeliveries(int64_t durable_seq);

  // InvalidArgument for an unknown event type or a URL that is not http(s). Forbidden when
  // the target policy (target_policy.h) refuses the URL's address, or any address its host
  // name resolves to now; the message names the host, the kind of address and the flag.
  Result<store::WebhookSubscription> Create(const std::string& owner_id, const std::string& event_type,
                                           const std::string& url);
  std::vector<store::WebhookSubscription> List(const std::string& owner_id);
  // NotFound for another owner's or an unknown subscription. Its pending deliveries fail.
  Status Delete(const std::string& owner_id, const std::string& subscription_id);

  // Every event type a subscription may name: "*", "booking.*", "booking.committed", …
  static const std::vector<std::string>& EventTypes();
  // The JSON POSTed for one audit row.
  static std::string Body(const std::string& delivery_id, const store::AuditRecord& row);

 private:
  static bool Matches(const std::string& event_type, const std::string& kind);

  store::Store& store_;
  const Clock& clock_;
  const WebhooksOptions options_;
  engine::Engine* engine_ = nullptr;
  std::mutex mu_;
  std::vector<store::WebhookSubscription> subscriptions_;  // GUARDED_BY(mu_), live ones
  std::atomic<int64_t> undelivered_seq_{0};  // the newest seq that made deliveries, until taken
};

}  // namespace agentdraft::webhooks
