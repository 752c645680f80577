// Fuzzes the time parsers: ParseRfc3339, ParseDuration and ParseFriendlyTime (with
// FormatLocalTime), with round-trip properties.
//
// Input: byte 0 picks the time zone (one of a dozen real zones with odd rules, or the text
// before the first '|' of the rest as a zone name); bytes 1–4 pick "now" (a second between
// 2000 and 2136); the rest is the text parsed.
//
// Findings (abort), beyond crashes and sanitizer reports:
//  - ParseRfc3339(x) = t, but FormatRfc3339Micros(t) does not parse back to exactly t, or
//    FormatRfc3339(t) does not parse back to t truncated to the millisecond;
//  - ParseDuration(x) = d < 0, or FormatDuration(d) does not parse back to d (checked up to
//    2^53 us: ParseDuration reads through a double, so beyond 285 years it is not exact);
//  - ParseFriendlyTime(x, tz, now) = t, but FormatRfc3339Micros(t) does not parse back to t,
//    neither alone nor through ParseFriendlyTime itself (an RFC 3339 text's offset wins).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/friendly_time.h"
#include "common/status.h"
#include "common/time.h"
#include "fuzz/fuzz_support.h"

namespace {

using agentdraft::Duration;
using agentdraft::Time;
using agentdraft::fuzz::Fail;

constexpr const char* kZones[] = {
    "UTC",         "",                 "Europe/Berlin",    "America/New_York",
    "Asia/Kathmandu", "Australia/Lord_Howe", "Pacific/Chatham", "Pacific/Apia",
    "America/Sao_Paulo", "Asia/Tehran",  "America/St_Johns", "Pacific/Kiritimati"};

std::string Us(Time t) { return std::to_string(agentdraft::ToMicros(t)) + "us"; }

void CheckRfc3339(std::string_view text) {
  auto t = agentdraft::ParseRfc3339(text);
  if (!t.ok()) return;
  const std::string micros = agentdraft::FormatRfc3339Micros(*t);
  auto back = agentdraft::ParseRfc3339(micros);
  if (!back.ok() || *back != *t) {
    Fail("FormatRfc3339Micros does not round-trip",
         "input \"" + std::string(text) + "\" = " + Us(*t) + " formatted \"" + micros + "\"" +
             (back.ok() ? " read back as " + Us(*back) : " unreadable: " + back.status().message()));
  }
  const std::string millis = agentdraft::FormatRfc3339(*t);
  auto back_ms = agentdraft::ParseRfc3339(millis);
  const Time expected = std::chrono::floor<std::chrono::milliseconds>(*t);
  if (!back_ms.ok() || *back_ms != expected) {
    Fail("FormatRfc3339 does not round-trip to the millisecond",
         "input \"" + std::string(text) + "\" = " + Us(*t) + " formatted \"" + millis + "\"" +
             (back_ms.ok() ? " read back as " + Us(*back_ms) : " unreadable"));
  }
}

void CheckDuration(std::string_view text) {
  auto d = agentdraft::ParseDuration(text);
  if (!d.ok()) return;
  if (d->count() < 0) Fail("negative duration", std::string(text));
  // ParseDuration reads through a double: past 2^53 us (285 years) it is not exact.
  if (d->count() > (int64_t{1} << 53)) return;
  const std::string formatted = agentdraft::FormatDuration(*d);
  auto back = agentdraft::ParseDuration(formatted);
  if (!back.ok() || *back != *d) {
    Fail("FormatDuration does not round-trip",
         "input \"" + std::string(text) + "\" = " + std::to_string(d->count()) + "us formatted \"" +
             formatted + "\"");
  }
}

void CheckFriendly(std::string_view text, std::string_view tz, Time now) {
  auto t = agentdraft::ParseFriendlyTime(text, tz, now);
  (void)agentdraft::IsKnownTimeZone(tz);
  if (!t.ok()) return;
  (void)agentdraft::FormatLocalTime(*t, tz);
  const std::string micros = agentdraft::FormatRfc3339Micros(*t);
  auto back = agentdraft::ParseRfc3339(micros);
  auto back_friendly = agentdraft::ParseFriendlyTime(micros, tz, now);
  if (!back.ok() || *back != *t || !back_friendly.ok() || *back_friendly != *t) {
    Fail("ParseFriendlyTime result does not round-trip through RFC 3339",
         "input \"" + std::string(text) + "\" tz \"" + std::string(tz) + "\" now " + Us(now) +
             " = " + Us(*t) + " formatted \"" + micros + "\"");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 5 || size > 256) return -1;
  const uint8_t zone_pick = data[0];
  const uint32_t now_pick = data[1] | data[2] << 8 | data[3] << 16 | static_cast<uint32_t>(data[4]) << 24;
  const Time now = agentdraft::FromMicros((946684800LL + now_pick) * 1000000);  // from 2000-01-01
  std::string_view text(reinterpret_cast<const char*>(data + 5), size - 5);
  std::string tz;
  const size_t zones = sizeof kZones / sizeof kZones[0];
  if (zone_pick % 16 < zones) {
    tz = kZones[zone_pick % 16];
  } else if (const size_t bar = text.find('|'); bar != std::string_view::npos && bar <= 64) {
    tz = std::string(text.substr(0, bar));
    text.remove_prefix(bar + 1);
  }
  CheckRfc3339(text);
  CheckDuration(text);
  CheckFriendly(text, tz, now);
  return 0;
}
