// Store: the durable home of everything agentdraft decides.
//
// The engine (daemon/engine) decides in memory and hands each decision to the store as one
// Decision: a set of writes that must land atomically and durably, or not at all. The shape
// is that of a DynamoDB TransactWriteItems: conditional writes on one item per 5-minute
// bucket plus the rows the decision creates or changes. SQLite (sqlite_store.h) applies it in
// one transaction; a DynamoDB store applies it as one transaction with condition expressions.
//
// Thread-safety: every method may be called from any thread. Apply() callbacks run on a store
// thread, in submission order.
//
// Every store keeps every field of every record of records.h exactly: strings byte for byte,
// vectors in their order, an unset optional unset (an explicit 0 or "" stays set), and Times to
// the microsecond (CheckpointRecord::at is in whole milliseconds; a store may keep only those).
// tests/store/store_contract_test.cc checks each store against this file.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "daemon/store/records.h"

namespace agentdraft::store {

// Occupancy of one bucket changes from `expected_claim_id` to `new_claim_id`.
// Bucket b covers [b·5min, (b+1)·5min) in Unix time.
struct BucketWrite {
  std::string owner_id;
  int64_t bucket = 0;
  std::string expected_claim_id;  // "" = the bucket must be free
  std::string new_claim_id;       // "" = free the bucket
  // REQUIRES: not both "" (a write changes the occupancy). Buckets of different owners are
  // independent.
};

// One atomic unit of change. Conditions: every BucketWrite's expectation, idempotency keys
// that must not exist yet, audit seqs that must not exist yet (and must follow the head).
struct Decision {
  std::vector<BucketWrite> buckets;
  std::vector<ClaimRecord> claims;            // inserted, or replaced whole by id (its owner never changes)
  std::vector<AuditRecord> audit;             // appended
  std::vector<IdempotencyRecord> idempotency;  // inserted; must not exist
  std::vector<OwnerRecord> owners;            // inserted or replaced whole by id
  std::vector<AgentRecord> agents;            // inserted or replaced whole by id; REQUIRES: the
                                              // owner exists (stored, or in this decision)
  std::vector<SessionRecord> sessions;        // inserted
  std::vector<std::string> ended_sessions;    // token hashes of sessions deleted (a missing
                                              // one is no error)
  std::vector<CheckpointRecord> checkpoints;  // inserted; a size must not exist yet
  std::vector<WebhookSubscription> subscriptions;  // inserted or replaced whole by id
  std::vector<WebhookDelivery> deliveries;    // inserted or replaced whole by id
  std::vector<RuleRecord> rules;              // inserted or replaced whole by id (deleting sets deleted_at)
  std::vector<CounterRecord> counters;        // inserted or replaced whole by id (its owner and
                                              // booking never change)
  // When the engine decided (its clock). A store that can check time-based conditions itself
  // (DynamoDB: a hold's expiry, a booking's bump window) judges them at this time.
  Time decided_at;
};

// What the daemon needs in memory at start-up. Owners, agents and active claims come in no
// particular order.
struct LoadedState {
  std::vector<OwnerRecord> owners;
  std::vector<AgentRecord> agents;
  std::vector<ClaimRecord> active_claims;  // state kCommitted or kHeld (expired holds included),
                                           // of the owners in `owners`
  std::vector<RuleRecord> rules;           // not deleted, in creation order: by (created_at, id)
  std::vector<CounterRecord> open_counters;  // state kPending, of the owners in `owners`, in
                                             // no particular order
  int64_t audit_head_seq = 0;              // 0 when the log is empty
  std::string audit_head_hash;             // 64 zeros when the log is empty
};

struct ClaimQuery {
  std::string owner_id;                 // required
  std::optional<std::string> agent_id;  // only this agent's claims
  std::optional<ClaimKind> kind;
  std::optional<ClaimState> state;
  std::optional<Time> range_start;      // claims with end > range_start
  std::optional<Time> range_end;        // claims with start < range_end
  int limit = 100;
};

struct AuditQuery {
  std::string owner_id;                        // "" = every owner's rows (the whole chain)
  std::optional<std::string> visible_to_agent;  // rows whose actor or subject is this agent
  std::optional<std::string> resource;
  std::optional<std::string> kind;
  int64_t after_seq = 0;                       // rows with seq > after_seq
  int limit = 100;
};

struct DeliveryQuery {
  std::optional<std::string> subscription_id;
  std::optional<std::string> owner_id;
  std::optional<DeliveryState> state;
  int64_t after_seq = 0;  // deliveries of audit rows with seq > after_seq
  int limit = 100;
};

class Store {
 public:
  virtual ~Store() = default;

