#include "daemon/engine/rules.h"

#include <date/date.h>
#include <date/tz.h>

#include <cstdio>
#include <set>

namespace agentdraft::engine {
namespace {

using nlohmann::json;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr const char* kDayNames[7] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
constexpr int64_t kDay = 86400;

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }
int64_t LocalDay(int64_t local_seconds) { return FloorDiv(local_seconds, kDay); }
int Weekday(int64_t local_day) { return static_cast<int>(((local_day % 7) + 11) % 7); }  // 1970-01-01: Thu

std::string Hhmm(int min) {
  char buf[16];  // room for any int: -Wformat-truncation has nothing to say
  std::snprintf(buf, sizeof buf, "%02d:%02d", min / 60, min % 60);
  return buf;
}

Status Bad(const std::string& field, const std::string& why) {
  return Status::InvalidArgument(field + ": " + why);
}

Result<int> ParseHhmm(const json& body, const char* field) {
  auto it = body.find(field);
  if (it == body.end() || !it->is_string()) return Bad(field, "required, a local time like \"09:00\"");
  const std::string t = it->get<std::string>();
  const auto digit = [&t](size_t i) { return t[i] >= '0' && t[i] <= '9'; };
  // Digits only: sscanf's %d alone would read " 9:00" and "+9:00" as 09:00.
  const bool shape = t.size() == 5 && digit(0) && digit(1) && t[2] == ':' && digit(3) && digit(4);
  const int h = shape ? (t[0] - '0') * 10 + (t[1] - '0') : 0;
  const int m = shape ? (t[3] - '0') * 10 + (t[4] - '0') : 0;
  if (!shape || m > 59 || h * 60 + m > 24 * 60) {
    return Bad(field, "\"" + t.substr(0, 16) + "\" is not a local time from \"00:00\" to \"24:00\"");
  }
  return h * 60 + m;
}

Status ParseWeekly(const json& body, Rule* r) {
  auto days = body.find("days");
  if (days == body.end() || !days->is_array() || days->empty()) {
    return Bad("days", "required, a list of weekdays like [\"mon\", \"tue\"]");
  }
  for (const json& d : *days) {
    bool found = false;
    for (int i = 0; i < 7; ++i) {
      if (d.is_string() && d.get<std::string>() == kDayNames[i]) r->days[i] = found = true;
    }
    if (!found) return Bad("days", d.dump() + " is not one of sun, mon, tue, wed, thu, fri, sat");
  }
  auto from = ParseHhmm(body, "from");
  if (!from.ok()) return from.status();
  auto to = ParseHhmm(body, "to");
  if (!to.ok()) return to.status();
  if (*to <= *from) return Bad("to", "must be after from (a window cannot cross midnight; use two rules)");
  r->from_min = *from;
  r->to_min = *to;
  return Status::Ok();
}

Status PositiveInt(const json& body, const char* field, int max, int* out, bool required = true) {
  auto it = body.find(field);
  if (it == body.end()) return required ? Bad(field, "required") : Status::Ok();
  if (!it->is_number_integer() || it->get<int64_t>() < 0 || it->get<int64_t>() > max) {
    return Bad(field, "must be an integer from 0 to " + std::to_string(max));
  }
  *out = it->get<int>();
  return Status::Ok();
}

Status OnlyFields(const json& body, std::set<std::string> allowed) {
  allowed.insert("kind");
  for (auto it = body.begin(); it != body.end(); ++it) {
    if (!allowed.count(it.key())) {
      std::string list;
      for (const std::string& a : allowed) list += (list.empty() ? "" : ", ") + a;
      return Bad(it.key(), "not a field of this rule (fields: " + list + ")");
    }
  }
  return Status::Ok();
}

json DaysJson(const std::array<bool, 7>& days) {
  json out = json::array();
  for (int i = 1; i <= 7; ++i) {  // mon first
    if (days[i % 7]) out.push_back(kDayNames[i % 7]);
  }
  return out;
}

std::string DaysText(const std::array<bool, 7>& days) {
  std::string out;
  for (const json& d : DaysJson(days)) out += (out.empty() ? "" : ",") + d.get<std::string>();
  return out;
}

}  // namespace

