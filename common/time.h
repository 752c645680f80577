// Time points, durations, and their text forms (RFC 3339, "20ms"-style durations).
//
// All times are UTC with microsecond resolution. Thread-safe: pure functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace agentdraft {

class Status;
template <typename T> class Result;

using Duration = std::chrono::microseconds;
using Time = std::chrono::sys_time<Duration>;

// Microseconds since the Unix epoch, and back: the stored form of a Time.
inline int64_t ToMicros(Time t) { return t.time_since_epoch().count(); }
inline Time FromMicros(int64_t us) { return Time(Duration(us)); }

// Parses RFC 3339: "2026-06-01T14:00:00Z", "2026-06-01T16:00:00.250+02:00". Lower-case 't'/'z'
// and a space for 'T' are accepted. Fractions beyond microseconds are truncated.
Result<Time> ParseRfc3339(std::string_view text);

// "2026-06-01T14:00:00Z"; ".250" milliseconds appear only when non-zero.
std::string FormatRfc3339(Time t);

// "2026-06-01T14:00:00.000250Z": always six fraction digits, so no microsecond is lost (the
// arrival times in audit rows, which `race record` turns back into exact offsets).
std::string FormatRfc3339Micros(Time t);

// "20ms", "1s", "1.5s", "30m", "8h", "250us", "0". A bare number is rejected (except "0")
// so that a unit is never guessed.
Result<Duration> ParseDuration(std::string_view text);

// "20ms", "30s", "5m": the shortest exact form.
std::string FormatDuration(Duration d);

}  // namespace agentdraft
