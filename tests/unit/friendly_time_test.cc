// Friendly CLI time arguments ("tomorrow 9:30", "+4h", "fri 4pm") in IANA zones, and the
// human-readable local format. Every case uses a fixed `now`, never the real clock.
#include "common/friendly_time.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/status.h"
#include "common/time.h"

namespace agentdraft {
namespace {

constexpr char kNewYork[] = "America/New_York";
constexpr char kBerlin[] = "Europe/Berlin";

Time TimeAt(const char* rfc3339) {
  auto t = ParseRfc3339(rfc3339);
  EXPECT_TRUE(t.ok()) << rfc3339;
  return t.ok() ? *t : Time();
}

struct FriendlyCase {
  const char* tz;
  const char* now;   // RFC 3339
  const char* text;  // what the person typed
  const char* want;  // RFC 3339
};

void ExpectParses(const std::vector<FriendlyCase>& cases) {
  for (const FriendlyCase& c : cases) {
    auto got = ParseFriendlyTime(c.text, c.tz, TimeAt(c.now));
    ASSERT_TRUE(got.ok()) << "\"" << c.text << "\" in \"" << c.tz << "\" at " << c.now << ": "
                          << got.status().message();
    EXPECT_EQ(FormatRfc3339(*got), FormatRfc3339(TimeAt(c.want)))
        << "\"" << c.text << "\" in \"" << c.tz << "\" at " << c.now;
  }
}

// Wednesday 2026-06-10 15:00 UTC.
constexpr char kUtcNow[] = "2026-06-10T15:00:00Z";

TEST(FriendlyTime, UtcForms) {
  ExpectParses({
      // RFC 3339, now, relative.
      {"", kUtcNow, "2026-06-01T14:00:00Z", "2026-06-01T14:00:00Z"},
      {"UTC", kUtcNow, "2026-06-01T16:00:00+02:00", "2026-06-01T14:00:00Z"},
      {"", kUtcNow, "now", "2026-06-10T15:00:00Z"},
      {"", kUtcNow, "  NOW  ", "2026-06-10T15:00:00Z"},
      {"", kUtcNow, "+4h", "2026-06-10T19:00:00Z"},
      {"", kUtcNow, "+30m", "2026-06-10T15:30:00Z"},
      {"", kUtcNow, "+45min", "2026-06-10T15:45:00Z"},
      {"", kUtcNow, "+90s", "2026-06-10T15:01:30Z"},
      {"", kUtcNow, "+2d", "2026-06-12T15:00:00Z"},
      {"", kUtcNow, "+1w", "2026-06-17T15:00:00Z"},
      {"", kUtcNow, "+1h30m", "2026-06-10T16:30:00Z"},
      {"", kUtcNow, "+1H 30M", "2026-06-10T16:30:00Z"},
      {"", kUtcNow, "-15m", "2026-06-10T14:45:00Z"},
      // Clock times: the next occurrence at or after now.
      {"", kUtcNow, "16:00", "2026-06-10T16:00:00Z"},
      {"", kUtcNow, "15:00", "2026-06-10T15:00:00Z"},
      {"", kUtcNow, "14:00", "2026-06-11T14:00:00Z"},
      {"", kUtcNow, "9:30", "2026-06-11T09:30:00Z"},
      {"", kUtcNow, "9:30am", "2026-06-11T09:30:00Z"},
      {"", kUtcNow, "9:30 AM", "2026-06-11T09:30:00Z"},
      {"", kUtcNow, "4pm", "2026-06-10T16:00:00Z"},
      {"", kUtcNow, "4PM", "2026-06-10T16:00:00Z"},
      {"", kUtcNow, "12am", "2026-06-11T00:00:00Z"},
      {"", kUtcNow, "12pm", "2026-06-11T12:00:00Z"},
      {"", kUtcNow, "16:00:30", "2026-06-10T16:00:30Z"},
      // today / tomorrow.
      {"", kUtcNow, "today", "2026-06-10T00:00:00Z"},
      {"", kUtcNow, "today 16:00", "2026-06-10T16:00:00Z"},
      {"", kUtcNow, "today 9:00", "2026-06-10T09:00:00Z"},  // explicit, so it may be past
      {"", kUtcNow, "tomorrow", "2026-06-11T00:00:00Z"},
      {"", kUtcNow, "  Tomorrow    16:00 ", "2026-06-11T16:00:00Z"},
      {"", kUtcNow, "tomorrow 4pm", "2026-06-11T16:00:00Z"},
      // Weekdays (now is a Wednesday).
      {"", kUtcNow, "wed 16:00", "2026-06-10T16:00:00Z"},
      {"", kUtcNow, "wed 14:00", "2026-06-17T14:00:00Z"},
      {"", kUtcNow, "wednesday", "2026-06-17T00:00:00Z"},
      {"", kUtcNow, "thu", "2026-06-11T00:00:00Z"},
      {"", kUtcNow, "mon 9:30", "2026-06-15T09:30:00Z"},
      {"", kUtcNow, "Monday 9:30", "2026-06-15T09:30:00Z"},
      {"", kUtcNow, "fri 4pm", "2026-06-12T16:00:00Z"},
      {"", kUtcNow, "sun 10:00", "2026-06-14T10:00:00Z"},
      // Local dates and date-times.
      {"", kUtcNow, "2026-12-01", "2026-12-01T00:00:00Z"},
      {"", kUtcNow, "2026-12-01 16:00", "2026-12-01T16:00:00Z"},
      {"", kUtcNow, "2026-12-01T16:00", "2026-12-01T16:00:00Z"},
      {"", kUtcNow, "2026-12-01t16:00:30", "2026-12-01T16:00:30Z"},
      {"", kUtcNow, "2026-12-01 4pm", "2026-12-01T16:00:00Z"},
  });
}

// Wednesday 2026-06-10 15:00 EDT / 21:00 CEST.
constexpr char kNyNow[] = "2026-06-10T15:00:00-04:00";
constexpr char kBerlinNow[] = "2026-06-10T15:00:00+02:00";

TEST(FriendlyTime, LocalFormsInZones) {
  ExpectParses({
      {kNewYork, kNyNow, "now", kNyNow},
      {kNewYork, kNyNow, "+4h", "2026-06-10T19:00:00-04:00"},
      {kNewYork, kNyNow, "2026-06-01T14:00:00Z", "2026-06-01T14:00:00Z"},  // text's zone wins
      {kNewYork, kNyNow, "4pm", "2026-06-10T16:00:00-04:00"},
      {kNewYork, kNyNow, "9:30am", "2026-06-11T09:30:00-04:00"},
      {kNewYork, kNyNow, "today", "2026-06-10T00:00:00-04:00"},
      {kNewYork, kNyNow, "today 16:00", "2026-06-10T16:00:00-04:00"},
      {kNewYork, kNyNow, "tomorrow", "2026-06-11T00:00:00-04:00"},
      {kNewYork, kNyNow, "tomorrow 16:00", "2026-06-11T16:00:00-04:00"},
      {kNewYork, kNyNow, "mon 9:30", "2026-06-15T09:30:00-04:00"},
      {kNewYork, kNyNow, "mon", "2026-06-15T00:00:00-04:00"},
      {kNewYork, kNyNow, "2026-12-01", "2026-12-01T00:00:00-05:00"},
      {kNewYork, kNyNow, "2026-12-01 16:00", "2026-12-01T16:00:00-05:00"},
      {kNewYork, kNyNow, "2026-12-01T16:00", "2026-12-01T16:00:00-05:00"},
      {kBerlin, kBerlinNow, "16:00", "2026-06-10T16:00:00+02:00"},
      {kBerlin, kBerlinNow, "tomorrow 9:00", "2026-06-11T09:00:00+02:00"},
      {kBerlin, kBerlinNow, "fri 4pm", "2026-06-12T16:00:00+02:00"},
      {kBerlin, kBerlinNow, "2026-12-01 16:00", "2026-12-01T16:00:00+01:00"},
      // The local date differs from the UTC date: 23:30 in Berlin is 21:30 UTC, still Wednesday
      // in UTC but "tomorrow" is local Thursday.
      {kBerlin, "2026-06-10T23:30:00+02:00", "tomorrow", "2026-06-11T00:00:00+02:00"},
      {kNewYork, "2026-06-10T22:30:00-04:00", "tomorrow", "2026-06-11T00:00:00-04:00"},
  });
}

TEST(FriendlyTime, ClockTimeIsTodayWhenAheadElseTomorrow) {
  ExpectParses({
      {kNewYork, "2026-06-10T15:00:00-04:00", "16:00", "2026-06-10T16:00:00-04:00"},
      {kNewYork, "2026-06-10T17:00:00-04:00", "16:00", "2026-06-11T16:00:00-04:00"},
      {kBerlin, "2026-11-24T15:00:00+01:00", "16:00", "2026-11-24T16:00:00+01:00"},
      {kBerlin, "2026-11-24T17:00:00+01:00", "16:00", "2026-11-25T16:00:00+01:00"},
      {"UTC", "2026-11-24T17:00:00Z", "16:00", "2026-11-25T16:00:00Z"},
  });
}

TEST(FriendlyTime, WeekdaySameDayBeforeAndAfterTheTime) {
  // 2026-11-24 is a Tuesday.
  ExpectParses({
      {kBerlin, "2026-11-24T15:00:00+01:00", "tue 16:00", "2026-11-24T16:00:00+01:00"},
      {kBerlin, "2026-11-24T17:00:00+01:00", "tue 16:00", "2026-12-01T16:00:00+01:00"},
      {kBerlin, "2026-11-24T15:00:00+01:00", "tuesday", "2026-12-01T00:00:00+01:00"},
      {kBerlin, "2026-11-24T15:00:00+01:00", "mon", "2026-11-30T00:00:00+01:00"},
      {kNewYork, "2026-11-24T15:00:00-05:00", "tue 4pm", "2026-11-24T16:00:00-05:00"},
      {kNewYork, "2026-11-24T17:00:00-05:00", "tue 4pm", "2026-12-01T16:00:00-05:00"},
  });
}

TEST(FriendlyTime, CalendarArithmeticIsOnLocalDatesAcrossDst) {
  ExpectParses({
      // US spring forward, Sunday 2026-03-08 02:00 EST -> 03:00 EDT.
      {kNewYork, "2026-03-07T12:00:00-05:00", "tomorrow 9:00", "2026-03-08T09:00:00-04:00"},
      {kNewYork, "2026-03-07T12:00:00-05:00", "sun 9:00", "2026-03-08T09:00:00-04:00"},
      {kNewYork, "2026-03-07T12:00:00-05:00", "tomorrow", "2026-03-08T00:00:00-05:00"},
      {kNewYork, "2026-03-07T12:00:00-05:00", "+1d", "2026-03-08T13:00:00-04:00"},  // exact 24 h
      {kNewYork, "2026-03-07T12:00:00-05:00", "9:00", "2026-03-08T09:00:00-04:00"},
      // The gap has passed today, so "2:30" is tomorrow's.
      {kNewYork, "2026-03-08T10:00:00-04:00", "2:30", "2026-03-09T02:30:00-04:00"},
      // US fall back, Sunday 2026-11-01 02:00 EDT -> 01:00 EST.
      {kNewYork, "2026-10-31T12:00:00-04:00", "tomorrow 9:00", "2026-11-01T09:00:00-05:00"},
      {kNewYork, "2026-10-31T12:00:00-04:00", "sun 9:00", "2026-11-01T09:00:00-05:00"},
      {kNewYork, "2026-10-31T12:00:00-04:00", "+1d", "2026-11-01T11:00:00-05:00"},
      // EU spring forward, Sunday 2026-03-29 02:00 CET -> 03:00 CEST.
      {kBerlin, "2026-03-28T12:00:00+01:00", "tomorrow 9:00", "2026-03-29T09:00:00+02:00"},
      {kBerlin, "2026-03-28T12:00:00+01:00", "tomorrow", "2026-03-29T00:00:00+01:00"},
      // EU fall back, Sunday 2026-10-25 03:00 CEST -> 02:00 CET.
      {kBerlin, "2026-10-24T12:00:00+02:00", "tomorrow 9:00", "2026-10-25T09:00:00+01:00"},
      {kBerlin, "2026-10-24T12:00:00+02:00", "sun 9:00", "2026-10-25T09:00:00+01:00"},
  });
}

TEST(FriendlyTime, AmbiguousLocalTimeIsTheEarlierInstant) {
  ExpectParses({
      {kNewYork, "2026-10-31T12:00:00-04:00", "2026-11-01 01:30", "2026-11-01T01:30:00-04:00"},
      {kNewYork, "2026-10-31T12:00:00-04:00", "tomorrow 1:30", "2026-11-01T01:30:00-04:00"},
      {kNewYork, "2026-10-31T12:00:00-04:00", "1:30", "2026-11-01T01:30:00-04:00"},
      {kBerlin, "2026-10-24T12:00:00+02:00", "2026-10-25 02:30", "2026-10-25T02:30:00+02:00"},
      {kBerlin, "2026-10-24T12:00:00+02:00", "tomorrow 2:30", "2026-10-25T02:30:00+02:00"},
      // Within the repeated hour a bare clock time is the next occurrence: the second one
      // when only the first has passed, tomorrow's when both have.
      {kNewYork, "2026-11-01T01:40:00-04:00", "1:50", "2026-11-01T01:50:00-04:00"},
      {kNewYork, "2026-11-01T01:40:00-04:00", "1:30", "2026-11-01T01:30:00-05:00"},
      {kNewYork, "2026-11-01T01:40:00-05:00", "1:30", "2026-11-02T01:30:00-05:00"},
  });
}

TEST(FriendlyTime, NonexistentLocalTimeIsAnError) {
  struct Gap {
    const char* tz;
    const char* now;
    const char* text;
  };
  for (const Gap& g : std::vector<Gap>{
           {kNewYork, "2026-03-07T12:00:00-05:00", "2026-03-08 02:30"},
           {kNewYork, "2026-03-07T12:00:00-05:00", "2026-03-08T02:30"},
           {kNewYork, "2026-03-07T12:00:00-05:00", "tomorrow 2:30"},
           {kNewYork, "2026-03-07T12:00:00-05:00", "sun 2:30am"},
           {kNewYork, "2026-03-08T01:00:00-05:00", "2:30"},  // the gap is still ahead today
           {kBerlin, "2026-03-28T12:00:00+01:00", "2026-03-29 02:30"},
           {kBerlin, "2026-03-28T12:00:00+01:00", "tomorrow 2:00"},
       }) {
    auto got = ParseFriendlyTime(g.text, g.tz, TimeAt(g.now));
    ASSERT_FALSE(got.ok()) << g.text << " in " << g.tz << " gave " << FormatRfc3339(*got);
    EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument) << g.text;
    const std::string msg = got.status().message();
    EXPECT_NE(msg.find("does not exist"), std::string::npos) << msg;
    EXPECT_NE(msg.find(g.tz), std::string::npos) << msg;
    EXPECT_NE(msg.find("clocks move forward"), std::string::npos) << msg;
  }
  auto got = ParseFriendlyTime("2026-03-08 02:30", kNewYork, TimeAt("2026-03-07T12:00:00Z"));
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.status().message().find("2026-03-08 02:30"), std::string::npos)
      << got.status().message();
  EXPECT_NE(got.status().message().find("from 02:00 to 03:00"), std::string::npos)
      << got.status().message();
}