const char* RuleKindName(RuleKind k) {
  switch (k) {
    case RuleKind::kBusinessHours: return "business_hours";
    case RuleKind::kFocus: return "focus";
    case RuleKind::kBuffer: return "buffer";
    case RuleKind::kCap: return "cap";
    case RuleKind::kNotice: return "notice";
    case RuleKind::kHorizon: return "horizon";
  }
  return "?";
}

// A focus block: weekly (days, from, to) or once (start, end).
Status ParseFocus(const json& body, Rule* r) {
  r->weekly = body.contains("days");
  if (r->weekly) {
    Status s = OnlyFields(body, {"days", "from", "to"});
    return s.ok() ? ParseWeekly(body, r) : s;
  }
  Status s = OnlyFields(body, {"start", "end"});
  for (const char* f : {"start", "end"}) {
    if (!s.ok()) return s;
    auto it = body.find(f);
    auto t = it != body.end() && it->is_string() ? ParseRfc3339(it->get<std::string>())
                                                 : Result<Time>(Status::InvalidArgument(""));
    if (!t.ok()) return Bad(f, "required, an RFC 3339 time (or give days, from and to for a weekly block)");
    (f[0] == 's' ? r->start : r->end) = *t;
  }
  if (r->end <= r->start) return Bad("end", "must be after start");
  return Status::Ok();
}

// A cap: max_bookings or max_minutes a day, for every agent or one (agent_id).
Status ParseCap(const json& body, Rule* r) {
  Status s = OnlyFields(body, {"max_bookings", "max_minutes", "agent_id"});
  if (s.ok()) s = PositiveInt(body, "max_bookings", 1000, &r->max_bookings, false);
  if (s.ok()) s = PositiveInt(body, "max_minutes", 24 * 60, &r->max_minutes, false);
  if (s.ok() && (r->max_bookings > 0) == (r->max_minutes > 0)) {
    s = Bad("max_bookings", "give exactly one of max_bookings and max_minutes (> 0)");
  }
  if (s.ok() && body.contains("agent_id")) {
    if (!body["agent_id"].is_string() && !body["agent_id"].is_null()) s = Bad("agent_id", "must be an agent's id or name");
    else if (body["agent_id"].is_string()) r->agent_id = body["agent_id"].get<std::string>();
  }
  return s;
}

Result<Rule> ParseRule(const json& body) {
  if (!body.is_object()) return Bad("body", "must be a JSON object");
  auto kind = body.find("kind");
  if (kind == body.end() || !kind->is_string()) {
    return Bad("kind", "required: business_hours, focus, buffer, cap, notice or horizon");
  }
  Rule r;
  const std::string k = kind->get<std::string>();
  Status s;
  if (k == "business_hours") {
    r.kind = RuleKind::kBusinessHours;
    s = OnlyFields(body, {"days", "from", "to"});
    if (s.ok()) s = ParseWeekly(body, &r);
  } else if (k == "focus") {
    r.kind = RuleKind::kFocus;
    s = ParseFocus(body, &r);
  } else if (k == "buffer") {
    r.kind = RuleKind::kBuffer;
    int before = 0, after = 0;
    s = OnlyFields(body, {"before_minutes", "after_minutes"});
    if (s.ok()) s = PositiveInt(body, "before_minutes", 24 * 60, &before, false);
    if (s.ok()) s = PositiveInt(body, "after_minutes", 24 * 60, &after, false);
    if (s.ok() && before == 0 && after == 0) s = Bad("before_minutes", "give before_minutes or after_minutes (> 0)");
    r.before = minutes(before);
    r.after = minutes(after);
  } else if (k == "cap") {
    r.kind = RuleKind::kCap;
    s = ParseCap(body, &r);
  } else if (k == "notice") {
    r.kind = RuleKind::kNotice;
    int m = 0;
    s = OnlyFields(body, {"minutes"});
    if (s.ok()) s = PositiveInt(body, "minutes", 366 * 24 * 60, &m);
    r.amount = minutes(m);
  } else if (k == "horizon") {
    r.kind = RuleKind::kHorizon;
    int d = 0;
    s = OnlyFields(body, {"days"});
    if (s.ok()) s = PositiveInt(body, "days", 3660, &d);
    if (s.ok() && d == 0) s = Bad("days", "must be at least 1");
    r.amount = std::chrono::hours(24 * d);
  } else {
    return Bad("kind", "\"" + k.substr(0, 32) + "\" is not one of business_hours, focus, buffer, cap, notice, horizon");
  }
  if (!s.ok()) return s;
  return r;
}

