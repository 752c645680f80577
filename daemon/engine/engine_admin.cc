// The engine's owners, agents and keys; loading state; the timer thread. Sessions:
// engine_sessions.cc.
#include <sodium.h>

#include <algorithm>
#include <regex>

#include <spdlog/spdlog.h>

#include "common/friendly_time.h"
#include "common/ids.h"
#include "daemon/engine/engine.h"
#include "daemon/engine/engine_internal.h"

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
}  // namespace

// --- Start, stop, load -----------------------------------------------------------------

Status Engine::Start() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    Status s = LoadLocked();
    if (!s.ok()) return s;
    last_purge_ = clock_.Now();
  }
  if (options_.run_timer_thread) timer_ = std::thread([this] { TimerLoop(); });
  return Status::Ok();
}

void Engine::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !timer_.joinable()) return;
    stopping_ = true;
    Time next;
    while (RunDueLocked(/*force=*/true, &next)) {
    }
  }
  timer_cv_.notify_all();
  if (timer_.joinable()) timer_.join();
  store_.Flush();
  // Requests waiting to run again after a stale view: the daemon is stopping, so Commit and
  // Hold answer 503 without deciding.
  RunReplays();
  store_.Flush();
}

Engine::Calendar& Engine::AddCalendarLocked(const store::OwnerRecord& owner) {
  auto& slot = calendars_[owner.id];
  if (!slot) slot = std::make_unique<Calendar>();
  slot->owner = owner;
  owner_by_email_[owner.email] = owner.id;
  return *slot;
}

Status Engine::LoadLocked() {
  auto loaded = store_.Load();
  if (!loaded.ok()) return loaded.status();
  // Keep the commits that are waiting out their tie window: they have not been decided.
  std::unordered_map<std::string, std::list<Pending>> waiting;
  for (auto& [id, cal] : calendars_) waiting[id] = std::move(cal->pending);
  calendars_.clear();
  agents_.clear();
  agent_by_key_hash_.clear();
  owner_by_email_.clear();
  for (const store::OwnerRecord& o : loaded->owners) AddCalendarLocked(o);
  for (const AgentRecord& a : loaded->agents) {
    agents_[a.id] = a;
    if (!a.revoked_at) agent_by_key_hash_[a.key_hash] = a.id;
    next_rank_order_ = std::max(next_rank_order_, a.rank_order + 1);
  }
  for (const ClaimRecord& c : loaded->active_claims) {
    Calendar* cal = FindCalendar(c.owner_id);
    if (cal == nullptr) return Status::Internal("claim " + c.id + " of unknown owner " + c.owner_id);
    auto claim = std::make_unique<ClaimRecord>(c);
    const BucketRange range = BucketRange::Of(c.start, c.end);
    for (int64_t b = range.first; b < range.last; ++b) cal->occupancy[b] = claim.get();
    if (c.kind == store::ClaimKind::kHold) cal->holds_by_agent[c.agent_id].insert(c.id);
    CountUsage(*cal, c, +1);
    cal->active[c.id] = std::move(claim);
  }
  for (const store::CounterRecord& c : loaded->open_counters) {
    Calendar* cal = FindCalendar(c.owner_id);
    // A pending counter lives only as long as its booking is committed.
    if (cal != nullptr && cal->active.count(c.booking_id)) cal->open_counters[c.booking_id][c.id] = c;
  }
  for (const store::RuleRecord& r : loaded->rules) {
    Calendar* cal = FindCalendar(r.owner_id);
    if (cal == nullptr) return Status::Internal("rule " + r.id + " of unknown owner " + r.owner_id);
    auto rule = RuleFromRecord(r);
    if (!rule.ok()) return rule.status();
    cal->rule_records.push_back(r);
    cal->rules.push_back(std::move(*rule));
  }
  for (auto& [id, list] : waiting) {
    if (Calendar* cal = FindCalendar(id)) cal->pending = std::move(list);
  }
  chain_.Reset(loaded->audit_head_seq, loaded->audit_head_hash);
  // Commits waiting out their tie window that a claim they cannot beat now blocks (one
  // another daemon committed, say): waiting could not make them win, so settle them now.
  const Time now = clock_.Now();
  for (auto& [id, cal] : calendars_) {
    std::vector<uint64_t> blocked;
    for (const Pending& p : cal->pending) {
      auto agent = agents_.find(p.principal.agent_id);
      if (agent != agents_.end() && Evaluate(*cal, agent->second, p.range, /*is_hold=*/false, now).blocker) {
        blocked.push_back(p.id);
      }
    }
    for (uint64_t pid : blocked) {
      auto it = std::find_if(cal->pending.begin(), cal->pending.end(), [&](const Pending& p) { return p.id == pid; });
      if (it != cal->pending.end()) DecideNow(*cal, it);
    }
  }
  spdlog::log(store_.Shared() ? spdlog::level::debug : spdlog::level::info, "loaded {} owner(s), {} agent(s), {} active claim(s), audit head {}",
               loaded->owners.size(), loaded->agents.size(), loaded->active_claims.size(),
               loaded->audit_head_seq);
  return Status::Ok();
}

