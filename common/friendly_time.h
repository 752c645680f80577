// Friendly time arguments for the CLI: "tomorrow 9:30", "+4h", "fri 4pm", "2026-12-01 16:00",
// read in the owner's IANA time zone; and a short human-readable local form of a Time.
//
// Time zones come from the system's tzdata (/usr/share/zoneinfo) through Howard Hinnant's
// date/tz library (Debian's libhowardhinnant-date-dev, built with USE_OS_TZDB=1). Nothing here
// throws: date library exceptions are caught and turned into a Status.
//
// Thread-safe: pure functions. The tz database is loaded once, on first use, under the date
// library's own synchronization; zones are read-only afterwards.
#pragma once

#include <string>
#include <string_view>

#include "common/time.h"

namespace agentdraft {

class Status;
template <typename T> class Result;

// Parses a time argument as a person types it, in time zone `tz` (IANA name, e.g.
// "Europe/Berlin"; "" or "UTC" = UTC), relative to `now`. Case-insensitive; surrounding spaces
// are trimmed and inner runs of spaces are one space. Accepted forms:
//   - RFC 3339 as ParseRfc3339 accepts, e.g. "2026-12-01T16:00:00Z" (the offset in the text
//     wins; `tz` is not used for the value, though it must still be a known zone).
//   - "now".
//   - Relative, exact elapsed time from now: "+4h", "+30m", "+90s", "+2d", "+1w", "+1h30m",
//     "-15m". Units w, d (= 24 h), h, m (or min), s; each at most once.
//   - Clock time "16:00", "9:30", "9:30am", "4pm", "16:00:30" ("9:30 am" too): the next
//     occurrence at or after `now` in `tz` (today if not yet passed, else tomorrow).
//   - "today", "tomorrow" (00:00 local), "today 16:00", "tomorrow 16:00".
//   - Weekday "mon"/"monday" ... "sun"/"sunday" with a clock time: the next such local
//     date-time at or after now (today if it is that weekday and the time is still ahead, else
//     a week later). A bare weekday is 00:00 of the next such day strictly after today.
//   - Local date or date-time: "2026-12-01" (local midnight), "2026-12-01 16:00",
//     "2026-12-01T16:00" (no offset: read in `tz`).
// Daylight saving time: calendar arithmetic (today, tomorrow, weekdays) is on LOCAL dates, so
// "tomorrow 9:00" is 9:00 on the wall clock even across a DST change.
//   - A local time that does not exist (spring-forward gap, e.g. 2026-03-08 02:30 in
//     America/New_York) is an InvalidArgument error saying so. Date-only forms ("tomorrow",
//     "mon", "2026-12-01") mean the start of that local day, so in the rare zone whose clocks
//     jump at midnight they give the first instant of the day instead of an error.
//   - An ambiguous local time (fall-back, the hour happens twice) is its EARLIER instant, the
//     first occurrence. The one exception follows from "next occurrence at or after now": for a
//     bare clock time or weekday + clock on the current day, when the first occurrence has
//     already passed but the second has not, the second is the next one and is returned.
// Errors: InvalidArgument whose message names what was wrong and lists the accepted forms;
// an unknown zone is an InvalidArgument naming the zone.
Result<Time> ParseFriendlyTime(std::string_view text, std::string_view tz, Time now);

// True when `tz` names a zone (or link) in the system's tzdata; "" and "UTC" are always known.
bool IsKnownTimeZone(std::string_view tz);

// Formats `t` in zone `tz` for humans: "Tue 2026-11-24 16:00 CET" (English short weekday,
// date, HH:MM truncated to the minute, zone abbreviation). "" or "UTC" gives "... UTC"; an
// unknown zone falls back to UTC, which the "UTC" abbreviation makes visible.
std::string FormatLocalTime(Time t, std::string_view tz);

}  // namespace agentdraft
