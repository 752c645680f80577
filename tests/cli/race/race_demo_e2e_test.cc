// `agentdraft race demo` end to end: the real agentdraft binary, which starts the real
// agentdraftd (a private one, or one started here and shared by two runs).
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>

#include "cli/race/daemon_launcher.h"
#include "tests/cli/run_process.h"
#include "tests/support/temp_dir.h"

namespace agentdraft::cli {
namespace {

namespace fs = std::filesystem;
using agentdraft::testing::ProcessResult;
using agentdraft::testing::RunProcess;
using agentdraft::testing::TempDir;

// Nothing listens on port 1, so the demo starts its own daemon.
constexpr char kNobodyHome[] = "http://127.0.0.1:1";

// The race table's rows as "rank agent outcome", one per line.
std::string RaceRows(const std::string& out) {
  static const std::regex kRow(R"(^ +(\d+)  (\S+) +(\d{3} \S+|no answer) +\d+\.\d ms.*$)");
  std::string rows;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (std::regex_match(line, m, kRow))
      rows += m[1].str() + " " + m[2].str() + " " + m[3].str() + "\n";
  }
  return rows;
}

class RaceDemoEndToEnd : public ::testing::Test {
 protected:
  // Runs agentdraft with TMPDIR pointing at a directory of this test, so a private daemon's
  // data directory can be seen to be removed.
  ProcessResult Agentdraft(std::vector<std::string> args,
                           std::map<std::string, std::string> env = {}) {
    args.insert(args.begin(), AGENTDRAFT_CLI_PATH);
    env.emplace("TMPDIR", tmp_.path());
    env.emplace("AGENTDRAFT_BASE_URL", kNobodyHome);
    return RunProcess(args, env);
  }
  bool TmpIsEmpty() { return fs::is_empty(tmp_.path()); }

  TempDir tmp_;
};

TEST_F(RaceDemoEndToEnd, WithNoDaemonItStartsOneAndOnlyTheTopRankedAgentCommits) {
  const ProcessResult r = Agentdraft({"race", "demo"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.err.find("no daemon at http://127.0.0.1:1; started a private one"), std::string::npos)
      << r.err;
  EXPECT_EQ(RaceRows(r.out),
            "1 exec-ea 201 committed\n"
            "2 sales-bot 409 outranked\n"
            "3 recruit-bot 409 outranked\n"
            "4 ops-bot 409 outranked\n"
            "5 focus-blocker 409 outranked\n")
      << r.out;
  EXPECT_NE(r.out.find("chain ok: 5 rows"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("exactly one 201, from the top-ranked agent (exec-ea) — 0 double bookings"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(r.err.find("exited with status"), std::string::npos) << "unclean stop: " << r.err;
  EXPECT_TRUE(TmpIsEmpty()) << "the private daemon's data directory was left behind";
}

TEST_F(RaceDemoEndToEnd, JsonWithEightAgentsAndThreeRoundsShowsEveryRoundWonByRankOne) {
  const ProcessResult r = Agentdraft({"race", "demo", "--json", "--agents", "8", "--rounds", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const nlohmann::json doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["ok"], true);
  EXPECT_EQ(doc["top_ranked"], "exec-ea");
  ASSERT_EQ(doc["rounds"].size(), 3u);
  std::set<std::string> slots;
  for (const nlohmann::json& round : doc["rounds"]) {
    SCOPED_TRACE(round.dump());
    slots.insert(round["slot"]["start"].get<std::string>());
    ASSERT_EQ(round["attempts"].size(), 8u);
    const nlohmann::json& first = round["attempts"][0];  // attempts are in rank order
    EXPECT_EQ(first["priority"], 1);
    EXPECT_EQ(first["status"], 201);
    EXPECT_EQ(round["winner"]["agent_id"], first["agent_id"]);
    EXPECT_EQ(round["winner"]["booking_id"], first["response"]["booking_id"]);
    for (size_t i = 1; i < 8; ++i) {
      const nlohmann::json& loser = round["attempts"][i];
      EXPECT_EQ(loser["status"], 409);
      EXPECT_EQ(loser["response"]["reason"], "outranked");
      EXPECT_EQ(loser["response"]["winning_agent_id"], first["agent_id"]);
      EXPECT_GT(loser["latency_ms"].get<double>(), 0.0);
    }
    EXPECT_EQ(round["commits"], 1);
    EXPECT_EQ(round["committed_bookings_in_slot"], 1);
    EXPECT_EQ(round["audit"]["chain_ok"], true);
    EXPECT_EQ(round["audit"]["events"].size(), 8u);
    EXPECT_EQ(round["ok"], true);
  }
  EXPECT_EQ(slots.size(), 3u) << "each round races for a fresh slot";
}

TEST_F(RaceDemoEndToEnd, ASecondRunOnTheSameDaemonSuffixesItsAgentNames) {
  DaemonLaunchOptions o;
  o.binary = AGENTDRAFTD_PATH;
  auto daemon = DaemonLauncher::Start(o);
  ASSERT_TRUE(daemon.ok()) << daemon.status().ToString();
  const std::string url = daemon.value()->base_url();
  const ProcessResult first = Agentdraft({"race", "demo", "--base-url", url});
  const ProcessResult second = Agentdraft({"race", "demo", "--base-url", url});
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  ASSERT_EQ(second.exit_code, 0) << second.out << second.err;
  EXPECT_EQ(first.err, "");  // it used the daemon it was given
  std::smatch m;
  ASSERT_TRUE(
      std::regex_search(second.out, m, std::regex(R"(1  exec-ea(-[0-9a-z]{4}) +201 committed)")))
      << second.out;
}

TEST_F(RaceDemoEndToEnd, WithNoDaemonAndNoBinaryToStartItExits8) {
  // A copy of agentdraft with no agentdraftd beside it and an empty PATH.
  const std::string lonely = tmp_.File("agentdraft");
  fs::copy_file(AGENTDRAFT_CLI_PATH, lonely);
  const ProcessResult r =
      RunProcess({lonely, "race", "demo"}, {{"AGENTDRAFT_BASE_URL", kNobodyHome}, {"PATH", ""}});
  EXPECT_EQ(r.exit_code, 8) << r.out << r.err;
  EXPECT_NE(r.err.find("no daemon at http://127.0.0.1:1"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("agentdraftd was not found"), std::string::npos) << r.err;
}

TEST_F(RaceDemoEndToEnd, UsageErrorsExit2AndVersionExits0) {
  const ProcessResult unknown = Agentdraft({"frobnicate"});
  const ProcessResult too_few = Agentdraft({"race", "demo", "--agents", "1"});
  const ProcessResult version = Agentdraft({"--version"});
  EXPECT_EQ(unknown.exit_code, 2) << unknown.err;
  EXPECT_NE(unknown.err.find("race"), std::string::npos)
      << "usage names the commands: " << unknown.err;
  EXPECT_EQ(too_few.exit_code, 2) << too_few.err;
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out, "agentdraft 0.1.0\n");
}

}  // namespace
}  // namespace agentdraft::cli