void Engine::TimerLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  Time next_sweep = clock_.Now() + options_.sweep_interval;
  while (!stopping_) {
    if (reload_needed_.exchange(false)) {
      ReloadLocked();
      last_refresh_ = clock_.Now();
      lock.unlock();
      RunReplays();
      lock.lock();
      continue;
    }
    // A shared store: pick up what other daemons wrote (agents, rules, bookings) even when
    // nothing here writes.
    if (store_.Shared() && clock_.Now() - last_refresh_ >= std::chrono::milliseconds(50)) {
      RefreshIfStaleLocked();
      last_refresh_ = clock_.Now();
    }
    Time next;
    while (RunDueLocked(/*force=*/false, &next)) {
    }
    Time now = clock_.Now();
    if (now >= next_sweep) {
      lock.unlock();
      SweepExpiredHolds();
      if (now - last_purge_ > std::chrono::hours(1)) {
        auto purged = store_.PurgeIdempotency(now - options_.idempotency_ttl);
        if (purged.ok() && *purged > 0) spdlog::info("purged {} idempotency records", *purged);
        last_purge_ = now;
      }
      lock.lock();
      next_sweep = now + options_.sweep_interval;
    }
    Time wake = std::min(next, next_sweep);
    Duration wait = std::clamp(wake - clock_.Now(), Duration(50), Duration(std::chrono::milliseconds(100)));
    timer_cv_.wait_for(lock, wait);
  }
}

// --- Keys -------------------------------------------------------------------------------

std::string Engine::KeyedHash(std::string_view text) const {
  unsigned char key[crypto_generichash_KEYBYTES];
  crypto_generichash(key, sizeof key, reinterpret_cast<const unsigned char*>(options_.key_secret.data()),
                     options_.key_secret.size(), nullptr, 0);
  unsigned char out[32];
  crypto_generichash(out, sizeof out, reinterpret_cast<const unsigned char*>(text.data()),
                     text.size(), key, sizeof key);
  return ToHex(std::string_view(reinterpret_cast<const char*>(out), sizeof out));
}

Result<Principal> Engine::AuthenticateKey(std::string_view api_key) {
  const std::string hash = KeyedHash(api_key);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = agent_by_key_hash_.find(hash);
  if (it == agent_by_key_hash_.end() && store_.Shared()) {
    RefreshIfStaleLocked();  // an agent created, or a key rotated, at another daemon
    it = agent_by_key_hash_.find(hash);
  }
  if (it == agent_by_key_hash_.end()) {
    return Status::Unauthorized("unknown or revoked API key");
  }
  const AgentRecord& a = agents_.at(it->second);
  Principal p;
  p.kind = Principal::Kind::kAgent;
  p.owner_id = a.owner_id;
  p.agent_id = a.id;
  p.scopes = a.scopes;
  return p;
}

// --- Agents ----------------------------------------------------------------------------

