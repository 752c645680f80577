#include "common/friendly_time.h"

#include <date/date.h>
#include <date/tz.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace agentdraft {

namespace {

using Seconds = std::chrono::seconds;
using LocalSeconds = date::local_seconds;
using LocalDays = date::local_days;

constexpr char kAccepted[] =
    "accepted: now; +4h, -15m, +1h30m (units w d h m s); 16:00, 9:30am, 4pm; "
    "today or tomorrow [16:00]; mon or monday [9:30]; 2026-12-01 [16:00]; "
    "RFC 3339 like 2026-12-01T16:00:00Z";

// A malformed argument: what was wrong, then the accepted forms.
Status Bad(std::string_view text, const std::string& why) {
  return Status::InvalidArgument("cannot read time \"" + std::string(text.substr(0, 64)) +
                                 "\": " + why + " (" + kAccepted + ")");
}

bool IsUtcName(std::string_view tz) {
  return tz.empty() || tz == "UTC" || tz == "utc";
}

// The zone named `tz`; nullptr means UTC.
Result<const date::time_zone*> FindZone(std::string_view tz) {
  if (IsUtcName(tz)) return static_cast<const date::time_zone*>(nullptr);
  try {
    return date::locate_zone(std::string(tz));
  } catch (const std::exception&) {
    // locate_zone throws for an unknown name; a missing tzdata makes every name unknown.
  }
  return Status::InvalidArgument("unknown time zone \"" + std::string(tz.substr(0, 64)) +
                                 "\" (expected an IANA name from the system's tzdata, like "
                                 "Europe/Berlin or America/New_York, or UTC)");
}

// "2026-03-08 02:30", or "HH:MM" alone.
std::string FormatLocal(LocalSeconds t, bool with_date) {
  LocalDays day = date::floor<date::days>(t);
  date::year_month_day ymd(day);
  date::hh_mm_ss<Seconds> tod(t - day);
  char buf[40];
  if (with_date) {
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u %02d:%02d", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<int>(tod.hours().count()), static_cast<int>(tod.minutes().count()));
  } else {
    std::snprintf(buf, sizeof buf, "%02d:%02d", static_cast<int>(tod.hours().count()),
                  static_cast<int>(tod.minutes().count()));
  }
  return buf;
}

// A local wall-clock time mapped to instants.
struct Resolved {
  enum Kind { kUnique, kAmbiguous, kNonexistent } kind = kUnique;
  Time first;       // the instant; for kAmbiguous the earlier one
  Time second;      // kAmbiguous: the later instant
  Time transition;  // kNonexistent: the instant the clocks jumped over it
  std::string gap_from, gap_to;  // kNonexistent: local "HH:MM" before and after the jump
};

Resolved Resolve(const date::time_zone* zone, LocalSeconds lt) {
  Resolved r;
  if (zone == nullptr) {
    r.first = r.second = Time(Duration(lt.time_since_epoch()));
    return r;
  }
  date::local_info info = zone->get_info(lt);
  switch (info.result) {
    case date::local_info::unique:
      r.first = r.second = Time(Duration(lt.time_since_epoch() - info.first.offset));
      break;
    case date::local_info::ambiguous:
      r.kind = Resolved::kAmbiguous;
      r.first = Time(Duration(lt.time_since_epoch() - info.first.offset));
      r.second = Time(Duration(lt.time_since_epoch() - info.second.offset));
      break;
    case date::local_info::nonexistent: {
      r.kind = Resolved::kNonexistent;
      r.transition = Time(Duration(info.second.begin.time_since_epoch()));
      Seconds at = info.second.begin.time_since_epoch();
      r.gap_from = FormatLocal(LocalSeconds(at + info.first.offset), false);
      r.gap_to = FormatLocal(LocalSeconds(at + info.second.offset), false);
      break;
    }
  }
  return r;
}

Status GapError(const Resolved& r, LocalSeconds lt, std::string_view tz) {
  return Status::InvalidArgument(
      "local time " + FormatLocal(lt, true) + " does not exist in " + std::string(tz) +
      " because clocks move forward from " + r.gap_from + " to " + r.gap_to +
      " that day; pick a time outside the gap");
}

// The instant of local date-time `lt`: the earlier one if ambiguous, an error if it does not
// exist.
Result<Time> AtLocal(const date::time_zone* zone, std::string_view tz, LocalSeconds lt) {
  Resolved r = Resolve(zone, lt);
  if (r.kind == Resolved::kNonexistent) return GapError(r, lt, tz);
  return r.first;
}

// The first instant of local day `day`.
Time StartOfDay(const date::time_zone* zone, LocalDays day) {
  Resolved r = Resolve(zone, LocalSeconds(day));
  return r.kind == Resolved::kNonexistent ? r.transition : r.first;
}

// The first occurrence of `tod` on local `day` at or after `now`; when none is left on `day`,
// `tod` on the day `step_days` later.
Result<Time> NextAt(const date::time_zone* zone, std::string_view tz, LocalDays day, Seconds tod,
                    int step_days, Time now) {
  Resolved r = Resolve(zone, day + tod);
  switch (r.kind) {
    case Resolved::kUnique:
      if (r.first >= now) return r.first;
      break;
    case Resolved::kAmbiguous:
      if (r.first >= now) return r.first;
      if (r.second >= now) return r.second;
      break;
    case Resolved::kNonexistent:
      if (r.transition > now) return GapError(r, day + tod, tz);
      break;
  }
  return AtLocal(zone, tz, day + date::days(step_days) + tod);
}

LocalSeconds LocalNow(const date::time_zone* zone, Time now) {
  auto secs = date::floor<Seconds>(now);
  if (zone == nullptr) return LocalSeconds(secs.time_since_epoch());
  return zone->to_local(secs);
}

// Lower-cases, trims, turns runs of white space into one space, and glues a separate "am"/"pm"
// onto the number before it ("9:30 am" -> "9:30am").
std::vector<std::string> Words(std::string_view text) {
  std::vector<std::string> words;
  std::string cur;
  auto flush = [&] {
    if (cur.empty()) return;
    if ((cur == "am" || cur == "pm") && !words.empty() &&
        std::isdigit(static_cast<unsigned char>(words.back().back()))) {
      words.back() += cur;
    } else {
      words.push_back(cur);
    }
    cur.clear();
  };
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      flush();
    } else {
      cur += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  flush();
  return words;
}

// Reads 1..max_digits decimal digits at `pos`; -1 if none (or too many).
int ReadNumber(std::string_view s, size_t& pos, int max_digits) {
  size_t start = pos;
  int v = 0;
  while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
    if (static_cast<int>(pos - start) == max_digits) return -1;
    v = v * 10 + (s[pos] - '0');
    ++pos;
  }
  return pos == start ? -1 : v;
}

