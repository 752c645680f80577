// Core: the claim-deciding half of the engine (engine.h): commits with their tie window, holds,
// release, cancel, counter-proposals, availability, expiry, idempotency, and running requests
// again after a stale view. It decides on State (engine_state.h) under State::mu, which the
// directory shares. Not part of the engine's interface.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/thread_annotations.h"
#include "daemon/engine/engine_state.h"

namespace agentdraft::engine {

class Core {
 public:
  explicit Core(State& state) : s_(state) {
    s_.after_load = [this] {
      s_.mu.AssertHeld();
      SettleBlockedLocked();
    };
  }
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  // Starts the timer thread (if configured). REQUIRES: State loaded.
  void Start();
  void Stop();

  // engine.h states what these do.
  void Commit(const Principal& p, ClaimRequest r, Done done) EXCLUDES(s_.mu);
  void Hold(const Principal& p, ClaimRequest r, Done done) EXCLUDES(s_.mu);
  void Release(const Principal& p, const std::string& hold_id, Done done) EXCLUDES(s_.mu);
  void Cancel(const Principal& p, const std::string& booking_id, Done done) EXCLUDES(s_.mu);
  void ProposeCounter(const Principal& p, const std::string& booking_id, CounterRequest r, Done done)
      EXCLUDES(s_.mu);
  Outcome ListCounters(const Principal& p, const std::string& booking_id) EXCLUDES(s_.mu);
  void AcceptCounter(const Principal& p, const std::string& booking_id, const std::string& counter_id,
                     int slot_index, Done done) EXCLUDES(s_.mu);
  void RejectCounter(const Principal& p, const std::string& booking_id, const std::string& counter_id,
                     Done done) EXCLUDES(s_.mu);
  Outcome Availability(const Principal& p, const AvailabilityQuery& q) EXCLUDES(s_.mu);
  Time RunDue() EXCLUDES(s_.mu);
  void SweepExpiredHolds() EXCLUDES(s_.mu);
  // A claim from the store, if the caller may see it: NotFound otherwise, Unavailable when the
  // store fails. Takes no lock.
  Result<store::ClaimRecord> LookUpOwnClaim(const Principal& p, const std::string& id, store::ClaimKind kind);

 private:
  struct AvailabilitySnapshot;