json Rule::Spec() const {
  switch (kind) {
    case RuleKind::kBusinessHours: return {{"days", DaysJson(days)}, {"from", Hhmm(from_min)}, {"to", Hhmm(to_min)}};
    case RuleKind::kFocus:
      if (weekly) return {{"days", DaysJson(days)}, {"from", Hhmm(from_min)}, {"to", Hhmm(to_min)}};
      return {{"start", FormatRfc3339(start)}, {"end", FormatRfc3339(end)}};
    case RuleKind::kBuffer:
      return {{"before_minutes", std::chrono::duration_cast<minutes>(before).count()},
              {"after_minutes", std::chrono::duration_cast<minutes>(after).count()}};
    case RuleKind::kCap: {
      json j = json::object();
      if (max_bookings > 0) j["max_bookings"] = max_bookings;
      if (max_minutes > 0) j["max_minutes"] = max_minutes;
      j["agent_id"] = agent_id.empty() ? json() : json(agent_id);
      return j;
    }
    case RuleKind::kNotice: return {{"minutes", std::chrono::duration_cast<minutes>(amount).count()}};
    case RuleKind::kHorizon: return {{"days", std::chrono::duration_cast<std::chrono::hours>(amount).count() / 24}};
  }
  return json::object();
}

std::string Rule::Describe() const {
  switch (kind) {
    case RuleKind::kBusinessHours: return "business hours " + DaysText(days) + " " + Hhmm(from_min) + "-" + Hhmm(to_min);
    case RuleKind::kFocus:
      return weekly ? "focus " + DaysText(days) + " " + Hhmm(from_min) + "-" + Hhmm(to_min)
                    : "focus " + FormatRfc3339(start) + " to " + FormatRfc3339(end);
    case RuleKind::kBuffer:
      return "buffer " + FormatDuration(before) + " before, " + FormatDuration(after) + " after every booking";
    case RuleKind::kCap:
      return (max_bookings > 0 ? "at most " + std::to_string(max_bookings) + " bookings"
                               : "at most " + std::to_string(max_minutes) + " booked minutes") +
             " a day" + (agent_id.empty() ? "" : " for " + agent_id);
    case RuleKind::kNotice: return "at least " + FormatDuration(amount) + " notice";
    case RuleKind::kHorizon: return "at most " + FormatDuration(amount) + " ahead";
  }
  return "";
}

Result<Rule> RuleFromRecord(const store::RuleRecord& rec) {
  json body = json::parse(rec.spec_json, nullptr, false);
  if (!body.is_object()) return Status::Internal("rule " + rec.id + ": stored spec is not JSON");
  body["kind"] = rec.kind;
  if (body.contains("agent_id") && body["agent_id"].is_null()) body.erase("agent_id");
  auto r = ParseRule(body);
  if (!r.ok()) return Status::Internal("rule " + rec.id + ": " + r.status().message());
  r->id = rec.id;
  return r;
}

json RuleJson(const store::RuleRecord& rec) {
  json j = {{"id", rec.id}, {"kind", rec.kind}};
  json spec = json::parse(rec.spec_json, nullptr, false);
  if (spec.is_object()) j.update(spec);
  j["created_at"] = FormatRfc3339(rec.created_at);
  j["updated_at"] = FormatRfc3339(rec.updated_at);
  return j;
}

