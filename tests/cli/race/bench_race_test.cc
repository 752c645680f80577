// The collision benchmark's statistics and reports on made-up rounds.
#include <gtest/gtest.h>

#include "cli/race/bench_race.h"

namespace agentdraft::cli {
namespace {

BenchRound Round(std::vector<int> statuses, double latency = 1.0) {
  BenchRound r;
  r.statuses = std::move(statuses);
  r.latencies_ms.assign(r.statuses.size(), latency);
  return r;
}

TEST(BenchRace, PercentilesAreNearestRank) {
  std::vector<double> v;
  for (int i = 100; i >= 1; --i) v.push_back(i);
  EXPECT_EQ(Percentile(v, 50), 50);
  EXPECT_EQ(Percentile(v, 99), 99);
  EXPECT_EQ(Percentile(v, 100), 100);
  EXPECT_EQ(Percentile({7}, 99), 7);
  EXPECT_EQ(Percentile({}, 50), 0);
  EXPECT_EQ(Percentile({1, 2, 3}, 0), 1);
}

TEST(BenchRace, EveryKindOfRoundIsCounted) {
  // Agent 0 is top-ranked.
  std::vector<BenchRound> rounds = {
      Round({201, 409, 409}, 2.0),  // resolved, rank 1
      Round({409, 201, 409}, 3.0),  // resolved by the wrong agent
      Round({201, 201, 409}, 4.0),  // double commit
      Round({409, 409, 409}, 5.0),  // nobody
      Round({201, 0, 503}, 6.0),    // resolved, rank 1, two errors
  };
  BenchStats s = Summarize(rounds, 0);
  EXPECT_EQ(s.rounds, 5);
  EXPECT_EQ(s.agents, 3);
  EXPECT_EQ(s.resolved_rounds, 3);
  EXPECT_EQ(s.rank1_wins, 2);
  EXPECT_EQ(s.double_commit_rounds, 1);
  EXPECT_EQ(s.no_winner_rounds, 1);
  EXPECT_EQ(s.commits, 5);
  EXPECT_EQ(s.conflicts, 8);
  EXPECT_EQ(s.errors, 2);
  EXPECT_DOUBLE_EQ(s.accuracy(), 0.6);
  EXPECT_DOUBLE_EQ(s.rank1_rate(), 0.4);
  EXPECT_FALSE(s.perfect());
  EXPECT_EQ(s.p50_ms, 4.0);
  EXPECT_EQ(s.max_ms, 6.0);

  BenchStats good = Summarize({Round({201, 409}), Round({201, 409})}, 0);
  EXPECT_TRUE(good.perfect());
  EXPECT_FALSE(Summarize({Round({409, 201})}, 0).perfect());
  EXPECT_FALSE(Summarize({}, 0).perfect());
}

TEST(BenchRace, ReportsCarryEveryFigure) {
  BenchStats s = Summarize({Round({201, 409}, 2.5), Round({201, 409}, 3.5)}, 0);
  BenchContext c{"2026-11-25T03:00:00Z", "http://127.0.0.1:8080", "exec-ea", {{"exec-ea", 1}, {"sales-bot", 2}}, 1.25};
  nlohmann::json j = BenchJson(s, c);
  EXPECT_EQ(j["accuracy"], 1.0);
  EXPECT_EQ(j["rank1_win_rate"], 1.0);
  EXPECT_EQ(j["errors"], 0);
  EXPECT_EQ(j["double_commit_rounds"], 0);
  EXPECT_EQ(j["latency_ms"]["p50"], 2.5);
  EXPECT_EQ(j["latency_ms"]["p99"], 3.5);
  EXPECT_EQ(j["team"][1]["name"], "sales-bot");
  EXPECT_EQ(j["ok"], true);
  const std::string md = BenchMarkdown(s, c);
  EXPECT_NE(md.find("| conflict-resolution accuracy (rounds with exactly one 201) | 100 % (2/2) |"), std::string::npos) << md;
  EXPECT_NE(md.find("| latency p99 | 3.50 ms |"), std::string::npos) << md;
  EXPECT_NE(md.find("exec-ea (1), sales-bot (2)"), std::string::npos) << md;
}

}  // namespace
}  // namespace agentdraft::cli
