// `agentdraft bench race` with the real binaries: demo agents on a --dev daemon, keys from
// AGENTDRAFT_API_KEYS, a refused key, and no daemon.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/race/demo_team.h"
#include "tests/cli/cli_test_support.h"
#include "tests/support/dev_owner.h"

namespace agentdraft::testing {
namespace {

namespace fs = std::filesystem;

class BenchRaceTest : public CliTest {
 protected:
  // A wide tie window keeps a loaded CI host's scheduling out of the rank figures: the top
  // agent's claim settles its round on arrival, so the window costs nothing.
  void SetUp() override { StartDaemon({"--dev", "--tie-window", "1s"}); }

  // The report files in `dir`, parsed (.json) and as text (.md).
  std::pair<json, std::string> Reports(const std::string& dir) {
    json j;
    std::string md;
    int files = 0;
    for (const auto& e : fs::directory_iterator(dir)) {
      std::ifstream in(e.path());
      std::stringstream s;
      s << in.rdbuf();
      const std::string name = e.path().filename().string();
      EXPECT_EQ(name.rfind("benchmark-", 0), 0u) << name;
      if (e.path().extension() == ".json") j = json::parse(s.str());
      if (e.path().extension() == ".md") md = s.str();
      ++files;
    }
    EXPECT_EQ(files, 2);
    return {j, md};
  }
};

TEST_F(BenchRaceTest, DemoAgentsOnADevDaemonResolveEveryRoundByRank) {
  const std::string out = dir_.File("reports");
  fs::create_directories(out);
  ProcessResult r = Run({"bench", "race", "--rounds", "20", "--agents", "5", "--base-url", daemon_->base_url(),
                         "--json", "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  json report = Parse(r);
  EXPECT_EQ(report["rounds"], 20);
  EXPECT_EQ(report["agents"], 5);
  EXPECT_EQ(report["accuracy"], 1.0);
  EXPECT_EQ(report["rank1_win_rate"], 1.0);
  EXPECT_EQ(report["errors"], 0);
  EXPECT_EQ(report["double_commit_rounds"], 0);
  EXPECT_EQ(report["no_winner_rounds"], 0);
  EXPECT_EQ(report["commits"], 20);
  EXPECT_EQ(report["conflicts"], 80);
  EXPECT_GT(report["latency_ms"]["p99"].get<double>(), 0);
  EXPECT_EQ(report["top_ranked"], "exec-ea");
  auto [file, md] = Reports(out);
  EXPECT_EQ(file, report);
  EXPECT_NE(md.find("| rank-1 win rate | 100 % (20/20) |"), std::string::npos) << md;

  // The daemon agrees: one committed booking per round, on the demo owner's calendar (a dev
  // owner of its own: the magic link never signs in to the socket's owner).
  DevOwner demo(daemon_->base_url(), cli::kDemoOwnerEmail);
  json status = Body(demo.client().Get("/v1/status"));
  EXPECT_EQ(status["counts"]["active_bookings"], 20) << status;
}

TEST_F(BenchRaceTest, KeysFromTheEnvironmentRankedByTheDaemon) {
  // Created in an order unrelated to rank.
  std::string keys = AddAgent("b-second", 2) + "," + AddAgent("c-third", 3) + ", " + AddAgent("a-top", 1);
  ProcessResult r = Run({"bench", "race", "--rounds", "10", "--json", "--no-files"}, {{"AGENTDRAFT_API_KEYS", keys}});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  json report = Parse(r);
  EXPECT_EQ(report["agents"], 3);
  EXPECT_EQ(report["top_ranked"], "a-top");
  EXPECT_EQ(report["rank1_win_rate"], 1.0);
  EXPECT_EQ(report["team"][0]["name"], "a-top");

  ProcessResult mismatch = Run({"bench", "race", "--agents", "5"}, {{"AGENTDRAFT_API_KEYS", keys}});
  EXPECT_EQ(mismatch.exit_code, 2) << mismatch.err;
  ProcessResult bad = Run({"bench", "race", "--rounds", "1", "--no-files"},
                          {{"AGENTDRAFT_API_KEYS", keys + ",avs_live_not-a-key"}});
  EXPECT_EQ(bad.exit_code, 6) << bad.err;
}

TEST_F(BenchRaceTest, WithKeysAndNoDaemonItExits8) {
  ProcessResult r = Run({"bench", "race", "--rounds", "1", "--base-url", "http://127.0.0.1:1"},
                        {{"AGENTDRAFT_API_KEYS", "avs_live_a,avs_live_b"}});
  EXPECT_EQ(r.exit_code, 8) << r.err;
  EXPECT_NE(r.err.find("no daemon at http://127.0.0.1:1"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace agentdraft::testing
