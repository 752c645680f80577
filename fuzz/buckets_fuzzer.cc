// Fuzzes the bucket arithmetic (daemon/engine/buckets.h) and the engine's bucket occupancy
// (Engine::Calendar::occupancy, which every commit, hold, release, cancel and availability
// answer reads) against a naive oracle: a plain vector of intervals.
//
// The engine runs on SQLite in memory with a ManualClock, three agents of priority 1, 2, 3,
// no tie window (every claim is decided at once) and no bump window (no booking is ever
// evicted), so that the outcome of every operation follows from the occupants alone:
//  - a claim is blocked by any overlapping booking, by its own overlapping hold when it is a
//    hold, and by another agent's unexpired hold unless it may displace it (a commit by an
//    agent of the same or a higher rank, a hold by a strictly higher one);
//  - otherwise it gets 201, converts its own overlapping holds (commit), displaces others'
//    holds and clears expired ones; overlap means sharing a 5-minute bucket.
//
// Input: 3 bytes per operation (up to 96): commit, hold, end an active claim (cancel or
// release, by its agent), move the clock (optionally sweeping expired holds), availability
// query, and a pure BucketRange check on arbitrary microsecond intervals.
//
// Findings (abort): any status or availability slot list that differs from the oracle's; a
// BucketRange that differs from floor(start)/ceil(end) on the 5-minute grid; an
// active-booking count (Engine::Counts) that differs from the oracle's at the end.
#include <array>
#include <chrono>
#include <cstring>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "daemon/engine/buckets.h"
#include "daemon/engine/engine.h"
#include "daemon/store/sqlite_store.h"
#include "fuzz/fuzz_support.h"

namespace {

using namespace std::chrono_literals;
using agentdraft::Duration;
using agentdraft::FromMicros;
using agentdraft::Time;
using agentdraft::ToMicros;
using agentdraft::engine::BucketRange;
using agentdraft::engine::kBucketMicros;
using agentdraft::engine::Outcome;
using agentdraft::fuzz::Fail;

constexpr Duration kHoldTtl = 10min;
const Time kClockStart = FromMicros(1780315200LL * 1000000);  // 2026-06-01T12:00:00Z
const Time kBase = FromMicros(1780390800LL * 1000000);        // 2026-06-02T09:00:00Z

struct Claim {
  std::string id;
  int agent = 0;  // index; priority = agent + 1
  bool hold = false;
  Time start, end;
  Time expires_at;  // holds
};

// The naive oracle's view of buckets: [floor(start), ceil(end)) on the 5-minute grid.
using FiveMinutes = std::chrono::duration<int64_t, std::ratio<300>>;
int64_t FirstBucket(Time t) { return std::chrono::floor<FiveMinutes>(t).time_since_epoch().count(); }
int64_t EndBucket(Time t) {
  return std::chrono::ceil<FiveMinutes>(t).time_since_epoch().count();
}
bool Overlap(Time s1, Time e1, Time s2, Time e2) {
  return std::max(FirstBucket(s1), FirstBucket(s2)) < std::min(EndBucket(e1), EndBucket(e2));
}

std::string Describe(const std::vector<Claim>& claims, Time now) {
  std::string out = "now " + agentdraft::FormatRfc3339(now) + "\n";
  for (const Claim& c : claims) {
    out += "  " + c.id + " agent" + std::to_string(c.agent + 1) + (c.hold ? " hold " : " booking ") +
           agentdraft::FormatRfc3339(c.start) + " – " + agentdraft::FormatRfc3339(c.end) +
           (c.hold ? " expires " + agentdraft::FormatRfc3339(c.expires_at) : "") + "\n";
  }
  return out;
}

void CheckBucketRange(int64_t start_us, int64_t length_us) {
  const Time s = FromMicros(start_us), e = FromMicros(start_us + length_us);
  const BucketRange r = BucketRange::Of(s, e);
  if (r.first != FirstBucket(s) || r.last != EndBucket(e) || r.size() < 1) {
    Fail("BucketRange::Of disagrees with the naive grid",
         std::to_string(start_us) + " + " + std::to_string(length_us) + "us: got [" +
             std::to_string(r.first) + ", " + std::to_string(r.last) + "), expected [" +
             std::to_string(FirstBucket(s)) + ", " + std::to_string(EndBucket(e)) + ")");
  }
  for (int64_t b = r.first - 1; b <= r.last; ++b) {
    const bool inside = b * kBucketMicros < start_us + length_us && start_us < (b + 1) * kBucketMicros;
    if (r.Contains(b) != inside) Fail("BucketRange::Contains disagrees", std::to_string(b));
  }
}

class Harness {
 public:
  Harness() : clock_(kClockStart) {
    agentdraft::store::SqliteStoreOptions so;
    so.path = ":memory:";
    auto opened = agentdraft::store::SqliteStore::Open(so);
    if (!opened.ok()) Fail("set-up: store", opened.status().ToString());
    store_ = std::move(opened.value());
    agentdraft::engine::EngineOptions eo;
    eo.run_timer_thread = false;
    eo.tie_window = Duration(0);
    eo.bump_window = Duration(0);
    eo.hold_ttl = kHoldTtl;
    eo.max_holds_per_agent = 1000;
    eo.max_active_claims_per_agent = agentdraft::engine::kMaxActiveClaimsSetting;  // the oracle has no quotas
    eo.key_secret = "fuzz-secret";
    engine_ = std::make_unique<agentdraft::engine::Engine>(*store_, clock_, eo);
    if (!engine_->Start().ok()) Fail("set-up: engine");
    auto grant = engine_->directory().RedeemMagicToken(engine_->directory().IssueMagicToken("owner@example.com"));
    if (!grant.ok()) Fail("set-up: owner", grant.status().ToString());
    owner_id_ = grant->owner.id;
    for (int i = 0; i < 3; ++i) {
      auto created = engine_->directory().CreateAgent(owner_id_, "agent" + std::to_string(i + 1), i + 1, {});
      if (!created.ok()) Fail("set-up: agent", created.status().ToString());
      auto p = engine_->directory().AuthenticateKey(created->plaintext_key);
      if (!p.ok()) Fail("set-up: key");
      agents_.push_back(*p);
    }
  }
  ~Harness() {
    engine_->Stop();
    engine_.reset();
  }

