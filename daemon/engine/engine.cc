// The engine's decisions: commit, hold, release, cancel, the tie window, expiry.
#include "daemon/engine/engine.h"

#include <algorithm>
#include <future>

#include <spdlog/spdlog.h>

#include "common/ids.h"
#include "daemon/engine/engine_internal.h"
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

Outcome Error(int status, std::string_view code, std::string_view message, const nlohmann::json& extra) {
  return {status, ErrorBody(code, message, extra)};
}

Outcome TooManyReplays() {
  return Error(503, "unavailable",
               "the calendar kept changing under this request (other daemons wrote first " +
                   std::to_string(kMaxReplays) + " times); nothing was written — retry");
}

Outcome Await(const std::function<void(Done)>& call) {
  std::promise<Outcome> promise;
  std::future<Outcome> result = promise.get_future();
  call([&promise](Outcome o) { promise.set_value(std::move(o)); });
  return result.get();
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

nlohmann::json IdList(const std::vector<ClaimRecord*>& claims) {
  nlohmann::json a = nlohmann::json::array();
  for (const ClaimRecord* c : claims) a.push_back(c->id);
  return a;
}

}  // namespace

Engine::Engine(store::Store& store, const Clock& clock, EngineOptions options)
    : store_(store), clock_(clock), options_(std::move(options)) {}

Engine::~Engine() { Stop(); }

// --- Ranking and settings --------------------------------------------------------------

bool Engine::OutranksLocked(const store::AgentRecord& a, const store::AgentRecord& b) const {
  if (a.priority != b.priority) return a.priority < b.priority;
  if (a.rank_order != b.rank_order) return a.rank_order < b.rank_order;
  return a.id < b.id;
}

bool Engine::IsTopRankedLocked(const store::AgentRecord& a) const {
  for (const auto& [id, other] : agents_) {
    if (other.owner_id == a.owner_id && id != a.id && OutranksLocked(other, a)) return false;
  }
  return true;
}

int Engine::RankOf(const store::AgentRecord& a) const {
  int rank = 1;
  for (const auto& [id, other] : agents_) {
    if (other.owner_id == a.owner_id && id != a.id && OutranksLocked(other, a)) ++rank;
  }
  return rank;
}

Duration Engine::TieWindow(const Calendar& c) const {
  return c.owner.settings.tie_window.value_or(options_.tie_window);
}
Duration Engine::BumpWindow(const Calendar& c) const {
  return c.owner.settings.bump_window.value_or(options_.bump_window);
}
Duration Engine::HoldTtl(const Calendar& c) const {
  return c.owner.settings.hold_ttl.value_or(options_.hold_ttl);
}
int Engine::MaxHolds(const Calendar& c) const {
  return c.owner.settings.max_holds_per_agent.value_or(options_.max_holds_per_agent);
}

Engine::Calendar* Engine::FindCalendar(const std::string& owner_id) {
  auto it = calendars_.find(owner_id);
  return it == calendars_.end() ? nullptr : it->second.get();
}

// --- Idempotency -----------------------------------------------------------------------

