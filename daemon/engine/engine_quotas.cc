// Per-agent quotas: how many active claims an agent may have, and how many bytes of metadata
// they may carry together (EngineOptions, owner settings; docs/design.md "Quotas").
#include "daemon/engine/core.h"

namespace agentdraft::engine {

using store::ClaimRecord;

std::vector<ClaimRecord*> Core::OwnHoldsOverlappingLocked(const Calendar& cal, const std::string& agent_id,
                                                            const BucketRange& range, Time now) const {
  std::vector<ClaimRecord*> out;
  auto ids = cal.holds_by_agent.find(agent_id);
  if (ids == cal.holds_by_agent.end()) return out;
  for (const std::string& id : ids->second) {
    ClaimRecord* h = cal.active.at(id).get();
    if (h->expires_at > now && BucketRange::Of(h->start, h->end).Overlaps(range)) out.push_back(h);
  }
  return out;
}

std::optional<Outcome> Core::QuotaProblemLocked(const Calendar& cal, const std::string& agent_id,
                                                  int64_t metadata_bytes, const std::vector<ClaimRecord*>& freed,
                                                  Time now) const {
  AgentUsage used;
  if (auto it = cal.usage_by_agent.find(agent_id); it != cal.usage_by_agent.end()) used = it->second;
  auto leave_out = [&used](const ClaimRecord& c) {
    --used.claims;
    used.metadata_bytes -= MetadataBytes(c.metadata_json);
  };
  if (auto ids = cal.holds_by_agent.find(agent_id); ids != cal.holds_by_agent.end()) {
    for (const std::string& id : ids->second) {
      const ClaimRecord& h = *cal.active.at(id);
      if (h.expires_at <= now) leave_out(h);  // expired, not yet swept
    }
  }
  for (const ClaimRecord* c : freed) leave_out(*c);
  const int64_t max_claims = s_.MaxActiveClaims(cal), max_bytes = s_.MaxMetadataBytes(cal);
  if (used.claims + 1 > max_claims) {
    return Error(ErrorCode::kQuotaExceeded,
                 "quota exceeded: you have " + std::to_string(used.claims) +
                     " active claims (bookings and unexpired holds); the owner's limit is " +
                     std::to_string(max_claims) + " per agent — cancel or release one first",
                 {{"quota", "max_active_claims_per_agent"}, {"limit", max_claims}, {"used", used.claims}});
  }
  if (used.metadata_bytes + metadata_bytes > max_bytes) {
    return Error(ErrorCode::kQuotaExceeded,
                 "quota exceeded: your active claims carry " + std::to_string(used.metadata_bytes) +
                     " bytes of metadata and this one " + std::to_string(metadata_bytes) +
                     "; the owner's limit is " + std::to_string(max_bytes) +
                     " bytes per agent — send less metadata, or cancel or release a claim first",
                 {{"quota", "max_metadata_bytes_per_agent"},
                  {"limit", max_bytes},
                  {"used", used.metadata_bytes},
                  {"requested", metadata_bytes}});
  }
  return std::nullopt;
}

}  // namespace agentdraft::engine
