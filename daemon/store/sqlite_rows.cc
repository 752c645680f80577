#include "daemon/store/sqlite_rows.h"

#include <nlohmann/json.hpp>

namespace agentdraft::store {

const char* const kOwnerColumns = "id, email, created_at, settings, dev, sessions_revoked_at";
const char* const kAgentColumns =
    "id, owner_id, name, priority, rank_order, scopes, key_prefix, key_hash, created_at, revoked_at";
const char* const kClaimColumns =
    "id, owner_id, agent_id, kind, state, start_us, end_us, created_at, expires_at, frozen_at, "
    "ended_at, ended_by, metadata, title, invitee, idempotency_key";
const char* const kCounterColumns =
    "id, owner_id, booking_id, booking_agent_id, agent_id, proposed, note, state, created_at, "
    "ended_at, accepted_slot, new_booking_id";
const char* const kAuditColumns =
    "seq, at, owner_id, actor, subject, kind, resource, payload, prev_hash, hash";

std::string SettingsToJson(const OwnerSettings& s) {
  nlohmann::json j = nlohmann::json::object();
  if (s.tie_window) j["tie_window_us"] = s.tie_window->count();
  if (s.bump_window) j["bump_window_us"] = s.bump_window->count();
  if (s.hold_ttl) j["hold_ttl_us"] = s.hold_ttl->count();
  if (s.max_holds_per_agent) j["max_holds_per_agent"] = *s.max_holds_per_agent;
  if (s.timezone) j["timezone"] = *s.timezone;
  if (s.max_active_claims_per_agent) j["max_active_claims_per_agent"] = *s.max_active_claims_per_agent;
  if (s.max_metadata_bytes_per_agent) j["max_metadata_bytes_per_agent"] = *s.max_metadata_bytes_per_agent;
  return j.dump();
}

OwnerSettings SettingsFromJson(const std::string& json) {
  OwnerSettings s;
  nlohmann::json j = nlohmann::json::parse(json, nullptr, false);
  if (!j.is_object()) return s;
  if (j.contains("tie_window_us")) s.tie_window = Duration(j["tie_window_us"].get<int64_t>());
  if (j.contains("bump_window_us")) s.bump_window = Duration(j["bump_window_us"].get<int64_t>());
  if (j.contains("hold_ttl_us")) s.hold_ttl = Duration(j["hold_ttl_us"].get<int64_t>());
  if (j.contains("max_holds_per_agent")) s.max_holds_per_agent = j["max_holds_per_agent"].get<int>();
  if (j.contains("timezone")) s.timezone = j["timezone"].get<std::string>();
  if (j.contains("max_active_claims_per_agent")) {
    s.max_active_claims_per_agent = j["max_active_claims_per_agent"].get<int64_t>();
  }
  if (j.contains("max_metadata_bytes_per_agent")) {
    s.max_metadata_bytes_per_agent = j["max_metadata_bytes_per_agent"].get<int64_t>();
  }
  return s;
}

namespace {
std::optional<Time> OptTime(const Stmt& s, int col) {
  return s.IsNull(col) ? std::nullopt : std::optional<Time>(FromMicros(s.Int(col)));
}
}  // namespace

OwnerRecord OwnerFromRow(const Stmt& s) {
  return {s.Text(0), s.Text(1), FromMicros(s.Int(2)), SettingsFromJson(s.Text(3)), s.Int(4) != 0,
          OptTime(s, 5)};
}

AgentRecord AgentFromRow(const Stmt& s) {
  AgentRecord a;
  a.id = s.Text(0);
  a.owner_id = s.Text(1);
  a.name = s.Text(2);
  a.priority = static_cast<int>(s.Int(3));
  a.rank_order = s.Int(4);
  nlohmann::json scopes = nlohmann::json::parse(s.Text(5), nullptr, false);
  if (scopes.is_array()) {
    for (const auto& x : scopes) a.scopes.push_back(x.get<std::string>());
  }
  a.key_prefix = s.Text(6);
  a.key_hash = s.Text(7);
  a.created_at = FromMicros(s.Int(8));
  a.revoked_at = OptTime(s, 9);
  return a;
}

ClaimRecord ClaimFromRow(const Stmt& s) {
  ClaimRecord c;
  c.id = s.Text(0);
  c.owner_id = s.Text(1);
  c.agent_id = s.Text(2);
  c.kind = s.Text(3) == "hold" ? ClaimKind::kHold : ClaimKind::kBooking;
  ParseClaimState(s.Text(4), &c.state);
  c.start = FromMicros(s.Int(5));
  c.end = FromMicros(s.Int(6));
  c.created_at = FromMicros(s.Int(7));
  c.expires_at = FromMicros(s.Int(8));
  c.frozen_at = FromMicros(s.Int(9));
  c.ended_at = OptTime(s, 10);
  c.ended_by = s.Text(11);
  c.metadata_json = s.Text(12);
  c.title = s.Text(13);
  c.invitee_json = s.Text(14);
  c.idempotency_key = s.Text(15);
  return c;
}

std::string SlotsToJson(const std::vector<Slot>& slots) {
  nlohmann::json j = nlohmann::json::array();
  for (const Slot& x : slots) j.push_back({ToMicros(x.start), ToMicros(x.end)});
  return j.dump();
}

std::vector<Slot> SlotsFromJson(const std::string& json) {
  std::vector<Slot> out;
  nlohmann::json j = nlohmann::json::parse(json, nullptr, false);
  if (!j.is_array()) return out;
  for (const auto& x : j) {
    if (x.is_array() && x.size() == 2 && x[0].is_number_integer() && x[1].is_number_integer()) {
      out.push_back({FromMicros(x[0].get<int64_t>()), FromMicros(x[1].get<int64_t>())});
    }
  }
  return out;
}

CounterRecord CounterFromRow(const Stmt& s) {
  CounterRecord c;
  c.id = s.Text(0);
  c.owner_id = s.Text(1);
  c.booking_id = s.Text(2);
  c.booking_agent_id = s.Text(3);
  c.agent_id = s.Text(4);
  c.proposed = SlotsFromJson(s.Text(5));
  c.note = s.Text(6);
  ParseCounterState(s.Text(7), &c.state);
  c.created_at = FromMicros(s.Int(8));
  c.ended_at = OptTime(s, 9);
  if (!s.IsNull(10)) c.accepted_slot = static_cast<int>(s.Int(10));
  c.new_booking_id = s.Text(11);
  return c;
}

AuditRecord AuditFromRow(const Stmt& s) {
  AuditRecord a;
  a.seq = s.Int(0);
  a.at = FromMicros(s.Int(1));
  a.owner_id = s.Text(2);
  a.actor = s.Text(3);
  a.subject = s.Text(4);
  a.kind = s.Text(5);
  a.resource = s.Text(6);
  a.payload_json = s.Text(7);
  a.prev_hash = s.Text(8);
  a.hash = s.Text(9);
  return a;
}

}  // namespace agentdraft::store