Result<const date::time_zone*> ZoneFor(const std::string& name) {
  if (name.empty() || name == "UTC") return static_cast<const date::time_zone*>(nullptr);
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
    return Status::InvalidArgument("unknown time zone \"" + name + "\"");
  }
}

Time LocalToUtc(const date::time_zone* zone, int64_t local) {
  const auto as_time = [](date::sys_seconds t) { return Time(std::chrono::duration_cast<Duration>(t.time_since_epoch())); };
  if (zone == nullptr) return Time(seconds(local));
  const date::local_seconds ls{seconds(local)};
  const date::local_info info = zone->get_info(ls);
  if (info.result == date::local_info::nonexistent) return as_time(info.second.begin);
  return as_time(date::sys_seconds{ls.time_since_epoch() - info.first.offset});
}

Time RuleContext::ToUtc(int64_t local) const {
  auto [it, fresh] = to_utc_memo.try_emplace(local);
  if (fresh) it->second = LocalToUtc(zone, local);
  return it->second;
}

int64_t RuleContext::ToLocal(Time t) const {
  if (zone == nullptr) return std::chrono::floor<seconds>(t).time_since_epoch().count();
  const int64_t s = std::chrono::floor<seconds>(t).time_since_epoch().count();
  if (s < offset_from || s >= offset_to) {
    const date::sys_info info = zone->get_info(date::sys_seconds{seconds(s)});
    offset_from = info.begin.time_since_epoch().count();
    offset_to = info.end.time_since_epoch().count();
    offset_seconds = info.offset.count();
  }
  return s + offset_seconds;
}

