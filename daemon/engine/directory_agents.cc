// The owners, agents and keys of the directory, the ranking, the settings, the counts.
#include <sodium.h>

#include <algorithm>
#include <regex>

#include <spdlog/spdlog.h>

#include "common/friendly_time.h"
#include "common/ids.h"
#include "daemon/engine/directory_impl.h"

namespace agentdraft::engine {

using store::AgentRecord;
using store::ClaimRecord;

const std::vector<std::string>& AllAgentScopes() {
  static const std::vector<std::string> kScopes = {"availability:read", "bookings:write",
                                                   "audit:read", "events:read"};
  return kScopes;
}

namespace {
constexpr int kMaxPriority = 1000000;

Status CheckNewAgent(const std::string& name, std::optional<int> priority, const std::vector<std::string>& scopes) {
  static const std::regex kName("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  if (!std::regex_match(name, kName)) {
    return Status::InvalidArgument(
        "name must be 1–64 characters of letters, digits, '.', '_' or '-', starting with a "
        "letter or digit");
  }
  if (priority && (*priority < 1 || *priority > kMaxPriority)) {
    return Status::InvalidArgument("priority must be between 1 (highest) and 1000000");
  }
  for (const std::string& s : scopes) {
    if (std::find(AllAgentScopes().begin(), AllAgentScopes().end(), s) == AllAgentScopes().end()) {
      return Status::InvalidArgument("unknown scope \"" + s + "\"");
    }
  }
  return Status::Ok();
}
}  // namespace

// --- Start, stop, load -----------------------------------------------------------------

Result<Principal> DirectoryImpl::AuthenticateKey(std::string_view api_key) {
  const std::string hash = s_.KeyedHash(api_key);
  MutexLock lock(s_.mu);
  auto it = s_.agent_by_key_hash.find(hash);
  if (it == s_.agent_by_key_hash.end() && s_.store.Shared()) {
    s_.RefreshIfStaleLocked();  // an agent created, or a key rotated, at another daemon
    it = s_.agent_by_key_hash.find(hash);
  }
  if (it == s_.agent_by_key_hash.end()) {
    return Status::Unauthorized("unknown or revoked API key");
  }
  const AgentRecord& a = s_.agents.at(it->second);
  Principal p;
  p.kind = Principal::Kind::kAgent;
  p.owner_id = a.owner_id;
  p.agent_id = a.id;
  p.scopes = a.scopes;
  return p;
}

// --- Agents ----------------------------------------------------------------------------

Result<CreatedAgent> DirectoryImpl::CreateAgent(const std::string& owner_id, const std::string& name,
                                         std::optional<int> priority,
                                         std::vector<std::string> scopes) {
  if (scopes.empty()) scopes = AllAgentScopes();
  if (Status st = CheckNewAgent(name, priority, scopes); !st.ok()) return st;
  MutexLock lock(s_.mu);
  s_.RefreshIfStaleLocked();  // another daemon may have written since
  Calendar* cal = s_.FindCalendarLocked(owner_id);
  if (cal == nullptr) return Status::NotFound("no owner " + owner_id);
  int lowest = 0;
  for (const auto& [id, a] : s_.agents) {
    if (a.owner_id != owner_id) continue;
    if (a.name == name) return Status::AlreadyExists("an agent named \"" + name + "\" exists");
    lowest = std::max(lowest, a.priority);
  }
  const Time now = s_.clock.Now();
  CreatedAgent created;
  created.plaintext_key = "avs_live_" + NewId("", 32);
  AgentRecord& a = created.agent.record;
  a.id = NewId("agt_");
  a.owner_id = owner_id;
  a.name = name;
  a.priority = priority.value_or(std::min(lowest + 1, kMaxPriority));
  a.rank_order = s_.next_rank_order;
  a.scopes = scopes;
  a.key_prefix = created.plaintext_key.substr(0, 13);
  a.key_hash = s_.KeyedHash(created.plaintext_key);
  a.created_at = FromMicros(ToMicros(now) / 1000 * 1000);

  const int64_t seq_before = s_.chain.head_seq();
  const std::string hash_before = s_.chain.head_hash();
  store::Decision d;
  d.agents.push_back(a);
  d.audit.push_back(s_.chain.Append(now, owner_id, owner_id, a.id, "agent.created", a.id,
                                  {{"agent_id", a.id}, {"name", name}, {"priority", a.priority},
                                   {"scopes", scopes}}));
  Status s = s_.ApplySyncLocked(std::move(d));
  if (!s.ok()) {
    s_.chain.Reset(seq_before, hash_before);
    if (s.code() == StatusCode::kConflict) {
      return Status::AlreadyExists("an agent named \"" + name + "\" exists");
    }
    return Status::Unavailable("could not record the agent: " + s.message());
  }
  ++s_.next_rank_order;
  s_.agents[a.id] = a;
  s_.agent_by_key_hash[a.key_hash] = a.id;
  created.agent.rank = s_.RankOfLocked(a);
  return created;
}

std::vector<AgentView> DirectoryImpl::ListAgents(const std::string& owner_id) {
  MutexLock lock(s_.mu);
  std::vector<AgentView> out;
  for (const auto& [id, a] : s_.agents) {
    if (a.owner_id == owner_id) out.push_back({a, 0});
  }
  std::sort(out.begin(), out.end(), [this](const AgentView& x, const AgentView& y) {
    return s_.Outranks(x.record, y.record);
  });
  for (size_t i = 0; i < out.size(); ++i) out[i].rank = static_cast<int>(i) + 1;
  return out;
}

Result<AgentView> DirectoryImpl::GetAgent(const std::string& agent_id) {
  MutexLock lock(s_.mu);
  auto it = s_.agents.find(agent_id);
  if (it == s_.agents.end()) return Status::NotFound("no agent " + agent_id);
  return AgentView{it->second, s_.RankOfLocked(it->second)};
}

namespace {
int64_t Millis(Duration d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); }
int64_t Seconds(Duration d) { return std::chrono::duration_cast<std::chrono::seconds>(d).count(); }
}  // namespace

