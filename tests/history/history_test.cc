// The history suites (docs/testing.md, "History harness and checkers"): the overlap storm and
// the crash soak against the real agentdraftd, and the negative controls that prove the
// checkers catch the bugs they exist for (a planted daemon must make its checker fail, and
// the real daemon on the same profile must not).
//
// Durations come from the environment so that the long profiles are the same tests:
//   AGENTDRAFT_STORM_SECONDS (default 60), AGENTDRAFT_SOAK_SECONDS (default 60),
//   AGENTDRAFT_HISTORY_SEED (default 1). tests/soak/run.sh runs the long profiles.
#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>
#include <map>
#include <set>

#include "tests/planted/planted.h"
#include "tests/history/load.h"
#include "tests/support/dynamodb_local.h"

namespace agentdraft::testing::history {
namespace {

int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::atoi(v) : fallback;
}

struct RunOutcome {
  Figures figures;
  std::vector<Op> ops;
  std::vector<std::pair<std::string, Violations>> results;
  int kills = 0, pauses = 0;
  std::vector<std::string> nemesis_problems;
};

RunOutcome RunAndCheck(const std::string& name, LoadOptions options) {
  Run run(options);
  Status s = run.Setup();
  EXPECT_TRUE(s.ok()) << s.ToString();
  if (!s.ok()) return {};
  run.Drive();
  FinalState state = run.Collect();
  const std::vector<Op> ops = run.history().ops();
  RunOutcome o{Summarize(ops), ops, CheckAll(ops, state), run.kills(), run.pauses(), run.nemesis_problems()};
  std::cout << "[history] " << name << ": " << options.duration.count() / 1000.0 << " s, "
            << o.figures.ToString() << " kills=" << o.kills << " pauses=" << o.pauses
            << " final_committed=";
  size_t committed = 0;
  for (const auto& [owner, b] : state.api_committed) committed += b.size();
  std::cout << committed << " audit_rows=" << state.audit_hash.size()
            << "\n[history] " << name << " violations: " << Report(o.results) << "\n";
  for (const std::string& p : o.nemesis_problems) std::cout << "[history] nemesis: " << p << "\n";
  return o;
}

void ExpectClean(const RunOutcome& o, const std::vector<std::string>& checkers) {
  for (const std::string& c : checkers) EXPECT_EQ(CountOf(o.results, c), 0u) << c << ": " << Report(o.results);
}

LoadOptions StormProfile(int seconds) {
  LoadOptions o;
  o.clients = 32;
  o.calendars = 4;
  o.duration = std::chrono::seconds(seconds);
  o.seed = EnvInt("AGENTDRAFT_HISTORY_SEED", 1);
  return o;
}

LoadOptions CrashProfile(int seconds) {
  LoadOptions o = StormProfile(seconds);
  o.kill_every = std::chrono::milliseconds(2000);
  o.pause_one_in = 8;  // every eighth event a SIGSTOP/SIGCONT stall instead of a kill
  return o;
}

TEST(OverlapStorm, ThirtyTwoClientsFourCalendarsNoOverlapNoLostAckNoPhantom) {
  const RunOutcome o = RunAndCheck("OverlapStorm", StormProfile(EnvInt("AGENTDRAFT_STORM_SECONDS", 60)));
  ExpectClean(o, {"C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C9", "conservation", "store"});
  EXPECT_GE(o.figures.ok, 500);
  EXPECT_GE(o.figures.commits_409 * 5, o.figures.commits) << "fewer than 20 % of commits were 409";
}

TEST(CrashSoak, KillNineEveryTwoSecondsLosesNothingAcknowledged) {
  const RunOutcome o = RunAndCheck("CrashSoak", CrashProfile(EnvInt("AGENTDRAFT_SOAK_SECONDS", 60)));
  EXPECT_TRUE(o.nemesis_problems.empty());  // integrity_check ok after every kill, every restart worked
  ExpectClean(o, {"C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C9", "conservation", "store"});
  const int seconds = EnvInt("AGENTDRAFT_SOAK_SECONDS", 60);
  EXPECT_GE(o.kills, 20 * seconds / 60);
  EXPECT_GE(o.pauses, 1);
  EXPECT_GE(o.figures.info, 10);
  EXPECT_GE(o.figures.ok, 500 * seconds / 60);
}

// --- Several daemons on one DynamoDB table ----------------------------------------------
// TESTING.md's multi-daemon suite: three agentdraftd on one table of the tests' DynamoDB
// Local, the storm (one daemon killed or paused at a time) and the stampede, judged by the
// same checkers over one history recorded across the daemons.

class MultiDaemonHistory : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!DynamoDbLocal::Available()) {
      if (DynamoDbLocalRequired()) FAIL() << "DynamoDB Local is not installed (scripts/setup.sh)";
      GTEST_SKIP() << "DynamoDB Local is not installed (scripts/setup.sh installs it)";
    }
  }
};

