// FakeClock: a Clock that moves only when a test says so. Thread-safe.
#pragma once

#include "common/clock.h"

namespace agentdraft::testing {

class FakeClock final : public ManualClock {
 public:
  // Starts at 2026-06-01T12:00:00Z unless told otherwise.
  explicit FakeClock(Time start = FromMicros(1780315200LL * 1000000)) : ManualClock(start) {}
};

}  // namespace agentdraft::testing
