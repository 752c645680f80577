// RFC 3339 and duration text forms.
#include "common/time.h"

#include <gtest/gtest.h>

#include "common/status.h"

namespace agentdraft {
namespace {

using namespace std::chrono_literals;

TEST(Time, ParsesUtcAndOffsets) {
  auto utc = ParseRfc3339("2026-06-01T14:00:00Z");
  auto offset = ParseRfc3339("2026-06-01T16:00:00+02:00");
  ASSERT_TRUE(utc.ok());
  ASSERT_TRUE(offset.ok());
  EXPECT_EQ(*utc, *offset);
}

TEST(Time, FormatsUtcWithMillisecondsOnlyWhenPresent) {
  EXPECT_EQ(FormatRfc3339(*ParseRfc3339("2026-06-01T14:00:00Z")), "2026-06-01T14:00:00Z");
  EXPECT_EQ(FormatRfc3339(*ParseRfc3339("2026-06-01T14:00:00.25Z")), "2026-06-01T14:00:00.250Z");
}

TEST(Time, RejectsWhatIsNotRfc3339) {
  for (const char* bad : {"", "tomorrow", "2026-06-01", "2026-06-01T14:00:00", "2026-02-30T00:00:00Z",
                          "2026-06-01T24:00:00Z", "2026-06-01T14:00:00+2:00", "2026-06-01T14:00:00Zjunk"}) {
    EXPECT_FALSE(ParseRfc3339(bad).ok()) << bad;
  }
}

TEST(Time, BeforeTheEpochRoundTrips) {
  auto t = ParseRfc3339("1969-12-31T23:59:59.500Z");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(FormatRfc3339(*t), "1969-12-31T23:59:59.500Z");
}

// Found by fuzz/time_fuzzer.cc: an offset carried these out of years 0000-9999 in UTC, and
// the instant was formatted as "10000-01-01T00:30:00Z" / "-001-12-31T23:00:00Z", which no
// reader (ParseRfc3339 included) reads back. The edges themselves still round-trip.
TEST(Time, RejectsOffsetsThatLeaveYears0000To9999) {
  for (const char* text : {"9999-12-31T23:30:00-01:00", "0000-01-01T00:00:00+01:00",
                           "0000-01-01T00:59:59.999999+01:00"}) {
    auto t = ParseRfc3339(text);
    ASSERT_FALSE(t.ok()) << text << " = " << FormatRfc3339(*t);
    EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(t.status().message().find("outside years 0000-9999"), std::string::npos)
        << t.status().message();
  }
  for (const char* text : {"0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z",
                           "9999-12-31T23:59:59+00:00", "0000-01-01T01:00:00+01:00",
                           "9999-12-31T22:59:59.999999-01:00"}) {
    auto t = ParseRfc3339(text);
    ASSERT_TRUE(t.ok()) << text << ": " << t.status().ToString();
    auto back = ParseRfc3339(FormatRfc3339Micros(*t));
    ASSERT_TRUE(back.ok()) << FormatRfc3339Micros(*t);
    EXPECT_EQ(*back, *t) << text;
  }
}

TEST(Time, MicrosFormKeepsEveryMicrosecondAndRoundTrips) {
  auto t = ParseRfc3339("2026-06-01T14:00:00.000250Z");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(FormatRfc3339Micros(*t), "2026-06-01T14:00:00.000250Z");
  EXPECT_EQ(FormatRfc3339(*t), "2026-06-01T14:00:00Z");  // the short form drops it
  EXPECT_EQ(FormatRfc3339Micros(*ParseRfc3339("2026-06-01T14:00:00Z")), "2026-06-01T14:00:00.000000Z");
  EXPECT_EQ(*ParseRfc3339(FormatRfc3339Micros(*t)), *t);
}

TEST(Time, ParsesDurationsWithUnits) {
  EXPECT_EQ(*ParseDuration("20ms"), 20ms);
  EXPECT_EQ(*ParseDuration("1.5s"), 1500ms);
  EXPECT_EQ(*ParseDuration("30m"), 30min);
  EXPECT_EQ(*ParseDuration("0"), Duration(0));
  EXPECT_FALSE(ParseDuration("20").ok());
  EXPECT_FALSE(ParseDuration("ms").ok());
  EXPECT_EQ(FormatDuration(30min), "30m");
  EXPECT_EQ(FormatDuration(20ms), "20ms");
}

}  // namespace
}  // namespace agentdraft
