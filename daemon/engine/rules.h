// The owner's rules (docs/design.md, "Rules"): what a claim must respect before it is judged
// by rank. Six kinds, as the API writes them (docs/api.md, "Rules"):
//
//   business_hours  {"days": ["mon",…], "from": "09:00", "to": "17:00"}   local wall-clock times
//   focus           {"start": RFC3339, "end": RFC3339}                    one-off
//                   {"days": [...], "from": "13:00", "to": "15:00"}       weekly
//   buffer          {"before_minutes": 10, "after_minutes": 5}
//   cap             {"max_bookings": 4} or {"max_minutes": 240}, optional "agent_id"
//   notice          {"minutes": 120}
//   horizon         {"days": 30}
//
// Semantics (docs/design.md, "Rules"): a claim [s, e) must lie inside one business-hours
// window of the local day it starts on, when there are business-hours rules at all; must not
// overlap a focus block; must not fall inside another committed booking's buffer zone
// [b.start − before, b.end + after) (bookings it overlaps outright are the rank rules' business);
// a commit must leave its local day at or under every cap that counts it (caps count committed
// bookings by their start's local day; holds are not counted or capped); s ≥ now + notice;
// e ≤ now + horizon. Local times are in the owner's IANA zone, through date::tz; a local time
// that does not exist (spring forward) is the instant of the change, an ambiguous one (fall
// back) the earlier instant.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "common/time.h"
#include "daemon/store/records.h"

namespace date {
class time_zone;
}

namespace agentdraft::engine {

enum class RuleKind { kBusinessHours, kFocus, kBuffer, kCap, kNotice, kHorizon };
const char* RuleKindName(RuleKind k);

struct Rule {
  std::string id;
  RuleKind kind = RuleKind::kNotice;
  // business_hours, weekly focus: the weekdays (0 = Sunday) and minutes after local midnight.
  std::array<bool, 7> days{};
  int from_min = 0, to_min = 0;
  // focus: one-off when !weekly.
  bool weekly = false;
  Time start, end;
  // buffer
  Duration before{0}, after{0};
  // cap: at most max_bookings (0 = no count cap) or max_minutes (0 = none) per local day.
  int max_bookings = 0;
  int max_minutes = 0;
  std::string agent_id;  // "" = every agent
  // notice, horizon
  Duration amount{0};

  // The rule's fields as the API shows them (without id and kind).
  nlohmann::json Spec() const;
  // "mon-fri 09:00-17:00", "at most 4 bookings a day for agt_…", …
  std::string Describe() const;
};

// Parses a rule from the API's body: {"kind": …, fields…}. InvalidArgument naming the field.
// `agent_id` of a cap is taken as written; the engine resolves names and checks ownership.
Result<Rule> ParseRule(const nlohmann::json& body);
// The stored form back (spec_json was written by Spec()).
Result<Rule> RuleFromRecord(const store::RuleRecord& r);
// {"id", "kind", fields…, "created_at", "updated_at"}.
nlohmann::json RuleJson(const store::RuleRecord& r);

struct Violation {
  std::string rule_id;
  std::string kind;
  std::string message;
};

// What a check needs to know of the calendar. `bookings` calls `each` for every committed
// booking overlapping [from, to).
struct RuleContext {
  const date::time_zone* zone = nullptr;  // nullptr = UTC
  std::string zone_name = "UTC";
  Time now;
  std::function<void(Time from, Time to, const std::function<void(const store::ClaimRecord&)>& each)> bookings;
  // Per local day (by its first instant), the committed bookings starting that day, filled on
  // first use: availability asks about the same few days many times.
  mutable std::map<int64_t, std::vector<const store::ClaimRecord*>> day_memo;
  bool memoize_days = false;
  // Availability needs only yes or no: no messages are written.
  bool quiet = false;
  // Conversions already made (the zone's rules are the same for every claim of a query).
  mutable std::map<int64_t, Time> to_utc_memo;  // local seconds → instant
  mutable int64_t offset_from = 1, offset_to = 0, offset_seconds = 0;  // UTC seconds [from, to) → offset

  Time ToUtc(int64_t local_seconds) const;
  int64_t ToLocal(Time t) const;
};

// The first rule that [start, end) by `agent_id` breaks, if any. Caps only for commits.
std::optional<Violation> CheckRules(const std::vector<Rule>& rules, const RuleContext& ctx,
                                    const std::string& agent_id, Time start, Time end, bool is_commit);

// The UTC instant of a local wall-clock time in `zone` (nullptr = UTC): the earlier instant of
// an ambiguous time, the instant of the change for one that does not exist.
Time LocalToUtc(const date::time_zone* zone, int64_t local_seconds_since_epoch);
// The zone for an IANA name ("" or "UTC" = nullptr); InvalidArgument for an unknown name.
Result<const date::time_zone*> ZoneFor(const std::string& name);

}  // namespace agentdraft::engine