Result<std::string> DirectoryImpl::LocalOwner() {
  MutexLock lock(s_.mu);
  auto oldest_owner = [this]() -> const Calendar* {
    s_.mu.AssertHeld();  // called below, under the lock
    const Calendar* oldest = nullptr;
    for (const auto& [id, cal] : s_.calendars) {
      if (cal->owner.dev) continue;  // made by the dev sign-in: never the socket's
      if (oldest == nullptr || cal->owner.created_at < oldest->owner.created_at ||
          (cal->owner.created_at == oldest->owner.created_at && id < oldest->owner.id)) {
        oldest = cal.get();
      }
    }
    return oldest;
  };
  const Calendar* oldest = oldest_owner();
  if (oldest == nullptr) {
    // An owner may have signed in at another daemon moments ago: that one is the socket's,
    // never a second owner made here on a stale view.
    s_.RefreshIfStaleLocked();
    oldest = oldest_owner();
  }
  if (oldest != nullptr) return oldest->owner.id;
  const Time now = s_.clock.Now();
  store::OwnerRecord owner;
  owner.id = NewId("usr_");
  owner.email = kLocalOwnerEmail;
  owner.created_at = FromMicros(ToMicros(now) / 1000 * 1000);
  const int64_t seq_before = s_.chain.head_seq();
  const std::string hash_before = s_.chain.head_hash();
  store::Decision d;
  d.owners.push_back(owner);
  d.audit.push_back(s_.chain.Append(now, owner.id, owner.id, "", "owner.created", owner.id,
                                  {{"email", owner.email}, {"via", "socket"}}));
  if (Status s = s_.ApplyAdminLocked(std::move(d), seq_before, hash_before); !s.ok()) return s;
  s_.AddCalendarLocked(owner);
  return owner.id;
}

Result<Principal> DirectoryImpl::ActAs(const Principal& owner, const std::string& agent_ref) {
  MutexLock lock(s_.mu);
  const AgentRecord* a = s_.FindAgentCatchingUpLocked(owner.owner_id, agent_ref);
  if (a == nullptr) return Status::NotFound("no agent \"" + agent_ref + "\" on this calendar");
  Principal p;
  p.kind = Principal::Kind::kAgent;
  p.owner_id = a->owner_id;
  p.agent_id = a->id;
  p.scopes = AllAgentScopes();
  p.acted_by = owner.owner_id;
  return p;
}

Result<AgentView> DirectoryImpl::FindAgent(const std::string& owner_id, const std::string& agent_ref) {
  MutexLock lock(s_.mu);
  const AgentRecord* a = s_.FindAgentCatchingUpLocked(owner_id, agent_ref);
  if (a == nullptr) return Status::NotFound("no agent \"" + agent_ref + "\" on this calendar");
  return AgentView{*a, s_.RankOfLocked(*a)};
}