bool Engine::IdempotencyGate(const Principal& p, const ClaimRequest& r,
                             const std::string& fingerprint,
                             const std::optional<store::IdempotencyRecord>& stored,
                             Outcome* early) {
  if (r.idempotency_key.empty()) return true;
  const std::string map_key = IdemMapKey(p.agent_id, r.idempotency_key);
  const Time cutoff = clock_.Now() - options_.idempotency_ttl;
  std::lock_guard<std::mutex> lock(idem_mu_);
  auto judge = [&](const std::string& fp, const store::IdempotencyRecord* rec) {
    if (fp != fingerprint) {
      *early = Error(422, "idempotency_mismatch",
                     "idempotency key \"" + r.idempotency_key +
                         "\" was already used with a different request; use a new key");
    } else if (rec == nullptr) {
      *early = Error(409, "idempotency_in_flight",
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
  if (stored && stored->created_at > cutoff) return judge(stored->fingerprint, &*stored);
  in_flight_[map_key] = fingerprint;
  return true;
}

void Engine::FinishEarly(const Principal& p, const ClaimRequest& r) {
  if (r.idempotency_key.empty()) return;
  std::lock_guard<std::mutex> lock(idem_mu_);
  in_flight_.erase(IdemMapKey(p.agent_id, r.idempotency_key));
}

// --- Recording a step ------------------------------------------------------------------

std::function<void(Done)> Engine::RetryOf(const Principal& p, const ClaimRequest& r, bool is_hold) {
  return [this, p, r, is_hold](Done d) {
    ClaimRequest again = r;
    ++again.attempt;
    if (is_hold) Hold(p, std::move(again), std::move(d));
    else Commit(p, std::move(again), std::move(d));
  };
}

void Engine::Answer(Txn& txn, Done done, Outcome outcome, const Principal& p,
                    const ClaimRequest& r, const std::string& fingerprint, bool is_hold,
                    std::function<void(Done)> retry) {
  Txn::Answer a{std::move(done), outcome, "", fingerprint, retry ? std::move(retry) : RetryOf(p, r, is_hold)};
  if (!r.idempotency_key.empty()) {
    a.idem_map_key = IdemMapKey(p.agent_id, r.idempotency_key);
    txn.decision.idempotency.push_back({p.agent_id, r.idempotency_key, fingerprint,
                                        outcome.status, outcome.body, clock_.Now()});
  }
  txn.answers.push_back(std::move(a));
}

void Engine::BeginTxn(Txn& txn) {
  txn.chain_seq_before = chain_.head_seq();
  txn.chain_hash_before = chain_.head_hash();
}

void Engine::Submit(Txn& txn) {
  if (txn.decision.audit.empty() && txn.decision.claims.empty() &&
      txn.decision.idempotency.empty()) {
    for (auto& a : txn.answers) a.done(std::move(a.outcome));
    return;
  }
  txn.decision.decided_at = clock_.Now();
  auto shared = std::make_shared<Txn>(std::move(txn));
  if (hooks_.before_apply) hooks_.before_apply(shared->decision);
  if (hooks_.after_durable) shared->audit = shared->decision.audit;
  store::Decision decision = std::move(shared->decision);
  store_.Apply(std::move(decision), [this, shared](Status s) { OnApplied(std::move(s), shared); });
}

void Engine::OnApplied(Status status, std::shared_ptr<Txn> txn) {
  // Conflict: the view this step was decided on is stale (on a shared store, another daemon
  // wrote first). Reload, and run its requests again on the fresh view.
  const bool stale = status.code() == StatusCode::kConflict;
  if (!status.ok()) {
    if (stale && store_.Shared()) {
      spdlog::debug("store refused a decision made on a stale view ({}); reloading", status.message());
    } else {
      spdlog::error("store refused a decision ({}); reloading state from the store", status.ToString());
    }
    reload_needed_ = true;
  }
  {
    std::lock_guard<std::mutex> lock(idem_mu_);
    const Time now = clock_.Now();
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
  if (status.ok() && hooks_.after_durable && !txn->audit.empty()) hooks_.after_durable(txn->audit);
  bool replaying = false;
  for (auto& a : txn->answers) {
    if (status.ok()) {
      a.done(std::move(a.outcome));
    } else if (stale && a.retry) {
      std::lock_guard<std::mutex> lock(replay_mu_);
      replays_.emplace_back(std::move(a.retry), std::move(a.done));
      replaying = true;
    } else {
      a.done(Error(503, "unavailable",
                   "the store could not record the decision (" + status.message() +
                       "); nothing was acknowledged — retry with the same idempotency key"));
    }
  }
  if (!status.ok() || replaying) timer_cv_.notify_all();
}

void Engine::RunReplays() {
  std::vector<std::pair<std::function<void(Done)>, Done>> replays;
  {
    std::lock_guard<std::mutex> lock(replay_mu_);
    replays.swap(replays_);
  }
  for (auto& [retry, done] : replays) retry(std::move(done));
}

void Engine::RefreshIfStaleLocked() {
  if (!store_.Shared()) return;
  auto head = store_.AuditHeadSeq();
  if (!head.ok() || *head <= chain_.head_seq()) return;
  ReloadLocked();
}

void Engine::ReloadLocked() {
  store_.Flush();  // store callbacks never take mu_, so this cannot deadlock
  if (Status s = LoadLocked(); !s.ok()) spdlog::error("reloading state failed: {}", s.ToString());
}

// --- Claims in memory ------------------------------------------------------------------

void Engine::InsertClaim(Calendar& cal, std::unique_ptr<ClaimRecord> claim, Txn& txn) {
  const BucketRange range = BucketRange::Of(claim->start, claim->end);
  for (int64_t b = range.first; b < range.last; ++b) cal.occupancy[b] = claim.get();
  if (claim->kind == ClaimKind::kHold) cal.holds_by_agent[claim->agent_id].insert(claim->id);
  CountUsage(cal, *claim, +1);
  txn.decision.claims.push_back(*claim);
  cal.active[claim->id] = std::move(claim);
}

void Engine::RemoveClaim(Calendar& cal, ClaimRecord* claim, ClaimState state, Time ended_at,
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
  CountUsage(cal, *claim, -1);
  const std::string id = claim->id;  // erase's key must not live in the erased element
  cal.active.erase(id);               // destroys *claim
}

void Engine::ExpireHold(Calendar& cal, ClaimRecord* hold, const BucketRange* keep, Txn& txn) {
  const Time expired_at = hold->expires_at;
  txn.decision.audit.push_back(chain_.Append(
      clock_.Now(), cal.owner.id, "system", hold->agent_id, "hold.expired", hold->id,
      {{"hold_id", hold->id}, {"agent_id", hold->agent_id}, {"expired_at", FormatRfc3339(expired_at)}}));
  RemoveClaim(cal, hold, ClaimState::kExpired, expired_at, "", keep, txn);
}

// --- Judging a claim against the calendar ----------------------------------------------

Engine::Verdict Engine::Evaluate(Calendar& cal, const store::AgentRecord& me,
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
    const store::AgentRecord& holder = agents_.at(o->agent_id);
    if (o->kind == ClaimKind::kHold) {
      if (now >= o->expires_at) {
        v.expired.push_back(o);
      } else if (o->agent_id == me.id) {
        if (is_hold) block("overlaps_own"); else v.convert.push_back(o);
      } else if (is_hold ? OutranksLocked(me, holder) : me.priority <= holder.priority) {
        v.displace.push_back(o);
      } else {
        block("held");
      }
    } else if (o->agent_id == me.id) {
      block("overlaps_own");
    } else if (!OutranksLocked(me, holder)) {
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

void Engine::Reject(Calendar& cal, const Principal& p, const ClaimRequest& r, bool is_hold,
                    Time arrival, const Verdict& v, const std::string& fingerprint, Done done,
                    Txn& txn, std::function<void(Done)> retry) {
  const store::AgentRecord& me = agents_.at(p.agent_id);
  const ClaimRecord& c = *v.blocker;
  const store::AgentRecord& holder = agents_.at(c.agent_id);
  nlohmann::json payload = {{"agent_id", me.id},
                            {"priority", me.priority},
                            {"start", FormatRfc3339(r.start)},
                            {"end", FormatRfc3339(r.end)},
                            {"reason", v.reason},
                            {"arrived_at", FormatRfc3339Micros(arrival)},
                            {"winning_claim_id", c.id},
                            {"winning_agent_id", holder.id},
                            {"winning_agent_priority", holder.priority}};
  store::AuditRecord row = chain_.Append(clock_.Now(), cal.owner.id, me.id, me.id,
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
  Answer(txn, std::move(done), Error(409, "outranked", ConflictMessage(v.reason, c, holder, me), extra), p, r,
         fingerprint, is_hold, std::move(retry));
}

// --- Commit ----------------------------------------------------------------------------

std::optional<Outcome> Engine::NamedHoldProblemLocked(Calendar* cal, const Principal& p,
                                                      const ClaimRequest& r, Time now) {
  if (r.hold_id.empty()) return std::nullopt;
  ClaimRecord* h = FindOwnActiveLocked(cal, p, r.hold_id, ClaimKind::kHold);
  // C9: a hold past its expiry converts nothing, even before the sweeper has marked it.
  if (h == nullptr || h->expires_at <= now) {
    return Error(409, "invalid_state", "hold " + r.hold_id + " is no longer held (expired, released, converted " +
                                           "or displaced); commit without hold_id to book the slot if it is free");
  }
  if (!BucketRange::Of(h->start, h->end).Overlaps(BucketRange::Of(r.start, r.end))) {
    return Error(400, "validation_error", "hold_id: hold " + r.hold_id + " does not overlap the booking's time");
  }
  return std::nullopt;
}

void Engine::Commit(const Principal& p, ClaimRequest r, Done done) {
  if (r.attempt > kMaxReplays) return done(TooManyReplays());
  // A named hold (`hold_id`) must be one of the agent's own: anything else is a 404, before
  // the idempotency gate (a replay of a conversion still finds its hold, now CONVERTED).
  if (!r.hold_id.empty()) {
    auto hold = LookUpOwnClaim(p, r.hold_id, ClaimKind::kHold);
    if (!hold.ok()) return done(LookupError(hold.status()));
  }
  const std::string fingerprint = Fingerprint("commit", r);
  std::optional<store::IdempotencyRecord> stored;
  if (!r.idempotency_key.empty()) {
    auto got = store_.GetIdempotency(p.agent_id, r.idempotency_key);
    if (!got.ok()) return done(Error(503, "unavailable", got.status().message()));
    stored = std::move(got.value());
  }
  Outcome early;
  if (!IdempotencyGate(p, r, fingerprint, stored, &early)) return done(std::move(early));

  std::optional<Outcome> refused;  // answered outside the lock
  {
    std::lock_guard<std::mutex> lock(mu_);
    Calendar* cal = FindCalendar(p.owner_id);
    auto agent = agents_.find(p.agent_id);
    if (cal == nullptr || agent == agents_.end() || stopping_) {
      refused = Error(503, "unavailable", "the daemon is stopping");
    } else {
      SettleDueLocked();
      const Time now = clock_.Now();
      refused = NamedHoldProblemLocked(cal, p, r, now);
      if (!refused) refused = RuleViolationLocked(*cal, p.agent_id, r.start, r.end, /*is_commit=*/true, now);
      const BucketRange range = BucketRange::Of(r.start, r.end);
      if (!refused) {
        refused = QuotaProblemLocked(*cal, p.agent_id, MetadataBytes(r.metadata.dump()),
                                     OwnHoldsOverlappingLocked(*cal, p.agent_id, range, now), now);
      }
      if (!refused) {
        Pending pending{next_pending_id_++, p,     std::move(r),          fingerprint,
                        range,              now,   now + TieWindow(*cal), std::move(done)};
        // Decide at once when nothing can arrive that outranks it, or when a claim that keeps
        // the slot is already there: waiting could not make it win.
        const bool at_once = TieWindow(*cal) == Duration(0) || IsTopRankedLocked(agent->second) ||
                             Evaluate(*cal, agent->second, range, /*is_hold=*/false, now).blocker != nullptr;
        cal->pending.push_back(std::move(pending));
        if (at_once) {
          DecideNow(*cal, std::prev(cal->pending.end()));
        } else {
          timer_cv_.notify_all();
        }
        return;
      }
    }
    FinishEarly(p, r);
  }
  done(std::move(*refused));
}

void Engine::DecideNow(Calendar& cal, std::list<Pending>::iterator it) {
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

bool Engine::DecideCommit(Calendar& cal, Pending& pending, Txn& txn) {
  const Principal& p = pending.principal;
  const ClaimRequest& r = pending.request;
  const store::AgentRecord& me = agents_.at(p.agent_id);
  const Time now = clock_.Now();
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
  Answer(txn, std::move(pending.done), {201, body.dump()}, p, r, pending.fingerprint, /*is_hold=*/false);
  return true;
}

nlohmann::json Engine::PlaceBookingLocked(Calendar& cal, const Principal& p, const ClaimRequest& r,
                                          const BucketRange& range, Time arrival, const Verdict& v, Txn& txn,
                                          ClaimRecord** placed) {
  const store::AgentRecord& me = agents_.at(p.agent_id);
  const Time now = clock_.Now();
  auto booking = std::make_unique<ClaimRecord>();
  booking->id = NewSortableId("bkg_", ToMicros(now) / 1000);
  booking->owner_id = cal.owner.id;
  booking->agent_id = me.id;
  booking->kind = ClaimKind::kBooking;
  booking->state = ClaimState::kCommitted;
  booking->start = r.start;
  booking->end = r.end;
  booking->created_at = FromMicros(ToMicros(now) / 1000 * 1000);
  booking->frozen_at = booking->created_at + BumpWindow(cal);
  booking->metadata_json = r.metadata.dump();
  booking->title = r.title;
  booking->invitee_json = r.invitee.is_null() ? "" : r.invitee.dump();
  booking->idempotency_key = r.idempotency_key;

  // Bucket writes first, against the occupants as they are now.
  for (int64_t b = range.first; b < range.last; ++b) {
    auto it = cal.occupancy.find(b);
    txn.decision.buckets.push_back(
        {cal.owner.id, b, it == cal.occupancy.end() ? "" : it->second->id, booking->id});
  }
  const nlohmann::json converted = IdList(v.convert), displaced = IdList(v.displace),
                       evicted = IdList(v.evict);
  for (ClaimRecord* h : v.expired) ExpireHold(cal, h, &range, txn);
  for (ClaimRecord* h : v.convert) {
    txn.decision.audit.push_back(chain_.Append(now, cal.owner.id, me.id, me.id, "hold.converted",
                                               h->id, {{"hold_id", h->id}, {"booking_id", booking->id}}));
    RemoveClaim(cal, h, ClaimState::kConverted, now, booking->id, &range, txn);
  }
  for (ClaimRecord* h : v.displace) {
    txn.decision.audit.push_back(chain_.Append(
        now, cal.owner.id, me.id, h->agent_id, "hold.displaced", h->id,
        {{"hold_id", h->id}, {"agent_id", h->agent_id}, {"displaced_by", booking->id},
         {"displaced_by_agent", me.id}}));
    RemoveClaim(cal, h, ClaimState::kDisplaced, now, booking->id, &range, txn);
  }
  for (ClaimRecord* b : v.evict) {
    txn.decision.audit.push_back(chain_.Append(
        now, cal.owner.id, me.id, b->agent_id, "booking.evicted", b->id,
        {{"booking_id", b->id}, {"agent_id", b->agent_id}, {"evicted_by", booking->id},
         {"evicted_by_agent", me.id}, {"created_at", FormatRfc3339(b->created_at)},
         {"frozen_at", FormatRfc3339(b->frozen_at)}}));
    RemoveClaim(cal, b, ClaimState::kEvicted, now, booking->id, &range, txn);
  }
  store::AuditRecord row = chain_.Append(
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

// --- The tie window --------------------------------------------------------------------

bool Engine::RunDueLocked(bool force, Time* next) {
  const Time now = clock_.Now();
  for (auto& [owner_id, cal_ptr] : calendars_) {
    Calendar& cal = *cal_ptr;
    // Highest-ranked due claim first; a claim waits while an outranking claim on its slot
    // is still waiting too.
    std::list<Pending>::iterator best = cal.pending.end();
    for (auto it = cal.pending.begin(); it != cal.pending.end(); ++it) {
      if (!force && it->deadline > now) continue;
      const store::AgentRecord& a = agents_.at(it->principal.agent_id);
      bool blocked = false;
      for (auto q = cal.pending.begin(); q != cal.pending.end() && !blocked; ++q) {
        blocked = q != it && q->range.Overlaps(it->range) &&
                  OutranksLocked(agents_.at(q->principal.agent_id), a);
      }
      if (blocked) continue;
      if (best == cal.pending.end() || OutranksLocked(a, agents_.at(best->principal.agent_id))) {
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
  for (auto& [owner_id, cal_ptr] : calendars_) {
    for (const Pending& p : cal_ptr->pending) {
      if (p.deadline > now) *next = std::min(*next, p.deadline);
    }
  }
  return false;
}

Time Engine::RunDue() {
  Time next;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (reload_needed_.exchange(false)) ReloadLocked();
    while (RunDueLocked(stopping_, &next)) {
    }
  }
  RunReplays();
  return next;
}

void Engine::SettleDueLocked() {
  Time next;
  while (RunDueLocked(/*force=*/false, &next)) {
  }
}

// --- Holds -----------------------------------------------------------------------------

void Engine::Hold(const Principal& p, ClaimRequest r, Done done) {
  if (r.attempt > kMaxReplays) return done(TooManyReplays());
  const std::string fingerprint = Fingerprint("hold", r);
  std::optional<store::IdempotencyRecord> stored;
  if (!r.idempotency_key.empty()) {
    auto got = store_.GetIdempotency(p.agent_id, r.idempotency_key);
    if (!got.ok()) return done(Error(503, "unavailable", got.status().message()));
    stored = std::move(got.value());
  }
  Outcome early;
  if (!IdempotencyGate(p, r, fingerprint, stored, &early)) return done(std::move(early));

  std::lock_guard<std::mutex> lock(mu_);
  Calendar* cal = FindCalendar(p.owner_id);
  if (cal == nullptr || stopping_ || !agents_.count(p.agent_id)) {
    FinishEarly(p, r);
    return done(Error(503, "unavailable", "the daemon is stopping"));
  }
  SettleDueLocked();
  Txn txn;
  BeginTxn(txn);
  DecideHold(*cal, p, r, fingerprint, std::move(done), txn);
  Submit(txn);
}

void Engine::DecideHold(Calendar& cal, const Principal& p, const ClaimRequest& r,
                        const std::string& fingerprint, Done done, Txn& txn) {
  const store::AgentRecord& me = agents_.at(p.agent_id);
  const Time now = clock_.Now();
  int active_holds = 0;
  for (const std::string& id : cal.holds_by_agent[me.id]) {
    if (cal.active.at(id)->expires_at > now) ++active_holds;
  }
  if (active_holds >= MaxHolds(cal)) {
    FinishEarly(p, r);
    txn.answers.push_back({std::move(done),
                           Error(422, "hold_limit",
                                 "you already have " + std::to_string(active_holds) +
                                     " active holds (the limit is " +
                                     std::to_string(MaxHolds(cal)) + "); release one first",
                                 {{"limit", MaxHolds(cal)}}),
                           "", "", RetryOf(p, r, true)});
    return;
  }
  std::optional<Outcome> refused = RuleViolationLocked(cal, me.id, r.start, r.end, /*is_commit=*/false, now);
  if (!refused) refused = QuotaProblemLocked(cal, me.id, MetadataBytes(r.metadata.dump()), {}, now);
  if (refused) {
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
  auto hold = std::make_unique<ClaimRecord>();
  hold->id = NewSortableId("hld_", ToMicros(now) / 1000);
  hold->owner_id = cal.owner.id;
  hold->agent_id = me.id;
  hold->kind = ClaimKind::kHold;
  hold->state = ClaimState::kHeld;
  hold->start = r.start;
  hold->end = r.end;
  hold->created_at = FromMicros(ToMicros(now) / 1000 * 1000);
  hold->expires_at = hold->created_at + HoldTtl(cal);
  hold->metadata_json = r.metadata.dump();
  hold->idempotency_key = r.idempotency_key;
  for (int64_t b = range.first; b < range.last; ++b) {
    auto it = cal.occupancy.find(b);
    txn.decision.buckets.push_back(
        {cal.owner.id, b, it == cal.occupancy.end() ? "" : it->second->id, hold->id});
  }
  const nlohmann::json displaced = IdList(v.displace);
  for (ClaimRecord* h : v.expired) ExpireHold(cal, h, &range, txn);
  for (ClaimRecord* h : v.displace) {
    txn.decision.audit.push_back(chain_.Append(
        now, cal.owner.id, me.id, h->agent_id, "hold.displaced", h->id,
        {{"hold_id", h->id}, {"agent_id", h->agent_id}, {"displaced_by", hold->id},
         {"displaced_by_agent", me.id}}));
    RemoveClaim(cal, h, ClaimState::kDisplaced, now, hold->id, &range, txn);
  }
  store::AuditRecord row = chain_.Append(
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
  Answer(txn, std::move(done), {201, body.dump()}, p, r, fingerprint, /*is_hold=*/true);
}

void Engine::SweepExpiredHolds() {
  std::lock_guard<std::mutex> lock(mu_);
  const Time now = clock_.Now();
  for (auto& [owner_id, cal] : calendars_) {
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

store::ClaimRecord* Engine::FindOwnActiveLocked(Calendar* cal, const Principal& p,
                                               const std::string& id, ClaimKind kind) {
  if (cal == nullptr) return nullptr;
  auto it = cal->active.find(id);
  if (it == cal->active.end() || it->second->kind != kind) return nullptr;
  if (!p.is_owner() && it->second->agent_id != p.agent_id) return nullptr;
  return it->second.get();
}

Result<store::ClaimRecord> Engine::LookUpOwnClaim(const Principal& p, const std::string& id,
                                                  ClaimKind kind) {
  const char* noun = kind == ClaimKind::kHold ? "hold " : "booking ";
  auto claim = store_.GetClaim(id);
  if (!claim.ok() && claim.status().code() != StatusCode::kNotFound) return claim.status();
  if (!claim.ok() || claim->kind != kind || claim->owner_id != p.owner_id ||
      (!p.is_owner() && claim->agent_id != p.agent_id)) {
    return Status::NotFound("no " + std::string(noun) + id + " of yours");
  }
  return claim;
}

bool Engine::CatchUpWith(const ClaimRecord& stored) {
  // The store has it active, this view does not: on a shared store, another daemon made it
  // moments ago and the refresh has not seen it yet. Read the store again and decide on that.
  if (!store_.Shared()) return false;
  std::lock_guard<std::mutex> lock(mu_);
  ReloadLocked();
  Calendar* cal = FindCalendar(stored.owner_id);
  return cal != nullptr && cal->active.count(stored.id) > 0;
}

Outcome LookupError(const Status& s) {
  return s.code() == StatusCode::kNotFound ? Error(404, "not_found", s.message())
                                           : Error(503, "unavailable", s.message());
}

void Engine::EndByCaller(Calendar& cal, const Principal& p, ClaimRecord* claim, ClaimState state,
                         const char* audit_kind, Txn& txn) {
  const Time now = clock_.Now();
  const std::string actor = p.is_owner() ? p.owner_id : p.agent_id;
  const char* id_field = claim->kind == ClaimKind::kHold ? "hold_id" : "booking_id";
  txn.decision.audit.push_back(chain_.Append(now, cal.owner.id, actor, claim->agent_id, audit_kind,
                                             claim->id,
                                             ActedBy(p, {{id_field, claim->id},
                                                         {"agent_id", claim->agent_id}})));
  RemoveClaim(cal, claim, state, now, actor, nullptr, txn);
}

void Engine::Release(const Principal& p, const std::string& hold_id, Done done) {
  ReleaseAttempt(p, hold_id, std::move(done), 0);
}

void Engine::ReleaseAttempt(const Principal& p, const std::string& hold_id, Done done, int attempt) {
  if (attempt > kMaxReplays) return done(TooManyReplays());
  auto retry = [this, p, hold_id, attempt](Done d) { ReleaseAttempt(p, hold_id, std::move(d), attempt + 1); };
  auto answer = [&](const std::string& status) {
    return Outcome{200, nlohmann::json{{"hold_id", hold_id}, {"status", status}}.dump()};
  };
  {
    std::lock_guard<std::mutex> lock(mu_);
    SettleDueLocked();
    Calendar* cal = FindCalendar(p.owner_id);
    if (ClaimRecord* h = FindOwnActiveLocked(cal, p, hold_id, ClaimKind::kHold)) {
      const Time now = clock_.Now();
      Txn txn;
      BeginTxn(txn);
      if (h->expires_at <= now) {
        ExpireHold(*cal, h, nullptr, txn);
        txn.answers.push_back({std::move(done), answer("EXPIRED"), "", "", retry});
      } else {
        EndByCaller(*cal, p, h, ClaimState::kReleased, "hold.released", txn);
        txn.answers.push_back({std::move(done), answer("RELEASED"), "", "", retry});
      }
      Submit(txn);
      return;
    }
  }
  // No longer active: releasing again is harmless and answers the hold's state.
  auto claim = LookUpOwnClaim(p, hold_id, ClaimKind::kHold);
  if (!claim.ok()) return done(LookupError(claim.status()));
  if (claim->state == ClaimState::kHeld && CatchUpWith(*claim)) return retry(std::move(done));
  done(answer(store::ClaimStateName(claim->state)));
}

void Engine::Cancel(const Principal& p, const std::string& booking_id, Done done) {
  CancelAttempt(p, booking_id, std::move(done), 0);
}

void Engine::CancelAttempt(const Principal& p, const std::string& booking_id, Done done, int attempt) {
  if (attempt > kMaxReplays) return done(TooManyReplays());
  auto retry = [this, p, booking_id, attempt](Done d) { CancelAttempt(p, booking_id, std::move(d), attempt + 1); };
  auto answer = [&](const std::string& status) {
    return Outcome{200, nlohmann::json{{"booking_id", booking_id}, {"status", status}}.dump()};
  };
  {
    std::lock_guard<std::mutex> lock(mu_);
    SettleDueLocked();
    Calendar* cal = FindCalendar(p.owner_id);
    if (ClaimRecord* b = FindOwnActiveLocked(cal, p, booking_id, ClaimKind::kBooking)) {
      Txn txn;
      BeginTxn(txn);
      EndByCaller(*cal, p, b, ClaimState::kCancelled, "booking.cancelled", txn);
      txn.answers.push_back({std::move(done), answer("CANCELLED"), "", "", retry});
      Submit(txn);
      return;
    }
  }
  // No longer active: cancelling again is harmless; an evicted booking cannot be cancelled.
  auto claim = LookUpOwnClaim(p, booking_id, ClaimKind::kBooking);
  if (!claim.ok()) return done(LookupError(claim.status()));
  if (claim->state == ClaimState::kCommitted && CatchUpWith(*claim)) return retry(std::move(done));
  if (claim->state == ClaimState::kEvicted) {
    return done(Error(409, "invalid_state",
                      "booking " + booking_id + " was evicted by " + claim->ended_by +
                          "; there is nothing to cancel",
                      {{"status", "EVICTED"}}));
  }
  done(answer(store::ClaimStateName(claim->state)));
}

}  // namespace agentdraft::engine