  // --- Decisions (engine.cc) ---
  // Whether a keyed request may go on: false with `early` set to the stored answer (a
  // replay), 422 idempotency_mismatch, or 409 idempotency_in_flight.
  bool IdempotencyGate(const Principal& p, const ClaimRequest& r, const std::string& fingerprint, Outcome* early)
      EXCLUDES(idem_mu_);
  void FinishEarly(const Principal& p, const ClaimRequest& r) EXCLUDES(idem_mu_);
  void DecideNow(Calendar& cal, std::list<Pending>::iterator it) REQUIRES(s_.mu);
  bool DecideCommit(Calendar& cal, Pending& pending, Txn& txn) REQUIRES(s_.mu);  // true when it won
  void DecideHold(Calendar& cal, const Principal& p, const ClaimRequest& r, const std::string& fingerprint,
                  Done done, Txn& txn) REQUIRES(s_.mu);
  // Why the hold `r` asks for may not be placed (hold limit, rules, quota), or nullopt.
  std::optional<Outcome> HoldProblemLocked(Calendar& cal, const Principal& p, const ClaimRequest& r, Time now)
      REQUIRES(s_.mu);
  // `moving`: a booking of `me`'s that does not count against the claim (the one a counter's
  // acceptance moves).
  Verdict Evaluate(Calendar& cal, const store::AgentRecord& me, const BucketRange& range, bool is_hold,
                   Time now, const store::ClaimRecord* moving = nullptr) REQUIRES(s_.mu);
  // `retry` (null: the request as a commit or hold) runs the request again after a stale view.
  void Reject(Calendar& cal, const Principal& p, const ClaimRequest& r, bool is_hold, Time arrival,
              const Verdict& v, const std::string& fingerprint, Done done, Txn& txn,
              std::function<void(Done)> retry = nullptr) REQUIRES(s_.mu);
  // Makes the booking `r` asks for, given a winning verdict: bucket writes, converted,
  // displaced, evicted and expired claims, its audit row. Returns the 201 body.
  nlohmann::json PlaceBookingLocked(Calendar& cal, const Principal& p, const ClaimRequest& r,
                                    const BucketRange& range, Time arrival, const Verdict& v, Txn& txn,
                                    store::ClaimRecord** placed) REQUIRES(s_.mu);
  // The bucket writes that give `range` to claim `claim_id`, against the occupants as they are.
  void ClaimBucketsLocked(Calendar& cal, const BucketRange& range, const std::string& claim_id, Txn& txn)
      REQUIRES(s_.mu);
  // Others' `holds` give way to claim `by` of `me`'s (audit row each), keeping `range`'s buckets.
  void DisplaceLocked(Calendar& cal, const store::AgentRecord& me, const std::vector<store::ClaimRecord*>& holds,
                      const std::string& by, const BucketRange& range, Time now, Txn& txn) REQUIRES(s_.mu);
  void InsertClaim(Calendar& cal, std::unique_ptr<store::ClaimRecord> claim, Txn& txn) REQUIRES(s_.mu);
  // Why agent `agent_id` may not add a claim with `metadata_bytes` of metadata that frees
  // `freed` (its own holds a commit converts): 422 quota_exceeded naming the quota, its limit
  // and the current use; nullopt when it may. Holds past their expiry do not count.
  std::optional<Outcome> QuotaProblemLocked(const Calendar& cal, const std::string& agent_id,
                                            int64_t metadata_bytes,
                                            const std::vector<store::ClaimRecord*>& freed, Time now) const
      REQUIRES(s_.mu);
  // The agent's unexpired holds whose buckets overlap `range`: what a commit there converts.
  std::vector<store::ClaimRecord*> OwnHoldsOverlappingLocked(const Calendar& cal, const std::string& agent_id,
                                                             const BucketRange& range, Time now) const
      REQUIRES(s_.mu);
  // Takes `claim` out of the calendar; frees its buckets except those in `keep` (nullable:
  // free all), which the caller is about to give to a new claim.
  void RemoveClaim(Calendar& cal, store::ClaimRecord* claim, store::ClaimState state, Time ended_at,
                   const std::string& ended_by, const BucketRange* keep, Txn& txn) REQUIRES(s_.mu);
  void ExpireHold(Calendar& cal, store::ClaimRecord* hold, const BucketRange* keep, Txn& txn) REQUIRES(s_.mu);
  // Releases or cancels the caller's active claim, with its audit row.
  void EndByCaller(Calendar& cal, const Principal& p, store::ClaimRecord* claim, store::ClaimState state,
                   const char* audit_kind, Txn& txn) REQUIRES(s_.mu);
  // Queues `outcome` for after the step is durable, with its idempotency record.
  void Answer(Txn& txn, Done done, Outcome outcome, const Principal& p, const ClaimRequest& r,
              const std::string& fingerprint, bool is_hold, std::function<void(Done)> retry = nullptr)
      EXCLUDES(idem_mu_);
  // Runs a commit (or hold) again from the start; for Txn::Answer::retry.
  std::function<void(Done)> RetryOf(const Principal& p, const ClaimRequest& r, bool is_hold);
  // Release and cancel: the caller's claim `id` of `kind` ends in `state` (audit `kind_name`).
  void EndAttempt(const Principal& p, const std::string& id, store::ClaimKind kind, Done done, int attempt)
      EXCLUDES(s_.mu);

  // --- Counters (engine_counters.cc) ---
  // Makes counter-proposal `r` of `p`'s on `booking` (committed, another agent's, under the
  // limit), with its audit row; answers 201 once durable.
  void PlaceCounterLocked(Calendar& cal, const Principal& p, const store::ClaimRecord& booking,
                          const CounterRequest& r, const ClaimRequest& keyed, const std::string& fingerprint,
                          Done done) REQUIRES(s_.mu);
  void AcceptAttempt(const Principal& p, const std::string& booking_id, const std::string& counter_id,
                     int slot_index, Done done, int attempt) EXCLUDES(s_.mu);
  void RejectAttempt(const Principal& p, const std::string& booking_id, const std::string& counter_id,
                     Done done, int attempt) EXCLUDES(s_.mu);
  // Decides the acceptance of pending `counter` (in `open`, the pending counters of
  // `original`) on slot `slot_index` (valid).
  void AcceptLocked(Calendar& cal, const Principal& p, store::ClaimRecord* original,
                    std::map<std::string, store::CounterRecord>& open, store::CounterRecord counter,
                    int slot_index, Done done, std::function<void(Done)> retry) REQUIRES(s_.mu);
  // Pending counters on `booking` expire (it is leaving its committed state): audit rows and
  // records into `txn`.
  void ExpireCountersLocked(Calendar& cal, const store::ClaimRecord& booking, Txn& txn) REQUIRES(s_.mu);
  // A decided counter (not pending in memory) as the answer to accept/reject: the replay of
  // an identical earlier answer, or 409 invalid_state / 404.
  Outcome DecidedCounterOutcome(const Principal& p, const std::string& booking_id,
                                const std::string& counter_id, std::optional<int> slot_index) EXCLUDES(s_.mu);

