// DynamoStore: the Store on one DynamoDB table, shared by any number of agentdraftd.
//
// Every Decision is one TransactWriteItems (docs/design.md, "DynamoDB mode", lists every item
// and condition). In short, the table has a string partition key `pk` and sort key `sk`:
//
//   pk                     sk               what
//   META                   HEAD             the audit chain's head: seq, hash
//   AUDIT                  <seq, 20 digits> one audit row
//   BKT#<owner>#<hour>     B                one hour of a calendar: twelve 5-minute buckets,
//                                           slot i as attributes c<i> (claim), a<i> (agent),
//                                           k<i> (kind), t<i> (created), x<i> (expires),
//                                           f<i> (frozen)
//   CAL#<owner>            C#<claim id>     a claim (booking or hold)
//   CLM#<claim id>         P                which owner a claim belongs to
//   IDEM#<agent>#<key>     I                an idempotency record (TTL)
//   OWNERS / AGENTS / RULES / SUBS  <id>    owners, agents, rules, webhook subscriptions
//   SESS#<token hash>      S                a session (TTL)
//   CKPT                   <size, 20 digits> a signed checkpoint
//   DLV                    <seq>#<sub id>   a webhook delivery
//
// Conditions: each bucket slot written must hold exactly the occupant the engine expected
// (absent when it expected a free bucket), and when that occupant leaves in the same
// decision, the slot's own attributes must agree with why: an EXPIRED hold's expiry has passed
// at the decision's time, an EVICTED booking is still inside its bump window, a DISPLACED hold
// has not expired, a CONVERTED hold belongs to the converting agent. Audit rows must not exist
// and the head must still be the one the rows extend, so every decision from every daemon is
// applied in one total order, and a daemon whose view is stale gets Conflict and reloads.
// Idempotency records and checkpoints must not exist.
//
// Limit: a TransactWriteItems carries at most 100 items; a decision needing more is refused
// with InvalidArgument before anything is sent. With hour pages, a commit of the longest claim
// (8 h: 9 pages) with its claim, pointer, audit row, head and idempotency record needs 14.
//
// Decisions are applied one at a time in submission order by one thread; reads are strongly
// consistent. Thread-safe.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "daemon/store/dynamo/dynamo_client.h"
#include "daemon/store/store.h"

namespace agentdraft::store {

struct DynamoStoreOptions {
  std::string table;
  dynamo::DynamoClientOptions client;
  bool create_table = false;  // create it (with its TTL attribute) when it does not exist
  // Idempotency records carry a TTL of this plus an hour (the engine purges them itself at
  // this age; DynamoDB's TTL deletion is only the backstop).
  Duration idempotency_ttl = std::chrono::hours(24);
};

// The most items one TransactWriteItems may carry.
inline constexpr int kDynamoMaxTransactItems = 100;

class DynamoStore final : public Store {
 public:
  // Checks that the table exists (or creates it) and answers.
  static Result<std::unique_ptr<DynamoStore>> Open(const DynamoStoreOptions& options);
  ~DynamoStore() override;  // answers every queued decision first

  // Creates `table` (pk, sk; on-demand billing) and turns on TTL on `ttl`. AlreadyExists when
  // it is there.
  static Status CreateTable(dynamo::DynamoClient& client, const std::string& table);

  std::string Name() const override { return "dynamodb"; }
  bool Shared() const override { return true; }
  void Apply(Decision decision, std::function<void(Status)> done) override;
  void Flush() override;

  Result<LoadedState> Load() override;
  Result<int64_t> AuditHeadSeq() override;
  Result<std::string> GetBucket(const std::string& owner_id, int64_t bucket) override;
  Result<ClaimRecord> GetClaim(const std::string& id) override;
  Result<std::vector<ClaimRecord>> ListClaims(const ClaimQuery& q) override;
  Result<std::optional<IdempotencyRecord>> GetIdempotency(const std::string& agent_id,
                                                          const std::string& key) override;
  Result<int64_t> PurgeIdempotency(Time cutoff) override;
  Result<std::vector<AuditRecord>> ListAudit(const AuditQuery& q) override;
  Result<std::optional<SessionRecord>> GetSession(const std::string& token_hash) override;
  Result<std::vector<CheckpointRecord>> ListCheckpoints() override;
  Result<std::optional<CheckpointRecord>> LatestCheckpoint() override;
  Result<std::vector<CounterRecord>> ListCounters(const std::string& owner_id,
                                                  const std::string& booking_id) override;
  Result<std::vector<WebhookSubscription>> ListSubscriptions(const std::string& owner_id) override;
  Result<std::vector<WebhookDelivery>> ListDeliveries(const DeliveryQuery& q) override;

  // The TransactWriteItems request for `d` (without ClientRequestToken); InvalidArgument when
  // it would exceed kDynamoMaxTransactItems. Exposed for tests and docs.
  Result<nlohmann::json> BuildTransaction(const Decision& d) const;
  // Load(), part by part.
  Status LoadHead(LoadedState& out);
  Status LoadOwnersAndAgents(LoadedState& out);
  Status LoadCalendars(LoadedState& out);
  Status LoadRules(LoadedState& out);

  // The secret API keys are hashed with, shared by every daemon on the table: `candidate` is
  // stored unless another daemon stored one first; returns the stored one.
  Result<std::string> SharedSecret(const std::string& candidate);

  dynamo::DynamoClient& client() { return *client_; }

 private:
  struct Pending {
    Decision decision;
    std::function<void(Status)> done;
  };
  explicit DynamoStore(DynamoStoreOptions options);
  void WriterLoop();
  Status ApplyOne(const Decision& d);
  // Items of partition `pk` (with sk > `after_sk` when given) in sk order, `page_size` per
  // request (0: DynamoDB's page), handed to `visit` until it returns false.
  Status QueryPages(const std::string& pk, const std::string& after_sk, bool forward, int page_size,
                    const std::function<bool(nlohmann::json&)>& visit);
  // Every item of partition `pk` (with sk > `after_sk` when given), in sk order; at most
  // `limit` when positive.
  Result<std::vector<nlohmann::json>> QueryAll(const std::string& pk, const std::string& after_sk = "",
                                               bool forward = true, int limit = 0);
  Result<std::optional<nlohmann::json>> GetItem(const std::string& pk, const std::string& sk);

  const DynamoStoreOptions options_;
  std::unique_ptr<dynamo::DynamoClient> client_;

  std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable done_cv_;
  std::deque<Pending> queue_;  // GUARDED_BY(mu_)
  bool busy_ = false;          // GUARDED_BY(mu_): a decision is being applied
  bool stopping_ = false;      // GUARDED_BY(mu_)
  std::thread writer_;
};

}  // namespace agentdraft::store
