// Negative control for the power-loss check (powerloss/power_loss.h): the same scenario with
// the bug sync_normal planted (planted.h): the store commits with synchronous=NORMAL
// (SqliteStoreOptions::sync = false; the WAL is not fsynced at commit), so a power cut must
// cost acknowledged changes and the checker must say so; without it, nothing may be lost.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

#include "tests/planted/planted.h"
#include "tests/powerloss/power_loss.h"
#include "tests/support/temp_dir.h"

namespace agentdraft::testing {
namespace {

struct Totals {
  int iterations = 0;
  int acks = 0;
  int acks_checked = 0;
  int lost = 0;
  int iterations_with_loss = 0;
};

Totals RunCrashes(int iterations, uint64_t seed, bool sync_normal) {
  Totals t;
  for (int i = 0; i < iterations; ++i) {
    std::mt19937 rng(static_cast<uint32_t>(seed) + i);
    PowerLossOptions options;
    options.seed = seed + i;
    options.crash_after_acks = 20 + static_cast<int>(rng() % 150);
    options.sqlite_sync = !sync_normal;
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
  Totals t = RunCrashes(3, 777, /*sync_normal=*/true);
  std::printf("sync_normal planted: %d iterations, %d acks, %d checked, %d lost (%d iterations lost some)\n",
              t.iterations, t.acks, t.acks_checked, t.lost, t.iterations_with_loss);
  // The checker must catch it every time: each crash comes right after an unsynced ack.
  EXPECT_GE(t.lost, 1);
  EXPECT_EQ(t.iterations_with_loss, t.iterations);
}

TEST(PowerLossPlanted, NothingPlantedLosesNothing) {
  Totals t = RunCrashes(3, 777, /*sync_normal=*/false);
  std::printf("nothing planted: %d iterations, %d acks, %d checked, %d lost\n", t.iterations,
              t.acks, t.acks_checked, t.lost);
  EXPECT_EQ(t.lost, 0);
  EXPECT_GT(t.acks_checked, 0);
}

}  // namespace
}  // namespace agentdraft::testing