Result<AgentView> DirectoryImpl::UpdateAgent(const std::string& owner_id, const std::string& agent_ref,
                                      const AgentUpdate& update) {
  if (update.priority && (*update.priority < 1 || *update.priority > kMaxPriority)) {
    return Status::InvalidArgument("priority must be between 1 (highest) and 1000000");
  }
  if (update.scopes) {
    for (const std::string& s : *update.scopes) {
      if (std::find(AllAgentScopes().begin(), AllAgentScopes().end(), s) == AllAgentScopes().end()) {
        return Status::InvalidArgument("unknown scope \"" + s + "\"");
      }
    }
  }
  MutexLock lock(s_.mu);
  s_.RefreshIfStaleLocked();  // another daemon may have written since
  AgentRecord* a = s_.FindAgentLocked(owner_id, agent_ref);
  if (a == nullptr) return Status::NotFound("no agent \"" + agent_ref + "\" on this calendar");
  AgentRecord changed = *a;
  nlohmann::json payload = {{"agent_id", a->id}};
  if (update.priority) {
    payload["priority"] = {{"from", a->priority}, {"to", *update.priority}};
    changed.priority = *update.priority;
  }
  if (update.scopes) {
    std::vector<std::string> scopes = update.scopes->empty() ? AllAgentScopes() : *update.scopes;
    payload["scopes"] = {{"from", a->scopes}, {"to", scopes}};
    changed.scopes = std::move(scopes);
  }
  const int64_t seq_before = s_.chain.head_seq();
  const std::string hash_before = s_.chain.head_hash();
  store::Decision d;
  d.agents.push_back(changed);
  d.audit.push_back(s_.chain.Append(s_.clock.Now(), owner_id, owner_id, a->id, "agent.updated", a->id,
                                  payload));
  if (Status s = s_.ApplyAdminLocked(std::move(d), seq_before, hash_before); !s.ok()) return s;
  *a = changed;
  return AgentView{*a, s_.RankOfLocked(*a)};
}

Result<std::vector<AgentView>> DirectoryImpl::SetRankOrder(const std::string& owner_id,
                                                    const std::vector<std::string>& agent_refs) {
  std::vector<AgentView> result;
  {
    MutexLock lock(s_.mu);
    s_.RefreshIfStaleLocked();  // another daemon may have written since
    if (s_.FindCalendarLocked(owner_id) == nullptr) return Status::NotFound("no owner " + owner_id);
    std::vector<AgentRecord*> order;
    std::unordered_set<std::string> seen;
    for (const std::string& ref : agent_refs) {
      AgentRecord* a = s_.FindAgentLocked(owner_id, ref);
      if (a == nullptr) return Status::InvalidArgument("no agent \"" + ref + "\" on this calendar");
      if (a->revoked_at) {
        return Status::InvalidArgument("agent \"" + a->name + "\" is revoked; leave it out");
      }
      if (!seen.insert(a->id).second) {
        return Status::InvalidArgument("agent \"" + a->name + "\" is named twice");
      }
      order.push_back(a);
    }
    std::vector<AgentRecord*> revoked;
    for (auto& [id, a] : s_.agents) {
      if (a.owner_id != owner_id || seen.count(id)) continue;
      if (!a.revoked_at) {
        return Status::InvalidArgument("the order must name every active agent; \"" + a.name +
                                       "\" is missing");
      }
      revoked.push_back(&a);
    }
    std::sort(revoked.begin(), revoked.end(),
              [this](const AgentRecord* x, const AgentRecord* y) { return s_.Outranks(*x, *y); });
    order.insert(order.end(), revoked.begin(), revoked.end());

    std::vector<AgentRecord> changed;
    nlohmann::json names = nlohmann::json::array();
    for (size_t i = 0; i < order.size(); ++i) {
      AgentRecord a = *order[i];
      a.priority = std::min(static_cast<int>(i) + 1, kMaxPriority);
      a.rank_order = s_.next_rank_order + static_cast<int64_t>(i);
      changed.push_back(a);
      names.push_back({{"agent_id", a.id}, {"name", a.name}, {"priority", a.priority}});
    }
    const int64_t seq_before = s_.chain.head_seq();
    const std::string hash_before = s_.chain.head_hash();
    store::Decision d;
    d.agents = changed;
    d.audit.push_back(s_.chain.Append(s_.clock.Now(), owner_id, owner_id, "", "agent.ranked", owner_id,
                                    {{"order", names}}));
    if (Status s = s_.ApplyAdminLocked(std::move(d), seq_before, hash_before); !s.ok()) return s;
    s_.next_rank_order += static_cast<int64_t>(order.size());
    for (const AgentRecord& a : changed) s_.agents[a.id] = a;
  }
  return ListAgents(owner_id);
}