namespace {

// The window of `r` on local day `day`, in UTC.
std::pair<Time, Time> Window(const Rule& r, const RuleContext& ctx, int64_t day) {
  return {ctx.ToUtc(day * kDay + r.from_min * 60), ctx.ToUtc(day * kDay + r.to_min * 60)};
}

std::string LocalText(const RuleContext& ctx, Time t) {
  if (ctx.quiet) return "";
  const int64_t local = ctx.ToLocal(t);
  const date::sys_seconds as_if{seconds(local)};
  return date::format("%a %Y-%m-%d %H:%M", as_if) + " " + ctx.zone_name;
}

// The committed bookings starting in [from, to): a local day.
const std::vector<const store::ClaimRecord*>& DayBookings(const RuleContext& ctx, Time from, Time to,
                                                          std::vector<const store::ClaimRecord*>& scratch) {
  auto collect = [&](std::vector<const store::ClaimRecord*>& out) {
    ctx.bookings(from, to, [&](const store::ClaimRecord& b) {
      if (b.start >= from && b.start < to) out.push_back(&b);
    });
  };
  if (!ctx.memoize_days) {
    scratch.clear();
    collect(scratch);
    return scratch;
  }
  auto [it, fresh] = ctx.day_memo.try_emplace(ToMicros(from));
  if (fresh) collect(it->second);
  return it->second;
}

// A cap rule against a commit `s`–`e` of an agent it applies to.
template <typename MakeViolation>
std::optional<Violation> CheckCap(const Rule& r, const RuleContext& ctx, Time s, Time e, MakeViolation violation) {
  const int64_t day = LocalDay(ctx.ToLocal(s));
  const Time from = ctx.ToUtc(day * kDay), to = ctx.ToUtc((day + 1) * kDay);
  std::vector<const store::ClaimRecord*> scratch;
  int count = 0;
  Duration booked{0};
  for (const store::ClaimRecord* b : DayBookings(ctx, from, to, scratch)) {
    if (!r.agent_id.empty() && b->agent_id != r.agent_id) continue;
    ++count;
    booked += b->end - b->start;
  }
  const std::string on_day = ctx.quiet ? "" : LocalText(ctx, from).substr(0, 14) + " (" + ctx.zone_name + ")";
  if (r.max_bookings > 0 && count + 1 > r.max_bookings) {
    return violation(on_day + " already has " + std::to_string(count) + " bookings; the cap is " +
                     std::to_string(r.max_bookings));
  }
  if (r.max_minutes > 0 && booked + (e - s) > minutes(r.max_minutes)) {
    return violation(on_day + " already has " + FormatDuration(booked) + " booked; this would pass the cap of " +
                     FormatDuration(minutes(r.max_minutes)));
  }
  return std::nullopt;
}

std::optional<Violation> Check(const Rule& r, const RuleContext& ctx, const std::string& agent_id, Time s,
                               Time e, bool is_commit) {
  const std::string kind = RuleKindName(r.kind);
  auto violation = [&](const std::string& message) {
    if (ctx.quiet) return Violation{r.id, kind, ""};
    return Violation{r.id, kind, message + " (rule " + r.id + ": " + r.Describe() + ")"};
  };
  switch (r.kind) {
    case RuleKind::kNotice:
      if (s < ctx.now + r.amount) return violation("starts too soon: the owner asks for " + FormatDuration(r.amount) + " notice");
      return std::nullopt;
    case RuleKind::kHorizon:
      if (e > ctx.now + r.amount) return violation("ends too far ahead: the owner books at most " + FormatDuration(r.amount) + " ahead");
      return std::nullopt;
    case RuleKind::kFocus:
      if (!r.weekly) {
        if (s < r.end && r.start < e) return violation("overlaps a focus block");
        return std::nullopt;
      }
      for (int64_t day = LocalDay(ctx.ToLocal(s)) - 1; day <= LocalDay(ctx.ToLocal(e)); ++day) {
        if (!r.days[Weekday(day)]) continue;
        auto [ws, we] = Window(r, ctx, day);
        if (s < we && ws < e) return violation("overlaps the focus block of " + LocalText(ctx, ws));
      }
      return std::nullopt;
    case RuleKind::kBuffer: {
      std::optional<Violation> found;
      ctx.bookings(s - r.after, e + r.before, [&](const store::ClaimRecord& b) {
        if (found || (b.start < e && s < b.end)) return;  // overlapping bookings: the rank rules decide
        if (b.start < e + r.before && s < b.end + r.after) {
          found = violation(ctx.quiet ? "" : "too close to booking " + b.id + " (" + FormatRfc3339(b.start) + " to " +
                            FormatRfc3339(b.end) + "): the owner keeps " + FormatDuration(r.before) + " before and " +
                            FormatDuration(r.after) + " after every booking free");
        }
      });
      return found;
    }
    case RuleKind::kCap:
      if (!is_commit || (!r.agent_id.empty() && r.agent_id != agent_id)) return std::nullopt;
      return CheckCap(r, ctx, s, e, violation);
    case RuleKind::kBusinessHours:
      return std::nullopt;  // as a group, in CheckRules
  }
  return std::nullopt;
}

}  // namespace

std::optional<Violation> CheckRules(const std::vector<Rule>& rules, const RuleContext& ctx,
                                    const std::string& agent_id, Time start, Time end, bool is_commit) {
  const Rule* first_hours = nullptr;
  bool inside_hours = false;
  const int64_t day = LocalDay(ctx.ToLocal(start));
  for (const Rule& r : rules) {
    if (r.kind == RuleKind::kBusinessHours) {
      if (first_hours == nullptr) first_hours = &r;
      if (!inside_hours && r.days[Weekday(day)]) {
        auto [ws, we] = Window(r, ctx, day);
        inside_hours = ws <= start && end <= we;
      }
      continue;
    }
    if (auto v = Check(r, ctx, agent_id, start, end, is_commit)) return v;
  }
  if (first_hours != nullptr && !inside_hours) {
    if (ctx.quiet) return Violation{first_hours->id, "business_hours", ""};
    return Violation{first_hours->id, "business_hours",
                     "outside business hours: " + LocalText(ctx, start) + " is not inside one window (rule " +
                         first_hours->id + ": " + first_hours->Describe() + ")"};
  }
  return std::nullopt;
}

}  // namespace agentdraft::engine