  // --- Rules (engine_rules.cc) ---
  // Why a commit's `hold_id` cannot be converted (not live, or not overlapping), or nullopt.
  std::optional<Outcome> NamedHoldProblemLocked(Calendar* cal, const Principal& p, const ClaimRequest& r,
                                                Time now) REQUIRES(s_.mu);
  // The first rule `start`–`end` by agent `agent_id` breaks, as the 422 to answer; nullopt
  // when it breaks none. `caps_only` re-checks caps at decision time. `moving`: a booking
  // that does not count (a counter's acceptance moves it).
  std::optional<Outcome> RuleViolationLocked(const Calendar& cal, const std::string& agent_id, Time start,
                                             Time end, bool is_commit, Time now, bool caps_only = false,
                                             const store::ClaimRecord* moving = nullptr) REQUIRES(s_.mu);
  // What the rules see of `cal`: its zone, now, and its committed bookings (but `moving`).
  void FillRuleContextLocked(const Calendar& cal, Time now, RuleContext& ctx,
                             const store::ClaimRecord* moving = nullptr) const REQUIRES(s_.mu);

  // --- Availability (engine_availability.cc): what a query of `p` needs, copied. ---
  void SnapshotForAvailabilityLocked(const Principal& p, const AvailabilityQuery& q, AvailabilitySnapshot& snap)
      REQUIRES(s_.mu);

  // --- The store's side (engine.cc) ---
  void BeginTxn(Txn& txn) REQUIRES(s_.mu);
  void Submit(Txn& txn) REQUIRES(s_.mu);
  void OnApplied(Status status, std::shared_ptr<Txn> txn) EXCLUDES(s_.mu);  // store thread
  // Runs the requests refused by a stale view again, after the reload.
  void RunReplays() EXCLUDES(s_.mu);
  // Release/cancel of a claim the store has active and this view does not (made at another
  // daemon moments ago): reloads; true when the claim is active now, so the attempt can run
  // again. False at once on a store of one daemon.
  bool CatchUpWith(const store::ClaimRecord& stored) EXCLUDES(s_.mu);
  bool RunDueLocked(bool force, Time* next) REQUIRES(s_.mu);  // decides at most one claim; true if it did
  // Settles every claim whose tie window has closed. Called before any new arrival is
  // judged, so a claim that arrives after a window closed never joins that window's tie, no
  // matter how late the timer thread runs: the outcome depends only on arrival times.
  void SettleDueLocked() REQUIRES(s_.mu);
  // The caller's (or, for the owner, any) active claim `id` of `kind`; nullptr if none.
  store::ClaimRecord* FindOwnActiveLocked(Calendar* cal, const Principal& p, const std::string& id,
                                          store::ClaimKind kind) REQUIRES(s_.mu);
  void TimerLoop() EXCLUDES(s_.mu);
  // After a load: the commits waiting out their tie window that a claim they cannot beat now
  // blocks (one another daemon committed, say) are settled at once; waiting could not make
  // them win.
  void SettleBlockedLocked() REQUIRES(s_.mu);
  // The timer's periodic work without the lock: sweeping holds, purging old idempotency keys.
  void PeriodicWork(Time now) EXCLUDES(s_.mu);

  State& s_;
  bool stopping_ GUARDED_BY(s_.mu) = false;
  Time last_refresh_ GUARDED_BY(s_.mu){};
  uint64_t next_pending_id_ GUARDED_BY(s_.mu) = 1;
  Time last_purge_{};  // the timer thread's
  std::thread timer_;

  // Requests to run again once the view is reloaded (retry, done).
  Mutex replay_mu_;
  std::vector<std::pair<std::function<void(Done)>, Done>> replays_ GUARDED_BY(replay_mu_);

  // Idempotency: requests being decided, and recent answers (the store keeps all of them; the
  // recent map covers the moment between a store lookup and taking the lock). Taken after
  // s_.mu when both are held, never before, so that store callbacks can finish requests
  // without the engine lock.
  Mutex idem_mu_;
  std::unordered_map<std::string, std::string> in_flight_ GUARDED_BY(idem_mu_);  // agent\nkey → fingerprint
  std::unordered_map<std::string, store::IdempotencyRecord> recent_ GUARDED_BY(idem_mu_);
  std::deque<std::pair<Time, std::string>> recent_order_ GUARDED_BY(idem_mu_);
};

}  // namespace agentdraft::engine