Result<CreatedAgent> Engine::CreateAgent(const std::string& owner_id, const std::string& name,
                                         std::optional<int> priority,
                                         std::vector<std::string> scopes) {
  static const std::regex kName("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  if (!std::regex_match(name, kName)) {
    return Status::InvalidArgument(
        "name must be 1–64 characters of letters, digits, '.', '_' or '-', starting with a "
        "letter or digit");
  }
  if (priority && (*priority < 1 || *priority > kMaxPriority)) {
    return Status::InvalidArgument("priority must be between 1 (highest) and 1000000");
  }
  if (scopes.empty()) scopes = AllAgentScopes();
  for (const std::string& s : scopes) {
    if (std::find(AllAgentScopes().begin(), AllAgentScopes().end(), s) == AllAgentScopes().end()) {
      return Status::InvalidArgument("unknown scope \"" + s + "\"");
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  RefreshIfStaleLocked();  // another daemon may have written since
  Calendar* cal = FindCalendar(owner_id);
  if (cal == nullptr) return Status::NotFound("no owner " + owner_id);
  int lowest = 0;
  for (const auto& [id, a] : agents_) {
    if (a.owner_id != owner_id) continue;
    if (a.name == name) return Status::AlreadyExists("an agent named \"" + name + "\" exists");
    lowest = std::max(lowest, a.priority);
  }
  const Time now = clock_.Now();
  CreatedAgent created;
  created.plaintext_key = "avs_live_" + NewId("", 32);
  AgentRecord& a = created.agent.record;
  a.id = NewId("agt_");
  a.owner_id = owner_id;
  a.name = name;
  a.priority = priority.value_or(std::min(lowest + 1, kMaxPriority));
  a.rank_order = next_rank_order_;
  a.scopes = scopes;
  a.key_prefix = created.plaintext_key.substr(0, 13);
  a.key_hash = KeyedHash(created.plaintext_key);
  a.created_at = FromMicros(ToMicros(now) / 1000 * 1000);

  const int64_t seq_before = chain_.head_seq();
  const std::string hash_before = chain_.head_hash();
  store::Decision d;
  d.agents.push_back(a);
  d.audit.push_back(chain_.Append(now, owner_id, owner_id, a.id, "agent.created", a.id,
                                  {{"agent_id", a.id}, {"name", name}, {"priority", a.priority},
                                   {"scopes", scopes}}));
  Status s = ApplySyncLocked(std::move(d));
  if (!s.ok()) {
    chain_.Reset(seq_before, hash_before);
    if (s.code() == StatusCode::kConflict) {
      return Status::AlreadyExists("an agent named \"" + name + "\" exists");
    }
    return Status::Unavailable("could not record the agent: " + s.message());
  }
  ++next_rank_order_;
  agents_[a.id] = a;
  agent_by_key_hash_[a.key_hash] = a.id;
  created.agent.rank = RankOf(a);
  return created;
}

std::vector<AgentView> Engine::ListAgents(const std::string& owner_id) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<AgentView> out;
  for (const auto& [id, a] : agents_) {
    if (a.owner_id == owner_id) out.push_back({a, 0});
  }
  std::sort(out.begin(), out.end(), [this](const AgentView& x, const AgentView& y) {
    return OutranksLocked(x.record, y.record);
  });
  for (size_t i = 0; i < out.size(); ++i) out[i].rank = static_cast<int>(i) + 1;
  return out;
}

Result<AgentView> Engine::GetAgent(const std::string& agent_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = agents_.find(agent_id);
  if (it == agents_.end()) return Status::NotFound("no agent " + agent_id);
  return AgentView{it->second, RankOf(it->second)};
}

}  // namespace agentdraft::engine

// --- The owner's administration --------------------------------------------------------

namespace agentdraft::engine {

namespace {
int64_t Millis(Duration d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); }
int64_t Seconds(Duration d) { return std::chrono::duration_cast<std::chrono::seconds>(d).count(); }
}  // namespace

Status Engine::ApplySyncLocked(store::Decision d) {
  if (hooks_.before_apply) hooks_.before_apply(d);
  std::vector<store::AuditRecord> audit;
  if (hooks_.after_durable) audit = d.audit;
  d.decided_at = clock_.Now();
  Status s = store_.ApplySync(std::move(d));
  if (s.code() == StatusCode::kConflict && store_.Shared()) {
    // Another daemon changed the store since our view: nothing of this change was written.
    // The timer thread catches up at once (after the caller has rewound its own changes),
    // so the caller's retry is decided on the fresh view.
    reload_needed_ = true;
    timer_cv_.notify_all();
    return Status::Unavailable("another agentdraftd changed this calendar at the same moment; nothing was "
                               "changed — retry");
  }
  // Still under mu_: no later decision can have been submitted, and every earlier one has been
  // answered (the store answers in order), so the rows reach the hook in seq order.
  if (s.ok() && !audit.empty()) hooks_.after_durable(audit);
  return s;
}

