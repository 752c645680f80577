#include "daemon/audit/event_hub.h"

#include <algorithm>

namespace agentdraft::audit {

void EventHub::Publish(const std::vector<store::AuditRecord>& rows) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const store::AuditRecord& r : rows) {
      if (r.seq <= head_) continue;
      rows_.push_back(r);
      head_ = r.seq;
    }
    while (rows_.size() > capacity_) rows_.pop_front();
  }
  cv_.notify_all();
}

std::vector<store::AuditRecord> EventHub::WaitAfter(int64_t after, std::chrono::milliseconds timeout,
                                                    size_t limit, bool* gap) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return head_ > after; });
  *gap = head_ > after && (rows_.empty() || rows_.front().seq > after + 1);
  std::vector<store::AuditRecord> out;
  if (*gap) return out;
  auto it = std::lower_bound(rows_.begin(), rows_.end(), after + 1,
                             [](const store::AuditRecord& r, int64_t seq) { return r.seq < seq; });
  for (; it != rows_.end() && out.size() < limit; ++it) out.push_back(*it);
  return out;
}

int64_t EventHub::head() const {
  std::lock_guard<std::mutex> lock(mu_);
  return head_;
}

void EventHub::Reset(int64_t seq) {
  std::lock_guard<std::mutex> lock(mu_);
  rows_.clear();
  head_ = seq;
}

void EventHub::WakeAll() { cv_.notify_all(); }

}  // namespace agentdraft::audit
