// Clock: the only way code reads the time.
//
// Everything that depends on "now" (tie window, bump window, hold expiry, idempotency age)
// takes a Clock&. Production uses SystemClock; tests use FakeClock (tests/support/fake_clock.h)
// and move time by hand, so no test sleeps to test a window or a TTL.
//
// Thread-safe: implementations must allow Now() from any thread.
#pragma once

#include <atomic>

#include "common/time.h"

namespace agentdraft {

class Clock {
 public:
  virtual ~Clock() = default;
  // Current UTC time, microsecond resolution.
  virtual Time Now() const = 0;
};

// The real wall clock. The one place in daemon/ and common/ that reads system_clock.
class SystemClock final : public Clock {
 public:
  Time Now() const override;
};

// A clock that moves only when told: the virtual time of `agentdraft race replay`, and the
// base of the tests' FakeClock.
class ManualClock : public Clock {
 public:
  explicit ManualClock(Time start) : now_(ToMicros(start)) {}

  Time Now() const override { return FromMicros(now_.load()); }
  void Advance(Duration d) { now_ += d.count(); }
  void Set(Time t) { now_ = ToMicros(t); }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace agentdraft