TEST(FriendlyTime, BadFormsAreInvalidArgumentWithAMessage) {
  struct Bad {
    const char* text;
    const char* says;  // a piece the message must contain
  };
  for (const Bad& b : std::vector<Bad>{
           {"16:61", "minute 61"},
           {"25:00", "hour 25"},
           {"tomorow 9:00", "tomorow"},
           {"+4x", "\"x\""},
           {"mon 9:30 extra", "extra"},
           {"", "empty"},
           {"   ", "empty"},
           {"2026-02-30", "2026-02-30"},
           {"2026-13-01", "2026-13-01"},
           {"2026-12-1", "YYYY-MM-DD"},
           {"2026-12-01 16:61", "minute 61"},
           {"2026-12-01 16:00 extra", "extra"},
           {"16", "am/pm"},
           {"13pm", "hour 13"},
           {"0am", "hour 0"},
           {"9:3", "9:3"},
           {"16:00:75", "second 75"},
           {"today 24:00", "hour 24"},
           {"tomorrow nine", "nine"},
           {"16:00 tomorrow", "tomorrow"},
           {"+", "nothing after"},
           {"-", "nothing after"},
           {"+4", "needs a unit"},
           {"+1h1h", "twice"},
           {"+h", "number"},
           {"+9999999h", "too large"},
           {"next week", "next"},
           {"2026-06-01T14:00:00+2:00", "2026-06-01"},
       }) {
    auto got = ParseFriendlyTime(b.text, kBerlin, TimeAt(kBerlinNow));
    ASSERT_FALSE(got.ok()) << "\"" << b.text << "\" gave " << FormatRfc3339(*got);
    EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument) << b.text;
    const std::string msg = got.status().message();
    EXPECT_FALSE(msg.empty()) << b.text;
    EXPECT_NE(msg.find(b.says), std::string::npos) << "\"" << b.text << "\": " << msg;
    EXPECT_NE(msg.find("accepted:"), std::string::npos) << msg;
  }
}

