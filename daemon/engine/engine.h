// Engine: decides who gets a slot (docs/design.md, "A decision"), and hands every decision to the Store.
//
// The engine keeps each owner's calendar in memory (agents and their rank, active claims,
// bucket occupancy, commits waiting out the tie window) and decides under one lock. A decision
// becomes one store::Decision (bucket writes with their expected occupants, claim rows, audit
// rows, idempotency records); the answers to the requests it settles are delivered only after
// the store reports it durable. So a 201 is never sent for a booking that could be lost.
//
// Requests are asynchronous: Commit/Hold/Release/Cancel take a `Done` callback that is called
// exactly once, on the caller's, the engine's or the store's thread. A Done callback must not
// call back into the engine.
//
// Time comes only from the injected Clock. With `run_timer_thread` the engine settles tie
// windows and sweeps expired holds by itself; tests turn it off, move a FakeClock, and call
// RunDue().
//
// The owners' side (agents, ranking, keys, sessions, settings, rules) is the Directory
// (directory.h), over the same state: `engine.directory()`. What is behind both is in
// engine_state.h (the shared state and its lock), core.h (decisions) and directory_impl.h.
//
// Thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "daemon/engine/directory.h"
#include "daemon/engine/types.h"
#include "daemon/store/store.h"

namespace agentdraft::engine {

class Core;
class DirectoryImpl;
class State;

class Engine {
 public:
  Engine(store::Store& store, const Clock& clock, EngineOptions options);
  ~Engine();  // Stop()s
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // REQUIRES: before Start().
  void SetHooks(EngineHooks hooks);
  // Loads the calendars from the store and starts the timer thread (if configured).
  Status Start();
  // Settles every waiting commit now, stops the timer thread, and waits for the store.
  void Stop();

  // --- Agent operations (docs/design.md, "A decision"). REQUIRES: principal is an agent. ---
  void Commit(const Principal& principal, ClaimRequest request, Done done);
  void Hold(const Principal& principal, ClaimRequest request, Done done);
  void Release(const Principal& principal, const std::string& hold_id, Done done);
  // The booking's agent or the owner.
  void Cancel(const Principal& principal, const std::string& booking_id, Done done);
  // --- Counter-proposals (docs/design.md, "Counter-proposals"). ---
  // Agent `p` offers the agent of booking `booking_id` (on p's calendar) other slots for it:
  // 201 with the counter. 404 when the booking is not on p's calendar, 400 when it is p's own,
  // 409 invalid_state when it is no longer committed, 422 counter_limit at 5 pending counters
  // of p's on it. Idempotent by key like a commit.
  void ProposeCounter(const Principal& p, const std::string& booking_id, CounterRequest r, Done done);
  // The counters on booking `booking_id`: every one for its agent and the owner, the
  // caller's own for any other agent of the calendar; 404 when the booking is not on it.
  Outcome ListCounters(const Principal& p, const std::string& booking_id);
  // The booking's agent (or the owner) takes slot `slot_index` of a pending counter: that slot
  // is judged as a commit by the booking's agent, at once (rank, holds, bump window, rules),
  // the booking itself not counting against it; if it wins, one decision makes the new
  // booking, cancels the original (ended_by the new one) and marks the counter ACCEPTED; its
  // other pending counters expire with the original. 201 {counter…, booking}; 409 outranked
  // (the counter stays pending); 409 invalid_state when the counter or booking is no longer
  // pending/committed; accepting again with the same slot answers 200 with the same result.
  void AcceptCounter(const Principal& p, const std::string& booking_id, const std::string& counter_id,
                     int slot_index, Done done);
  // The booking's agent (or the owner) declines a pending counter: 200, REJECTED. Rejecting
  // again is harmless; 409 invalid_state when it was accepted or expired.
  void RejectCounter(const Principal& p, const std::string& booking_id, const std::string& counter_id,
                     Done done);

  // Free slots from the engine's current view (committed bookings, unexpired holds, rules).
  // Copies what it needs under the lock (the busy buckets of the range, the rules, the
  // bookings near it) and computes the slots after releasing it, so a long query never delays
  // a decision. At most `max_availability_slots` slots; when there are more, the answer says
  // `truncated: true` and `next_range_start` (the first slot left out) to ask again from.
  Outcome Availability(const Principal& principal, const AvailabilityQuery& query);

  // Settles the tie-window commits whose time has come; returns when the next one is due
  // (Time::max() if none). Called by the timer thread, or by tests after moving the clock.
  Time RunDue();
  // Marks holds whose TTL has passed as expired (audit row each). Called by the timer thread.
  void SweepExpiredHolds();

  // The owners, agents, keys, sessions, settings and rules of the calendars decided here.
  Directory& directory();

  // --- Reads for the API (engine_reads.cc): what it shows beyond the calendar's decisions,
  // read from the store with the caller's visibility applied here, so the API never reaches
  // the store itself. Unavailable when the store fails. ---
  std::string StoreName() const;  // "sqlite", "dynamodb"
  // True when other daemons share the store (their checkpoints are signed with other keys).
  bool SharedStore() const;
  // Booking `id` if `p` may see it (the owner: any of its calendar's; an agent: its own);
  // NotFound otherwise.
  Result<store::ClaimRecord> GetBooking(const Principal& p, const std::string& id);
  // The bookings `p` may see that match `q` (owner_id, kind and, for an agent, agent_id are
  // set here).
  Result<std::vector<store::ClaimRecord>> ListBookings(const Principal& p, store::ClaimQuery q);
  // The audit rows `p` may see that match `q` (owner_id and, for an agent, visible_to_agent
  // are set here): an agent sees the rows it acted in or is the subject of.
  Result<std::vector<store::AuditRecord>> ListAudit(const Principal& p, store::AuditQuery q);
  // Up to `limit` rows of the whole chain (every owner's) after `after_seq`: for exports,
  // which show other owners' rows only as links.
  Result<std::vector<store::AuditRecord>> ListChain(int64_t after_seq, int limit);
  Result<std::vector<store::CheckpointRecord>> ListCheckpoints();  // by size
  // `owner_id`'s webhook deliveries that match `q` (owner_id is set here).
  Result<std::vector<store::WebhookDelivery>> ListDeliveries(const std::string& owner_id, store::DeliveryQuery q);

  const Clock& clock() const;
  const EngineOptions& options() const;

 private:
  std::unique_ptr<State> state_;
  std::unique_ptr<Core> core_;
  std::unique_ptr<DirectoryImpl> directory_;
};

// Waits for an asynchronous engine call: Await([&](Done d) { engine.Commit(p, r, d); }).
Outcome Await(const std::function<void(Done)>& call);

}  // namespace agentdraft::engine