Result<CreatedAgent> DirectoryImpl::RotateKey(const std::string& owner_id, const std::string& agent_ref) {
  MutexLock lock(s_.mu);
  s_.RefreshIfStaleLocked();  // another daemon may have written since
  AgentRecord* a = s_.FindAgentLocked(owner_id, agent_ref);
  if (a == nullptr) return Status::NotFound("no agent \"" + agent_ref + "\" on this calendar");
  CreatedAgent out;
  out.plaintext_key = "avs_live_" + NewId("", 32);
  AgentRecord changed = *a;
  changed.key_prefix = out.plaintext_key.substr(0, 13);
  changed.key_hash = s_.KeyedHash(out.plaintext_key);
  const bool was_revoked = changed.revoked_at.has_value();
  changed.revoked_at.reset();
  const int64_t seq_before = s_.chain.head_seq();
  const std::string hash_before = s_.chain.head_hash();
  store::Decision d;
  d.agents.push_back(changed);
  d.audit.push_back(s_.chain.Append(s_.clock.Now(), owner_id, owner_id, a->id, "agent.key_rotated",
                                  a->id,
                                  {{"agent_id", a->id}, {"key_prefix", changed.key_prefix},
                                   {"was_revoked", was_revoked}}));
  if (Status s = s_.ApplyAdminLocked(std::move(d), seq_before, hash_before); !s.ok()) return s;
  s_.agent_by_key_hash.erase(a->key_hash);
  *a = changed;
  s_.agent_by_key_hash[a->key_hash] = a->id;
  out.agent = AgentView{*a, s_.RankOfLocked(*a)};
  return out;
}

Result<AgentView> DirectoryImpl::RevokeKey(const std::string& owner_id, const std::string& agent_ref) {
  MutexLock lock(s_.mu);
  s_.RefreshIfStaleLocked();  // another daemon may have written since
  AgentRecord* a = s_.FindAgentLocked(owner_id, agent_ref);
  if (a == nullptr) return Status::NotFound("no agent \"" + agent_ref + "\" on this calendar");
  if (a->revoked_at) return AgentView{*a, s_.RankOfLocked(*a)};
  const Time now = s_.clock.Now();
  AgentRecord changed = *a;
  changed.revoked_at = FromMicros(ToMicros(now) / 1000 * 1000);
  const int64_t seq_before = s_.chain.head_seq();
  const std::string hash_before = s_.chain.head_hash();
  store::Decision d;
  d.agents.push_back(changed);
  d.audit.push_back(s_.chain.Append(now, owner_id, owner_id, a->id, "agent.key_revoked", a->id,
                                  {{"agent_id", a->id}, {"key_prefix", a->key_prefix}}));
  if (Status s = s_.ApplyAdminLocked(std::move(d), seq_before, hash_before); !s.ok()) return s;
  s_.agent_by_key_hash.erase(a->key_hash);  // refused from the next request on
  *a = changed;
  return AgentView{*a, s_.RankOfLocked(*a)};
}

SettingsView DirectoryImpl::SettingsViewLocked(const Calendar& cal) const {
  const store::OwnerSettings& s = cal.owner.settings;
  SettingsView v;
  v.owner_id = cal.owner.id;
  v.tie_window = s_.TieWindow(cal);
  v.bump_window = s_.BumpWindow(cal);
  v.hold_ttl = s_.HoldTtl(cal);
  v.max_holds_per_agent = s_.MaxHolds(cal);
  v.max_active_claims_per_agent = s_.MaxActiveClaims(cal);
  v.max_metadata_bytes_per_agent = s_.MaxMetadataBytes(cal);
  v.timezone = s.timezone.value_or("UTC");
  if (s.tie_window) v.explicit_fields.push_back("tie_window_ms");
  if (s.bump_window) v.explicit_fields.push_back("bump_window_seconds");
  if (s.hold_ttl) v.explicit_fields.push_back("hold_ttl_seconds");
  if (s.max_holds_per_agent) v.explicit_fields.push_back("max_holds_per_agent");
  if (s.timezone) v.explicit_fields.push_back("timezone");
  if (s.max_active_claims_per_agent) v.explicit_fields.push_back("max_active_claims_per_agent");
  if (s.max_metadata_bytes_per_agent) v.explicit_fields.push_back("max_metadata_bytes_per_agent");
  return v;
}