TEST(FriendlyTime, UnknownZoneIsAnErrorNamingIt) {
  auto got = ParseFriendlyTime("16:00", "Mars/Olympus_Mons", TimeAt(kUtcNow));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(got.status().message().find("Mars/Olympus_Mons"), std::string::npos)
      << got.status().message();
}

TEST(FriendlyTime, KnowsZonesFromTzdata) {
  EXPECT_TRUE(IsKnownTimeZone(""));
  EXPECT_TRUE(IsKnownTimeZone("UTC"));
  EXPECT_TRUE(IsKnownTimeZone(kNewYork));
  EXPECT_TRUE(IsKnownTimeZone(kBerlin));
  EXPECT_TRUE(IsKnownTimeZone("Asia/Kolkata"));
  EXPECT_FALSE(IsKnownTimeZone("Mars/Olympus_Mons"));
  EXPECT_FALSE(IsKnownTimeZone("../../etc/passwd"));
  EXPECT_FALSE(IsKnownTimeZone("Europe/"));
}

TEST(FriendlyTime, FormatsLocalTimeWithWeekdayAndAbbreviation) {
  Time winter = TimeAt("2026-11-24T15:00:59.900Z");
  EXPECT_EQ(FormatLocalTime(winter, kBerlin), "Tue 2026-11-24 16:00 CET");
  EXPECT_EQ(FormatLocalTime(winter, kNewYork), "Tue 2026-11-24 10:00 EST");
  EXPECT_EQ(FormatLocalTime(winter, ""), "Tue 2026-11-24 15:00 UTC");
  Time summer = TimeAt("2026-06-10T23:30:00Z");
  EXPECT_EQ(FormatLocalTime(summer, kBerlin), "Thu 2026-06-11 01:30 CEST");
  EXPECT_EQ(FormatLocalTime(summer, kNewYork), "Wed 2026-06-10 19:30 EDT");
  EXPECT_EQ(FormatLocalTime(summer, "UTC"), "Wed 2026-06-10 23:30 UTC");
  EXPECT_EQ(FormatLocalTime(summer, "Mars/Olympus_Mons"), "Wed 2026-06-10 23:30 UTC");
}