bool LooksLikeClock(std::string_view w) {
  return !w.empty() && std::isdigit(static_cast<unsigned char>(w[0]));
}

// "16:00", "9:30", "16:00:30", "9:30am", "4pm", "12am" -> time of day. `why` on failure.
std::optional<Seconds> ParseClock(std::string_view w, std::string& why) {
  const std::string word(w);
  bool am = false, pm = false;
  if (w.size() > 2 && (w.ends_with("am") || w.ends_with("pm"))) {
    (w.ends_with("am") ? am : pm) = true;
    w.remove_suffix(2);
  }
  size_t p = 0;
  int h = ReadNumber(w, p, 2), m = 0, s = 0;
  bool has_minutes = false;
  if (h >= 0 && p < w.size() && w[p] == ':') {
    ++p;
    size_t before = p;
    m = ReadNumber(w, p, 2);
    has_minutes = true;
    if (m < 0 || p - before != 2) h = -1;
    if (h >= 0 && p < w.size() && w[p] == ':') {
      ++p;
      before = p;
      s = ReadNumber(w, p, 2);
      if (s < 0 || p - before != 2) h = -1;
    }
  }
  if (h < 0 || p != w.size()) {
    why = "\"" + word + "\" is not a clock time (expected H:MM, H:MM:SS, or 4pm / 9:30am)";
    return std::nullopt;
  }
  if (!am && !pm && !has_minutes) {
    why = "\"" + word + "\" needs minutes or am/pm, e.g. " + std::to_string(h) + ":00";
    if (h >= 1 && h <= 12) why += " or " + std::to_string(h) + "pm";
    return std::nullopt;
  }
  if (am || pm) {
    if (h < 1 || h > 12) {
      why = "hour " + std::to_string(h) + " in \"" + word + "\" is out of range for am/pm (1-12)";
      return std::nullopt;
    }
    h = h % 12 + (pm ? 12 : 0);
  } else if (h > 23) {
    why = "hour " + std::to_string(h) + " in \"" + word + "\" is out of range (0-23)";
    return std::nullopt;
  }
  if (m > 59) {
    why = "minute " + std::to_string(m) + " in \"" + word + "\" is out of range (00-59)";
    return std::nullopt;
  }
  if (s > 59) {
    why = "second " + std::to_string(s) + " in \"" + word + "\" is out of range (00-59)";
    return std::nullopt;
  }
  return Seconds(h * 3600 + m * 60 + s);
}

