#include "daemon/webhooks/webhooks.h"

#include <algorithm>
#include <regex>

#include "common/ids.h"
#include "daemon/engine/views.h"
#include "daemon/webhooks/deliverer.h"
#include "daemon/webhooks/target_policy.h"

namespace agentdraft::webhooks {

Webhooks::Webhooks(store::Store& store, const Clock& clock, WebhooksOptions options)
    : store_(store), clock_(clock), options_(options) {}

Status Webhooks::Load() {
  auto subs = store_.ListSubscriptions("");
  if (!subs.ok()) return subs.status();
  std::lock_guard<std::mutex> lock(mu_);
  subscriptions_ = std::move(*subs);
  return Status::Ok();
}

const std::vector<std::string>& Webhooks::EventTypes() {
  static const std::vector<std::string> kTypes = {
      "*",
      "booking.*",         "booking.committed",  "booking.rejected",  "booking.cancelled",
      "booking.evicted",   "hold.*",             "hold.created",      "hold.rejected",
      "hold.released",     "hold.expired",       "hold.displaced",    "hold.converted",
      "counter.*",         "counter.proposed",   "counter.accepted",  "counter.rejected",
      "counter.expired",
      "agent.*",           "agent.created",      "agent.updated",     "agent.ranked",
      "agent.key_rotated", "agent.key_revoked",  "settings.updated",  "owner.created",
      "webhook.*",         "webhook.created",    "webhook.deleted"};
  return kTypes;
}

bool Webhooks::Matches(const std::string& event_type, const std::string& kind) {
  if (event_type == "*" || event_type == kind) return true;
  if (event_type.size() > 2 && event_type.compare(event_type.size() - 2, 2, ".*") == 0) {
    const std::string prefix = event_type.substr(0, event_type.size() - 1);  // "booking."
    return kind.compare(0, prefix.size(), prefix) == 0;
  }
  return false;
}

std::string Webhooks::Body(const std::string& delivery_id, const store::AuditRecord& row) {
  return nlohmann::json{{"delivery_id", delivery_id},
                        {"type", row.kind},
                        {"seq", row.seq},
                        {"created_at", FormatRfc3339(row.at)},
                        {"user_id", row.owner_id},
                        {"data", engine::AuditEventJson(row)}}
      .dump();
}

void Webhooks::AddDeliveries(store::Decision& d) {
  std::lock_guard<std::mutex> lock(mu_);
  if (subscriptions_.empty()) return;
  const Time now = clock_.Now();
  for (const store::AuditRecord& row : d.audit) {
    for (const store::WebhookSubscription& sub : subscriptions_) {
      if (sub.owner_id != row.owner_id || !Matches(sub.event_type, row.kind)) continue;
      store::WebhookDelivery del;
      del.id = NewSortableId("dlv_", ToMicros(now) / 1000);
      del.subscription_id = sub.id;
      del.owner_id = sub.owner_id;
      del.audit_seq = row.seq;
      del.event_type = row.kind;
      del.body = Body(del.id, row);
      del.state = store::DeliveryState::kPending;
      del.created_at = now;
      del.next_attempt_at = now;
      d.deliveries.push_back(std::move(del));
      undelivered_seq_ = std::max(undelivered_seq_.load(), row.seq);
    }
  }
}

bool Webhooks::TakeNewDeliveries(int64_t durable_seq) {
  int64_t seq = undelivered_seq_.load();
  while (seq != 0 && seq <= durable_seq) {
    if (undelivered_seq_.compare_exchange_weak(seq, 0)) return true;
  }
  return false;
}

Result<store::WebhookSubscription> Webhooks::Create(const std::string& owner_id,
                                                   const std::string& event_type,
                                                   const std::string& url) {
  if (std::find(EventTypes().begin(), EventTypes().end(), event_type) == EventTypes().end()) {
    return Status::InvalidArgument("unknown event type \"" + event_type +
                                   "\"; GET /v1/dashboard/webhooks/events lists them");
  }
  static const std::regex kUrl(R"(^https?://[^\s/?#]+(?:[/?#]\S*)?$)", std::regex::icase);
  if (url.size() > 2048 || !std::regex_match(url, kUrl)) {
    return Status::InvalidArgument("url must be an http:// or https:// URL");
  }
  const TargetPolicy policy{options_.allow_loopback, options_.allow_private};
  if (std::string refusal = options_.resolve_names ? CheckSubscriptionTarget(url, policy)
                                                   : LiteralTargetRefusal(url, policy);
      !refusal.empty()) {
    return Status::Forbidden(refusal);
  }
  if (engine_ == nullptr) return Status::Internal("webhooks are not attached to the engine");
  store::WebhookSubscription sub;
  sub.id = NewId("sub_");
  sub.owner_id = owner_id;
  sub.event_type = event_type;
  sub.url = url;
  sub.secret = NewId("whsec_", 32);
  sub.created_at = FromMicros(ToMicros(clock_.Now()) / 1000 * 1000);
  store::Decision rows;
  rows.subscriptions.push_back(sub);
  Status s = engine_->directory().RecordChange(owner_id, owner_id, "webhook.created", sub.id,
                                   {{"subscription_id", sub.id}, {"event_type", event_type}, {"url", url}},
                                   std::move(rows));
  if (!s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  subscriptions_.push_back(sub);
  return sub;
}

std::vector<store::WebhookSubscription> Webhooks::List(const std::string& owner_id) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<store::WebhookSubscription> out;
  for (const auto& s : subscriptions_) {
    if (s.owner_id == owner_id) out.push_back(s);
  }
  return out;
}

Status Webhooks::Delete(const std::string& owner_id, const std::string& subscription_id) {
  store::WebhookSubscription sub;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = std::find_if(subscriptions_.begin(), subscriptions_.end(), [&](const auto& s) {
      return s.id == subscription_id && s.owner_id == owner_id;
    });
    if (it == subscriptions_.end()) return Status::NotFound("no webhook subscription " + subscription_id);
    sub = *it;
  }
  if (engine_ == nullptr) return Status::Internal("webhooks are not attached to the engine");
  sub.deleted_at = FromMicros(ToMicros(clock_.Now()) / 1000 * 1000);
  store::Decision rows;
  rows.subscriptions.push_back(sub);
  Status s = engine_->directory().RecordChange(owner_id, owner_id, "webhook.deleted", sub.id,
                                   {{"subscription_id", sub.id}}, std::move(rows));
  if (!s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  std::erase_if(subscriptions_, [&](const auto& x) { return x.id == subscription_id; });
  return Status::Ok();
}

}  // namespace agentdraft::webhooks
