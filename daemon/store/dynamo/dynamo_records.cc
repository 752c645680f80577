#include "daemon/store/dynamo/dynamo_records.h"

namespace agentdraft::store::dynamo {

using nlohmann::json;

namespace {

int64_t Us(Time t) { return ToMicros(t); }
Time At(const json& j, const char* field) { return FromMicros(j.at(field).get<int64_t>()); }

void PutOptional(json& j, const char* field, const std::optional<Time>& t) {
  if (t) j[field] = ToMicros(*t);
}
std::optional<Time> OptionalAt(const json& j, const char* field) {
  auto it = j.find(field);
  if (it == j.end() || it->is_null()) return std::nullopt;
  return FromMicros(it->get<int64_t>());
}

}  // namespace

json ToJson(const OwnerRecord& r) {
  json s = json::object();
  const OwnerSettings& o = r.settings;
  if (o.tie_window) s["tie_us"] = o.tie_window->count();
  if (o.bump_window) s["bump_us"] = o.bump_window->count();
  if (o.hold_ttl) s["hold_ttl_us"] = o.hold_ttl->count();
  if (o.max_holds_per_agent) s["max_holds"] = *o.max_holds_per_agent;
  if (o.timezone) s["timezone"] = *o.timezone;
  if (o.max_active_claims_per_agent) s["max_claims"] = *o.max_active_claims_per_agent;
  if (o.max_metadata_bytes_per_agent) s["max_meta_bytes"] = *o.max_metadata_bytes_per_agent;
  json j = {{"id", r.id}, {"email", r.email}, {"created_at", Us(r.created_at)}, {"settings", s}};
  if (r.dev) j["dev"] = true;
  PutOptional(j, "sessions_revoked_at", r.sessions_revoked_at);
  return j;
}

void FromJson(const json& j, OwnerRecord* r) {
  r->id = j.at("id");
  r->email = j.at("email");
  r->created_at = At(j, "created_at");
  const json& s = j.at("settings");
  OwnerSettings& o = r->settings;
  o = {};
  if (s.contains("tie_us")) o.tie_window = Duration(s["tie_us"].get<int64_t>());
  if (s.contains("bump_us")) o.bump_window = Duration(s["bump_us"].get<int64_t>());
  if (s.contains("hold_ttl_us")) o.hold_ttl = Duration(s["hold_ttl_us"].get<int64_t>());
  if (s.contains("max_holds")) o.max_holds_per_agent = s["max_holds"].get<int>();
  if (s.contains("timezone")) o.timezone = s["timezone"].get<std::string>();
  r->dev = j.value("dev", false);
  r->sessions_revoked_at = OptionalAt(j, "sessions_revoked_at");
  if (s.contains("max_claims")) o.max_active_claims_per_agent = s["max_claims"].get<int64_t>();
  if (s.contains("max_meta_bytes")) o.max_metadata_bytes_per_agent = s["max_meta_bytes"].get<int64_t>();
}

json ToJson(const AgentRecord& r) {
  json j = {{"id", r.id},
            {"owner_id", r.owner_id},
            {"name", r.name},
            {"priority", r.priority},
            {"rank_order", r.rank_order},
            {"scopes", r.scopes},
            {"key_prefix", r.key_prefix},
            {"key_hash", r.key_hash},
            {"created_at", Us(r.created_at)}};
  PutOptional(j, "revoked_at", r.revoked_at);
  return j;
}

void FromJson(const json& j, AgentRecord* r) {
  r->id = j.at("id");
  r->owner_id = j.at("owner_id");
  r->name = j.at("name");
  r->priority = j.at("priority");
  r->rank_order = j.at("rank_order");
  r->scopes = j.at("scopes").get<std::vector<std::string>>();
  r->key_prefix = j.at("key_prefix");
  r->key_hash = j.at("key_hash");
  r->created_at = At(j, "created_at");
  r->revoked_at = OptionalAt(j, "revoked_at");
}

json ToJson(const ClaimRecord& r) {
  json j = {{"id", r.id},
            {"owner_id", r.owner_id},
            {"agent_id", r.agent_id},
            {"kind", r.kind == ClaimKind::kHold ? "hold" : "booking"},
            {"state", ClaimStateName(r.state)},
            {"start", Us(r.start)},
            {"end", Us(r.end)},
            {"created_at", Us(r.created_at)},
            {"expires_at", Us(r.expires_at)},
            {"frozen_at", Us(r.frozen_at)},
            {"ended_by", r.ended_by},
            {"metadata", r.metadata_json},
            {"title", r.title},
            {"invitee", r.invitee_json},
            {"idempotency_key", r.idempotency_key}};
  PutOptional(j, "ended_at", r.ended_at);
  return j;
}

void FromJson(const json& j, ClaimRecord* r) {
  r->id = j.at("id");
  r->owner_id = j.at("owner_id");
  r->agent_id = j.at("agent_id");
  r->kind = j.at("kind") == "hold" ? ClaimKind::kHold : ClaimKind::kBooking;
  if (!ParseClaimState(j.at("state").get<std::string>(), &r->state)) {
    throw json::other_error::create(501, "unknown claim state " + j.at("state").dump(), &j);
  }
  r->start = At(j, "start");
  r->end = At(j, "end");
  r->created_at = At(j, "created_at");
  r->expires_at = At(j, "expires_at");
  r->frozen_at = At(j, "frozen_at");
  r->ended_at = OptionalAt(j, "ended_at");
  r->ended_by = j.at("ended_by");
  r->metadata_json = j.at("metadata");
  r->title = j.at("title");
  r->invitee_json = j.at("invitee");
  r->idempotency_key = j.at("idempotency_key");
}

json ToJson(const AuditRecord& r) {
  return {{"seq", r.seq},           {"at", Us(r.at)},         {"owner_id", r.owner_id},
          {"actor", r.actor},       {"subject", r.subject},   {"kind", r.kind},
          {"resource", r.resource}, {"payload", r.payload_json}, {"prev_hash", r.prev_hash},
          {"hash", r.hash}};
}

void FromJson(const json& j, AuditRecord* r) {
  r->seq = j.at("seq");
  r->at = At(j, "at");
  r->owner_id = j.at("owner_id");
  r->actor = j.at("actor");
  r->subject = j.at("subject");
  r->kind = j.at("kind");
  r->resource = j.at("resource");
  r->payload_json = j.at("payload");
  r->prev_hash = j.at("prev_hash");
  r->hash = j.at("hash");
}

json ToJson(const IdempotencyRecord& r) {
  return {{"agent_id", r.agent_id}, {"key", r.key},           {"fingerprint", r.fingerprint},
          {"status", r.http_status}, {"body", r.response_body}, {"created_at", Us(r.created_at)}};
}

void FromJson(const json& j, IdempotencyRecord* r) {
  r->agent_id = j.at("agent_id");
  r->key = j.at("key");
  r->fingerprint = j.at("fingerprint");
  r->http_status = j.at("status");
  r->response_body = j.at("body");
  r->created_at = At(j, "created_at");
}

json ToJson(const CheckpointRecord& r) {
  return {{"size", r.size}, {"head", r.head}, {"at", Us(r.at)}, {"key", r.key_hex}, {"signature", r.signature_hex}};
}

void FromJson(const json& j, CheckpointRecord* r) {
  r->size = j.at("size");
  r->head = j.at("head");
  r->at = At(j, "at");
  r->key_hex = j.at("key");
  r->signature_hex = j.at("signature");
}

json ToJson(const WebhookSubscription& r) {
  json j = {{"id", r.id},   {"owner_id", r.owner_id}, {"event_type", r.event_type},
            {"url", r.url}, {"secret", r.secret},     {"created_at", Us(r.created_at)}};
  PutOptional(j, "deleted_at", r.deleted_at);
  return j;
}

void FromJson(const json& j, WebhookSubscription* r) {
  r->id = j.at("id");
  r->owner_id = j.at("owner_id");
  r->event_type = j.at("event_type");
  r->url = j.at("url");
  r->secret = j.at("secret");
  r->created_at = At(j, "created_at");
  r->deleted_at = OptionalAt(j, "deleted_at");
}

json ToJson(const WebhookDelivery& r) {
  json j = {{"id", r.id},
            {"subscription_id", r.subscription_id},
            {"owner_id", r.owner_id},
            {"audit_seq", r.audit_seq},
            {"event_type", r.event_type},
            {"body", r.body},
            {"state", DeliveryStateName(r.state)},
            {"attempts", r.attempts},
            {"created_at", Us(r.created_at)},
            {"next_attempt_at", Us(r.next_attempt_at)},
            {"last_status", r.last_status},
            {"last_error", r.last_error}};
  PutOptional(j, "finished_at", r.finished_at);
  return j;
}

void FromJson(const json& j, WebhookDelivery* r) {
  r->id = j.at("id");
  r->subscription_id = j.at("subscription_id");
  r->owner_id = j.at("owner_id");
  r->audit_seq = j.at("audit_seq");
  r->event_type = j.at("event_type");
  r->body = j.at("body");
  if (!ParseDeliveryState(j.at("state").get<std::string>(), &r->state)) {
    throw json::other_error::create(501, "unknown delivery state " + j.at("state").dump(), &j);
  }
  r->attempts = j.at("attempts");
  r->created_at = At(j, "created_at");
  r->next_attempt_at = At(j, "next_attempt_at");
  r->finished_at = OptionalAt(j, "finished_at");
  r->last_status = j.at("last_status");
  r->last_error = j.at("last_error");
}

json ToJson(const RuleRecord& r) {
  json j = {{"id", r.id},     {"owner_id", r.owner_id},           {"kind", r.kind},
            {"spec", r.spec_json}, {"created_at", Us(r.created_at)}, {"updated_at", Us(r.updated_at)}};
  PutOptional(j, "deleted_at", r.deleted_at);
  return j;
}

void FromJson(const json& j, RuleRecord* r) {
  r->id = j.at("id");
  r->owner_id = j.at("owner_id");
  r->kind = j.at("kind");
  r->spec_json = j.at("spec");
  r->created_at = At(j, "created_at");
  r->updated_at = At(j, "updated_at");
  r->deleted_at = OptionalAt(j, "deleted_at");
}

json ToJson(const SessionRecord& r) {
  return {{"token_hash", r.token_hash},
          {"owner_id", r.owner_id},
          {"created_at", Us(r.created_at)},
          {"expires_at", Us(r.expires_at)},
          {"dev", r.dev}};
}

void FromJson(const json& j, SessionRecord* r) {
  r->token_hash = j.at("token_hash");
  r->owner_id = j.at("owner_id");
  r->created_at = At(j, "created_at");
  r->expires_at = At(j, "expires_at");
  r->dev = j.value("dev", true);  // sessions stored before the field came from the dev sign-in
}

json ToJson(const CounterRecord& r) {
  json slots = json::array();
  for (const Slot& x : r.proposed) slots.push_back({Us(x.start), Us(x.end)});
  json j = {{"id", r.id},
            {"owner_id", r.owner_id},
            {"booking_id", r.booking_id},
            {"booking_agent_id", r.booking_agent_id},
            {"agent_id", r.agent_id},
            {"proposed", slots},
            {"note", r.note},
            {"state", CounterStateName(r.state)},
            {"created_at", Us(r.created_at)},
            {"new_booking_id", r.new_booking_id}};
  PutOptional(j, "ended_at", r.ended_at);
  if (r.accepted_slot) j["accepted_slot"] = *r.accepted_slot;
  return j;
}

void FromJson(const json& j, CounterRecord* r) {
  r->id = j.at("id");
  r->owner_id = j.at("owner_id");
  r->booking_id = j.at("booking_id");
  r->booking_agent_id = j.at("booking_agent_id");
  r->agent_id = j.at("agent_id");
  r->proposed.clear();
  for (const json& x : j.at("proposed")) {
    r->proposed.push_back({FromMicros(x.at(0).get<int64_t>()), FromMicros(x.at(1).get<int64_t>())});
  }
  r->note = j.at("note");
  if (!ParseCounterState(j.at("state").get<std::string>(), &r->state)) {
    throw json::other_error::create(501, "unknown counter state " + j.at("state").dump(), nullptr);
  }
  r->created_at = At(j, "created_at");
  r->ended_at = OptionalAt(j, "ended_at");
  r->accepted_slot = j.contains("accepted_slot") ? std::optional<int>(j.at("accepted_slot").get<int>()) : std::nullopt;
  r->new_booking_id = j.at("new_booking_id");
}

}  // namespace agentdraft::store::dynamo