// "2026-12-01" -> local day. nullopt with `why` set when it has a date's shape but is invalid;
// nullopt with `why` empty when it is not date-shaped at all.
std::optional<LocalDays> ParseDate(std::string_view w, std::string& why) {
  if (w.size() < 5 || w[4] != '-' || !std::isdigit(static_cast<unsigned char>(w[0]))) {
    return std::nullopt;
  }
  size_t p = 0;
  int y = ReadNumber(w, p, 4);
  int mo = -1, d = -1;
  if (y >= 0 && p == 4 && p < w.size() && w[p] == '-') {
    size_t before = ++p;
    mo = ReadNumber(w, p, 2);
    if (p - before != 2) mo = -1;
    if (mo >= 0 && p < w.size() && w[p] == '-') {
      before = ++p;
      d = ReadNumber(w, p, 2);
      if (p - before != 2) d = -1;
    }
  }
  if (mo < 0 || d < 0 || p != w.size()) {
    why = "\"" + std::string(w) + "\" is not a date (expected YYYY-MM-DD, e.g. 2026-12-01)";
    return std::nullopt;
  }
  date::year_month_day ymd{date::year{y}, date::month{static_cast<unsigned>(mo)},
                           date::day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) {
    why = "\"" + std::string(w) + "\" is not a valid calendar date";
    return std::nullopt;
  }
  return LocalDays(ymd);
}

std::optional<date::weekday> ParseWeekday(std::string_view w) {
  struct Name {
    const char* name;
    unsigned wd;  // 0 = Sunday
  };
  static const Name kNames[] = {
      {"sun", 0},      {"sunday", 0},    {"mon", 1},   {"monday", 1},   {"tue", 2},
      {"tues", 2},     {"tuesday", 2},   {"wed", 3},   {"wednesday", 3}, {"thu", 4},
      {"thur", 4},     {"thurs", 4},     {"thursday", 4}, {"fri", 5},   {"friday", 5},
      {"sat", 6},      {"saturday", 6},
  };
  for (const Name& n : kNames) {
    if (w == n.name) return date::weekday{n.wd};
  }
  return std::nullopt;
}

