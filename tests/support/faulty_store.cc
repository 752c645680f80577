#include "tests/support/faulty_store.h"

#include <algorithm>
#include <cstdio>

namespace agentdraft::testing {

FaultyStore::FaultyStore(std::unique_ptr<store::Store> inner, StoreFaults faults)
    : owned_(std::move(inner)), inner_(*owned_), faults_(std::move(faults)) {
  worker_ = std::thread([this] { WorkerLoop(); });
}

FaultyStore::FaultyStore(store::Store& inner, StoreFaults faults) : inner_(inner), faults_(std::move(faults)) {
  worker_ = std::thread([this] { WorkerLoop(); });
}

FaultyStore::~FaultyStore() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  worker_.join();
  inner_.Flush();
}

void FaultyStore::Apply(store::Decision decision, std::function<void(Status)> done) {
  if (!faults_.any()) {
    inner_.Apply(std::move(decision), std::move(done));
    return;
  }
  Clock::time_point due = Clock::now();
  if (faults_.ack_before_apply) due += faults_.delay;  // answered at once by the worker
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back({std::move(decision), std::move(done), due});
  }
  work_cv_.notify_one();
}

void FaultyStore::Flush() {
  {
    std::unique_lock<std::mutex> lock(mu_);
    idle_cv_.wait(lock, [&] { return queue_.empty() && !busy_; });
  }
  inner_.Flush();
}

Result<store::LoadedState> FaultyStore::Load() {
  auto loaded = inner_.Load();
  if (!loaded.ok() || !faults_.forget_occupants) return loaded;
  auto& claims = loaded->active_claims;
  claims.erase(std::remove_if(claims.begin(), claims.end(),
                              [](const store::ClaimRecord& c) {
                                return c.kind == store::ClaimKind::kBooking &&
                                       c.state == store::ClaimState::kCommitted;
                              }),
               claims.end());
  return loaded;
}

// A write that expects a free bucket expects its current occupant instead (read from the
// inner store's committed state), so that it overwrites whoever holds the bucket.
void FaultyStore::TakeOccupants(store::Decision& d) {
  for (store::BucketWrite& w : d.buckets) {
    if (!w.expected_claim_id.empty() || w.new_claim_id.empty()) continue;
    auto current = inner_.GetBucket(w.owner_id, w.bucket);
    if (current.ok()) w.expected_claim_id = *current;
  }
}

void FaultyStore::WorkerLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    work_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and everything is applied
    if (faults_.ack_before_apply) AnswerEarly(lock);
    const Clock::time_point due = queue_.front().due;
    if (due > Clock::now()) {
      work_cv_.wait_until(lock, due);  // woken early too: new decisions to answer
      continue;
    }
    std::vector<Pending> batch;
    while (!queue_.empty() && queue_.front().due <= Clock::now()) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    busy_ = true;
    lock.unlock();
    RunBatch(batch);
    lock.lock();
    busy_ = false;
    idle_cv_.notify_all();
  }
}

// ack_before_apply: answers OK to every decision queued, before the inner store has seen it.
void FaultyStore::AnswerEarly(std::unique_lock<std::mutex>& lock) {
  std::vector<std::function<void(Status)>> dones;
  for (Pending& p : queue_) {
    if (p.done) dones.push_back(std::move(p.done));
    p.done = nullptr;
  }
  if (dones.empty()) return;
  lock.unlock();
  for (auto& done : dones) done(Status::Ok());
  lock.lock();
}

// Hands the batch to the inner store as the faults say, then answers what is still unanswered,
// in order.
void FaultyStore::RunBatch(std::vector<Pending>& batch) {
  std::vector<Status> results(batch.size());
  std::mutex results_mu;
  store::Decision keys;
  std::vector<store::IdempotencyRecord> stripped;
  for (size_t i = 0; i < batch.size(); ++i) {
    store::Decision& d = batch[i].decision;
    if (faults_.fail_apply) {
      if (Status s = faults_.fail_apply(d); !s.ok()) {
        results[i] = s;
        continue;
      }
    }
    if (faults_.forget_occupants) TakeOccupants(d);
    std::vector<store::IdempotencyRecord> own_keys;
    if (faults_.idempotency_separate) own_keys.swap(d.idempotency);
    inner_.Apply(std::move(d), [&, i, own_keys = std::move(own_keys)](Status s) mutable {
      std::lock_guard<std::mutex> lock(results_mu);
      if (s.ok()) for (auto& k : own_keys) keys.idempotency.push_back(std::move(k));
      else if (!batch[i].done) std::fprintf(stderr, "FaultyStore: acknowledged, then %s\n", s.ToString().c_str());
      results[i] = std::move(s);
    });
  }
  inner_.Flush();
  if (!keys.idempotency.empty()) {
    std::this_thread::sleep_for(faults_.delay);
    (void)inner_.ApplySync(std::move(keys));
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    if (batch[i].done) batch[i].done(std::move(results[i]));
  }
}

}  // namespace agentdraft::testing
