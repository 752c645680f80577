// The per-agent token bucket, on explicit times.
#include "daemon/api/rate_limiter.h"

#include <gtest/gtest.h>

namespace agentdraft::api {
namespace {

using namespace std::chrono_literals;

const Time kT0 = FromMicros(1780390800LL * 1000000);

TEST(RateLimiter, ABurstPassesThenTheRateRefillsIt) {
  RateLimiter limiter(2, 3);  // 2 a second, bursts of 3
  Duration retry{};
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Take("a", kT0, &retry)) << i;
  EXPECT_FALSE(limiter.Take("a", kT0, &retry));
  EXPECT_EQ(retry, 500ms);  // one token at 2/s
  EXPECT_FALSE(limiter.Take("a", kT0 + 499ms, &retry));
  EXPECT_TRUE(limiter.Take("a", kT0 + 1s, &retry));
  // Never more than the burst, however long it rested.
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Take("a", kT0 + 1h, &retry)) << i;
  EXPECT_FALSE(limiter.Take("a", kT0 + 1h, &retry));
}

TEST(RateLimiter, AgentsHaveTheirOwnBucketsAndZeroMeansNoLimit) {
  RateLimiter limiter(1, 1);
  Duration retry{};
  EXPECT_TRUE(limiter.Take("a", kT0, &retry));
  EXPECT_FALSE(limiter.Take("a", kT0, &retry));
  EXPECT_TRUE(limiter.Take("b", kT0, &retry));
  RateLimiter off;
  EXPECT_FALSE(off.enabled());
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(off.Take("a", kT0, &retry));
}

TEST(RateLimiter, TheBurstDefaultsToTheRateAndAtLeastOne) {
  RateLimiter slow(0.001, 0);
  Duration retry{};
  EXPECT_TRUE(slow.Take("a", kT0, &retry));
  EXPECT_FALSE(slow.Take("a", kT0, &retry));
  EXPECT_EQ(retry, 1000s);
}

}  // namespace
}  // namespace agentdraft::api