TEST_F(MultiDaemonHistory, StormOverThreeDaemonsOneKilledOrPausedAtATime) {
  const int seconds = EnvInt("AGENTDRAFT_MD_STORM_SECONDS", 60);
  LoadOptions o = StormProfile(seconds);
  o.dynamodb_daemons = 3;
  o.kill_every = std::chrono::milliseconds(3000);
  o.pause_one_in = 5;
  o.request_timeout = std::chrono::milliseconds(3000);
  const RunOutcome out = RunAndCheck("MultiDaemonStorm", o);
  EXPECT_TRUE(out.nemesis_problems.empty());
  ExpectClean(out, {"C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C9", "conservation", "store"});
  EXPECT_GE(out.kills, 10 * seconds / 60);
  EXPECT_GE(out.pauses, 1);
  EXPECT_GE(out.figures.ok, 300 * seconds / 60);
  EXPECT_GE(out.figures.commits_409 * 5, out.figures.commits) << "fewer than 20 % of commits were 409";
}

TEST_F(MultiDaemonHistory, StampedeOverThreeDaemonsIsWonByTheTopRankedAgentEveryRound) {
  LoadOptions o;
  o.clients = 64;
  o.calendars = 1;  // half its agents over the daemons' sockets, half over HTTP
  o.dynamodb_daemons = 3;
  // 50 rounds here (each lasts its 1 s tie window and more, ~1.4 s); tests/soak/run.sh runs the
  // long profile.
  o.stampede_rounds = EnvInt("AGENTDRAFT_MD_STAMPEDE_ROUNDS", 50);
  o.duration = std::chrono::seconds(1);  // no nemesis: the rounds end the run
  // The top agent's commit must reach the table inside the window even when its daemon's
  // view is stale and it must reload and try again, on a loaded 2-core host.
  o.tie_window_ms = 1000;
  o.request_timeout = std::chrono::milliseconds(10000);
  const RunOutcome out = RunAndCheck("MultiDaemonStampede", o);
  ExpectClean(out, {"C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C9", "conservation", "store"});
  // Per round (its slot's start): the booking ids acknowledged, and who won.
  std::map<std::string, std::set<std::string>> won;
  std::map<std::string, std::set<std::string>> winners;
  int server_errors = 0;
  for (const Op& op : out.ops) {
    if (op.status >= 500) ++server_errors;
    if (op.outcome != history::Outcome::kOk) continue;
    const std::string slot = op.request["start"].get<std::string>();
    won[slot].insert(op.CreatedId());
    winners[slot].insert(op.agent_name);
  }
  EXPECT_EQ(static_cast<int>(won.size()), o.stampede_rounds) << "rounds without a winner";
  int wrong = 0;
  for (const auto& [slot, ids] : won) {
    if (ids.size() != 1 || winners[slot] != std::set<std::string>{"c0-a0"}) {
      if (++wrong <= 5) ADD_FAILURE() << slot << ": " << ids.size() << " bookings, won by " << *winners[slot].begin();
    }
  }
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(server_errors, 0);
  std::set<std::string> resolved;  // keys with a definite answer (after retries, if any)
  for (const Op& op : out.ops) {
    if (op.outcome == history::Outcome::kOk || op.outcome == history::Outcome::kFail) resolved.insert(op.idempotency_key);
  }
  EXPECT_EQ(static_cast<int>(resolved.size()), o.clients * o.stampede_rounds) << "requests never answered";
}

