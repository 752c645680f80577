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
