#include "common/time.h"

#include <cctype>
#include <cstdio>

#include "common/clock.h"
#include "common/status.h"

namespace agentdraft {

Time SystemClock::Now() const {
  return std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
}

namespace {

// Reads exactly `n` digits at `pos`; returns -1 if they are not there.
int ReadDigits(std::string_view s, size_t& pos, int n) {
  if (pos + n > s.size()) return -1;
  int v = 0;
  for (int i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  pos += n;
  return v;
}

bool Expect(std::string_view s, size_t& pos, char c) {
  if (pos >= s.size() || std::tolower(static_cast<unsigned char>(s[pos])) != c) return false;
  ++pos;
  return true;
}

Status Bad(std::string_view text) {
  return Status::InvalidArgument("not an RFC 3339 time: \"" + std::string(text.substr(0, 64)) +
                                 "\" (expected e.g. 2026-06-01T14:00:00Z)");
}

}  // namespace

Result<Time> ParseRfc3339(std::string_view s) {
  using namespace std::chrono;
  size_t p = 0;
  int y = ReadDigits(s, p, 4);
  if (y < 0 || !Expect(s, p, '-')) return Bad(s);
  int mo = ReadDigits(s, p, 2);
  if (mo < 0 || !Expect(s, p, '-')) return Bad(s);
  int d = ReadDigits(s, p, 2);
  if (d < 0 || p >= s.size()) return Bad(s);
  if (s[p] == 'T' || s[p] == 't' || s[p] == ' ') ++p; else return Bad(s);
  int h = ReadDigits(s, p, 2);
  if (h < 0 || !Expect(s, p, ':')) return Bad(s);
  int mi = ReadDigits(s, p, 2);
  if (mi < 0 || !Expect(s, p, ':')) return Bad(s);
  int se = ReadDigits(s, p, 2);
  if (se < 0) return Bad(s);
  int64_t frac_us = 0;
  if (p < s.size() && s[p] == '.') {
    ++p;
    int digits = 0;
    while (p < s.size() && std::isdigit(static_cast<unsigned char>(s[p]))) {
      if (digits < 6) frac_us = frac_us * 10 + (s[p] - '0');
      ++digits;
      ++p;
    }
    if (digits == 0) return Bad(s);
    for (int i = digits; i < 6; ++i) frac_us *= 10;
  }
  int offset_min = 0;
  if (p < s.size() && (s[p] == 'Z' || s[p] == 'z')) {
    ++p;
  } else if (p < s.size() && (s[p] == '+' || s[p] == '-')) {
    int sign = s[p] == '-' ? -1 : 1;
    ++p;
    int oh = ReadDigits(s, p, 2);
    if (oh < 0 || !Expect(s, p, ':')) return Bad(s);
    int om = ReadDigits(s, p, 2);
    if (om < 0 || oh > 23 || om > 59) return Bad(s);
    offset_min = sign * (oh * 60 + om);
  } else {
    return Bad(s);
  }
  if (p != s.size()) return Bad(s);
  if (mo < 1 || mo > 12 || h > 23 || mi > 59 || se > 60) return Bad(s);
  year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return Bad(s);
  if (se == 60) se = 59;  // a leap second is read as the second before it
  auto t = sys_days(ymd) + hours(h) + minutes(mi) + seconds(se) + microseconds(frac_us) -
           minutes(offset_min);
  // An offset can carry a time out of years 0000–9999 in UTC ("9999-12-31T23:30:00-01:00"),
  // where FormatRfc3339 would write a year that no RFC 3339 reader, this one included, reads.
  static constexpr sys_days kFirstDay = sys_days(year{0} / January / 1);
  static constexpr sys_days kEndDay = sys_days(year{10000} / January / 1);
  if (t < kFirstDay || t >= kEndDay) {
    return Status::InvalidArgument("time out of range: \"" + std::string(s.substr(0, 64)) +
                                   "\" is outside years 0000-9999 in UTC");
  }
  return Time(duration_cast<Duration>(t.time_since_epoch()));
}

namespace {
// "2026-06-01T14:00:00" and then `fraction(subseconds)` and "Z".
template <typename Fraction>
std::string FormatWith(Time t, Fraction fraction) {
  using namespace std::chrono;
  auto day = floor<days>(t);
  year_month_day ymd(day);
  hh_mm_ss<Duration> tod(t - day);
  char buf[40];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d",
                        static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                        static_cast<unsigned>(ymd.day()), static_cast<int>(tod.hours().count()),
                        static_cast<int>(tod.minutes().count()),
                        static_cast<int>(tod.seconds().count()));
  n += fraction(tod.subseconds(), buf + n, sizeof buf - n);
  std::snprintf(buf + n, sizeof buf - n, "Z");
  return buf;
}
}  // namespace

std::string FormatRfc3339(Time t) {
  return FormatWith(t, [](Duration sub, char* out, size_t room) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(sub).count();
    return ms == 0 ? 0 : std::snprintf(out, room, ".%03d", static_cast<int>(ms));
  });
}

std::string FormatRfc3339Micros(Time t) {
  return FormatWith(t, [](Duration sub, char* out, size_t room) {
    return std::snprintf(out, room, ".%06d", static_cast<int>(sub.count()));
  });
}

Result<Duration> ParseDuration(std::string_view s) {
  if (s == "0") return Duration(0);
  size_t p = 0;
  double value = 0;
  bool digits = false, dot = false;
  double scale = 1;
  for (; p < s.size(); ++p) {
    char c = s[p];
    if (c >= '0' && c <= '9') {
      digits = true;
      if (dot) {
        scale /= 10;
        value += (c - '0') * scale;
      } else {
        value = value * 10 + (c - '0');
      }
    } else if (c == '.' && !dot) {
      dot = true;
    } else {
      break;
    }
  }
  std::string_view unit = s.substr(p);
  double us_per = 0;
  if (unit == "us") us_per = 1;
  else if (unit == "ms") us_per = 1e3;
  else if (unit == "s") us_per = 1e6;
  else if (unit == "m" || unit == "min") us_per = 60e6;
  else if (unit == "h") us_per = 3600e6;
  else if (unit == "d") us_per = 86400e6;
  if (!digits || us_per == 0 || value * us_per > 9.2e18) {
    return Status::InvalidArgument("not a duration: \"" + std::string(s.substr(0, 32)) +
                                   "\" (expected e.g. 20ms, 30s, 30m, 8h)");
  }
  return Duration(static_cast<int64_t>(value * us_per + 0.5));
}

std::string FormatDuration(Duration d) {
  int64_t us = d.count();
  if (us == 0) return "0";
  struct Unit { int64_t us; const char* name; };
  static const Unit kUnits[] = {{3600000000LL, "h"}, {60000000LL, "m"}, {1000000, "s"},
                                {1000, "ms"}, {1, "us"}};
  for (const Unit& u : kUnits) {
    if (us % u.us == 0) return std::to_string(us / u.us) + u.name;
  }
  return std::to_string(us) + "us";
}

}  // namespace agentdraft
