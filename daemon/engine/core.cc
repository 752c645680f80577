// The engine's decisions: commit, hold, release, cancel, the tie window, expiry.
#include "daemon/engine/core.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "common/ids.h"
#include "daemon/engine/engine_state.h"
#include "daemon/engine/views.h"

namespace agentdraft::engine {

using store::ClaimKind;
using store::ClaimRecord;
using store::ClaimState;

std::string IdemMapKey(const std::string& agent_id, const std::string& key) {
  return agent_id + '\n' + key;
}

bool Principal::HasScope(std::string_view scope) const {
  if (is_owner()) return true;
  return std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
}

Outcome Outcome::Failure(ErrorCode code, std::string_view message, const nlohmann::json& extra) {
  return {HttpStatusOf(code), ErrorBody(NameOf(code), message, extra)};
}

Outcome Error(ErrorCode code, std::string_view message, const nlohmann::json& extra) {
  return Outcome::Failure(code, message, extra);
}

Outcome TooManyReplays() {
  return Error(ErrorCode::kUnavailable,
               "the calendar kept changing under this request (other daemons wrote first " +
                   std::to_string(kMaxReplays) + " times); nothing was written — retry");
}

namespace {

std::string Fingerprint(std::string_view op, const ClaimRequest& r) {
  nlohmann::json j = {{"op", op},
                      {"start", ToMicros(r.start)},
                      {"end", ToMicros(r.end)},
                      {"metadata", r.metadata},
                      {"title", r.title},
                      {"invitee", r.invitee},
                      {"hold_id", r.hold_id}};
  return Sha256Hex(j.dump());
}

// A new claim of `me`'s on `cal` for request `r`, made now (its kind's own fields unset).
std::unique_ptr<ClaimRecord> NewClaim(const Calendar& cal, const store::AgentRecord& me, const ClaimRequest& r,
                                      ClaimKind kind, Time now) {
  const bool hold = kind == ClaimKind::kHold;
  auto c = std::make_unique<ClaimRecord>();
  c->id = NewSortableId(hold ? "hld_" : "bkg_", ToMicros(now) / 1000);
  c->owner_id = cal.owner.id;
  c->agent_id = me.id;
  c->kind = kind;
  c->state = hold ? ClaimState::kHeld : ClaimState::kCommitted;
  c->start = r.start;
  c->end = r.end;
  c->created_at = FromMicros(ToMicros(now) / 1000 * 1000);
  c->metadata_json = r.metadata.dump();
  c->idempotency_key = r.idempotency_key;
  return c;
}

nlohmann::json IdList(const std::vector<ClaimRecord*>& claims) {
  nlohmann::json a = nlohmann::json::array();
  for (const ClaimRecord* c : claims) a.push_back(c->id);
  return a;
}

}  // namespace


bool Core::IdempotencyGate(const Principal& p, const ClaimRequest& r, const std::string& fingerprint,
                           Outcome* early) {
  if (r.idempotency_key.empty()) return true;
  auto stored = s_.store.GetIdempotency(p.agent_id, r.idempotency_key);  // before idem_mu_: may block
  if (!stored.ok()) {
    *early = Error(ErrorCode::kUnavailable, stored.status().message());
    return false;
  }
  const std::string map_key = IdemMapKey(p.agent_id, r.idempotency_key);
  const Time cutoff = s_.clock.Now() - s_.options.idempotency_ttl;
  MutexLock lock(idem_mu_);
  auto judge = [&](const std::string& fp, const store::IdempotencyRecord* rec) {
    if (fp != fingerprint) {
      *early = Error(ErrorCode::kIdempotencyMismatch,
                     "idempotency key \"" + r.idempotency_key +
                         "\" was already used with a different request; use a new key");
    } else if (rec == nullptr) {
      *early = Error(ErrorCode::kIdempotencyInFlight,
                     "a request with idempotency key \"" + r.idempotency_key +
                         "\" is still being decided; retry shortly");
    } else {
      *early = Outcome{rec->http_status, rec->response_body};
    }
    return false;
  };
  if (auto it = in_flight_.find(map_key); it != in_flight_.end()) return judge(it->second, nullptr);
  if (auto it = recent_.find(map_key); it != recent_.end() && it->second.created_at > cutoff) {
    return judge(it->second.fingerprint, &it->second);
  }
  if (*stored && (*stored)->created_at > cutoff) return judge((*stored)->fingerprint, &**stored);
  in_flight_[map_key] = fingerprint;
  return true;
}

void Core::FinishEarly(const Principal& p, const ClaimRequest& r) {
  if (r.idempotency_key.empty()) return;
  MutexLock lock(idem_mu_);
  in_flight_.erase(IdemMapKey(p.agent_id, r.idempotency_key));
}

// --- Recording a step ------------------------------------------------------------------

std::function<void(Done)> Core::RetryOf(const Principal& p, const ClaimRequest& r, bool is_hold) {
  return [this, p, r, is_hold](Done d) {
    ClaimRequest again = r;
    ++again.attempt;
    if (is_hold) Hold(p, std::move(again), std::move(d));
    else Commit(p, std::move(again), std::move(d));
  };
}

void Core::Answer(Txn& txn, Done done, Outcome outcome, const Principal& p,
                    const ClaimRequest& r, const std::string& fingerprint, bool is_hold,
                    std::function<void(Done)> retry) {
  Txn::Answer a{std::move(done), outcome, "", fingerprint, retry ? std::move(retry) : RetryOf(p, r, is_hold)};
  if (!r.idempotency_key.empty()) {
    a.idem_map_key = IdemMapKey(p.agent_id, r.idempotency_key);
    txn.decision.idempotency.push_back({p.agent_id, r.idempotency_key, fingerprint,
                                        outcome.status, outcome.body, s_.clock.Now()});
  }
  txn.answers.push_back(std::move(a));
}

void Core::BeginTxn(Txn& txn) {
  txn.chain_seq_before = s_.chain.head_seq();
  txn.chain_hash_before = s_.chain.head_hash();
}

void Core::Submit(Txn& txn) {
  if (txn.decision.audit.empty() && txn.decision.claims.empty() &&
      txn.decision.idempotency.empty()) {
    for (auto& a : txn.answers) a.done(std::move(a.outcome));
    return;
  }
  txn.decision.decided_at = s_.clock.Now();
  auto shared = std::make_shared<Txn>(std::move(txn));
  if (s_.hooks.before_apply) s_.hooks.before_apply(shared->decision);
  if (s_.hooks.after_durable) shared->audit = shared->decision.audit;
  store::Decision decision = std::move(shared->decision);
  s_.store.Apply(std::move(decision), [this, shared](Status s) { OnApplied(std::move(s), shared); });
}

void Core::OnApplied(Status status, std::shared_ptr<Txn> txn) {
  // Conflict: the view this step was decided on is stale (on a shared store, another daemon
  // wrote first). Reload, and run its requests again on the fresh view.
  const bool stale = status.code() == StatusCode::kConflict;
  if (!status.ok()) {
    if (stale && s_.store.Shared()) {
      spdlog::debug("store refused a decision made on a stale view ({}); reloading", status.message());
    } else {
      spdlog::error("store refused a decision ({}); reloading state from the store", status.ToString());
    }
    s_.reload_needed = true;
  }
  {
    MutexLock lock(idem_mu_);
    const Time now = s_.clock.Now();
    for (const auto& a : txn->answers) {
      if (a.idem_map_key.empty()) continue;
      in_flight_.erase(a.idem_map_key);
      if (!status.ok()) continue;
      const size_t nl = a.idem_map_key.find('\n');
      recent_[a.idem_map_key] = {a.idem_map_key.substr(0, nl), a.idem_map_key.substr(nl + 1),
                                 a.fingerprint, a.outcome.status, a.outcome.body, now};
      recent_order_.emplace_back(now, a.idem_map_key);
    }
    while (!recent_order_.empty() && recent_order_.front().first < now - 5min) {
      recent_.erase(recent_order_.front().second);
      recent_order_.pop_front();
    }
  }
  if (status.ok() && s_.hooks.after_durable && !txn->audit.empty()) s_.hooks.after_durable(txn->audit);
  bool replaying = false;
  for (auto& a : txn->answers) {
    if (status.ok()) {
      a.done(std::move(a.outcome));
    } else if (stale && a.retry) {
      MutexLock lock(replay_mu_);
      replays_.emplace_back(std::move(a.retry), std::move(a.done));
      replaying = true;
    } else {
      a.done(Error(ErrorCode::kUnavailable,
                   "the store could not record the decision (" + status.message() +
                       "); nothing was acknowledged — retry with the same idempotency key"));
    }
  }
  if (!status.ok() || replaying) s_.wake_timer.notify_all();
}

void Core::RunReplays() {
  std::vector<std::pair<std::function<void(Done)>, Done>> replays;
  {
    MutexLock lock(replay_mu_);
    replays.swap(replays_);
  }
  for (auto& [retry, done] : replays) retry(std::move(done));
}


void Core::InsertClaim(Calendar& cal, std::unique_ptr<ClaimRecord> claim, Txn& txn) {
  const BucketRange range = BucketRange::Of(claim->start, claim->end);
  for (int64_t b = range.first; b < range.last; ++b) cal.occupancy[b] = claim.get();
  if (claim->kind == ClaimKind::kHold) cal.holds_by_agent[claim->agent_id].insert(claim->id);
  s_.CountUsage(cal, *claim, +1);
  txn.decision.claims.push_back(*claim);
  cal.active[claim->id] = std::move(claim);
}

void Core::RemoveClaim(Calendar& cal, ClaimRecord* claim, ClaimState state, Time ended_at,
                         const std::string& ended_by, const BucketRange* keep, Txn& txn) {
  const BucketRange range = BucketRange::Of(claim->start, claim->end);
  for (int64_t b = range.first; b < range.last; ++b) {
    auto it = cal.occupancy.find(b);
    if (it == cal.occupancy.end() || it->second != claim) continue;
    if (keep == nullptr || !keep->Contains(b)) {
      txn.decision.buckets.push_back({cal.owner.id, b, claim->id, ""});
    }
    cal.occupancy.erase(it);
  }
  claim->state = state;
  claim->ended_at = ended_at;
  claim->ended_by = ended_by;
  txn.decision.claims.push_back(*claim);
  if (claim->kind == ClaimKind::kBooking) ExpireCountersLocked(cal, *claim, txn);
  if (claim->kind == ClaimKind::kHold) {
    auto it = cal.holds_by_agent.find(claim->agent_id);
    if (it != cal.holds_by_agent.end()) it->second.erase(claim->id);
  }
  s_.CountUsage(cal, *claim, -1);
  const std::string id = claim->id;  // erase's key must not live in the erased element
  cal.active.erase(id);               // destroys *claim
}

void Core::ExpireHold(Calendar& cal, ClaimRecord* hold, const BucketRange* keep, Txn& txn) {
  const Time expired_at = hold->expires_at;
  txn.decision.audit.push_back(s_.chain.Append(
      s_.clock.Now(), cal.owner.id, "system", hold->agent_id, "hold.expired", hold->id,
      {{"hold_id", hold->id}, {"agent_id", hold->agent_id}, {"expired_at", FormatRfc3339(expired_at)}}));
  RemoveClaim(cal, hold, ClaimState::kExpired, expired_at, "", keep, txn);
}

// --- Judging a claim against the calendar ----------------------------------------------

Verdict Core::Evaluate(Calendar& cal, const store::AgentRecord& me,
                                 const BucketRange& range, bool is_hold, Time now,
                                 const ClaimRecord* moving) {
  Verdict v;
  std::vector<const ClaimRecord*> seen;
  for (int64_t b = range.first; b < range.last; ++b) {
    auto it = cal.occupancy.find(b);
    if (it == cal.occupancy.end() || it->second == moving) continue;
    ClaimRecord* o = it->second;
    if (std::find(seen.begin(), seen.end(), o) != seen.end()) continue;
    seen.push_back(o);
    auto block = [&](const char* reason) {
      if (v.blocker == nullptr) {
        v.blocker = o;
        v.reason = reason;
      }
    };
    const store::AgentRecord& holder = s_.agents.at(o->agent_id);
    if (o->kind == ClaimKind::kHold) {
      if (now >= o->expires_at) {
        v.expired.push_back(o);
      } else if (o->agent_id == me.id) {
        if (is_hold) block("overlaps_own"); else v.convert.push_back(o);
      } else if (is_hold ? s_.Outranks(me, holder) : me.priority <= holder.priority) {
        v.displace.push_back(o);
      } else {
        block("held");
      }
    } else if (o->agent_id == me.id) {
      block("overlaps_own");
    } else if (!s_.Outranks(me, holder)) {
      block("outranked");
    } else if (is_hold) {
      block("booked");
    } else if (now < o->frozen_at) {
      v.evict.push_back(o);
    } else {
      block("frozen");
    }
  }
  return v;
}

namespace {
std::string ConflictMessage(const std::string& reason, const ClaimRecord& c,
                            const store::AgentRecord& holder, const store::AgentRecord& me) {
  const std::string who = holder.name + " (priority " + std::to_string(holder.priority) + ")";
  if (reason == "outranked") {
    return "slot taken: " + c.id + " of " + who + " outranks you (priority " +
           std::to_string(me.priority) + ")";
  }
  if (reason == "frozen") {
    return "slot taken: you outrank " + who + ", but its booking " + c.id +
           " froze at " + FormatRfc3339(c.frozen_at) + " when its bump window closed";
  }
  if (reason == "held") {
    return "slot held by " + who + " (" + c.id + ", until " + FormatRfc3339(c.expires_at) + ")";
  }
  if (reason == "booked") {
    return "slot booked by " + who + " (" + c.id +
           "); a hold never displaces a booking: commit to bump it inside its bump window";
  }
  return "your own " + std::string(c.kind == ClaimKind::kHold ? "hold " : "booking ") + c.id +
         " already covers part of this interval";
}

}  // namespace

nlohmann::json ActedBy(const Principal& p, nlohmann::json payload) {
  if (!p.acted_by.empty()) payload["acted_by"] = p.acted_by;
  return payload;
}

void Core::Reject(Calendar& cal, const Principal& p, const ClaimRequest& r, bool is_hold,
                    Time arrival, const Verdict& v, const std::string& fingerprint, Done done,
                    Txn& txn, std::function<void(Done)> retry) {
  const store::AgentRecord& me = s_.agents.at(p.agent_id);
  const ClaimRecord& c = *v.blocker;
  const store::AgentRecord& holder = s_.agents.at(c.agent_id);
  nlohmann::json payload = {{"agent_id", me.id},
                            {"priority", me.priority},
                            {"start", FormatRfc3339(r.start)},
                            {"end", FormatRfc3339(r.end)},
                            {"reason", v.reason},
                            {"arrived_at", FormatRfc3339Micros(arrival)},
                            {"winning_claim_id", c.id},
                            {"winning_agent_id", holder.id},
                            {"winning_agent_priority", holder.priority}};
  store::AuditRecord row = s_.chain.Append(s_.clock.Now(), cal.owner.id, me.id, me.id,
                                         is_hold ? "hold.rejected" : "booking.rejected", c.id,
                                         ActedBy(p, payload));
  nlohmann::json extra = {{"reason", v.reason},
                          {"winning_booking_id", c.id},
                          {"winning_agent_id", holder.id},
                          {"winning_agent_priority", holder.priority},
                          {"your_priority", me.priority},
                          {"audit_id", row.seq},
                          {"audit_hash", row.hash}};
  txn.decision.audit.push_back(std::move(row));
  Answer(txn, std::move(done), Error(ErrorCode::kOutranked, ConflictMessage(v.reason, c, holder, me), extra), p, r,
         fingerprint, is_hold, std::move(retry));
}

// --- Commit ----------------------------------------------------------------------------

std::optional<Outcome> Core::NamedHoldProblemLocked(Calendar* cal, const Principal& p,
                                                      const ClaimRequest& r, Time now) {
  if (r.hold_id.empty()) return std::nullopt;
  ClaimRecord* h = FindOwnActiveLocked(cal, p, r.hold_id, ClaimKind::kHold);
  // C9: a hold past its expiry converts nothing, even before the sweeper has marked it.
  if (h == nullptr || h->expires_at <= now) {
    return Error(ErrorCode::kInvalidState, "hold " + r.hold_id + " is no longer held (expired, released, converted " +
                                           "or displaced); commit without hold_id to book the slot if it is free");
  }
  if (!BucketRange::Of(h->start, h->end).Overlaps(BucketRange::Of(r.start, r.end))) {
    return Error(ErrorCode::kValidationError, "hold_id: hold " + r.hold_id + " does not overlap the booking's time");
  }
  return std::nullopt;
}

void Core::Commit(const Principal& p, ClaimRequest r, Done done) {
  if (r.attempt > kMaxReplays) return done(TooManyReplays());
  // A named hold (`hold_id`) must be one of the agent's own: anything else is a 404, before
  // the idempotency gate (a replay of a conversion still finds its hold, now CONVERTED).
  if (!r.hold_id.empty()) {
    auto hold = LookUpOwnClaim(p, r.hold_id, ClaimKind::kHold);
    if (!hold.ok()) return done(LookupError(hold.status()));
  }
  const std::string fingerprint = Fingerprint("commit", r);
  Outcome early;
  if (!IdempotencyGate(p, r, fingerprint, &early)) return done(std::move(early));

  std::optional<Outcome> refused;  // answered outside the lock
  {
    MutexLock lock(s_.mu);
    Calendar* cal = s_.FindCalendarLocked(p.owner_id);
    auto agent = s_.agents.find(p.agent_id);
    if (cal == nullptr || agent == s_.agents.end() || stopping_) {
      refused = Error(ErrorCode::kUnavailable, "the daemon is stopping");
    } else {
      SettleDueLocked();
      const Time now = s_.clock.Now();
      refused = NamedHoldProblemLocked(cal, p, r, now);
      if (!refused) refused = RuleViolationLocked(*cal, p.agent_id, r.start, r.end, /*is_commit=*/true, now);
      const BucketRange range = BucketRange::Of(r.start, r.end);
      if (!refused) {
        refused = QuotaProblemLocked(*cal, p.agent_id, MetadataBytes(r.metadata.dump()),
                                     OwnHoldsOverlappingLocked(*cal, p.agent_id, range, now), now);
      }
      if (!refused) {
        Pending pending{next_pending_id_++, p,     std::move(r),          fingerprint,
                        range,              now,   now + s_.TieWindow(*cal), std::move(done)};
        // Decide at once when nothing can arrive that outranks it, or when a claim that keeps
        // the slot is already there: waiting could not make it win.
        const bool at_once = s_.TieWindow(*cal) == Duration(0) || s_.IsTopRankedLocked(agent->second) ||
                             Evaluate(*cal, agent->second, range, /*is_hold=*/false, now).blocker != nullptr;
        cal->pending.push_back(std::move(pending));
        if (at_once) {
          DecideNow(*cal, std::prev(cal->pending.end()));
        } else {
          s_.wake_timer.notify_all();
        }
        return;
      }
    }
    FinishEarly(p, r);
  }
  done(std::move(*refused));
}

void Core::DecideNow(Calendar& cal, std::list<Pending>::iterator it) {
  Txn txn;
  BeginTxn(txn);
  const bool won = DecideCommit(cal, *it, txn);
  const BucketRange range = it->range;
  cal.pending.erase(it);
  if (won) {
    // Every waiting claim on this slot is outranked by the winner: settle it now.
    for (auto q = cal.pending.begin(); q != cal.pending.end();) {
      if (q->range.Overlaps(range)) {
        DecideCommit(cal, *q, txn);
        q = cal.pending.erase(q);
      } else {
        ++q;
      }
    }
  }
  Submit(txn);
}

bool Core::DecideCommit(Calendar& cal, Pending& pending, Txn& txn) {
  const Principal& p = pending.principal;
  const ClaimRequest& r = pending.request;
  const store::AgentRecord& me = s_.agents.at(p.agent_id);
  const Time now = s_.clock.Now();
  Verdict v = Evaluate(cal, me, pending.range, /*is_hold=*/false, now);
  if (v.blocker != nullptr) {
    for (ClaimRecord* h : v.expired) ExpireHold(cal, h, nullptr, txn);
    Reject(cal, p, r, false, pending.arrival, v, pending.fingerprint, std::move(pending.done), txn);
    return false;
  }
  // A commit decided after its tie window: other bookings of its day may have been made since.
  std::optional<Outcome> refused =
      RuleViolationLocked(cal, me.id, r.start, r.end, /*is_commit=*/true, now, /*caps_only=*/true);
  // Likewise its agent's other commits may have used up its quota.
  if (!refused) refused = QuotaProblemLocked(cal, me.id, MetadataBytes(r.metadata.dump()), v.convert, now);
  if (refused) {
    FinishEarly(p, r);
    txn.answers.push_back({std::move(pending.done), std::move(*refused), "", "", RetryOf(p, r, false)});
    return false;
  }

  nlohmann::json body = PlaceBookingLocked(cal, p, r, pending.range, pending.arrival, v, txn, nullptr);
  Answer(txn, std::move(pending.done), Outcome::Created(body), p, r, pending.fingerprint, /*is_hold=*/false);
  return true;
}

nlohmann::json Core::PlaceBookingLocked(Calendar& cal, const Principal& p, const ClaimRequest& r,
                                        const BucketRange& range, Time arrival, const Verdict& v, Txn& txn,
                                        ClaimRecord** placed) {
  const store::AgentRecord& me = s_.agents.at(p.agent_id);
  const Time now = s_.clock.Now();
  std::unique_ptr<ClaimRecord> booking = NewClaim(cal, me, r, ClaimKind::kBooking, now);
  booking->frozen_at = booking->created_at + s_.BumpWindow(cal);
  booking->title = r.title;
  booking->invitee_json = r.invitee.is_null() ? "" : r.invitee.dump();
  // Bucket writes first, against the occupants as they are now.
  ClaimBucketsLocked(cal, range, booking->id, txn);
  const nlohmann::json converted = IdList(v.convert), displaced = IdList(v.displace),
                       evicted = IdList(v.evict);
  for (ClaimRecord* h : v.expired) ExpireHold(cal, h, &range, txn);
  for (ClaimRecord* h : v.convert) {
    txn.decision.audit.push_back(s_.chain.Append(now, cal.owner.id, me.id, me.id, "hold.converted",
                                                 h->id, {{"hold_id", h->id}, {"booking_id", booking->id}}));
    RemoveClaim(cal, h, ClaimState::kConverted, now, booking->id, &range, txn);
  }
  DisplaceLocked(cal, me, v.displace, booking->id, range, now, txn);
  for (ClaimRecord* b : v.evict) {
    txn.decision.audit.push_back(s_.chain.Append(
        now, cal.owner.id, me.id, b->agent_id, "booking.evicted", b->id,
        {{"booking_id", b->id}, {"agent_id", b->agent_id}, {"evicted_by", booking->id},
         {"evicted_by_agent", me.id}, {"created_at", FormatRfc3339(b->created_at)},
         {"frozen_at", FormatRfc3339(b->frozen_at)}}));
    RemoveClaim(cal, b, ClaimState::kEvicted, now, booking->id, &range, txn);
  }
  store::AuditRecord row = s_.chain.Append(
      now, cal.owner.id, me.id, me.id, "booking.committed", booking->id,
      ActedBy(p, {{"agent_id", me.id}, {"priority", me.priority}, {"start", FormatRfc3339(r.start)},
                  {"end", FormatRfc3339(r.end)}, {"frozen_at", FormatRfc3339(booking->frozen_at)},
                  {"arrived_at", FormatRfc3339Micros(arrival)},
                  {"converted_hold_ids", converted}, {"displaced_hold_ids", displaced},
                  {"evicted_booking_ids", evicted}}));
  nlohmann::json body = BookingJson(*booking, me.priority);
  body["audit_id"] = row.seq;
  body["audit_hash"] = row.hash;
  body["converted_hold_ids"] = converted;
  body["displaced_hold_ids"] = displaced;
  body["evicted_booking_ids"] = evicted;
  txn.decision.audit.push_back(std::move(row));
  if (placed != nullptr) *placed = booking.get();
  InsertClaim(cal, std::move(booking), txn);
  return body;
}

void Core::ClaimBucketsLocked(Calendar& cal, const BucketRange& range, const std::string& claim_id, Txn& txn) {
  for (int64_t b = range.first; b < range.last; ++b) {
    auto it = cal.occupancy.find(b);
    txn.decision.buckets.push_back({cal.owner.id, b, it == cal.occupancy.end() ? "" : it->second->id, claim_id});
  }
}

void Core::DisplaceLocked(Calendar& cal, const store::AgentRecord& me, const std::vector<ClaimRecord*>& holds,
                          const std::string& by, const BucketRange& range, Time now, Txn& txn) {
  for (ClaimRecord* h : holds) {
    txn.decision.audit.push_back(s_.chain.Append(
        now, cal.owner.id, me.id, h->agent_id, "hold.displaced", h->id,
        {{"hold_id", h->id}, {"agent_id", h->agent_id}, {"displaced_by", by}, {"displaced_by_agent", me.id}}));
    RemoveClaim(cal, h, ClaimState::kDisplaced, now, by, &range, txn);
  }
}

// --- The tie window --------------------------------------------------------------------

bool Core::RunDueLocked(bool force, Time* next) {
  const Time now = s_.clock.Now();
  for (auto& [owner_id, cal_ptr] : s_.calendars) {
    Calendar& cal = *cal_ptr;
    // Highest-ranked due claim first; a claim waits while an outranking claim on its slot
    // is still waiting too.
    std::list<Pending>::iterator best = cal.pending.end();
    for (auto it = cal.pending.begin(); it != cal.pending.end(); ++it) {
      if (!force && it->deadline > now) continue;
      const store::AgentRecord& a = s_.agents.at(it->principal.agent_id);
      bool blocked = false;
      for (auto q = cal.pending.begin(); q != cal.pending.end() && !blocked; ++q) {
        blocked = q != it && q->range.Overlaps(it->range) &&
                  s_.Outranks(s_.agents.at(q->principal.agent_id), a);
      }
      if (blocked) continue;
      if (best == cal.pending.end() || s_.Outranks(a, s_.agents.at(best->principal.agent_id))) {
        best = it;
      }
    }
    if (best != cal.pending.end()) {
      DecideNow(cal, best);
      return true;
    }
  }
  // A due claim still waiting here is blocked by an outranking claim whose window is open
  // (following the outranking claims ends at one that is not due, or it would have been
  // decided), so the next change comes at the earliest deadline still ahead.
  *next = Time::max();
  for (auto& [owner_id, cal_ptr] : s_.calendars) {
    for (const Pending& p : cal_ptr->pending) {
      if (p.deadline > now) *next = std::min(*next, p.deadline);
    }
  }
  return false;
}

Time Core::RunDue() {
  Time next;
  {
    MutexLock lock(s_.mu);
    if (s_.reload_needed.exchange(false)) s_.ReloadLocked();
    while (RunDueLocked(stopping_, &next)) {
    }
  }
  RunReplays();
  return next;
}

void Core::SettleDueLocked() {
  Time next;
  while (RunDueLocked(/*force=*/false, &next)) {
  }
}

// --- Holds -----------------------------------------------------------------------------

void Core::Hold(const Principal& p, ClaimRequest r, Done done) {
  if (r.attempt > kMaxReplays) return done(TooManyReplays());
  const std::string fingerprint = Fingerprint("hold", r);
  Outcome early;
  if (!IdempotencyGate(p, r, fingerprint, &early)) return done(std::move(early));

  MutexLock lock(s_.mu);
  Calendar* cal = s_.FindCalendarLocked(p.owner_id);
  if (cal == nullptr || stopping_ || !s_.agents.count(p.agent_id)) {
    FinishEarly(p, r);
    return done(Error(ErrorCode::kUnavailable, "the daemon is stopping"));
  }
  SettleDueLocked();
  Txn txn;
  BeginTxn(txn);
  DecideHold(*cal, p, r, fingerprint, std::move(done), txn);
  Submit(txn);
}

std::optional<Outcome> Core::HoldProblemLocked(Calendar& cal, const Principal& p, const ClaimRequest& r,
                                             Time now) {
  int active_holds = 0;
  for (const std::string& id : cal.holds_by_agent[p.agent_id]) {
    if (cal.active.at(id)->expires_at > now) ++active_holds;
  }
  if (active_holds >= s_.MaxHolds(cal)) {
    return Error(ErrorCode::kHoldLimit,
                 "you already have " + std::to_string(active_holds) + " active holds (the limit is " +
                     std::to_string(s_.MaxHolds(cal)) + "); release one first",
                 {{"limit", s_.MaxHolds(cal)}});
  }
  std::optional<Outcome> refused = RuleViolationLocked(cal, p.agent_id, r.start, r.end, /*is_commit=*/false, now);
  if (!refused) refused = QuotaProblemLocked(cal, p.agent_id, MetadataBytes(r.metadata.dump()), {}, now);
  return refused;
}

void Core::DecideHold(Calendar& cal, const Principal& p, const ClaimRequest& r, const std::string& fingerprint,
                      Done done, Txn& txn) {
  const store::AgentRecord& me = s_.agents.at(p.agent_id);
  const Time now = s_.clock.Now();
  if (std::optional<Outcome> refused = HoldProblemLocked(cal, p, r, now)) {
    FinishEarly(p, r);
    txn.answers.push_back({std::move(done), std::move(*refused), "", "", RetryOf(p, r, true)});
    return;
  }
  const BucketRange range = BucketRange::Of(r.start, r.end);
  Verdict v = Evaluate(cal, me, range, /*is_hold=*/true, now);
  if (v.blocker != nullptr) {
    for (ClaimRecord* h : v.expired) ExpireHold(cal, h, nullptr, txn);
    Reject(cal, p, r, true, now, v, fingerprint, std::move(done), txn);
    return;
  }
  std::unique_ptr<ClaimRecord> hold = NewClaim(cal, me, r, ClaimKind::kHold, now);
  hold->expires_at = hold->created_at + s_.HoldTtl(cal);
  ClaimBucketsLocked(cal, range, hold->id, txn);
  const nlohmann::json displaced = IdList(v.displace);
  for (ClaimRecord* h : v.expired) ExpireHold(cal, h, &range, txn);
  DisplaceLocked(cal, me, v.displace, hold->id, range, now, txn);
  store::AuditRecord row = s_.chain.Append(
      now, cal.owner.id, me.id, me.id, "hold.created", hold->id,
      ActedBy(p, {{"agent_id", me.id}, {"priority", me.priority}, {"start", FormatRfc3339(r.start)},
                  {"end", FormatRfc3339(r.end)}, {"expires_at", FormatRfc3339(hold->expires_at)},
                  {"arrived_at", FormatRfc3339Micros(now)},
                  {"displaced_hold_ids", displaced}}));
  nlohmann::json body = HoldJson(*hold, me.priority);
  body["audit_id"] = row.seq;
  body["audit_hash"] = row.hash;
  body["displaced_hold_ids"] = displaced;
  txn.decision.audit.push_back(std::move(row));
  InsertClaim(cal, std::move(hold), txn);
  Answer(txn, std::move(done), Outcome::Created(body), p, r, fingerprint, /*is_hold=*/true);
}

void Core::SweepExpiredHolds() {
  MutexLock lock(s_.mu);
  const Time now = s_.clock.Now();
  for (auto& [owner_id, cal] : s_.calendars) {
    std::vector<ClaimRecord*> expired;
    for (auto& [agent_id, ids] : cal->holds_by_agent) {
      for (const std::string& id : ids) {
        ClaimRecord* h = cal->active.at(id).get();
        if (h->expires_at <= now) expired.push_back(h);
      }
    }
    if (expired.empty()) continue;
    Txn txn;
    BeginTxn(txn);
    for (ClaimRecord* h : expired) ExpireHold(*cal, h, nullptr, txn);
    Submit(txn);
  }
}

// --- Release and cancel ----------------------------------------------------------------

store::ClaimRecord* Core::FindOwnActiveLocked(Calendar* cal, const Principal& p,
                                               const std::string& id, ClaimKind kind) {
  if (cal == nullptr) return nullptr;
  auto it = cal->active.find(id);
  if (it == cal->active.end() || it->second->kind != kind) return nullptr;
  if (!p.is_owner() && it->second->agent_id != p.agent_id) return nullptr;
  return it->second.get();
}

Result<store::ClaimRecord> Core::LookUpOwnClaim(const Principal& p, const std::string& id,
                                                  ClaimKind kind) {
  const char* noun = kind == ClaimKind::kHold ? "hold " : "booking ";
  auto claim = s_.store.GetClaim(id);
  if (!claim.ok() && claim.status().code() != StatusCode::kNotFound) return claim.status();
  if (!claim.ok() || claim->kind != kind || claim->owner_id != p.owner_id ||
      (!p.is_owner() && claim->agent_id != p.agent_id)) {
    return Status::NotFound("no " + std::string(noun) + id + " of yours");
  }
  return claim;
}

bool Core::CatchUpWith(const ClaimRecord& stored) {
  // The store has it active, this view does not: on a shared store, another daemon made it
  // moments ago and the refresh has not seen it yet. Read the store again and decide on that.
  if (!s_.store.Shared()) return false;
  MutexLock lock(s_.mu);
  s_.ReloadLocked();
  Calendar* cal = s_.FindCalendarLocked(stored.owner_id);
  return cal != nullptr && cal->active.count(stored.id) > 0;
}

Outcome LookupError(const Status& s) {
  return s.code() == StatusCode::kNotFound ? Error(ErrorCode::kNotFound, s.message())
                                           : Error(ErrorCode::kUnavailable, s.message());
}

void Core::EndByCaller(Calendar& cal, const Principal& p, ClaimRecord* claim, ClaimState state,
                         const char* audit_kind, Txn& txn) {
  const Time now = s_.clock.Now();
  const std::string actor = p.is_owner() ? p.owner_id : p.agent_id;
  const char* id_field = claim->kind == ClaimKind::kHold ? "hold_id" : "booking_id";
  txn.decision.audit.push_back(s_.chain.Append(now, cal.owner.id, actor, claim->agent_id, audit_kind,
                                             claim->id,
                                             ActedBy(p, {{id_field, claim->id},
                                                         {"agent_id", claim->agent_id}})));
  RemoveClaim(cal, claim, state, now, actor, nullptr, txn);
}

void Core::Release(const Principal& p, const std::string& hold_id, Done done) {
  EndAttempt(p, hold_id, ClaimKind::kHold, std::move(done), 0);
}

void Core::Cancel(const Principal& p, const std::string& booking_id, Done done) {
  EndAttempt(p, booking_id, ClaimKind::kBooking, std::move(done), 0);
}

// Release (a hold) and cancel (a booking): the caller's active claim ends; asking again is
// harmless and answers the claim's state; an evicted booking cannot be cancelled.
void Core::EndAttempt(const Principal& p, const std::string& id, ClaimKind kind, Done done, int attempt) {
  if (attempt > kMaxReplays) return done(TooManyReplays());
  const bool hold = kind == ClaimKind::kHold;
  auto retry = [this, p, id, kind, attempt](Done d) { EndAttempt(p, id, kind, std::move(d), attempt + 1); };
  auto answer = [&](const std::string& status) {
    return Outcome::Ok(nlohmann::json{{hold ? "hold_id" : "booking_id", id}, {"status", status}});
  };
  {
    MutexLock lock(s_.mu);
    SettleDueLocked();
    Calendar* cal = s_.FindCalendarLocked(p.owner_id);
    if (ClaimRecord* c = FindOwnActiveLocked(cal, p, id, kind)) {
      Txn txn;
      BeginTxn(txn);
      if (hold && c->expires_at <= s_.clock.Now()) {
        ExpireHold(*cal, c, nullptr, txn);
        txn.answers.push_back({std::move(done), answer("EXPIRED"), "", "", retry});
      } else if (hold) {
        EndByCaller(*cal, p, c, ClaimState::kReleased, "hold.released", txn);
        txn.answers.push_back({std::move(done), answer("RELEASED"), "", "", retry});
      } else {
        EndByCaller(*cal, p, c, ClaimState::kCancelled, "booking.cancelled", txn);
        txn.answers.push_back({std::move(done), answer("CANCELLED"), "", "", retry});
      }
      Submit(txn);
      return;
    }
  }
  auto claim = LookUpOwnClaim(p, id, kind);
  if (!claim.ok()) return done(LookupError(claim.status()));
  const ClaimState live = hold ? ClaimState::kHeld : ClaimState::kCommitted;
  if (claim->state == live && CatchUpWith(*claim)) return retry(std::move(done));
  if (!hold && claim->state == ClaimState::kEvicted) {
    return done(Error(ErrorCode::kInvalidState,
                      "booking " + id + " was evicted by " + claim->ended_by + "; there is nothing to cancel",
                      {{"status", "EVICTED"}}));
  }
  done(answer(store::ClaimStateName(claim->state)));
}

}  // namespace agentdraft::engine
