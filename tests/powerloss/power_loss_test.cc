// Power loss (TESTING.md): acknowledged changes survive the loss of every write that was not
// fsynced. Several crashes at a random acknowledgement each (power_loss.h); after each, the
// file reopened with the plain VFS must hold every acknowledged change, pass
// integrity_check, and carry a chain that verifies. The negative control, with
// synchronous=NORMAL planted, is planted/power_loss_planted_test.cc.
#include <gtest/gtest.h>

#include <random>

#include "tests/powerloss/power_loss.h"
#include "tests/support/temp_dir.h"

namespace agentdraft::testing {
namespace {

// Half the crashes come right after an acknowledgement, half in the middle of a write (of a
// commit, or of a checkpoint copying the WAL into the database).
TEST(PowerLoss, AcknowledgedChangesSurviveLossOfUnsyncedWrites) {
  constexpr int kIterations = 8;
  int acks_checked = 0;
  int lost = 0;
  int64_t undone_mid_write = 0;
  for (int i = 0; i < kIterations; ++i) {
    SCOPED_TRACE("iteration " + std::to_string(i));
    std::mt19937 rng(1234 + i);
    PowerLossOptions options;
    options.seed = 1234 + i;
    options.crash_after_acks = 20 + static_cast<int>(rng() % 150);
    if (i % 2 == 1) options.crash_at_write = 200 + static_cast<int64_t>(rng() % 2800);
    TempDir dir;
    PowerLossReport r = RunPowerLoss(dir.path(), options);
    EXPECT_TRUE(r.problems.empty()) << ::testing::PrintToString(r.problems);
    EXPECT_TRUE(r.lost.empty()) << r.lost.size() << " lost: " << ::testing::PrintToString(r.lost);
    EXPECT_GT(r.vfs.syncs, 0);
    EXPECT_GT(r.audit_rows, 0);
    if (options.crash_at_write == 0) EXPECT_GE(r.acks, options.crash_after_acks);
    else undone_mid_write += r.vfs.undone_writes;
    acks_checked += r.acks_checked;
    lost += static_cast<int>(r.lost.size());
    std::printf("power loss %d: crash %s %lld; %d acks, %d checked, %zu lost, %lld audit rows, "
                "%lld writes, %lld syncs, %lld writes undone in %lld files\n",
                i, options.crash_at_write ? "at write" : "after ack",
                static_cast<long long>(options.crash_at_write ? options.crash_at_write : options.crash_after_acks),
                r.acks, r.acks_checked, r.lost.size(),
                static_cast<long long>(r.audit_rows), static_cast<long long>(r.vfs.writes),
                static_cast<long long>(r.vfs.syncs), static_cast<long long>(r.vfs.undone_writes),
                static_cast<long long>(r.vfs.files_touched));
  }
  std::printf("power loss: %d iterations, %d acknowledged facts checked, %d lost\n", kIterations,
              acks_checked, lost);
  EXPECT_EQ(lost, 0);
  // A crash in the middle of a write must have had unsynced writes to throw away, or the
  // shim proved nothing.
  EXPECT_GT(undone_mid_write, 0);
}

}  // namespace
}  // namespace agentdraft::testing