// The checkers stay honest across daemons too: acknowledging before the table has the
// decision, with one daemon killed at a time, must show as lost acknowledgements (C2).
// (skip_overlap has no multi-daemon control: every decision also appends to the one audit
// chain under a condition on its head, so a daemon with a stale view is refused whatever its
// bucket writes expect, and nothing reaches C1.)
TEST_F(MultiDaemonHistory, APlantedAckBeforeCommitIsSeenAcrossDaemons) {
#ifndef AGENTDRAFTD_PLANTED_PATH
  GTEST_SKIP() << "built without AGENTDRAFT_NEGATIVE_CONTROLS: no agentdraftd_planted";
#else
  LoadOptions o = StormProfile(12);
  o.dynamodb_daemons = 3;
  o.clients = 16;
  o.grid_hours = 8;
  o.kill_every = std::chrono::milliseconds(1000);
  o.request_timeout = std::chrono::milliseconds(3000);
  o.daemon_binary = AGENTDRAFTD_PLANTED_PATH;
  o.daemon_env = {{"AGENTDRAFT_PLANT", std::string(planted::Name(planted::Bug::kAckBeforeCommit))}};
  const RunOutcome out = RunAndCheck("planted ack_before_commit, three daemons", o);
  EXPECT_GE(CountOf(out.results, "C2"), 1u) << "acknowledgements lost at a killed daemon went unseen";
#endif
}

// --- Negative controls ------------------------------------------------------------------

struct Control {
  planted::Bug bug;
  bool crash;            // the profile kills the daemon
  const char* checker;   // the one that must see the bug
};

class NegativeControl : public ::testing::TestWithParam<Control> {
 protected:
  LoadOptions Profile() const {
    LoadOptions o = GetParam().crash ? CrashProfile(10) : StormProfile(8);
    o.kill_every = GetParam().crash ? std::chrono::milliseconds(1200) : std::chrono::milliseconds(0);
    o.pause_one_in = 0;
    // A few agents on a narrow grid: every commit contends.
    o.clients = 16;
    o.grid_hours = 8;
    return o;
  }
};

TEST_P(NegativeControl, ThePlantedBugMakesItsCheckerFail) {
#ifndef AGENTDRAFTD_PLANTED_PATH
  GTEST_SKIP() << "built without AGENTDRAFT_NEGATIVE_CONTROLS: no agentdraftd_planted";
#else
  LoadOptions o = Profile();
  o.daemon_binary = AGENTDRAFTD_PLANTED_PATH;
  o.daemon_env = {{"AGENTDRAFT_PLANT", std::string(planted::Name(GetParam().bug))}};
  const RunOutcome out = RunAndCheck("planted " + std::string(planted::Name(GetParam().bug)), o);
  EXPECT_GE(CountOf(out.results, GetParam().checker), 1u)
      << "the planted bug " << planted::Name(GetParam().bug) << " went unseen by " << GetParam().checker;
#endif
}

TEST_P(NegativeControl, TheRealDaemonOnTheSameProfileIsClean) {
  const RunOutcome out = RunAndCheck("real daemon, profile of " + std::string(planted::Name(GetParam().bug)), Profile());
  ExpectClean(out, {"C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C9", "conservation", "store"});
}

INSTANTIATE_TEST_SUITE_P(
    History, NegativeControl,
    ::testing::Values(Control{planted::Bug::kAckBeforeCommit, true, "C2"},
                      // The store forgets bookings across restarts: the profile kills.
                      Control{planted::Bug::kSkipOverlap, true, "C1"},
                      Control{planted::Bug::kIdempotencySeparateTxn, true, "C5"}),
    [](const ::testing::TestParamInfo<Control>& info) { return std::string(planted::Name(info.param.bug)); });

}  // namespace
}  // namespace agentdraft::testing::history
