// EventHub: the audit rows the daemon has made durable, for the event stream (GET /v1/events)
// and anything else that follows the log as it grows.
//
// Publish() takes rows in seq order (the engine's after_durable hook); the hub keeps the last
// `capacity` of them. WaitAfter() returns the kept rows after a seq, waiting a while for one
// to arrive; when rows after that seq have already left the ring it says so (`gap`), and the
// reader catches up from the store first.
//
// Thread-safe.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <vector>

#include "common/time.h"
#include "daemon/store/records.h"

namespace agentdraft::audit {

class EventHub {
 public:
  explicit EventHub(size_t capacity = 16384) : capacity_(capacity) {}

  void Publish(const std::vector<store::AuditRecord>& rows);
  // Rows with seq > `after`, at most `limit`; waits up to `timeout` (real time) when there is
  // none yet. `*gap` is true when some rows after `after` are no longer kept.
  std::vector<store::AuditRecord> WaitAfter(int64_t after, std::chrono::milliseconds timeout,
                                            size_t limit, bool* gap);
  // The newest seq published (0: none yet).
  int64_t head() const;
  // Sets the head at start-up (rows up to `seq` exist in the store, not in the hub).
  void Reset(int64_t seq);
  // Wakes every waiter (shutdown).
  void WakeAll();

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<store::AuditRecord> rows_;  // GUARDED_BY(mu_), ascending seq
  int64_t head_ = 0;                     // GUARDED_BY(mu_)
};

}  // namespace agentdraft::audit