  // "sqlite", "dynamodb".
  virtual std::string Name() const = 0;

  // True when other daemons may write to the same store (DynamoDB): the engine must then
  // expect Conflict from decisions made on a stale view, and refresh its view when the
  // store's audit head has moved past its own.
  virtual bool Shared() const { return false; }

  // Applies `decision` atomically and durably, then calls `done` exactly once:
  //   OK          — every write is durable (for SQLite: the transaction's fsync returned);
  //   Conflict    — a condition failed (a bucket's current claim is not the expected one, an
  //                 idempotency key or audit seq exists); nothing of this decision was written;
  //   Unavailable — the store could not write (I/O error, disk full, timeout); nothing of this
  //                 decision was written.
  // Decisions are applied and answered in submission order; a later decision sees the writes
  // of every earlier one that succeeded.
  virtual void Apply(Decision decision, std::function<void(Status)> done) = 0;

  // Apply() and wait for its result.
  Status ApplySync(Decision decision);

  // Blocks until every decision submitted before the call has been answered.
  virtual void Flush() = 0;

  // --- Reads: committed (durable) state only. ---

  // Everything the engine keeps in memory. Not necessarily one snapshot on a shared store, but
  // never older than its `audit_head_seq`: the head is read first, so comparing heads
  // (AuditHeadSeq) always tells a daemon when its view may lack something.
  virtual Result<LoadedState> Load() = 0;

  // The seq of the newest durable audit row (0 when the log is empty). Cheap.
  virtual Result<int64_t> AuditHeadSeq() = 0;

  // The claim occupying a bucket, or "" when it is free. For tests and checkers.
  virtual Result<std::string> GetBucket(const std::string& owner_id, int64_t bucket) = 0;

  // NotFound when no such claim.
  virtual Result<ClaimRecord> GetClaim(const std::string& id) = 0;

  // Matching claims ordered by (start, id), at most q.limit.
  virtual Result<std::vector<ClaimRecord>> ListClaims(const ClaimQuery& q) = 0;

  // nullopt when (agent_id, key) has no record.
  virtual Result<std::optional<IdempotencyRecord>> GetIdempotency(const std::string& agent_id,
                                                                  const std::string& key) = 0;

  // Deletes idempotency records created before `cutoff` (created_at < cutoff); returns how
  // many. REQUIRES: records were inserted in created_at order (the engine stamps them with
  // its clock as it decides): a store may delete the oldest records in insertion order and
  // stop at the first one created at or after `cutoff`.
  virtual Result<int64_t> PurgeIdempotency(Time cutoff) = 0;

  // Matching rows in seq order, at most q.limit.
  virtual Result<std::vector<AuditRecord>> ListAudit(const AuditQuery& q) = 0;

  // nullopt when no such session.
  virtual Result<std::optional<SessionRecord>> GetSession(const std::string& token_hash) = 0;

  // Checkpoints in size order (all of them; there is one per N rows).
  virtual Result<std::vector<CheckpointRecord>> ListCheckpoints() = 0;
  // The newest checkpoint (the largest size), or nullopt when none has been signed.
  virtual Result<std::optional<CheckpointRecord>> LatestCheckpoint() = 0;

  // The counter-proposals made on booking `booking_id` of `owner_id`'s calendar, in creation
  // order: by (created_at, id). Empty when there are none.
  virtual Result<std::vector<CounterRecord>> ListCounters(const std::string& owner_id,
                                                          const std::string& booking_id) = 0;

  // Subscriptions not deleted; of one owner, or of all when `owner_id` is "". In
  // (created_at, id) order.
  virtual Result<std::vector<WebhookSubscription>> ListSubscriptions(const std::string& owner_id) = 0;
  // Matching deliveries in (audit_seq, subscription_id) order, at most q.limit.
  virtual Result<std::vector<WebhookDelivery>> ListDeliveries(const DeliveryQuery& q) = 0;
};

}  // namespace agentdraft::store
