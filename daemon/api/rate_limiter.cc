#include "daemon/api/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace agentdraft::api {

RateLimiter::RateLimiter(double rate_per_second, double burst) { Configure(rate_per_second, burst); }

void RateLimiter::Configure(double rate_per_second, double burst) {
  std::lock_guard<std::mutex> lock(mu_);
  rate_ = std::max(0.0, rate_per_second);
  burst_ = burst >= 1 ? burst : std::max(1.0, rate_);
  buckets_.clear();
}

bool RateLimiter::Take(const std::string& key, Time now, Duration* retry_after) {
  std::lock_guard<std::mutex> lock(mu_);
  if (rate_ <= 0) return true;
  auto [it, fresh] = buckets_.try_emplace(key, Bucket{burst_, now});
  Bucket& b = it->second;
  if (!fresh && now > b.refilled_at) {
    const double elapsed = std::chrono::duration<double>(now - b.refilled_at).count();
    b.tokens = std::min(burst_, b.tokens + elapsed * rate_);
    b.refilled_at = now;
  }
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return true;
  }
  const double wait_s = (1 - b.tokens) / rate_;
  *retry_after = Duration(static_cast<int64_t>(std::ceil(wait_s * 1e6)));
  return false;
}

}  // namespace agentdraft::api
