// Negative control for the power-loss check (powerloss/power_loss.h): the same scenario on
// the `agentdraft_planted` libraries. With AGENTDRAFT_PLANT=sync_normal the store commits
// with synchronous=NORMAL (the WAL is not fsynced at commit), so a power cut must cost
// acknowledged changes and the checker must say so; without it, nothing may be lost.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

#include "common/planted.h"
#include "tests/powerloss/power_loss.h"
#include "tests/support/temp_dir.h"

namespace agentdraft::testing {
namespace {

static_assert(planted::kPlantedBuild, "this suite needs the agentdraft_planted libraries");

// Plants `bug` (or nothing) for the life of the object.
class Plant {
 public:
  explicit Plant(const char* bug) {
    if (bug) setenv("AGENTDRAFT_PLANT", bug, 1); else unsetenv("AGENTDRAFT_PLANT");
  }
  ~Plant() { unsetenv("AGENTDRAFT_PLANT"); }
};

struct Totals {
  int iterations = 0;
  int acks = 0;
  int acks_checked = 0;
  int lost = 0;
  int iterations_with_loss = 0;
};

Totals RunCrashes(int iterations, uint64_t seed) {
  Totals t;
  for (int i = 0; i < iterations; ++i) {
    std::mt19937 rng(static_cast<uint32_t>(seed) + i);
    PowerLossOptions options;
    options.seed = seed + i;
    options.crash_after_acks = 20 + static_cast<int>(rng() % 150);
    TempDir dir;
    PowerLossReport r = RunPowerLoss(dir.path(), options);
    EXPECT_TRUE(r.problems.empty()) << ::testing::PrintToString(r.problems);
    ++t.iterations;
    t.acks += r.acks;
    t.acks_checked += r.acks_checked;
    t.lost += static_cast<int>(r.lost.size());
    if (!r.lost.empty()) ++t.iterations_with_loss;
  }
  return t;
}

TEST(PowerLossPlanted, SyncNormalLosesAcknowledgedCommits) {
  Plant plant(planted::Name(planted::Bug::kSyncNormal).data());
  Totals t = RunCrashes(3, 777);
  std::printf("sync_normal planted: %d iterations, %d acks, %d checked, %d lost (%d iterations lost some)\n",
              t.iterations, t.acks, t.acks_checked, t.lost, t.iterations_with_loss);
  // The checker must catch it every time: each crash comes right after an unsynced ack.
  EXPECT_GE(t.lost, 1);
  EXPECT_EQ(t.iterations_with_loss, t.iterations);
}

TEST(PowerLossPlanted, NothingPlantedLosesNothing) {
  Plant plant(nullptr);
  Totals t = RunCrashes(3, 777);
  std::printf("nothing planted: %d iterations, %d acks, %d checked, %d lost\n", t.iterations,
              t.acks, t.acks_checked, t.lost);
  EXPECT_EQ(t.lost, 0);
  EXPECT_GT(t.acks_checked, 0);
}

}  // namespace
}  // namespace agentdraft::testing
