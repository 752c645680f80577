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

#include "common/planted.h"
#include "tests/history/load.h"

namespace agentdraft::testing::history {
namespace {

int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::atoi(v) : fallback;
}

struct Outcome {
  Figures figures;
  std::vector<std::pair<std::string, Violations>> results;
  int kills = 0, pauses = 0;
  std::vector<std::string> nemesis_problems;
};

Outcome RunAndCheck(const std::string& name, LoadOptions options) {
  Run run(options);
  Status s = run.Setup();
  EXPECT_TRUE(s.ok()) << s.ToString();
  if (!s.ok()) return {};
  run.Drive();
  FinalState state = run.Collect();
  const std::vector<Op> ops = run.history().ops();
  Outcome o{Summarize(ops), CheckAll(ops, state), run.kills(), run.pauses(), run.nemesis_problems()};
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

void ExpectClean(const Outcome& o, const std::vector<std::string>& checkers) {
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
  const Outcome o = RunAndCheck("OverlapStorm", StormProfile(EnvInt("AGENTDRAFT_STORM_SECONDS", 60)));
  ExpectClean(o, {"C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C9", "conservation", "store"});
  EXPECT_GE(o.figures.ok, 500);
  EXPECT_GE(o.figures.commits_409 * 5, o.figures.commits) << "fewer than 20 % of commits were 409";
}

TEST(CrashSoak, KillNineEveryTwoSecondsLosesNothingAcknowledged) {
  const Outcome o = RunAndCheck("CrashSoak", CrashProfile(EnvInt("AGENTDRAFT_SOAK_SECONDS", 60)));
  EXPECT_TRUE(o.nemesis_problems.empty());  // integrity_check ok after every kill, every restart worked
  ExpectClean(o, {"C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C9", "conservation", "store"});
  const int seconds = EnvInt("AGENTDRAFT_SOAK_SECONDS", 60);
  EXPECT_GE(o.kills, 20 * seconds / 60);
  EXPECT_GE(o.pauses, 1);
  EXPECT_GE(o.figures.info, 10);
  EXPECT_GE(o.figures.ok, 500 * seconds / 60);
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
  const Outcome out = RunAndCheck("planted " + std::string(planted::Name(GetParam().bug)), o);
  EXPECT_GE(CountOf(out.results, GetParam().checker), 1u)
      << "the planted bug " << planted::Name(GetParam().bug) << " went unseen by " << GetParam().checker;
#endif
}

TEST_P(NegativeControl, TheRealDaemonOnTheSameProfileIsClean) {
  const Outcome out = RunAndCheck("real daemon, profile of " + std::string(planted::Name(GetParam().bug)), Profile());
  ExpectClean(out, {"C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C9", "conservation", "store"});
}

INSTANTIATE_TEST_SUITE_P(
    History, NegativeControl,
    ::testing::Values(Control{planted::Bug::kAckBeforeCommit, true, "C2"},
                      Control{planted::Bug::kSkipOverlap, false, "C1"},
                      Control{planted::Bug::kIdempotencySeparateTxn, true, "C5"}),
    [](const ::testing::TestParamInfo<Control>& info) { return std::string(planted::Name(info.param.bug)); });

}  // namespace
}  // namespace agentdraft::testing::history