TEST(FriendlyTime, ParsedTimeFormatsBackAsTyped) {
  Time now = TimeAt("2026-11-23T12:00:00+01:00");  // a Monday in Berlin
  auto got = ParseFriendlyTime("tue 4pm", kBerlin, now);
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_EQ(FormatLocalTime(*got, kBerlin), "Tue 2026-11-24 16:00 CET");
}

}  // namespace
}  // namespace agentdraft

namespace agentdraft {
namespace {

// Found by fuzz/time_fuzzer.cc: "0000-01-01T01:00" in Asia/Kathmandu (local mean time, +5:41:16
// then) is an instant in year -1, which FormatRfc3339 wrote as "-001-12-31T19:18:44Z", a text
// nothing reads back. Results outside years 0000-9999 in UTC are errors now.
TEST(FriendlyTime, RejectsResultsOutsideYears0000To9999) {
  const Time now = TimeAt("2026-06-10T15:00:00Z");
  for (auto [text, tz] : {std::pair{"0000-01-01T01:00", "Asia/Kathmandu"},
                          std::pair{"0000-01-01", "Europe/Berlin"},
                          std::pair{"9999-12-31 23:30", "America/New_York"},
                          std::pair{"+999999w", "UTC"}}) {
    auto t = ParseFriendlyTime(text, tz, now);
    ASSERT_FALSE(t.ok()) << text << " in " << tz << " = " << FormatRfc3339Micros(*t);
    EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(t.status().message().find("outside years 0000-9999"), std::string::npos)
        << t.status().message();
  }
  auto edge = ParseFriendlyTime("9999-12-31 23:30", "UTC", now);
  ASSERT_TRUE(edge.ok()) << edge.status().message();
  EXPECT_EQ(FormatRfc3339(*edge), "9999-12-31T23:30:00Z");
}

}  // namespace
}  // namespace agentdraft
