// Availability: the free slots of a range. What they depend on is copied under the engine's
// lock (cheap: the range's buckets, the rules, the bookings near the range); the slots are
// computed after the lock is released, so a long query never delays a decision.
#include <algorithm>

#include "daemon/engine/core.h"

namespace agentdraft::engine {

using store::ClaimKind;
using store::ClaimRecord;

// What Availability copies of a calendar under the lock.
struct Core::AvailabilitySnapshot {
  Time now;
  int64_t first_bucket = 0;
  std::vector<int32_t> busy_before;  // [i]: busy buckets among first_bucket .. first_bucket+i-1
  std::vector<Rule> rules;           // empty: no rule to ask
  std::string zone_name = "UTC";
  // The committed bookings the rules may look at (buffers around a slot, the local day a slot
  // starts on), by start, without their metadata; and the longest one's length.
  std::vector<ClaimRecord> bookings;
  Duration longest{0};
};

namespace {

// How far outside the range the rules look: a buffer (at most 24 h) or a slot's local day
// (at most 26 h around it, UTC offsets and a DST change included).
constexpr Duration kRuleMargin = std::chrono::hours(72);

// The committed bookings of `cal` occupying a bucket of `range`, copied without metadata, by start.
std::vector<ClaimRecord> BookingsIn(const std::unordered_map<int64_t, ClaimRecord*>& occupancy,
                                    const BucketRange& range) {
  std::vector<ClaimRecord> out;
  const ClaimRecord* last = nullptr;  // a claim occupies consecutive buckets
  for (int64_t b = range.first; b < range.last; ++b) {
    auto it = occupancy.find(b);
    if (it == occupancy.end() || it->second == last) continue;
    last = it->second;
    if (last->kind != ClaimKind::kBooking) continue;
    if (!out.empty() && out.back().id == last->id) continue;
    ClaimRecord c;
    c.id = last->id;
    c.owner_id = last->owner_id;
    c.agent_id = last->agent_id;
    c.kind = last->kind;
    c.state = last->state;
    c.start = last->start;
    c.end = last->end;
    out.push_back(std::move(c));
  }
  return out;  // buckets in order, claims never overlap: already by start
}

// The rules' view of a copy: `bookings` by start, the longest `longest` long; as
// FillRuleContextLocked gives it of the live calendar. `bookings` must outlive `ctx`.
void FillRuleContext(const std::vector<ClaimRecord>& bookings, Duration longest, const std::string& zone_name,
                     Time now, RuleContext& ctx) {
  auto zone = ZoneFor(zone_name);
  ctx.zone = zone.ok() ? *zone : nullptr;
  ctx.zone_name = zone.ok() ? zone_name : "UTC";
  ctx.now = now;
  ctx.memoize_days = true;
  ctx.quiet = true;
  ctx.bookings = [&bookings, longest](Time from, Time to, const std::function<void(const ClaimRecord&)>& each) {
    if (to <= from) return;
    auto it = std::lower_bound(bookings.begin(), bookings.end(), from - longest,
                               [](const ClaimRecord& b, Time t) { return b.start < t; });
    for (; it != bookings.end() && it->start < to; ++it) {
      if (from < it->end) each(*it);
    }
  };
}

}  // namespace

void Core::SnapshotForAvailabilityLocked(const Principal& p, const AvailabilityQuery& q,
                                           AvailabilitySnapshot& snap) {
  const Calendar* cal = s_.FindCalendarLocked(p.owner_id);
  snap.now = s_.clock.Now();
  const BucketRange all = BucketRange::Of(q.range_start, q.range_end);
  snap.first_bucket = all.first;
  snap.busy_before.assign(all.size() + 1, 0);
  for (int64_t i = 0; i < all.size(); ++i) {
    bool busy = false;
    if (cal != nullptr) {
      auto it = cal->occupancy.find(all.first + i);
      if (it != cal->occupancy.end()) {
        const ClaimRecord* c = it->second;
        busy = c->kind == ClaimKind::kBooking ||
               (c->expires_at > snap.now && (q.include_holds || c->agent_id != p.agent_id));
      }
    }
    snap.busy_before[i + 1] = snap.busy_before[i] + (busy ? 1 : 0);
  }
  if (cal == nullptr || cal->rules.empty()) return;
  // The owner's rules, asked after the lock exactly as a commit by the caller would ask them.
  snap.rules = cal->rules;
  snap.zone_name = cal->owner.settings.timezone.value_or("UTC");
  snap.bookings = BookingsIn(cal->occupancy, BucketRange::Of(q.range_start - kRuleMargin, q.range_end + kRuleMargin));
  for (const ClaimRecord& b : snap.bookings) snap.longest = std::max(snap.longest, b.end - b.start);
}

Outcome Core::Availability(const Principal& p, const AvailabilityQuery& q) {
  AvailabilitySnapshot snap;
  {
    MutexLock lock(s_.mu);
    s_.RefreshIfStaleLocked();
    SnapshotForAvailabilityLocked(p, q, snap);
  }
  if (s_.hooks.availability_unlocked) s_.hooks.availability_unlocked();
  RuleContext rules;
  if (!snap.rules.empty()) FillRuleContext(snap.bookings, snap.longest, snap.zone_name, snap.now, rules);

  const int64_t g = std::chrono::duration_cast<Duration>(q.granularity).count();
  const int64_t d = q.duration.count();
  const int64_t rs = ToMicros(q.range_start), re = ToMicros(q.range_end);
  const size_t max_slots = static_cast<size_t>(std::max(1, s_.options.max_availability_slots));
  nlohmann::json slots = nlohmann::json::array();
  std::optional<Time> next;  // the first free slot left out
  for (int64_t s = FloorDiv(rs + g - 1, g) * g; s + d <= re; s += g) {
    const BucketRange r = BucketRange::Of(FromMicros(s), FromMicros(s + d));
    if (snap.busy_before[r.last - snap.first_bucket] != snap.busy_before[r.first - snap.first_bucket]) continue;
    if (!snap.rules.empty() &&
        CheckRules(snap.rules, rules, p.agent_id, FromMicros(s), FromMicros(s + d), /*is_commit=*/true)) {
      continue;
    }
    if (slots.size() == max_slots) {
      next = FromMicros(s);
      break;
    }
    slots.push_back({{"start", FormatRfc3339(FromMicros(s))}, {"end", FormatRfc3339(FromMicros(s + d))}});
  }
  nlohmann::json body = {{"slots", std::move(slots)},
                         {"range_start", FormatRfc3339(q.range_start)},
                         {"range_end", FormatRfc3339(q.range_end)},
                         {"duration_minutes", d / 60000000.0},
                         {"granularity_minutes", g / 60000000.0},
                         {"truncated", next.has_value()}};
  if (d % 60000000 == 0) body["duration_minutes"] = d / 60000000;
  if (g % 60000000 == 0) body["granularity_minutes"] = g / 60000000;
  if (next) body["next_range_start"] = FormatRfc3339(*next);
  return Outcome::Ok(body);
}

}  // namespace agentdraft::engine
