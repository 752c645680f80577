// The owner's rules in the engine: the administration (create, list, update, delete, each one
// audit row) and the check a commit, a hold and availability make (rules.h).
#include <unordered_set>

#include "common/ids.h"
#include "daemon/engine/core.h"
#include "daemon/engine/views.h"

namespace agentdraft::engine {

using store::ClaimKind;
using store::ClaimRecord;

void Core::FillRuleContextLocked(const Calendar& cal, Time now, RuleContext& ctx,
                                   const ClaimRecord* moving) const {
  ctx.zone_name = cal.owner.settings.timezone.value_or("UTC");
  auto zone = ZoneFor(ctx.zone_name);
  ctx.zone = zone.ok() ? *zone : nullptr;
  if (!zone.ok()) ctx.zone_name = "UTC";
  ctx.now = now;
  ctx.bookings = [&cal, moving](Time from, Time to, const std::function<void(const ClaimRecord&)>& each) {
    if (to <= from) return;
    const BucketRange range = BucketRange::Of(from, to);
    const ClaimRecord* last = nullptr;  // a claim occupies consecutive buckets
    std::unordered_set<const ClaimRecord*> seen;
    for (int64_t b = range.first; b < range.last; ++b) {
      auto it = cal.occupancy.find(b);
      if (it == cal.occupancy.end() || it->second == last) continue;
      last = it->second;
      if (last->kind == ClaimKind::kBooking && last != moving && last->start < to && from < last->end &&
          seen.insert(last).second) {
        each(*last);
      }
    }
  };
}

std::optional<Outcome> Core::RuleViolationLocked(const Calendar& cal, const std::string& agent_id, Time start,
                                                   Time end, bool is_commit, Time now, bool caps_only,
                                                   const ClaimRecord* moving) {
  if (cal.rules.empty()) return std::nullopt;
  RuleContext ctx;
  FillRuleContextLocked(cal, now, ctx, moving);
  std::optional<Violation> v;
  if (caps_only) {
    std::vector<Rule> caps;
    for (const Rule& r : cal.rules) {
      if (r.kind == RuleKind::kCap) caps.push_back(r);
    }
    if (caps.empty()) return std::nullopt;
    v = CheckRules(caps, ctx, agent_id, start, end, is_commit);
  } else {
    v = CheckRules(cal.rules, ctx, agent_id, start, end, is_commit);
  }
  if (!v) return std::nullopt;
  return Error(ErrorCode::kRuleViolation, v->message, {{"rule", {{"id", v->rule_id}, {"kind", v->kind}}}});
}

}  // namespace agentdraft::engine