Result<SettingsView> DirectoryImpl::GetSettings(const std::string& owner_id) {
  MutexLock lock(s_.mu);
  const Calendar* cal = s_.FindCalendarLocked(owner_id);
  if (cal == nullptr) return Status::NotFound("no owner " + owner_id);
  return SettingsViewLocked(*cal);
}

namespace {
// The quota fields of `u` inside their ranges (engine.h), else InvalidArgument naming the field.
Status CheckQuotaSettings(const SettingsUpdate& u) {
  if (u.max_active_claims_per_agent &&
      (*u.max_active_claims_per_agent < 1 || *u.max_active_claims_per_agent > kMaxActiveClaimsSetting)) {
    return Status::InvalidArgument("max_active_claims_per_agent must be from 1 to " +
                                   std::to_string(kMaxActiveClaimsSetting));
  }
  if (u.max_metadata_bytes_per_agent &&
      (*u.max_metadata_bytes_per_agent < 0 || *u.max_metadata_bytes_per_agent > kMaxMetadataBytesSetting)) {
    return Status::InvalidArgument("max_metadata_bytes_per_agent must be from 0 to " +
                                   std::to_string(kMaxMetadataBytesSetting));
  }
  return Status::Ok();
}

// The ranges of the settings an owner may choose (quotas: CheckQuotaSettings).
Status CheckSettingsUpdate(const SettingsUpdate& u) {
  using namespace std::chrono_literals;
  if (u.tie_window && (*u.tie_window < 0s || *u.tie_window > 5s)) {
    return Status::InvalidArgument("tie_window_ms must be from 0 to 5000");
  }
  if (u.bump_window && (*u.bump_window < 0s || *u.bump_window > 24h)) {
    return Status::InvalidArgument("bump_window_seconds must be from 0 to 86400");
  }
  if (u.hold_ttl && (*u.hold_ttl < 1s || *u.hold_ttl > 24h)) {
    return Status::InvalidArgument("hold_ttl_seconds must be from 1 to 86400");
  }
  if (u.max_holds_per_agent && (*u.max_holds_per_agent < 1 || *u.max_holds_per_agent > 10000)) {
    return Status::InvalidArgument("max_holds_per_agent must be from 1 to 10000");
  }
  if (Status st = CheckQuotaSettings(u); !st.ok()) return st;
  if (u.timezone && !IsKnownTimeZone(*u.timezone)) {
    return Status::InvalidArgument("unknown time zone \"" + *u.timezone +
                                   "\" (an IANA name such as Europe/Berlin)");
  }
  return Status::Ok();
}

// `u` applied to `s`: resets first, then the values it sets.
Status ApplySettingsUpdate(const SettingsUpdate& u, store::OwnerSettings& s) {
  for (const std::string& field : u.reset) {
    if (field == "tie_window_ms") s.tie_window.reset();
    else if (field == "bump_window_seconds") s.bump_window.reset();
    else if (field == "hold_ttl_seconds") s.hold_ttl.reset();
    else if (field == "max_holds_per_agent") s.max_holds_per_agent.reset();
    else if (field == "timezone") s.timezone.reset();
    else if (field == "max_active_claims_per_agent") s.max_active_claims_per_agent.reset();
    else if (field == "max_metadata_bytes_per_agent") s.max_metadata_bytes_per_agent.reset();
    else return Status::InvalidArgument("unknown setting \"" + field + "\"");
  }
  if (u.tie_window) s.tie_window = *u.tie_window;
  if (u.bump_window) s.bump_window = *u.bump_window;
  if (u.hold_ttl) s.hold_ttl = *u.hold_ttl;
  if (u.max_holds_per_agent) s.max_holds_per_agent = *u.max_holds_per_agent;
  if (u.timezone) s.timezone = *u.timezone;
  if (u.max_active_claims_per_agent) s.max_active_claims_per_agent = *u.max_active_claims_per_agent;
  if (u.max_metadata_bytes_per_agent) s.max_metadata_bytes_per_agent = *u.max_metadata_bytes_per_agent;

  return Status::Ok();
}

// The settings.updated audit row's "changes": {field: {from, to}} for each that differs.
nlohmann::json SettingsChanges(const SettingsView& before, const SettingsView& after) {
  nlohmann::json changes = nlohmann::json::object();
  auto note = [&](const char* name, const nlohmann::json& from, const nlohmann::json& to) {
    if (from != to) changes[name] = {{"from", from}, {"to", to}};
  };
  note("tie_window_ms", Millis(before.tie_window), Millis(after.tie_window));
  note("bump_window_seconds", Seconds(before.bump_window), Seconds(after.bump_window));
  note("hold_ttl_seconds", Seconds(before.hold_ttl), Seconds(after.hold_ttl));
  note("max_holds_per_agent", before.max_holds_per_agent, after.max_holds_per_agent);
  note("timezone", before.timezone, after.timezone);
  note("max_active_claims_per_agent", before.max_active_claims_per_agent, after.max_active_claims_per_agent);
  note("max_metadata_bytes_per_agent", before.max_metadata_bytes_per_agent, after.max_metadata_bytes_per_agent);
  return changes;
}
}  // namespace

