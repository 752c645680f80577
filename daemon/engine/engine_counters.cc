// Counter-proposals (docs/design.md, "Counter-proposals"): an agent that lost a
// slot offers the winner other slots; the winner accepts one (its booking moves there, in one
// decision) or rejects. Pending counters live in the calendar next to their booking and expire
// with it.

#include "common/ids.h"
#include "daemon/engine/core.h"
#include "daemon/engine/views.h"

namespace agentdraft::engine {

using store::ClaimKind;
using store::ClaimRecord;
using store::ClaimState;
using store::CounterRecord;
using store::CounterState;

namespace {

// Pending counters one agent may have on one booking: enough for a few rounds of offers,
// few enough that a losing agent cannot bury the winner in them.
constexpr int kMaxPendingPerProposer = 5;

std::string CounterFingerprint(const std::string& booking_id, const CounterRequest& r) {
  nlohmann::json slots = nlohmann::json::array();
  for (const store::Slot& s : r.proposed) slots.push_back({ToMicros(s.start), ToMicros(s.end)});
  return Sha256Hex(nlohmann::json{{"op", "counter"}, {"booking_id", booking_id}, {"proposed", slots},
                                  {"note", r.note}}
                       .dump());
}

nlohmann::json SlotsPayload(const std::vector<store::Slot>& slots) {
  nlohmann::json a = nlohmann::json::array();
  for (const store::Slot& s : slots) a.push_back({{"start", FormatRfc3339(s.start)}, {"end", FormatRfc3339(s.end)}});
  return a;
}

Outcome NotCommitted(const ClaimRecord& booking) {
  return Error(ErrorCode::kInvalidState,
               "booking " + booking.id + " is " + store::ClaimStateName(booking.state) +
                   ", no longer committed; its counter-proposals are closed",
               {{"status", store::ClaimStateName(booking.state)}});
}

// The actor of a row: the agent, or the owner acting directly.
std::string ActorOf(const Principal& p) { return p.is_owner() ? p.owner_id : p.agent_id; }

// Who makes the new booking of an accepted counter: the booking's agent, or the owner as it.
Principal AsBookingAgent(const Principal& p, const std::string& agent_id) {
  Principal as = p;
  if (p.is_owner()) {
    as.kind = Principal::Kind::kAgent;
    as.agent_id = agent_id;
    as.scopes = AllAgentScopes();
    as.acted_by = p.owner_id;
  }
  return as;
}

// `original` moved to `slot`: the commit an accepted counter makes.
ClaimRequest MovedTo(const ClaimRecord& original, const store::Slot& slot) {
  ClaimRequest r;
  r.start = slot.start;
  r.end = slot.end;
  r.metadata = nlohmann::json::parse(original.metadata_json.empty() ? "{}" : original.metadata_json);
  r.title = original.title;
  if (!original.invitee_json.empty()) r.invitee = nlohmann::json::parse(original.invitee_json);
  return r;
}

}  // namespace

// --- Propose ---------------------------------------------------------------------------

void Core::ProposeCounter(const Principal& p, const std::string& booking_id, CounterRequest r, Done done) {
  if (r.attempt > kMaxReplays) return done(TooManyReplays());
  const std::string fingerprint = CounterFingerprint(booking_id, r);
  ClaimRequest keyed;  // what the idempotency gate and Answer() know of a request: its key
  keyed.idempotency_key = r.idempotency_key;
  Outcome early;
  if (!IdempotencyGate(p, keyed, fingerprint, &early)) return done(std::move(early));

  std::optional<Outcome> refused;
  {
    MutexLock lock(s_.mu);
    s_.RefreshIfStaleLocked();  // a booking another daemon just made must not look unknown
    Calendar* cal = s_.FindCalendarLocked(p.owner_id);
    auto agent = s_.agents.find(p.agent_id);
    auto it = cal == nullptr ? decltype(cal->active)::iterator{} : cal->active.find(booking_id);
    if (cal == nullptr || agent == s_.agents.end() || stopping_) {
      refused = Error(ErrorCode::kUnavailable, "the daemon is stopping");
    } else if (it != cal->active.end() && it->second->kind == ClaimKind::kBooking) {
      const ClaimRecord& booking = *it->second;
      auto& open = cal->open_counters[booking_id];
      int mine = 0;
      for (const auto& [id, c] : open) mine += c.agent_id == p.agent_id ? 1 : 0;
      if (booking.agent_id == p.agent_id) {
        refused = Error(ErrorCode::kValidationError,
                        "booking " + booking_id + " is your own; a counter-proposal goes to another agent's booking",
                        {{"details", {{{"field", "booking_id"}, {"problem", "is your own booking"}}}}});
      } else if (mine >= kMaxPendingPerProposer) {
        refused = Error(ErrorCode::kCounterLimit,
                        "you already have " + std::to_string(mine) + " pending counter-proposals on " + booking_id +
                            " (the limit is " + std::to_string(kMaxPendingPerProposer) + "); wait for an answer",
                        {{"limit", kMaxPendingPerProposer}});
      } else {
        PlaceCounterLocked(*cal, p, booking, r, keyed, fingerprint, std::move(done));
        return;
      }
      if (open.empty()) cal->open_counters.erase(booking_id);
    }
    FinishEarly(p, keyed);
  }
  if (refused) return done(std::move(*refused));
  // Not an active booking in memory: unknown to this caller (404) or no longer committed.
  auto claim = s_.store.GetClaim(booking_id);
  if (!claim.ok() && claim.status().code() != StatusCode::kNotFound) return done(LookupError(claim.status()));
  if (!claim.ok() || claim->kind != ClaimKind::kBooking || claim->owner_id != p.owner_id) {
    return done(Error(ErrorCode::kNotFound, "no booking " + booking_id + " on your calendar"));
  }
  done(NotCommitted(*claim));
}

void Core::PlaceCounterLocked(Calendar& cal, const Principal& p, const ClaimRecord& booking,
                              const CounterRequest& r, const ClaimRequest& keyed, const std::string& fingerprint,
                              Done done) {
  const std::string booking_id = booking.id;
  const Time now = s_.clock.Now();
  CounterRecord c;
  c.id = NewSortableId("ctr_", ToMicros(now) / 1000);
  c.owner_id = cal.owner.id;
  c.booking_id = booking_id;
  c.booking_agent_id = booking.agent_id;
  c.agent_id = p.agent_id;
  c.proposed = r.proposed;
  c.note = r.note;
  c.created_at = FromMicros(ToMicros(now) / 1000 * 1000);
  Txn txn;
  BeginTxn(txn);
  store::AuditRecord row = s_.chain.Append(
      now, cal.owner.id, p.agent_id, booking.agent_id, "counter.proposed", c.id,
      ActedBy(p, {{"counter_id", c.id}, {"booking_id", booking_id}, {"agent_id", p.agent_id},
                  {"booking_agent_id", booking.agent_id}, {"proposed", SlotsPayload(c.proposed)},
                  {"note", c.note}}));
  nlohmann::json body = CounterJson(c);
  body["audit_id"] = row.seq;
  body["audit_hash"] = row.hash;
  txn.decision.audit.push_back(std::move(row));
  txn.decision.counters.push_back(c);
  cal.open_counters[booking_id][c.id] = std::move(c);
  auto retry = [this, p, booking_id, r](Done d) {
    CounterRequest again = r;
    ++again.attempt;
    ProposeCounter(p, booking_id, std::move(again), std::move(d));
  };
  Answer(txn, std::move(done), Outcome::Created(body), p, keyed, fingerprint, /*is_hold=*/false, retry);
  Submit(txn);
}

// --- List ------------------------------------------------------------------------------

Outcome Core::ListCounters(const Principal& p, const std::string& booking_id) {
  auto booking = s_.store.GetClaim(booking_id);
  if (!booking.ok() && booking.status().code() != StatusCode::kNotFound) return LookupError(booking.status());
  if (!booking.ok() || booking->kind != ClaimKind::kBooking || booking->owner_id != p.owner_id) {
    return Error(ErrorCode::kNotFound, "no booking " + booking_id + " on your calendar");
  }
  auto counters = s_.store.ListCounters(p.owner_id, booking_id);
  if (!counters.ok()) return LookupError(counters.status());
  // Its agent and the owner see every counter on it; another agent, its own.
  const bool all = p.is_owner() || booking->agent_id == p.agent_id;
  nlohmann::json list = nlohmann::json::array();
  for (const CounterRecord& c : *counters) {
    if (all || c.agent_id == p.agent_id) list.push_back(CounterJson(c));
  }
  return Outcome::Ok(nlohmann::json{{"booking_id", booking_id}, {"counters", std::move(list)}});
}

// --- Accept and reject -----------------------------------------------------------------

void Core::AcceptCounter(const Principal& p, const std::string& booking_id, const std::string& counter_id,
                           int slot_index, Done done) {
  AcceptAttempt(p, booking_id, counter_id, slot_index, std::move(done), 0);
}

void Core::AcceptAttempt(const Principal& p, const std::string& booking_id, const std::string& counter_id,
                           int slot_index, Done done, int attempt) {
  if (attempt > kMaxReplays) return done(TooManyReplays());
  auto retry = [this, p, booking_id, counter_id, slot_index, attempt](Done d) {
    AcceptAttempt(p, booking_id, counter_id, slot_index, std::move(d), attempt + 1);
  };
  std::optional<Outcome> refused;  // answered outside the lock
  {
    MutexLock lock(s_.mu);
    s_.RefreshIfStaleLocked();
    SettleDueLocked();
    Calendar* cal = s_.FindCalendarLocked(p.owner_id);
    ClaimRecord* original = FindOwnActiveLocked(cal, p, booking_id, ClaimKind::kBooking);
    auto open = original == nullptr ? decltype(cal->open_counters)::iterator{} : cal->open_counters.find(booking_id);
    if (original != nullptr && open != cal->open_counters.end() && open->second.count(counter_id)) {
      CounterRecord counter = open->second.at(counter_id);
      if (slot_index < 0 || slot_index >= static_cast<int>(counter.proposed.size())) {
        const std::string last = std::to_string(counter.proposed.size() - 1);
        refused = Error(ErrorCode::kValidationError, "slot_index: must be from 0 to " + last,
                        {{"details", {{{"field", "slot_index"}, {"problem", "must be from 0 to " + last}}}}});
      } else {
        AcceptLocked(*cal, p, original, open->second, std::move(counter), slot_index, std::move(done), retry);
        return;
      }
    }
  }
  if (refused) return done(std::move(*refused));
  done(DecidedCounterOutcome(p, booking_id, counter_id, slot_index));
}

void Core::AcceptLocked(Calendar& cal, const Principal& p, ClaimRecord* original,
                          std::map<std::string, CounterRecord>& open, CounterRecord counter, int slot_index,
                          Done done, std::function<void(Done)> retry) {
  const std::string booking_id = original->id;
  // The booking's agent makes the new booking; the owner accepting acts as it.
  const store::AgentRecord& me = s_.agents.at(original->agent_id);
  const Principal as = AsBookingAgent(p, me.id);
  const store::Slot slot = counter.proposed[slot_index];
  const ClaimRequest r = MovedTo(*original, slot);
  const Time now = s_.clock.Now();
  Txn txn;
  BeginTxn(txn);
  if (auto refused = RuleViolationLocked(cal, me.id, r.start, r.end, /*is_commit=*/true, now,
                                         /*caps_only=*/false, original)) {
    txn.answers.push_back({std::move(done), std::move(*refused), "", "", retry});
    Submit(txn);  // writes nothing: answers at once
    return;
  }
  const BucketRange range = BucketRange::Of(r.start, r.end);
  Verdict v = Evaluate(cal, me, range, /*is_hold=*/false, now, original);
  if (v.blocker != nullptr) {
    // The slot is taken by a claim the booking's agent cannot beat: the counter stays pending
    // (another of its slots may still be free).
    for (ClaimRecord* h : v.expired) ExpireHold(cal, h, nullptr, txn);
    Reject(cal, as, r, /*is_hold=*/false, now, v, "", std::move(done), txn, retry);
    Submit(txn);
    return;
  }
  ClaimRecord* placed = nullptr;
  nlohmann::json booking = PlaceBookingLocked(cal, as, r, range, now, v, txn, &placed);
  const std::string new_id = placed->id;
  counter.state = CounterState::kAccepted;
  counter.ended_at = now;
  counter.accepted_slot = slot_index;
  counter.new_booking_id = new_id;
  open.erase(counter.id);  // accepted: not among those that expire with the original below
  store::AuditRecord row = s_.chain.Append(
      now, cal.owner.id, ActorOf(p), counter.agent_id, "counter.accepted", counter.id,
      ActedBy(as, {{"counter_id", counter.id}, {"booking_id", booking_id}, {"agent_id", counter.agent_id},
                   {"booking_agent_id", me.id}, {"slot_index", slot_index},
                   {"start", FormatRfc3339(slot.start)}, {"end", FormatRfc3339(slot.end)},
                   {"new_booking_id", new_id}}));
  nlohmann::json body = CounterJson(counter);
  body["booking"] = std::move(booking);
  body["audit_id"] = row.seq;
  body["audit_hash"] = row.hash;
  txn.decision.audit.push_back(std::move(row));
  const std::string counter_id = counter.id;
  txn.decision.counters.push_back(std::move(counter));
  txn.decision.audit.push_back(s_.chain.Append(
      now, cal.owner.id, ActorOf(p), me.id, "booking.cancelled", booking_id,
      ActedBy(as, {{"booking_id", booking_id}, {"agent_id", me.id}, {"reason", "counter_accepted"},
                   {"counter_id", counter_id}, {"replaced_by", new_id}})));
  RemoveClaim(cal, original, ClaimState::kCancelled, now, new_id, nullptr, txn);  // `open` goes too
  txn.answers.push_back({std::move(done), Outcome::Created(body), "", "", std::move(retry)});
  Submit(txn);
}

void Core::RejectCounter(const Principal& p, const std::string& booking_id, const std::string& counter_id,
                           Done done) {
  RejectAttempt(p, booking_id, counter_id, std::move(done), 0);
}

void Core::RejectAttempt(const Principal& p, const std::string& booking_id, const std::string& counter_id,
                           Done done, int attempt) {
  if (attempt > kMaxReplays) return done(TooManyReplays());
  {
    MutexLock lock(s_.mu);
    s_.RefreshIfStaleLocked();
    Calendar* cal = s_.FindCalendarLocked(p.owner_id);
    ClaimRecord* booking = FindOwnActiveLocked(cal, p, booking_id, ClaimKind::kBooking);
    auto open = booking == nullptr ? decltype(cal->open_counters)::iterator{} : cal->open_counters.find(booking_id);
    if (booking != nullptr && open != cal->open_counters.end() && open->second.count(counter_id)) {
      CounterRecord counter = open->second.at(counter_id);
      open->second.erase(counter_id);
      if (open->second.empty()) cal->open_counters.erase(open);
      const Time now = s_.clock.Now();
      counter.state = CounterState::kRejected;
      counter.ended_at = now;
      Txn txn;
      BeginTxn(txn);
      store::AuditRecord row = s_.chain.Append(
          now, cal->owner.id, ActorOf(p), counter.agent_id, "counter.rejected", counter.id,
          ActedBy(p, {{"counter_id", counter.id}, {"booking_id", booking_id}, {"agent_id", counter.agent_id},
                      {"booking_agent_id", booking->agent_id}}));
      nlohmann::json body = CounterJson(counter);
      body["audit_id"] = row.seq;
      body["audit_hash"] = row.hash;
      txn.decision.audit.push_back(std::move(row));
      txn.decision.counters.push_back(std::move(counter));
      auto retry = [this, p, booking_id, counter_id, attempt](Done d) {
        RejectAttempt(p, booking_id, counter_id, std::move(d), attempt + 1);
      };
      txn.answers.push_back({std::move(done), Outcome::Ok(body), "", "", retry});
      Submit(txn);
      return;
    }
  }
  done(DecidedCounterOutcome(p, booking_id, counter_id, std::nullopt));
}

Outcome Core::DecidedCounterOutcome(const Principal& p, const std::string& booking_id,
                                      const std::string& counter_id, std::optional<int> slot_index) {
  auto booking = LookUpOwnClaim(p, booking_id, ClaimKind::kBooking);
  if (!booking.ok()) return LookupError(booking.status());
  auto counters = s_.store.ListCounters(p.owner_id, booking_id);
  if (!counters.ok()) return LookupError(counters.status());
  const CounterRecord* c = nullptr;
  for (const CounterRecord& x : *counters) {
    if (x.id == counter_id) c = &x;
  }
  if (c == nullptr) return Error(ErrorCode::kNotFound, "no counter-proposal " + counter_id + " on booking " + booking_id);
  // Doing again what was done answers the same (a retry after a lost answer).
  if (slot_index && c->state == CounterState::kAccepted && c->accepted_slot == slot_index) {
    nlohmann::json body = CounterJson(*c);
    auto made = s_.store.GetClaim(c->new_booking_id);
    if (!made.ok()) return LookupError(made.status());
    int priority = 0;
    {
      MutexLock lock(s_.mu);  // -Wthread-safety found this read unlocked
      if (auto a = s_.agents.find(made->agent_id); a != s_.agents.end()) priority = a->second.priority;
    }
    body["booking"] = BookingJson(*made, priority);
    return Outcome::Ok(body);
  }
  if (!slot_index && c->state == CounterState::kRejected) return Outcome::Ok(CounterJson(*c));
  if (c->state == CounterState::kPending) return NotCommitted(*booking);
  return Error(ErrorCode::kInvalidState,
               "counter-proposal " + counter_id + " is " + store::CounterStateName(c->state) +
                   (c->state == CounterState::kAccepted
                        ? " (slot " + std::to_string(c->accepted_slot.value_or(-1)) + ", booking " + c->new_booking_id + ")"
                        : std::string()),
               {{"status", store::CounterStateName(c->state)}});
}

// --- Expiry ----------------------------------------------------------------------------

void Core::ExpireCountersLocked(Calendar& cal, const ClaimRecord& booking, Txn& txn) {
  auto it = cal.open_counters.find(booking.id);
  if (it == cal.open_counters.end()) return;
  const Time now = s_.clock.Now();
  for (auto& [id, c] : it->second) {
    c.state = CounterState::kExpired;
    c.ended_at = booking.ended_at.value_or(now);
    txn.decision.audit.push_back(s_.chain.Append(
        now, cal.owner.id, "system", c.agent_id, "counter.expired", c.id,
        {{"counter_id", c.id}, {"booking_id", booking.id}, {"agent_id", c.agent_id},
         {"booking_status", store::ClaimStateName(booking.state)}}));
    txn.decision.counters.push_back(std::move(c));
  }
  cal.open_counters.erase(it);
}

}  // namespace agentdraft::engine