  void MakeClaim(int agent, bool hold, Time start, Time end) {
    const Time now = clock_.Now();
    // The oracle's verdict.
    bool blocked = false;
    std::vector<size_t> removed;
    for (size_t i = 0; i < claims_.size(); ++i) {
      const auto& o = claims_[i];
      if (!Overlap(start, end, o.start, o.end)) continue;
      if (!o.hold) {
        blocked = true;
      } else if (now >= o.expires_at) {
        removed.push_back(i);
      } else if (o.agent == agent) {
        if (hold) blocked = true; else removed.push_back(i);
      } else if (hold ? agent < o.agent : agent <= o.agent) {
        removed.push_back(i);
      } else {
        blocked = true;
      }
    }
    agentdraft::engine::ClaimRequest r;
    r.start = start;
    r.end = end;
    const auto& p = agents_[agent];
    const Outcome out = agentdraft::engine::Await([&](agentdraft::engine::Done done) {
      if (hold) engine_->Hold(p, std::move(r), std::move(done));
      else engine_->Commit(p, std::move(r), std::move(done));
    });
    const int expected = blocked ? 409 : 201;
    const std::string what = std::string(hold ? "hold" : "commit") + " by agent" +
                             std::to_string(agent + 1) + " " + agentdraft::FormatRfc3339(start) +
                             " – " + agentdraft::FormatRfc3339(end);
    if (out.status != expected) {
      Fail("claim outcome differs from the oracle", what + ": got " + std::to_string(out.status) +
                                                         ", expected " + std::to_string(expected) + "\n" +
                                                         out.body + "\n" + Describe(claims_, now));
    }
    if (blocked) return;
    const auto body = nlohmann::json::parse(out.body);
    for (auto it = removed.rbegin(); it != removed.rend(); ++it) claims_.erase(claims_.begin() + *it);
    claims_.push_back({body.at(hold ? "hold_id" : "booking_id").get<std::string>(), agent, hold,
                       start, end, now + kHoldTtl});
  }

  void End(size_t pick) {
    if (claims_.empty()) return;
    const size_t i = pick % claims_.size();
    const auto c = claims_[i];
    const Outcome out = agentdraft::engine::Await([&](agentdraft::engine::Done done) {
      if (c.hold) engine_->Release(agents_[c.agent], c.id, std::move(done));
      else engine_->Cancel(agents_[c.agent], c.id, std::move(done));
    });
    if (out.status != 200) {
      Fail("ending an active claim failed", c.id + ": " + std::to_string(out.status) + " " + out.body +
                                                "\n" + Describe(claims_, clock_.Now()));
    }
    claims_.erase(claims_.begin() + i);
  }

  void Advance(Duration d, bool sweep) {
    clock_.Advance(d);
    if (sweep) engine_->SweepExpiredHolds();
  }