Status Engine::ApplyAdminLocked(store::Decision d, int64_t seq_before,
                                const std::string& hash_before) {
  Status s = ApplySyncLocked(std::move(d));
  if (!s.ok()) {
    chain_.Reset(seq_before, hash_before);
    return Status::Unavailable("could not record the change: " + s.message());
  }
  return s;
}

AgentRecord* Engine::FindAgentLocked(const std::string& owner_id, const std::string& agent_ref) {
  auto by_id = agents_.find(agent_ref);
  if (by_id != agents_.end()) return by_id->second.owner_id == owner_id ? &by_id->second : nullptr;
  for (auto& [id, a] : agents_) {
    if (a.owner_id == owner_id && a.name == agent_ref) return &a;
  }
  return nullptr;
}

AgentRecord* Engine::FindAgentCatchingUpLocked(const std::string& owner_id, const std::string& agent_ref) {
  AgentRecord* a = FindAgentLocked(owner_id, agent_ref);
  if (a == nullptr) {
    RefreshIfStaleLocked();  // made at another daemon moments ago
    a = FindAgentLocked(owner_id, agent_ref);
  }
  return a;
}

Result<std::string> Engine::LocalOwner() {
  std::lock_guard<std::mutex> lock(mu_);
  auto oldest_owner = [this]() -> const Calendar* {
    const Calendar* oldest = nullptr;
    for (const auto& [id, cal] : calendars_) {
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
    RefreshIfStaleLocked();
    oldest = oldest_owner();
  }
  if (oldest != nullptr) return oldest->owner.id;
  const Time now = clock_.Now();
  store::OwnerRecord owner;
  owner.id = NewId("usr_");
  owner.email = kLocalOwnerEmail;
  owner.created_at = FromMicros(ToMicros(now) / 1000 * 1000);
  const int64_t seq_before = chain_.head_seq();
  const std::string hash_before = chain_.head_hash();
  store::Decision d;
  d.owners.push_back(owner);
  d.audit.push_back(chain_.Append(now, owner.id, owner.id, "", "owner.created", owner.id,
                                  {{"email", owner.email}, {"via", "socket"}}));
  if (Status s = ApplyAdminLocked(std::move(d), seq_before, hash_before); !s.ok()) return s;
  AddCalendarLocked(owner);
  return owner.id;
}

Result<Principal> Engine::ActAs(const Principal& owner, const std::string& agent_ref) {
  std::lock_guard<std::mutex> lock(mu_);
  const AgentRecord* a = FindAgentCatchingUpLocked(owner.owner_id, agent_ref);
  if (a == nullptr) return Status::NotFound("no agent \"" + agent_ref + "\" on this calendar");
  Principal p;
  p.kind = Principal::Kind::kAgent;
  p.owner_id = a->owner_id;
  p.agent_id = a->id;
  p.scopes = AllAgentScopes();
  p.acted_by = owner.owner_id;
  return p;
}

Result<AgentView> Engine::FindAgent(const std::string& owner_id, const std::string& agent_ref) {
  std::lock_guard<std::mutex> lock(mu_);
  const AgentRecord* a = FindAgentCatchingUpLocked(owner_id, agent_ref);
  if (a == nullptr) return Status::NotFound("no agent \"" + agent_ref + "\" on this calendar");
  return AgentView{*a, RankOf(*a)};
}

Result<AgentView> Engine::UpdateAgent(const std::string& owner_id, const std::string& agent_ref,
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
  std::lock_guard<std::mutex> lock(mu_);
  RefreshIfStaleLocked();  // another daemon may have written since
  AgentRecord* a = FindAgentLocked(owner_id, agent_ref);
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
  const int64_t seq_before = chain_.head_seq();
  const std::string hash_before = chain_.head_hash();
  store::Decision d;
  d.agents.push_back(changed);
  d.audit.push_back(chain_.Append(clock_.Now(), owner_id, owner_id, a->id, "agent.updated", a->id,
                                  payload));
  if (Status s = ApplyAdminLocked(std::move(d), seq_before, hash_before); !s.ok()) return s;
  *a = changed;
  return AgentView{*a, RankOf(*a)};
}

Result<std::vector<AgentView>> Engine::SetRankOrder(const std::string& owner_id,
                                                    const std::vector<std::string>& agent_refs) {
  std::vector<AgentView> result;
  {
    std::lock_guard<std::mutex> lock(mu_);
    RefreshIfStaleLocked();  // another daemon may have written since
    if (FindCalendar(owner_id) == nullptr) return Status::NotFound("no owner " + owner_id);
    std::vector<AgentRecord*> order;
    std::unordered_set<std::string> seen;
    for (const std::string& ref : agent_refs) {
      AgentRecord* a = FindAgentLocked(owner_id, ref);
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
    for (auto& [id, a] : agents_) {
      if (a.owner_id != owner_id || seen.count(id)) continue;
      if (!a.revoked_at) {
        return Status::InvalidArgument("the order must name every active agent; \"" + a.name +
                                       "\" is missing");
      }
      revoked.push_back(&a);
    }
    std::sort(revoked.begin(), revoked.end(),
              [this](const AgentRecord* x, const AgentRecord* y) { return OutranksLocked(*x, *y); });
    order.insert(order.end(), revoked.begin(), revoked.end());

    std::vector<AgentRecord> changed;
    nlohmann::json names = nlohmann::json::array();
    for (size_t i = 0; i < order.size(); ++i) {
      AgentRecord a = *order[i];
      a.priority = std::min(static_cast<int>(i) + 1, kMaxPriority);
      a.rank_order = next_rank_order_ + static_cast<int64_t>(i);
      changed.push_back(a);
      names.push_back({{"agent_id", a.id}, {"name", a.name}, {"priority", a.priority}});
    }
    const int64_t seq_before = chain_.head_seq();
    const std::string hash_before = chain_.head_hash();
    store::Decision d;
    d.agents = changed;
    d.audit.push_back(chain_.Append(clock_.Now(), owner_id, owner_id, "", "agent.ranked", owner_id,
                                    {{"order", names}}));
    if (Status s = ApplyAdminLocked(std::move(d), seq_before, hash_before); !s.ok()) return s;
    next_rank_order_ += static_cast<int64_t>(order.size());
    for (const AgentRecord& a : changed) agents_[a.id] = a;
  }
  return ListAgents(owner_id);
}

Result<CreatedAgent> Engine::RotateKey(const std::string& owner_id, const std::string& agent_ref) {
  std::lock_guard<std::mutex> lock(mu_);
  RefreshIfStaleLocked();  // another daemon may have written since
  AgentRecord* a = FindAgentLocked(owner_id, agent_ref);
  if (a == nullptr) return Status::NotFound("no agent \"" + agent_ref + "\" on this calendar");
  CreatedAgent out;
  out.plaintext_key = "avs_live_" + NewId("", 32);
  AgentRecord changed = *a;
  changed.key_prefix = out.plaintext_key.substr(0, 13);
  changed.key_hash = KeyedHash(out.plaintext_key);
  const bool was_revoked = changed.revoked_at.has_value();
  changed.revoked_at.reset();
  const int64_t seq_before = chain_.head_seq();
  const std::string hash_before = chain_.head_hash();
  store::Decision d;
  d.agents.push_back(changed);
  d.audit.push_back(chain_.Append(clock_.Now(), owner_id, owner_id, a->id, "agent.key_rotated",
                                  a->id,
                                  {{"agent_id", a->id}, {"key_prefix", changed.key_prefix},
                                   {"was_revoked", was_revoked}}));
  if (Status s = ApplyAdminLocked(std::move(d), seq_before, hash_before); !s.ok()) return s;
  agent_by_key_hash_.erase(a->key_hash);
  *a = changed;
  agent_by_key_hash_[a->key_hash] = a->id;
  out.agent = AgentView{*a, RankOf(*a)};
  return out;
}

Result<AgentView> Engine::RevokeKey(const std::string& owner_id, const std::string& agent_ref) {
  std::lock_guard<std::mutex> lock(mu_);
  RefreshIfStaleLocked();  // another daemon may have written since
  AgentRecord* a = FindAgentLocked(owner_id, agent_ref);
  if (a == nullptr) return Status::NotFound("no agent \"" + agent_ref + "\" on this calendar");
  if (a->revoked_at) return AgentView{*a, RankOf(*a)};
  const Time now = clock_.Now();
  AgentRecord changed = *a;
  changed.revoked_at = FromMicros(ToMicros(now) / 1000 * 1000);
  const int64_t seq_before = chain_.head_seq();
  const std::string hash_before = chain_.head_hash();
  store::Decision d;
  d.agents.push_back(changed);
  d.audit.push_back(chain_.Append(now, owner_id, owner_id, a->id, "agent.key_revoked", a->id,
                                  {{"agent_id", a->id}, {"key_prefix", a->key_prefix}}));
  if (Status s = ApplyAdminLocked(std::move(d), seq_before, hash_before); !s.ok()) return s;
  agent_by_key_hash_.erase(a->key_hash);  // refused from the next request on
  *a = changed;
  return AgentView{*a, RankOf(*a)};
}

SettingsView Engine::SettingsViewLocked(const Calendar& cal) const {
  const store::OwnerSettings& s = cal.owner.settings;
  SettingsView v;
  v.owner_id = cal.owner.id;
  v.tie_window = TieWindow(cal);
  v.bump_window = BumpWindow(cal);
  v.hold_ttl = HoldTtl(cal);
  v.max_holds_per_agent = MaxHolds(cal);
  v.max_active_claims_per_agent = MaxActiveClaims(cal);
  v.max_metadata_bytes_per_agent = MaxMetadataBytes(cal);
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

Result<SettingsView> Engine::GetSettings(const std::string& owner_id) {
  std::lock_guard<std::mutex> lock(mu_);
  const Calendar* cal = FindCalendar(owner_id);
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
}  // namespace

Result<SettingsView> Engine::UpdateSettings(const std::string& owner_id,
                                            const SettingsUpdate& u) {
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
  std::lock_guard<std::mutex> lock(mu_);
  RefreshIfStaleLocked();  // another daemon may have written since
  Calendar* cal = FindCalendar(owner_id);
  if (cal == nullptr) return Status::NotFound("no owner " + owner_id);
  const SettingsView before = SettingsViewLocked(*cal);
  store::OwnerRecord owner = cal->owner;
  store::OwnerSettings& s = owner.settings;
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

  Calendar probe;
  probe.owner = owner;
  const SettingsView after = SettingsViewLocked(probe);
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
  if (changes.empty() && before.explicit_fields == after.explicit_fields) return after;

  const int64_t seq_before = chain_.head_seq();
  const std::string hash_before = chain_.head_hash();
  store::Decision d;
  d.owners.push_back(owner);
  d.audit.push_back(chain_.Append(clock_.Now(), owner_id, owner_id, "", "settings.updated",
                                  owner_id, {{"changes", changes}}));
  if (Status st = ApplyAdminLocked(std::move(d), seq_before, hash_before); !st.ok()) return st;
  cal->owner = owner;
  return after;
}

Result<StatusCounts> Engine::Counts(const std::string& owner_id) {
  std::lock_guard<std::mutex> lock(mu_);
  const Calendar* cal = FindCalendar(owner_id);
  if (cal == nullptr) return Status::NotFound("no owner " + owner_id);
  StatusCounts c;
  for (const auto& [id, a] : agents_) {
    if (a.owner_id != owner_id) continue;
    (a.revoked_at ? c.revoked_agents : c.agents)++;
  }
  const Time now = clock_.Now();
  for (const auto& [id, claim] : cal->active) {
    if (claim->kind == store::ClaimKind::kBooking) ++c.active_bookings;
    else if (claim->expires_at > now) ++c.active_holds;
  }
  c.pending_commits = static_cast<int>(cal->pending.size());
  c.audit_rows = chain_.head_seq();
  return c;
}

Status Engine::RecordChange(const std::string& owner_id, const std::string& actor,
                            const std::string& kind, const std::string& resource,
                            const nlohmann::json& payload, store::Decision rows) {
  std::lock_guard<std::mutex> lock(mu_);
  RefreshIfStaleLocked();  // another daemon may have written since
  if (FindCalendar(owner_id) == nullptr) return Status::NotFound("no owner " + owner_id);
  const int64_t seq_before = chain_.head_seq();
  const std::string hash_before = chain_.head_hash();
  rows.audit.push_back(chain_.Append(clock_.Now(), owner_id, actor, "", kind, resource, payload));
  return ApplyAdminLocked(std::move(rows), seq_before, hash_before);
}

}  // namespace agentdraft::engine
