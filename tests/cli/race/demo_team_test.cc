// The race demo's agents: names in creation order, priorities that are not.
#include "cli/race/demo_team.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace agentdraft::cli {
namespace {

// "name:priority …" in creation order.
std::string RenderCast(const std::vector<DemoAgent>& cast) {
  std::string out;
  for (const DemoAgent& a : cast)
    out += (out.empty() ? "" : " ") + a.name + ":" + std::to_string(a.priority);
  return out;
}

TEST(DemoCast, FiveAgentsAreRankedOutOfCreationOrder) {
  EXPECT_EQ(RenderCast(DemoCast(5)), "sales-bot:2 recruit-bot:3 focus-blocker:5 exec-ea:1 ops-bot:4");
}

TEST(DemoCast, AgentsBeyondFiveAreNumberedAndRankedBelowTheNamedOnes) {
  EXPECT_EQ(RenderCast(DemoCast(7)),
            "sales-bot:2 recruit-bot:3 focus-blocker:5 exec-ea:1 ops-bot:4 agent-6:6 agent-7:7");
}

TEST(DemoCast, FewerThanFiveAreRankedInReverseCreationOrder) {
  EXPECT_EQ(RenderCast(DemoCast(2)), "sales-bot:2 recruit-bot:1");
  EXPECT_EQ(RenderCast(DemoCast(4)), "sales-bot:4 recruit-bot:3 focus-blocker:2 exec-ea:1");
}

TEST(DemoCast, PrioritiesAreOneToNAndNeverInCreationOrder) {
  for (int n = 2; n <= 64; ++n) {
    std::vector<int> priorities;
    for (const DemoAgent& a : DemoCast(n)) priorities.push_back(a.priority);
    std::vector<int> sorted = priorities;
    std::sort(sorted.begin(), sorted.end());
    std::vector<int> one_to_n(n);
    for (int i = 0; i < n; ++i) one_to_n[i] = i + 1;
    EXPECT_EQ(sorted, one_to_n) << n;
    EXPECT_NE(priorities, one_to_n) << n;
  }
}

TEST(DemoCast, SuffixGoesOnEveryName) {
  EXPECT_EQ(RenderCast(DemoCast(6, "-k3x9")),
            "sales-bot-k3x9:2 recruit-bot-k3x9:3 focus-blocker-k3x9:5 exec-ea-k3x9:1 "
            "ops-bot-k3x9:4 agent-6-k3x9:6");
}

TEST(DemoCast, TopRankedIsThePriorityOneAgent) {
  EXPECT_EQ(DemoCast(5)[TopRanked(DemoCast(5))].name, "exec-ea");
  EXPECT_EQ(DemoCast(3)[TopRanked(DemoCast(3))].name, "focus-blocker");
}

}  // namespace
}  // namespace agentdraft::cli
