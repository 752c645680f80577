// The directory's owner sessions: the dev-mode magic link, sign-in, sign-out, revocation.
#include <algorithm>

#include "common/ids.h"
#include "daemon/engine/directory_impl.h"

namespace agentdraft::engine {

namespace {
constexpr Duration kMagicTokenTtl = std::chrono::minutes(15);
constexpr Duration kSessionTtl = std::chrono::hours(24 * 30);
}  // namespace

std::string DirectoryImpl::IssueMagicToken(const std::string& email) {
  std::string token = NewId("mlt_", 32);
  MutexLock lock(s_.mu);
  const Time now = s_.clock.Now();
  std::erase_if(magic_tokens_, [&](const auto& kv) { return kv.second.expires_at <= now; });
  magic_tokens_[token] = {email, now + kMagicTokenTtl};
  return token;
}

Status DirectoryImpl::CheckMagicLinkEmail(const std::string& email) {
  MutexLock lock(s_.mu);
  s_.RefreshIfStaleLocked();  // the socket's owner may have been made at another daemon
  return CheckMagicLinkEmailLocked(email);
}

Status DirectoryImpl::CheckMagicLinkEmailLocked(const std::string& email) {
  auto known = s_.owner_by_email.find(email);
  const bool local = email == kLocalOwnerEmail ||
                     (known != s_.owner_by_email.end() && !s_.FindCalendarLocked(known->second)->owner.dev);
  if (!local) return Status::Ok();
  return Status::Forbidden(
      "the magic link cannot sign in to " + email +
      ": that owner administers this daemon over its Unix socket (`agentdraft` on this machine); "
      "sign in with another address");
}

Result<SessionGrant> DirectoryImpl::RedeemMagicToken(const std::string& token) {
  MutexLock lock(s_.mu);
  s_.RefreshIfStaleLocked();  // another daemon may have written since
  const Time now = s_.clock.Now();
  auto it = magic_tokens_.find(token);
  if (it == magic_tokens_.end() || it->second.expires_at <= now) {
    return Status::Unauthorized("unknown or expired token; ask for a new magic link");
  }
  const std::string email = it->second.email;
  magic_tokens_.erase(it);
  if (Status s = CheckMagicLinkEmailLocked(email); !s.ok()) return s;

  store::Decision d;
  const int64_t seq_before = s_.chain.head_seq();
  const std::string hash_before = s_.chain.head_hash();
  store::OwnerRecord owner;
  auto known = s_.owner_by_email.find(email);
  if (known != s_.owner_by_email.end()) {
    owner = s_.FindCalendarLocked(known->second)->owner;
  } else {
    owner.id = NewId("usr_");
    owner.email = email;
    owner.created_at = FromMicros(ToMicros(now) / 1000 * 1000);
    owner.dev = true;
    d.owners.push_back(owner);
    d.audit.push_back(s_.chain.Append(now, owner.id, owner.id, "", "owner.created", owner.id,
                                    {{"email", email}, {"via", "dev sign-in"}}));
  }
  SessionGrant grant{NewId("ads_", 40), owner};
  // Later than a "sign out everywhere" made in the same microsecond.
  Time created_at = now;
  if (owner.sessions_revoked_at) created_at = std::max(now, *owner.sessions_revoked_at + Duration(1));
  store::SessionRecord session{s_.KeyedHash(grant.cookie_value), owner.id, created_at,
                               created_at + kSessionTtl, /*dev=*/true};
  d.sessions.push_back(session);
  Status s = s_.ApplySyncLocked(std::move(d));
  if (!s.ok()) {
    s_.chain.Reset(seq_before, hash_before);
    return Status::Unavailable("could not record the session: " + s.message());
  }
  if (known == s_.owner_by_email.end()) s_.AddCalendarLocked(owner);
  if (!s_.store.Shared()) s_.session_by_hash[session.token_hash] = session;
  return grant;
}

Status DirectoryImpl::CheckSessionLocked(const store::SessionRecord& s) {
  if (s.expires_at <= s_.clock.Now()) {
    return Status::Unauthorized("the session has expired; sign in again");
  }
  if (s.dev && !s_.options.dev_mode) {
    return Status::Unauthorized(
        "the session was made by the dev-mode sign-in and agentdraftd now runs without --dev");
  }
  const Calendar* cal = s_.FindCalendarLocked(s.owner_id);
  if (cal == nullptr) return Status::Unauthorized("unknown session; sign in again");
  if (cal->owner.sessions_revoked_at && s.created_at <= *cal->owner.sessions_revoked_at) {
    return Status::Unauthorized("the session was revoked; sign in again");
  }
  return Status::Ok();
}

Result<Principal> DirectoryImpl::AuthenticateSession(std::string_view cookie_value) {
  const std::string hash = s_.KeyedHash(cookie_value);
  std::optional<store::SessionRecord> session;
  {
    MutexLock lock(s_.mu);
    auto it = s_.session_by_hash.find(hash);
    if (it != s_.session_by_hash.end()) session = it->second;
  }
  if (!session) {
    auto stored = s_.store.GetSession(hash);
    if (!stored.ok()) return stored.status();
    if (!stored->has_value()) return Status::Unauthorized("unknown or ended session; sign in again");
    session = std::move(**stored);
  }
  MutexLock lock(s_.mu);
  s_.RefreshIfStaleLocked();  // a revocation at another daemon
  if (Status s = CheckSessionLocked(*session); !s.ok()) {
    s_.session_by_hash.erase(hash);
    return s;
  }
  if (!s_.store.Shared()) s_.session_by_hash[hash] = *session;
  return Principal::Owner(session->owner_id);
}

Status DirectoryImpl::EndSession(std::string_view cookie_value) {
  const std::string hash = s_.KeyedHash(cookie_value);
  MutexLock lock(s_.mu);
  store::Decision d;
  d.ended_sessions.push_back(hash);
  if (Status s = s_.ApplySyncLocked(std::move(d)); !s.ok()) {
    return Status::Unavailable("could not end the session: " + s.message());
  }
  s_.session_by_hash.erase(hash);
  return Status::Ok();
}

Result<int> DirectoryImpl::RevokeSessions(const std::string& owner_id) {
  MutexLock lock(s_.mu);
  s_.RefreshIfStaleLocked();  // another daemon may have written since
  if (!owner_id.empty() && s_.FindCalendarLocked(owner_id) == nullptr) {
    return Status::NotFound("no owner " + owner_id);
  }
  const Time now = s_.clock.Now();
  const int64_t seq_before = s_.chain.head_seq();
  const std::string hash_before = s_.chain.head_hash();
  store::Decision d;
  for (const auto& [id, cal] : s_.calendars) {
    if (!owner_id.empty() && id != owner_id) continue;
    store::OwnerRecord owner = cal->owner;
    owner.sessions_revoked_at = now;
    d.owners.push_back(owner);
    d.audit.push_back(s_.chain.Append(now, id, id, "", "sessions.revoked", id, nlohmann::json::object()));
  }
  const std::vector<store::OwnerRecord> changed = d.owners;
  if (changed.empty()) return 0;
  if (Status s = s_.ApplyAdminLocked(std::move(d), seq_before, hash_before); !s.ok()) return s;
  for (const store::OwnerRecord& o : changed) s_.calendars.at(o.id)->owner = o;
  std::erase_if(s_.session_by_hash, [&](const auto& kv) {
    return std::any_of(changed.begin(), changed.end(),
                       [&](const store::OwnerRecord& o) { return o.id == kv.second.owner_id; });
  });
  return static_cast<int>(changed.size());
}

}  // namespace agentdraft::engine
