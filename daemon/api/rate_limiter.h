// RateLimiter: a token bucket per key (an agent's id), for 429 rate_limited answers.
//
// Each key has a bucket of at most `burst` tokens that refills at `rate` tokens a second; a
// request takes one token or is refused with the time until one is there. rate 0 = no limit.
// Time comes from the caller (the engine's Clock), so tests move a FakeClock.
//
// Thread-safe.
#pragma once

#include <mutex>
#include <string>
#include <unordered_map>

#include "common/time.h"

namespace agentdraft::api {

class RateLimiter {
 public:
  // burst < 1 is taken as max(1, rate).
  RateLimiter(double rate_per_second = 0, double burst = 0);

  void Configure(double rate_per_second, double burst);
  bool enabled() const { return rate_ > 0; }

  // True when `key` may make a request at `now` (a token is taken); else false and
  // `*retry_after` is how long until the next token.
  bool Take(const std::string& key, Time now, Duration* retry_after);

 private:
  struct Bucket {
    double tokens = 0;
    Time refilled_at;
  };
  std::mutex mu_;
  double rate_ = 0;
  double burst_ = 0;
  std::unordered_map<std::string, Bucket> buckets_;  // GUARDED_BY(mu_)
};

}  // namespace agentdraft::api