  void Availability(int agent, Time range_start, Time range_end, Duration duration,
                    Duration granularity, bool include_holds) {
    agentdraft::engine::AvailabilityQuery q;
    q.range_start = range_start;
    q.range_end = range_end;
    q.duration = duration;
    q.granularity = granularity;
    q.include_holds = include_holds;
    const Outcome out = engine_->Availability(agents_[agent], q);
    if (out.status != 200) Fail("availability failed", out.body);
    std::vector<std::string> got;
    const nlohmann::json body = nlohmann::json::parse(out.body);
    for (const auto& slot : body.at("slots")) {
      got.push_back(slot.at("start").get<std::string>() + "/" + slot.at("end").get<std::string>());
    }
    // The oracle: every grid start whose slot touches no busy claim.
    const Time now = clock_.Now();
    std::vector<std::string> expected;
    const int64_t g = granularity.count();
    for (int64_t s = (ToMicros(range_start) + g - 1) / g * g; s + duration.count() <= ToMicros(range_end); s += g) {
      const Time ss = FromMicros(s), se = FromMicros(s + duration.count());
      bool busy = false;
      for (const auto& c : claims_) {
        const bool counts = !c.hold || (c.expires_at > now && (include_holds || c.agent != agent));
        if (counts && Overlap(ss, se, c.start, c.end)) busy = true;
      }
      if (!busy) expected.push_back(agentdraft::FormatRfc3339(ss) + "/" + agentdraft::FormatRfc3339(se));
    }
    if (got != expected) {
      std::string detail = "agent" + std::to_string(agent + 1) + " range " + agentdraft::FormatRfc3339(range_start) +
                           " – " + agentdraft::FormatRfc3339(range_end) + " duration " +
                           agentdraft::FormatDuration(duration) + " granularity " +
                           agentdraft::FormatDuration(granularity) + (include_holds ? " +holds" : "") +
                           "\ngot " + std::to_string(got.size()) + " slots, expected " +
                           std::to_string(expected.size()) + "\n" + Describe(claims_, now);
      Fail("availability differs from the oracle", detail);
    }
  }

  void CheckCounts() {
    auto counts = engine_->directory().Counts(owner_id_);
    if (!counts.ok()) Fail("counts failed", counts.status().ToString());
    int bookings = 0;
    for (const auto& c : claims_) bookings += c.hold ? 0 : 1;
    if (counts->active_bookings != bookings) {
      Fail("active bookings differ from the oracle", std::to_string(counts->active_bookings) + " vs " +
                                                         std::to_string(bookings));
    }
  }

 private:
  agentdraft::ManualClock clock_;
  std::unique_ptr<agentdraft::store::SqliteStore> store_;
  std::unique_ptr<agentdraft::engine::Engine> engine_;
  std::string owner_id_;
  std::vector<agentdraft::engine::Principal> agents_;
  std::vector<Claim> claims_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 3 * 96) return -1;
  // Pure arithmetic first, so that it runs even on inputs too short for an engine.
  for (size_t i = 0; i + 12 <= size; i += 12) {
    int64_t start = 0, length = 0;
    std::memcpy(&start, data + i, 8);
    uint32_t len32 = 0;
    std::memcpy(&len32, data + i + 8, 4);
    start %= 4'000'000'000'000'000'000LL;  // keep start + length far from overflow
    length = 1 + len32 % (1LL << 31) * 17;   // 1 us .. ~10 h
    CheckBucketRange(start, length);
  }
  if (size < 3) return 0;
  Harness h;
  for (size_t i = 0; i + 3 <= size; i += 3) {
    const uint8_t op = data[i], a = data[i + 1], b = data[i + 2];
    const int agent = (op >> 3) % 3;
    // Starts on a 1-minute grid (so claims need not align with buckets), 1 min to 4 h long.
    const Time start = kBase + std::chrono::minutes(a * 3 + (b & 3));
    const Time end = start + std::chrono::minutes(1 + (b >> 2) * 4);
    switch (op % 6) {
      case 0: h.MakeClaim(agent, /*hold=*/false, start, end); break;
      case 1: h.MakeClaim(agent, /*hold=*/true, start, end); break;
      case 2: h.End(a); break;
      case 3: h.Advance(std::chrono::seconds(a * 15 + b), /*sweep=*/(op & 0x40) != 0); break;
      case 4: {
        const Duration duration = std::chrono::minutes(5 + (b & 7) * 15);
        const Duration granularity = std::chrono::minutes(std::array<int, 4>{1, 5, 15, 30}[(b >> 3) & 3]);
        h.Availability(agent, start, start + std::chrono::hours(1 + (b >> 5)), duration, granularity,
                       (op & 0x80) != 0);
        break;
      }
      case 5: CheckBucketRange(ToMicros(start) + a * 7919, 1 + b * 104729LL); break;
    }
  }
  h.CheckCounts();
  return 0;
}
