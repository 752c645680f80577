#include "daemon/engine/views.h"

namespace agentdraft::engine {

namespace {
void AddCommon(nlohmann::json& j, const store::ClaimRecord& c, int priority) {
  j["status"] = store::ClaimStateName(c.state);
  j["agent_id"] = c.agent_id;
  j["agent_priority"] = priority;
  j["user_id"] = c.owner_id;
  j["start"] = FormatRfc3339(c.start);
  j["end"] = FormatRfc3339(c.end);
  j["created_at"] = FormatRfc3339(c.created_at);
  j["metadata"] = nlohmann::json::parse(c.metadata_json.empty() ? "{}" : c.metadata_json);
  if (!c.title.empty()) j["title"] = c.title;
  if (!c.invitee_json.empty()) j["invitee"] = nlohmann::json::parse(c.invitee_json);
  if (c.ended_at) {
    j["ended_at"] = FormatRfc3339(*c.ended_at);
    if (!c.ended_by.empty()) j["ended_by"] = c.ended_by;
  }
}
}  // namespace

nlohmann::json BookingJson(const store::ClaimRecord& b, int priority) {
  nlohmann::json j;
  j["booking_id"] = b.id;
  AddCommon(j, b, priority);
  j["frozen_at"] = FormatRfc3339(b.frozen_at);
  if (b.ended_at) {
    if (b.state == store::ClaimState::kCancelled) j["cancelled_at"] = j["ended_at"];
    if (b.state == store::ClaimState::kEvicted) {
      j["evicted_at"] = j["ended_at"];
      j["evicted_by"] = b.ended_by;
    }
  }
  return j;
}

nlohmann::json HoldJson(const store::ClaimRecord& h, int priority) {
  nlohmann::json j;
  j["hold_id"] = h.id;
  AddCommon(j, h, priority);
  j["expires_at"] = FormatRfc3339(h.expires_at);
  return j;
}

nlohmann::json CounterJson(const store::CounterRecord& c) {
  nlohmann::json proposed = nlohmann::json::array();
  for (const store::Slot& x : c.proposed) {
    proposed.push_back({{"start", FormatRfc3339(x.start)}, {"end", FormatRfc3339(x.end)}});
  }
  nlohmann::json j = {{"counter_id", c.id},
                      {"booking_id", c.booking_id},
                      {"proposed", std::move(proposed)},
                      {"status", store::CounterStateName(c.state)},
                      {"agent_id", c.agent_id},
                      {"booking_agent_id", c.booking_agent_id},
                      {"user_id", c.owner_id},
                      {"note", c.note},
                      {"created_at", FormatRfc3339(c.created_at)}};
  if (c.ended_at) j["ended_at"] = FormatRfc3339(*c.ended_at);
  if (c.accepted_slot) j["accepted_slot"] = *c.accepted_slot;
  if (!c.new_booking_id.empty()) j["new_booking_id"] = c.new_booking_id;
  return j;
}

nlohmann::json AuditEventJson(const store::AuditRecord& r) {
  return {{"seq", r.seq},
          {"at", FormatRfc3339(r.at)},
          {"user_id", r.owner_id},
          {"actor", r.actor},
          {"subject", r.subject},
          {"kind", r.kind},
          {"resource", r.resource},
          {"payload", nlohmann::json::parse(r.payload_json)},
          {"prev_hash", r.prev_hash},
          {"hash", r.hash}};
}

std::string ErrorBody(std::string_view code, std::string_view message,
                      const nlohmann::json& extra) {
  nlohmann::json j = extra.is_object() ? extra : nlohmann::json::object();
  j["error"] = code;
  j["message"] = message;
  // Messages quote what the client sent (a path, a cut-off field value), which need not be
  // UTF-8; nlohmann::json would throw on it, outside any handler when the answer is a 404.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace agentdraft::engine
