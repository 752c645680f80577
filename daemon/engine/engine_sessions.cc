// The engine's owner sessions: the dev-mode magic link, sign-in, sign-out, revocation.
#include <algorithm>

#include "common/ids.h"
#include "daemon/engine/engine.h"
#include "daemon/engine/engine_internal.h"

namespace agentdraft::engine {

namespace {
constexpr Duration kMagicTokenTtl = std::chrono::minutes(15);
constexpr Duration kSessionTtl = std::chrono::hours(24 * 30);
}  // namespace

std::string Engine::IssueMagicToken(const std::string& email) {
  std::string token = NewId("mlt_", 32);
  std::lock_guard<std::mutex> lock(mu_);
  const Time now = clock_.Now();
  std::erase_if(magic_tokens_, [&](const auto& kv) { return kv.second.expires_at <= now; });
  magic_tokens_[token] = {email, now + kMagicTokenTtl};
  return token;
}

Status Engine::CheckMagicLinkEmail(const std::string& email) {
  std::lock_guard<std::mutex> lock(mu_);
  RefreshIfStaleLocked();  // the socket's owner may have been made at another daemon
  return CheckMagicLinkEmailLocked(email);
}

Status Engine::CheckMagicLinkEmailLocked(const std::string& email) {
  auto known = owner_by_email_.find(email);
  const bool local = email == kLocalOwnerEmail ||
                     (known != owner_by_email_.end() && !FindCalendar(known->second)->owner.dev);
  if (!local) return Status::Ok();
  return Status::Forbidden(
      "the magic link cannot sign in to " + email +
      ": that owner administers this daemon over its Unix socket (`agentdraft` on this machine); "
      "sign in with another address");
}

Result<SessionGrant> Engine::RedeemMagicToken(const std::string& token) {
  std::lock_guard<std::mutex> lock(mu_);
  RefreshIfStaleLocked();  // another daemon may have written since
  const Time now = clock_.Now();
  auto it = magic_tokens_.find(token);
  if (it == magic_tokens_.end() || it->second.expires_at <= now) {
    return Status::Unauthorized("unknown or expired token; ask for a new magic link");
  }
  const std::string email = it->second.email;
  magic_tokens_.erase(it);
  if (Status s = CheckMagicLinkEmailLocked(email); !s.ok()) return s;

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
    owner.dev = true;
    d.owners.push_back(owner);
    d.audit.push_back(chain_.Append(now, owner.id, owner.id, "", "owner.created", owner.id,
                                    {{"email", email}, {"via", "dev sign-in"}}));
  }
  SessionGrant grant{NewId("ads_", 40), owner};
  // Later than a "sign out everywhere" made in the same microsecond.
  Time created_at = now;
  if (owner.sessions_revoked_at) created_at = std::max(now, *owner.sessions_revoked_at + Duration(1));
  store::SessionRecord session{KeyedHash(grant.cookie_value), owner.id, created_at,
                               created_at + kSessionTtl, /*dev=*/true};
  d.sessions.push_back(session);
  Status s = ApplySyncLocked(std::move(d));
  if (!s.ok()) {
    chain_.Reset(seq_before, hash_before);
    return Status::Unavailable("could not record the session: " + s.message());
  }
  if (known == owner_by_email_.end()) AddCalendarLocked(owner);
  if (!store_.Shared()) session_by_hash_[session.token_hash] = session;
  return grant;
}

Status Engine::CheckSessionLocked(const store::SessionRecord& s) {
  if (s.expires_at <= clock_.Now()) {
    return Status::Unauthorized("the session has expired; sign in again");
  }
  if (s.dev && !options_.dev_mode) {
    return Status::Unauthorized(
        "the session was made by the dev-mode sign-in and agentdraftd now runs without --dev");
  }
  const Calendar* cal = FindCalendar(s.owner_id);
  if (cal == nullptr) return Status::Unauthorized("unknown session; sign in again");
  if (cal->owner.sessions_revoked_at && s.created_at <= *cal->owner.sessions_revoked_at) {
    return Status::Unauthorized("the session was revoked; sign in again");
  }
  return Status::Ok();
}

Result<Principal> Engine::AuthenticateSession(std::string_view cookie_value) {
  const std::string hash = KeyedHash(cookie_value);
  std::optional<store::SessionRecord> session;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = session_by_hash_.find(hash);
    if (it != session_by_hash_.end()) session = it->second;
  }
  if (!session) {
    auto stored = store_.GetSession(hash);
    if (!stored.ok()) return stored.status();
    if (!stored->has_value()) return Status::Unauthorized("unknown or ended session; sign in again");
    session = std::move(**stored);
  }
  std::lock_guard<std::mutex> lock(mu_);
  RefreshIfStaleLocked();  // a revocation at another daemon
  if (Status s = CheckSessionLocked(*session); !s.ok()) {
    session_by_hash_.erase(hash);
    return s;
  }
  if (!store_.Shared()) session_by_hash_[hash] = *session;
  return Principal::Owner(session->owner_id);
}

Status Engine::EndSession(std::string_view cookie_value) {
  const std::string hash = KeyedHash(cookie_value);
  std::lock_guard<std::mutex> lock(mu_);
  store::Decision d;
  d.ended_sessions.push_back(hash);
  if (Status s = ApplySyncLocked(std::move(d)); !s.ok()) {
    return Status::Unavailable("could not end the session: " + s.message());
  }
  session_by_hash_.erase(hash);
  return Status::Ok();
}

Result<int> Engine::RevokeSessions(const std::string& owner_id) {
  std::lock_guard<std::mutex> lock(mu_);
  RefreshIfStaleLocked();  // another daemon may have written since
  if (!owner_id.empty() && FindCalendar(owner_id) == nullptr) {
    return Status::NotFound("no owner " + owner_id);
  }
  const Time now = clock_.Now();
  const int64_t seq_before = chain_.head_seq();
  const std::string hash_before = chain_.head_hash();
  store::Decision d;
  for (const auto& [id, cal] : calendars_) {
    if (!owner_id.empty() && id != owner_id) continue;
    store::OwnerRecord owner = cal->owner;
    owner.sessions_revoked_at = now;
    d.owners.push_back(owner);
    d.audit.push_back(chain_.Append(now, id, id, "", "sessions.revoked", id, nlohmann::json::object()));
  }
  const std::vector<store::OwnerRecord> changed = d.owners;
  if (changed.empty()) return 0;
  if (Status s = ApplyAdminLocked(std::move(d), seq_before, hash_before); !s.ok()) return s;
  for (const store::OwnerRecord& o : changed) calendars_.at(o.id)->owner = o;
  std::erase_if(session_by_hash_, [&](const auto& kv) {
    return std::any_of(changed.begin(), changed.end(),
                       [&](const store::OwnerRecord& o) { return o.id == kv.second.owner_id; });
  });
  return static_cast<int>(changed.size());
}

}  // namespace agentdraft::engine
