// FakeClock: a Clock that moves only when a test says so. Thread-safe.
#pragma once

#include <atomic>

#include "common/clock.h"

namespace agentdraft::testing {

class FakeClock final : public Clock {
 public:
  // Starts at 2026-06-01T12:00:00Z unless told otherwise.
  explicit FakeClock(Time start = FromMicros(1780315200LL * 1000000)) : now_(ToMicros(start)) {}

  Time Now() const override { return FromMicros(now_.load()); }
  void Advance(Duration d) { now_ += d.count(); }
  void Set(Time t) { now_ = ToMicros(t); }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace agentdraft::testing
