// The core's timer thread: settles tie windows, sweeps expired holds, reloads a stale view,
// purges old idempotency records.
#include <algorithm>

#include <spdlog/spdlog.h>

#include "daemon/engine/core.h"

namespace agentdraft::engine {

void Core::SettleBlockedLocked() {
  // Commits waiting out their tie window that a claim they cannot beat now blocks (one
  // another daemon committed, say): waiting could not make them win, so settle them now.
  const Time now = s_.clock.Now();
  for (auto& [id, cal] : s_.calendars) {
    std::vector<uint64_t> blocked;
    for (const Pending& p : cal->pending) {
      auto agent = s_.agents.find(p.principal.agent_id);
      if (agent != s_.agents.end() && Evaluate(*cal, agent->second, p.range, /*is_hold=*/false, now).blocker) {
        blocked.push_back(p.id);
      }
    }
    for (uint64_t pid : blocked) {
      auto it = std::find_if(cal->pending.begin(), cal->pending.end(), [&](const Pending& p) { return p.id == pid; });
      if (it != cal->pending.end()) DecideNow(*cal, it);
    }
  }
}

void Core::Start() {
  last_purge_ = s_.clock.Now();
  if (s_.options.run_timer_thread) timer_ = std::thread([this] { TimerLoop(); });
}

void Core::Stop() {
  {
    MutexLock lock(s_.mu);
    if (stopping_ && !timer_.joinable()) return;
    stopping_ = true;
    Time next;
    while (RunDueLocked(/*force=*/true, &next)) {
    }
  }
  s_.wake_timer.notify_all();
  if (timer_.joinable()) timer_.join();
  s_.store.Flush();
  // Requests waiting to run again after a stale view: the daemon is stopping, so Commit and
  // Hold answer 503 without deciding.
  RunReplays();
  s_.store.Flush();
}


void Core::TimerLoop() {
  MutexLock lock(s_.mu);
  Time next_sweep = s_.clock.Now() + s_.options.sweep_interval;
  while (!stopping_) {
    if (s_.reload_needed.exchange(false)) {
      s_.ReloadLocked();
      last_refresh_ = s_.clock.Now();
      lock.Unlock();
      RunReplays();
      lock.Lock();
      continue;
    }
    // A shared store: pick up what other daemons wrote (agents, rules, bookings) even when
    // nothing here writes.
    if (s_.store.Shared() && s_.clock.Now() - last_refresh_ >= std::chrono::milliseconds(50)) {
      s_.RefreshIfStaleLocked();
      last_refresh_ = s_.clock.Now();
    }
    Time next;
    while (RunDueLocked(/*force=*/false, &next)) {
    }
    const Time now = s_.clock.Now();
    if (now >= next_sweep) {
      lock.Unlock();
      PeriodicWork(now);
      lock.Lock();
      next_sweep = now + s_.options.sweep_interval;
    }
    const Time wake = std::min(next, next_sweep);
    lock.WaitFor(s_.wake_timer, std::clamp(wake - s_.clock.Now(), Duration(50), Duration(std::chrono::milliseconds(100))));
  }
}

void Core::PeriodicWork(Time now) {
  SweepExpiredHolds();
  if (now - last_purge_ > std::chrono::hours(1)) {
    auto purged = s_.store.PurgeIdempotency(now - s_.options.idempotency_ttl);
    if (purged.ok() && *purged > 0) spdlog::info("purged {} idempotency records", *purged);
    last_purge_ = now;
  }
}

}  // namespace agentdraft::engine
