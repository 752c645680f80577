// The engine's owners, agents, keys and sessions; loading state; the timer thread.
#include <sodium.h>

#include <algorithm>
#include <regex>

#include <spdlog/spdlog.h>

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
constexpr Duration kMagicTokenTtl = std::chrono::minutes(15);
constexpr Duration kSessionTtl = std::chrono::hours(24 * 30);
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
    cal->active[c.id] = std::move(claim);
  }
  for (auto& [id, list] : waiting) {
    if (Calendar* cal = FindCalendar(id)) cal->pending = std::move(list);
  }
  chain_.Reset(loaded->audit_head_seq, loaded->audit_head_hash);
  spdlog::info("loaded {} owner(s), {} agent(s), {} active claim(s), audit head {}",
               loaded->owners.size(), loaded->agents.size(), loaded->active_claims.size(),
               loaded->audit_head_seq);
  return Status::Ok();
}

void Engine::TimerLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  Time next_sweep = clock_.Now() + options_.sweep_interval;
  while (!stopping_) {
    if (reload_needed_.exchange(false)) {
      store_.Flush();  // store callbacks never take mu_, so this cannot deadlock
      Status s = LoadLocked();
      if (!s.ok()) spdlog::error("reloading state failed: {}", s.ToString());
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

// --- Keys and sessions -----------------------------------------------------------------

std::string Engine::KeyedHash(std::string_view text) const {
  unsigned char key[crypto_generichash_KEYBYTES];
  crypto_generichash(key, sizeof key, reinterpret_cast<const unsigned char*>(options_.key_secret.data()),
                     options_.key_secret.size(), nullptr, 0);
  unsigned char out[32];
  crypto_generichash(out, sizeof out, reinterpret_cast<const unsigned char*>(text.data()),
                     text.size(), key, sizeof key);
  return ToHex(std::string_view(reinterpret_cast<const char*>(out), sizeof out));
}

std::string Engine::IssueMagicToken(const std::string& email) {
  std::string token = NewId("mlt_", 32);
  std::lock_guard<std::mutex> lock(mu_);
  const Time now = clock_.Now();
  std::erase_if(magic_tokens_, [&](const auto& kv) { return kv.second.expires_at <= now; });
  magic_tokens_[token] = {email, now + kMagicTokenTtl};
  return token;
}

Result<SessionGrant> Engine::RedeemMagicToken(const std::string& token) {
  std::lock_guard<std::mutex> lock(mu_);
  const Time now = clock_.Now();
  auto it = magic_tokens_.find(token);
  if (it == magic_tokens_.end() || it->second.expires_at <= now) {
    return Status::Unauthorized("unknown or expired token; ask for a new magic link");
  }
  const std::string email = it->second.email;
  magic_tokens_.erase(it);

  store::Decision d;
  const int64_t seq_before = chain_.head_seq();
  const std::string hash_before = chain_.head_hash();
  store::OwnerRecord owner;
  auto known = owner_by_email_.find(email);
  if (known != owner_by_email_.end()) {
    owner = FindCalendar(known->second)->owner;
  } else {
    owner.id = NewId("usr_");
    owner.email = email;
    owner.created_at = FromMicros(ToMicros(now) / 1000 * 1000);
    d.owners.push_back(owner);
    d.audit.push_back(chain_.Append(now, owner.id, owner.id, "", "owner.created", owner.id,
                                    {{"email", email}}));
  }
  SessionGrant grant{NewId("ads_", 40), owner};
  const std::string token_hash = KeyedHash(grant.cookie_value);
  d.sessions.push_back({token_hash, owner.id, now, now + kSessionTtl});
  Status s = store_.ApplySync(std::move(d));
  if (!s.ok()) {
    chain_.Reset(seq_before, hash_before);
    return Status::Unavailable("could not record the session: " + s.message());
  }
  if (known == owner_by_email_.end()) AddCalendarLocked(owner);
  owner_by_session_hash_[token_hash] = owner.id;
  return grant;
}

Result<Principal> Engine::AuthenticateKey(std::string_view api_key) {
  const std::string hash = KeyedHash(api_key);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = agent_by_key_hash_.find(hash);
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

Result<Principal> Engine::AuthenticateSession(std::string_view cookie_value) {
  const std::string hash = KeyedHash(cookie_value);
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = owner_by_session_hash_.find(hash);
    if (it != owner_by_session_hash_.end()) {
      return Principal{Principal::Kind::kOwner, it->second, "", {}};
    }
  }
  auto session = store_.GetSession(hash);
  if (!session.ok()) return session.status();
  if (!session->has_value() || (*session)->expires_at <= clock_.Now()) {
    return Status::Unauthorized("unknown or expired session; sign in again");
  }
  std::lock_guard<std::mutex> lock(mu_);
  owner_by_session_hash_[hash] = (*session)->owner_id;
  return Principal{Principal::Kind::kOwner, (*session)->owner_id, "", {}};
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
  Status s = store_.ApplySync(std::move(d));
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
