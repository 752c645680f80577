// The engine's shared state (engine_state.h): loading it from the store, the ranking, the
// owners' settings in effect, and applying the administrative changes.
#include "daemon/engine/engine_state.h"

#include <sodium.h>

#include <algorithm>

#include <spdlog/spdlog.h>

#include "common/ids.h"

namespace agentdraft::engine {

using store::AgentRecord;
using store::ClaimRecord;

// --- Ranking and settings --------------------------------------------------------------

bool State::Outranks(const store::AgentRecord& a, const store::AgentRecord& b) {
  if (a.priority != b.priority) return a.priority < b.priority;
  if (a.rank_order != b.rank_order) return a.rank_order < b.rank_order;
  return a.id < b.id;
}

bool State::IsTopRankedLocked(const store::AgentRecord& a) const {
  for (const auto& [id, other] : agents) {
    if (other.owner_id == a.owner_id && id != a.id && Outranks(other, a)) return false;
  }
  return true;
}

int State::RankOfLocked(const store::AgentRecord& a) const {
  int rank = 1;
  for (const auto& [id, other] : agents) {
    if (other.owner_id == a.owner_id && id != a.id && Outranks(other, a)) ++rank;
  }
  return rank;
}

Duration State::TieWindow(const Calendar& c) const {
  return c.owner.settings.tie_window.value_or(options.tie_window);
}
Duration State::BumpWindow(const Calendar& c) const {
  return c.owner.settings.bump_window.value_or(options.bump_window);
}
Duration State::HoldTtl(const Calendar& c) const {
  return c.owner.settings.hold_ttl.value_or(options.hold_ttl);
}
int State::MaxHolds(const Calendar& c) const {
  return c.owner.settings.max_holds_per_agent.value_or(options.max_holds_per_agent);
}

Calendar* State::FindCalendarLocked(const std::string& owner_id) {
  auto it = calendars.find(owner_id);
  return it == calendars.end() ? nullptr : it->second.get();
}

// --- Idempotency -----------------------------------------------------------------------

void State::RefreshIfStaleLocked() {
  if (!store.Shared()) return;
  auto head = store.AuditHeadSeq();
  if (!head.ok() || *head <= chain.head_seq()) return;
  ReloadLocked();
}

void State::ReloadLocked() {
  store.Flush();  // store callbacks never take mu, so this cannot deadlock
  if (Status s = LoadLocked(); !s.ok()) spdlog::error("reloading state failed: {}", s.ToString());
}

// --- Claims in memory ------------------------------------------------------------------

Calendar& State::AddCalendarLocked(const store::OwnerRecord& owner) {
  auto& slot = calendars[owner.id];
  if (!slot) slot = std::make_unique<Calendar>();
  slot->owner = owner;
  owner_by_email[owner.email] = owner.id;
  return *slot;
}

Status State::LoadLocked() {
  auto loaded = store.Load();
  if (!loaded.ok()) return loaded.status();
  // Keep the commits that are waiting out their tie window: they have not been decided.
  std::unordered_map<std::string, std::list<Pending>> waiting;
  for (auto& [id, cal] : calendars) waiting[id] = std::move(cal->pending);
  calendars.clear();
  agents.clear();
  agent_by_key_hash.clear();
  owner_by_email.clear();
  for (const store::OwnerRecord& o : loaded->owners) AddCalendarLocked(o);
  for (const AgentRecord& a : loaded->agents) {
    agents[a.id] = a;
    if (!a.revoked_at) agent_by_key_hash[a.key_hash] = a.id;
    next_rank_order = std::max(next_rank_order, a.rank_order + 1);
  }
  for (const ClaimRecord& c : loaded->active_claims) {
    Calendar* cal = FindCalendarLocked(c.owner_id);
    if (cal == nullptr) return Status::Internal("claim " + c.id + " of unknown owner " + c.owner_id);
    auto claim = std::make_unique<ClaimRecord>(c);
    const BucketRange range = BucketRange::Of(c.start, c.end);
    for (int64_t b = range.first; b < range.last; ++b) cal->occupancy[b] = claim.get();
    if (c.kind == store::ClaimKind::kHold) cal->holds_by_agent[c.agent_id].insert(c.id);
    CountUsage(*cal, c, +1);
    cal->active[c.id] = std::move(claim);
  }
  for (const store::CounterRecord& c : loaded->open_counters) {
    Calendar* cal = FindCalendarLocked(c.owner_id);
    // A pending counter lives only as long as its booking is committed.
    if (cal != nullptr && cal->active.count(c.booking_id)) cal->open_counters[c.booking_id][c.id] = c;
  }
  for (const store::RuleRecord& r : loaded->rules) {
    Calendar* cal = FindCalendarLocked(r.owner_id);
    if (cal == nullptr) return Status::Internal("rule " + r.id + " of unknown owner " + r.owner_id);
    auto rule = RuleFromRecord(r);
    if (!rule.ok()) return rule.status();
    cal->rule_records.push_back(r);
    cal->rules.push_back(std::move(*rule));
  }
  for (auto& [id, list] : waiting) {
    if (Calendar* cal = FindCalendarLocked(id)) cal->pending = std::move(list);
  }
  chain.Reset(loaded->audit_head_seq, loaded->audit_head_hash);
  if (after_load) after_load();
  spdlog::log(store.Shared() ? spdlog::level::debug : spdlog::level::info, "loaded {} owner(s), {} agent(s), {} active claim(s), audit head {}",
               loaded->owners.size(), loaded->agents.size(), loaded->active_claims.size(),
               loaded->audit_head_seq);
  return Status::Ok();
}


std::string State::KeyedHash(std::string_view text) const {
  unsigned char key[crypto_generichash_KEYBYTES];
  crypto_generichash(key, sizeof key, reinterpret_cast<const unsigned char*>(options.key_secret.data()),
                     options.key_secret.size(), nullptr, 0);
  unsigned char out[32];
  crypto_generichash(out, sizeof out, reinterpret_cast<const unsigned char*>(text.data()),
                     text.size(), key, sizeof key);
  return ToHex(std::string_view(reinterpret_cast<const char*>(out), sizeof out));
}


Status State::ApplySyncLocked(store::Decision d) {
  if (hooks.before_apply) hooks.before_apply(d);
  std::vector<store::AuditRecord> audit;
  if (hooks.after_durable) audit = d.audit;
  d.decided_at = clock.Now();
  Status s = store.ApplySync(std::move(d));
  if (s.code() == StatusCode::kConflict && store.Shared()) {
    // Another daemon changed the store since our view: nothing of this change was written.
    // The timer thread catches up at once (after the caller has rewound its own changes),
    // so the caller's retry is decided on the fresh view.
    reload_needed = true;
    wake_timer.notify_all();
    return Status::Unavailable("another agentdraftd changed this calendar at the same moment; nothing was "
                               "changed — retry");
  }
  // Still under mu: no later decision can have been submitted, and every earlier one has been
  // answered (the store answers in order), so the rows reach the hook in seq order.
  if (s.ok() && !audit.empty()) hooks.after_durable(audit);
  return s;
}

Status State::ApplyAdminLocked(store::Decision d, int64_t seq_before,
                                const std::string& hash_before) {
  Status s = ApplySyncLocked(std::move(d));
  if (!s.ok()) {
    chain.Reset(seq_before, hash_before);
    return Status::Unavailable("could not record the change: " + s.message());
  }
  return s;
}

AgentRecord* State::FindAgentLocked(const std::string& owner_id, const std::string& agent_ref) {
  auto by_id = agents.find(agent_ref);
  if (by_id != agents.end()) return by_id->second.owner_id == owner_id ? &by_id->second : nullptr;
  for (auto& [id, a] : agents) {
    if (a.owner_id == owner_id && a.name == agent_ref) return &a;
  }
  return nullptr;
}

AgentRecord* State::FindAgentCatchingUpLocked(const std::string& owner_id, const std::string& agent_ref) {
  AgentRecord* a = FindAgentLocked(owner_id, agent_ref);
  if (a == nullptr) {
    RefreshIfStaleLocked();  // made at another daemon moments ago
    a = FindAgentLocked(owner_id, agent_ref);
  }
  return a;
}


int64_t MetadataBytes(const std::string& metadata_json) {
  return metadata_json.empty() || metadata_json == "{}" ? 0 : static_cast<int64_t>(metadata_json.size());
}

void State::CountUsage(Calendar& cal, const ClaimRecord& claim, int sign) {
  AgentUsage& u = cal.usage_by_agent[claim.agent_id];
  u.claims += sign;
  u.metadata_bytes += sign * MetadataBytes(claim.metadata_json);
}

int64_t State::MaxActiveClaims(const Calendar& c) const {
  return c.owner.settings.max_active_claims_per_agent.value_or(options.max_active_claims_per_agent);
}

int64_t State::MaxMetadataBytes(const Calendar& c) const {
  return c.owner.settings.max_metadata_bytes_per_agent.value_or(options.max_metadata_bytes_per_agent);
}


}  // namespace agentdraft::engine