// "+4h", "-15m", "+1h30m", "+1w2d": exact elapsed time from now.
Result<Time> ParseRelative(std::string_view text, std::string_view words, Time now) {
  std::string s;
  for (char c : words) {
    if (c != ' ') s += c;
  }
  const bool minus = s[0] == '-';
  std::string_view body = std::string_view(s).substr(1);
  if (body.empty()) return Bad(text, "nothing after the sign; say e.g. +4h or -15m");
  struct Unit {
    const char* name;
    int64_t us;
  };
  static const Unit kUnits[] = {{"min", 60'000'000LL},     {"w", 7 * 86'400'000'000LL},
                                {"d", 86'400'000'000LL},   {"h", 3'600'000'000LL},
                                {"m", 60'000'000LL},       {"s", 1'000'000LL}};
  int64_t total = 0;
  bool seen[6] = {};
  size_t p = 0;
  while (p < body.size()) {
    size_t start = p;
    int n = ReadNumber(body, p, 6);
    if (n < 0) {
      if (p - start == 6) return Bad(text, "number too large in a relative time");
      return Bad(text, "expected a number at \"" + std::string(body.substr(start)) + "\"");
    }
    int unit = -1;
    for (int i = 0; i < 6 && unit < 0; ++i) {
      if (body.substr(p).starts_with(kUnits[i].name)) unit = i;
    }
    if (unit < 0) {
      size_t end = p;
      while (end < body.size() && !std::isdigit(static_cast<unsigned char>(body[end]))) ++end;
      if (end == p) return Bad(text, "\"" + std::to_string(n) + "\" needs a unit: w, d, h, m or s");
      return Bad(text, "unknown unit \"" + std::string(body.substr(p, end - p)) +
                           "\" (use w, d, h, m or s)");
    }
    int slot = unit == 0 ? 4 : unit;  // "min" and "m" are the same unit
    if (seen[slot]) return Bad(text, "unit \"" + std::string(kUnits[unit].name) + "\" given twice");
    seen[slot] = true;
    total += n * kUnits[unit].us;
    p += std::string_view(kUnits[unit].name).size();
  }
  Duration d(total);
  return minus ? now - d : now + d;
}

Result<Time> Parse(std::string_view text, std::string_view tz, Time now) {
  std::vector<std::string> words = Words(text);
  if (words.empty()) return Bad(text, "empty time");

  std::string joined = words[0];
  for (size_t i = 1; i < words.size(); ++i) joined += " " + words[i];

  auto zone_or = FindZone(tz);
  if (!zone_or.ok()) return zone_or.status();
  const date::time_zone* zone = *zone_or;

  if (auto rfc = ParseRfc3339(joined); rfc.ok()) return *rfc;
  if (joined == "now") return now;
  if (joined[0] == '+' || joined[0] == '-') return ParseRelative(text, joined, now);

  if (words.size() > 2) {
    return Bad(text, "unexpected \"" + words[2] + "\" after \"" + words[0] + " " + words[1] + "\"");
  }
  const LocalDays today = date::floor<date::days>(LocalNow(zone, now));
  std::string first = words[0];
  std::optional<std::string> clock_word;
  if (words.size() == 2) clock_word = words[1];

  // "2026-12-01t16:00": one word, split into date and clock.
  if (size_t t = first.find('t'); !clock_word && t != std::string::npos && t > 0 &&
                                   std::isdigit(static_cast<unsigned char>(first[0]))) {
    clock_word = first.substr(t + 1);
    first.resize(t);
  }

  // The first word says which day; then the optional second word is the clock time.
  std::string why;
  std::optional<date::weekday> weekday = ParseWeekday(first);
  std::optional<LocalDays> date_day = ParseDate(first, why);
  if (!why.empty()) return Bad(text, why);
  const bool is_day_word = first == "today" || first == "tomorrow" || weekday || date_day;
  if (!is_day_word) {
    if (!LooksLikeClock(first)) return Bad(text, "unknown word \"" + first.substr(0, 32) + "\"");
    if (clock_word) {
      return Bad(text, "unexpected \"" + *clock_word + "\" after the clock time \"" + first + "\"");
    }
    std::optional<Seconds> tod = ParseClock(first, why);
    if (!tod) return Bad(text, why);
    return NextAt(zone, tz, today, *tod, 1, now);
  }

  std::optional<Seconds> tod;
  if (clock_word) {
    tod = ParseClock(*clock_word, why);
    if (!tod) return Bad(text, why);
  }
  if (weekday) {
    int ahead = static_cast<int>((*weekday - date::weekday(today)).count());
    if (!tod) return StartOfDay(zone, today + date::days(ahead == 0 ? 7 : ahead));
    return NextAt(zone, tz, today + date::days(ahead), *tod, 7, now);
  }
  LocalDays day = date_day ? *date_day : first == "today" ? today : today + date::days(1);
  if (!tod) return StartOfDay(zone, day);
  return AtLocal(zone, tz, day + *tod);
}

}  // namespace

Result<Time> ParseFriendlyTime(std::string_view text, std::string_view tz, Time now) {
  try {
    auto t = Parse(text, tz, now);
    // Far relative times and local dates in zones with large offsets can leave years
    // 0000-9999 in UTC, where an RFC 3339 text of the result would not read back.
    static const Time kFirst = FromMicros(-62167219200LL * 1000000);  // 0000-01-01T00:00:00Z
    static const Time kEnd = FromMicros(253402300800LL * 1000000);    // 10000-01-01T00:00:00Z
    if (t.ok() && (*t < kFirst || *t >= kEnd)) {
      return Bad(text, "the time is outside years 0000-9999 in UTC");
    }
    return t;
  } catch (const std::exception& e) {
    // The date library throws on a broken tzdata file; nothing else here throws.
    return Status::Internal(std::string("time zone lookup failed: ") + e.what());
  }
}

bool IsKnownTimeZone(std::string_view tz) {
  return FindZone(tz).ok();
}

std::string FormatLocalTime(Time t, std::string_view tz) {
  auto secs = date::floor<Seconds>(t);
  Seconds offset(0);
  std::string abbrev = "UTC";
  try {
    auto zone = FindZone(tz);
    if (zone.ok() && *zone != nullptr) {
      date::sys_info info = (*zone)->get_info(secs);
      offset = info.offset;
      abbrev = info.abbrev;
    }
  } catch (const std::exception&) {
    offset = Seconds(0);
    abbrev = "UTC";
  }
  LocalSeconds local(secs.time_since_epoch() + offset);
  static const char* const kWeekdays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  date::weekday wd(date::floor<date::days>(local));
  return std::string(kWeekdays[wd.c_encoding()]) + " " + FormatLocal(local, true) + " " + abbrev;
}

}  // namespace agentdraft
