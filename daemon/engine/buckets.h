// Buckets: time cut into 5-minute cells. A claim occupies every bucket its interval touches,
// rounded outward (docs/design.md, "A decision"). Bucket b covers [b·5min, (b+1)·5min) of Unix time.
#pragma once

#include <cstdint>

#include "common/time.h"

namespace agentdraft::engine {

inline constexpr int64_t kBucketMicros = 5LL * 60 * 1000000;

// Floor division that rounds toward −∞ for times before the epoch too.
inline int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// The buckets of [start, end) as the half-open index range [first, last).
// REQUIRES: start < end.
struct BucketRange {
  int64_t first = 0;
  int64_t last = 0;  // one past the final bucket

  static BucketRange Of(Time start, Time end) {
    return {FloorDiv(ToMicros(start), kBucketMicros), FloorDiv(ToMicros(end) - 1, kBucketMicros) + 1};
  }
  bool Overlaps(const BucketRange& o) const { return first < o.last && o.first < last; }
  bool Contains(int64_t b) const { return first <= b && b < last; }
  int64_t size() const { return last - first; }
};

}  // namespace agentdraft::engine