Result<SettingsView> DirectoryImpl::UpdateSettings(const std::string& owner_id,
                                            const SettingsUpdate& u) {
  if (Status st = CheckSettingsUpdate(u); !st.ok()) return st;
  MutexLock lock(s_.mu);
  s_.RefreshIfStaleLocked();  // another daemon may have written since
  Calendar* cal = s_.FindCalendarLocked(owner_id);
  if (cal == nullptr) return Status::NotFound("no owner " + owner_id);
  const SettingsView before = SettingsViewLocked(*cal);
  store::OwnerRecord owner = cal->owner;
  store::OwnerSettings& s = owner.settings;
  if (Status st = ApplySettingsUpdate(u, s); !st.ok()) return st;
  Calendar probe;
  probe.owner = owner;
  const SettingsView after = SettingsViewLocked(probe);
  const nlohmann::json changes = SettingsChanges(before, after);
  if (changes.empty() && before.explicit_fields == after.explicit_fields) return after;

  const int64_t seq_before = s_.chain.head_seq();
  const std::string hash_before = s_.chain.head_hash();
  store::Decision d;
  d.owners.push_back(owner);
  d.audit.push_back(s_.chain.Append(s_.clock.Now(), owner_id, owner_id, "", "settings.updated",
                                  owner_id, {{"changes", changes}}));
  if (Status st = s_.ApplyAdminLocked(std::move(d), seq_before, hash_before); !st.ok()) return st;
  cal->owner = owner;
  return after;
}

Result<StatusCounts> DirectoryImpl::Counts(const std::string& owner_id) {
  MutexLock lock(s_.mu);
  const Calendar* cal = s_.FindCalendarLocked(owner_id);
  if (cal == nullptr) return Status::NotFound("no owner " + owner_id);
  StatusCounts c;
  for (const auto& [id, a] : s_.agents) {
    if (a.owner_id != owner_id) continue;
    (a.revoked_at ? c.revoked_agents : c.agents)++;
  }
  const Time now = s_.clock.Now();
  for (const auto& [id, claim] : cal->active) {
    if (claim->kind == store::ClaimKind::kBooking) ++c.active_bookings;
    else if (claim->expires_at > now) ++c.active_holds;
  }
  c.pending_commits = static_cast<int>(cal->pending.size());
  c.audit_rows = s_.chain.head_seq();
  return c;
}

Status DirectoryImpl::RecordChange(const std::string& owner_id, const std::string& actor,
                            const std::string& kind, const std::string& resource,
                            const nlohmann::json& payload, store::Decision rows) {
  MutexLock lock(s_.mu);
  s_.RefreshIfStaleLocked();  // another daemon may have written since
  if (s_.FindCalendarLocked(owner_id) == nullptr) return Status::NotFound("no owner " + owner_id);
  const int64_t seq_before = s_.chain.head_seq();
  const std::string hash_before = s_.chain.head_hash();
  rows.audit.push_back(s_.chain.Append(s_.clock.Now(), owner_id, actor, "", kind, resource, payload));
  return s_.ApplyAdminLocked(std::move(rows), seq_before, hash_before);
}

}  // namespace agentdraft::engine
