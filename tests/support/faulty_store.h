// FaultyStore: a store::Store decorator that injects faults into another store, for tests.
// Reads pass through; Apply() goes through the faults chosen in StoreFaults. With no fault
// set, Apply() passes through too.
//
// The negative controls (tests/planted/planted.h) are combinations of these faults: each is a
// classic bug of a system like agentdraft, which the history and power-loss checkers must
// catch. The unit tests use `fail_apply` to see what the engine answers when its store fails.
//
// Thread-safe. Callbacks run on the decorator's thread (or the inner store's), in submission
// order.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "daemon/store/store.h"

namespace agentdraft::testing {

struct StoreFaults {
  // Answer OK at once and hand the decision to the inner store `delay` later (a kill in
  // between loses what was acknowledged).
  bool ack_before_apply = false;
  // Apply a decision without its idempotency records, wait `delay`, then apply the records in
  // a decision of their own, then answer (a kill in the gap keeps the booking, loses the key).
  bool idempotency_separate = false;
  // Load() reports no committed booking, and a bucket write that expects a free bucket takes it
  // from whoever holds it: after a restart the engine books over what it forgot.
  bool forget_occupants = false;
  std::chrono::milliseconds delay{300};
  // When set and it returns an error for a decision, that decision is answered with the error
  // and never reaches the inner store.
  std::function<Status(const store::Decision&)> fail_apply;

  bool any() const { return ack_before_apply || idempotency_separate || forget_occupants || fail_apply; }
};

class FaultyStore final : public store::Store {
 public:
  FaultyStore(std::unique_ptr<store::Store> inner, StoreFaults faults);  // owns `inner`
  FaultyStore(store::Store& inner, StoreFaults faults);                   // `inner` outlives this
  ~FaultyStore() override;  // applies what is queued first

  std::string Name() const override { return inner_.Name(); }
  bool Shared() const override { return inner_.Shared(); }
  void Apply(store::Decision decision, std::function<void(Status)> done) override;
  void Flush() override;

  Result<store::LoadedState> Load() override;
  Result<int64_t> AuditHeadSeq() override { return inner_.AuditHeadSeq(); }
  Result<std::string> GetBucket(const std::string& owner_id, int64_t bucket) override {
    return inner_.GetBucket(owner_id, bucket);
  }
  Result<store::ClaimRecord> GetClaim(const std::string& id) override { return inner_.GetClaim(id); }
  Result<std::vector<store::ClaimRecord>> ListClaims(const store::ClaimQuery& q) override {
    return inner_.ListClaims(q);
  }
  Result<std::optional<store::IdempotencyRecord>> GetIdempotency(const std::string& agent_id,
                                                                 const std::string& key) override {
    return inner_.GetIdempotency(agent_id, key);
  }
  Result<int64_t> PurgeIdempotency(Time cutoff) override { return inner_.PurgeIdempotency(cutoff); }
  Result<std::vector<store::AuditRecord>> ListAudit(const store::AuditQuery& q) override {
    return inner_.ListAudit(q);
  }
  Result<std::optional<store::SessionRecord>> GetSession(const std::string& token_hash) override {
    return inner_.GetSession(token_hash);
  }
  Result<std::vector<store::CheckpointRecord>> ListCheckpoints() override { return inner_.ListCheckpoints(); }
  Result<std::optional<store::CheckpointRecord>> LatestCheckpoint() override {
    return inner_.LatestCheckpoint();
  }
  Result<std::vector<store::CounterRecord>> ListCounters(const std::string& owner_id,
                                                         const std::string& booking_id) override {
    return inner_.ListCounters(owner_id, booking_id);
  }
  Result<std::vector<store::WebhookSubscription>> ListSubscriptions(const std::string& owner_id) override {
    return inner_.ListSubscriptions(owner_id);
  }
  Result<std::vector<store::WebhookDelivery>> ListDeliveries(const store::DeliveryQuery& q) override {
    return inner_.ListDeliveries(q);
  }

 private:
  using Clock = std::chrono::steady_clock;
  struct Pending {
    store::Decision decision;
    std::function<void(Status)> done;  // null once answered (ack_before_apply)
    Clock::time_point due;
  };

  void TakeOccupants(store::Decision& d);
  void WorkerLoop();
  void AnswerEarly(std::unique_lock<std::mutex>& lock);
  void RunBatch(std::vector<Pending>& batch);

  std::unique_ptr<store::Store> owned_;
  store::Store& inner_;
  const StoreFaults faults_;

  std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable idle_cv_;
  std::deque<Pending> queue_;  // GUARDED_BY(mu_)
  bool busy_ = false;          // GUARDED_BY(mu_)
  bool stopping_ = false;      // GUARDED_BY(mu_)
  std::thread worker_;
};

}  // namespace agentdraft::testing
