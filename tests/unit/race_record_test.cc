// race::RecordScenario on hand-made audit rows: which rows become steps, what is brought in,
// and the expectations written; and a recorded scenario replays to what it says.
#include <gtest/gtest.h>

#include "race/record.h"
#include "race/replay.h"

namespace agentdraft::race {
namespace {

using nlohmann::json;

json Row(int64_t seq, const std::string& at, const std::string& actor, const std::string& kind,
         const std::string& resource, json payload) {
  return {{"seq", seq}, {"at", at}, {"actor", actor}, {"subject", actor}, {"kind", kind},
          {"resource", resource}, {"payload", payload}};
}

json ClaimPayload(const std::string& agent, int priority, const std::string& arrived, json extra = json::object()) {
  json p = {{"agent_id", agent}, {"priority", priority}, {"start", "2031-01-01T10:00:00Z"},
            {"end", "2031-01-01T10:30:00Z"}, {"arrived_at", arrived}};
  p.update(extra);
  return p;
}

const json kRaceAgents = json::array({
    {{"agent_id", "agt_low"}, {"name", "low"}, {"priority", 2}, {"rank", 2}},
    {{"agent_id", "agt_top"}, {"name", "top"}, {"priority", 1}, {"rank", 1}},
});
const json kSettings = {{"tie_window_ms", 20}, {"bump_window_seconds", 30}, {"hold_ttl_seconds", 30},
                        {"max_holds_per_agent", 20}, {"timezone", "UTC"}};

// low books at 10:00:00 (decided when its window closes), top evicts it 5 s later, low's retry
// is rejected; then an unrelated commit long after.
json Log() {
  return json::array({
      Row(1, "2031-01-01T09:00:00.020Z", "agt_low", "booking.committed", "bkg_1",
          ClaimPayload("agt_low", 2, "2031-01-01T09:00:00.000000Z")),
      Row(2, "2031-01-01T09:00:05Z", "agt_top", "booking.evicted", "bkg_1",
          {{"booking_id", "bkg_1"}, {"agent_id", "agt_low"}, {"evicted_by", "bkg_2"}}),
      Row(3, "2031-01-01T09:00:05Z", "agt_top", "booking.committed", "bkg_2",
          ClaimPayload("agt_top", 1, "2031-01-01T09:00:05.000000Z", {{"evicted_booking_ids", {"bkg_1"}}})),
      Row(4, "2031-01-01T09:00:05.500Z", "agt_low", "booking.rejected", "bkg_2",
          ClaimPayload("agt_low", 2, "2031-01-01T09:00:05.500000Z",
                {{"reason", "outranked"}, {"winning_claim_id", "bkg_2"}, {"winning_agent_id", "agt_top"}})),
      Row(5, "2031-01-01T12:00:00.020Z", "agt_low", "booking.committed", "bkg_3",
          ClaimPayload("agt_low", 2, "2031-01-01T12:00:00.000000Z",
                {{"start", "2031-01-02T10:00:00Z"}, {"end", "2031-01-02T10:30:00Z"}})),
  });
}

TEST(RaceRecord, AWindowBringsInTheClaimsItsRowsReferTo) {
  RecordOptions o;
  o.since = *ParseRfc3339("2031-01-01T09:00:04Z");  // after low's booking was made
  o.until = *ParseRfc3339("2031-01-01T10:00:00Z");
  auto doc = RecordScenario(Log(), kRaceAgents, kSettings, o);
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  const Json& steps = (*doc)["steps"];
  ASSERT_EQ(steps.size(), 3u) << doc->dump(2);
  EXPECT_EQ(steps[0]["agent"], "low");  // brought in: top's commit evicted it
  EXPECT_EQ(steps[0]["at_ms"], 0.0);
  EXPECT_EQ(steps[0]["expect"], Json({{"status", 201}, {"final", "EVICTED by s2"}}));
  EXPECT_EQ(steps[1]["at_ms"], 5000.0);
  EXPECT_EQ(steps[1]["expect"], Json({{"status", 201}, {"evicted", {"s1"}}, {"final", "COMMITTED"}}));
  EXPECT_EQ(steps[2]["expect"],
            Json({{"status", 409}, {"error", "outranked"}, {"reason", "outranked"}, {"winner", "top"}}));
  EXPECT_EQ((*doc)["agents"], Json::parse(R"([{"name":"top","priority":1},{"name":"low","priority":2}])"));
  EXPECT_EQ((*doc)["start_time"], "2031-01-01T09:00:00.000000Z");

  // And it replays to exactly that.
  auto scenario = ParseScenario(doc->dump());
  ASSERT_TRUE(scenario.ok()) << scenario.status().ToString();
  auto result = Replay(*scenario);
  ASSERT_TRUE(result.ok());
  for (const StepResult& s : result->steps) EXPECT_TRUE(s.problems.empty()) << s.observed.dump();
}

TEST(RaceRecord, TheLastRaceIsTheNewestRejectionAndItsNeighbours) {
  RecordOptions o;
  o.last_race = true;
  o.race_gap = std::chrono::seconds(1);
  auto doc = RecordScenario(Log(), kRaceAgents, kSettings, o);
  ASSERT_TRUE(doc.ok());
  // The rejection at 5.5 s and top's commit 0.5 s before it; low's booking 5 s before that is
  // outside the gap but comes in as the claim top evicted. The unrelated 12:00 commit does not.
  EXPECT_EQ((*doc)["steps"].size(), 3u) << doc->dump(2);

  o.race_gap = std::chrono::milliseconds(100);
  doc = RecordScenario(Log(), kRaceAgents, kSettings, o);
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ((*doc)["steps"].size(), 3u);  // top's commit still comes in: it won
}

TEST(RaceRecord, NothingToRecordIsNotFound) {
  RecordOptions o;
  o.since = *ParseRfc3339("2032-01-01T00:00:00Z");
  auto doc = RecordScenario(Log(), kRaceAgents, kSettings, o);
  EXPECT_EQ(doc.status().code(), StatusCode::kNotFound);
  RecordOptions last;
  last.last_race = true;
  EXPECT_EQ(RecordScenario(json::array(), kRaceAgents, kSettings, last).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace agentdraft::race

namespace agentdraft::race {
namespace {

// Scenario files are read with the strict parser (issue 17): a repeated key or nesting over
// 128 levels is not valid JSON, named as such.
TEST(RaceScenario, ARepeatedKeyOrDeepNestingIsNotValidJson) {
  auto twice = ParseScenario(R"({"format":"agentdraft-race-v1","name":"a","name":"b"})");
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.status().message(), "the scenario has the key \"name\" twice in one object");
  auto deep = ParseScenario("{\"steps\":" + std::string(60000, '[') + std::string(60000, ']') + "}");
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.status().message(),
            "the scenario nests arrays and objects deeper than 128 levels (at byte 137)");
}

}  // namespace
}  // namespace agentdraft::race
