// The power-loss scenario and its checker, shared by the normal test binary
// (powerloss/power_loss_test.cc, real libraries) and the negative control
// (planted/power_loss_planted_test.cc: the store opened with synchronous=NORMAL).
//
// One run: an Engine over a SqliteStore on a temporary file, opened through CrashVfs
// (tests/support/crash_vfs.h), driven as the daemon drives it: the real clock and timer thread,
// a short tie window, and several threads of agents of different ranks committing, holding,
// converting holds, cancelling and releasing on overlapping slots. Every 2xx answer is an
// acknowledgement. After the k-th one (or in the middle of the n-th write) the power goes:
// CrashVfs drops every write not yet fsynced and the old engine and store can write nothing
// more; they are torn down. Then a
// fresh SqliteStore and Engine open the file with the plain unix VFS, and the checker looks
// for every acknowledged change there:
//   - the owner and each created agent exist;
//   - each acknowledged booking, hold, cancel, release, conversion, eviction and displacement
//     is in the state its answer said (or a later, legal one: a booking cancelled by a
//     request that was sent, or evicted by a claim that exists; a hold converted, expired…);
//   - each (audit_id, audit_hash) an answer carried is in the chain;
// and, for the file as a whole: PRAGMA integrity_check says ok, the new Engine starts, and
// the audit chain verifies from row 1 (hashes, links, no gaps in seq).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tests/support/crash_vfs.h"

namespace agentdraft::testing {

struct PowerLossOptions {
  uint64_t seed = 1;
  int workers = 4;            // threads, one agent each (priorities 1, 2, 3, 1, 2, …)
  int crash_after_acks = 50;  // the power goes right after this many 2xx answers…
  // …or, when not 0, inside this many-th write to the files once the agents start (in the
  // middle of whatever transaction or checkpoint is writing then).
  int64_t crash_at_write = 0;
  // SqliteStoreOptions::sync of the store that crashes: false (synchronous=NORMAL) is the
  // negative control, which must lose acknowledged changes. The checker's store is FULL.
  bool sqlite_sync = true;
};

struct PowerLossReport {
  int acks = 0;          // 2xx answers received, before and after the crash point
  int acks_checked = 0;  // acknowledged facts looked up after the restart
  // One line per acknowledged fact missing (or contradicted) after the restart.
  std::vector<std::string> lost;
  // Anything else wrong with the reopened file: integrity_check, the chain, reopening.
  std::vector<std::string> problems;
  int64_t audit_rows = 0;  // rows in the chain after the restart
  CrashVfs::Stats vfs;
};

// Runs one crash in a fresh database file under `dir` (which must exist).
PowerLossReport RunPowerLoss(const std::string& dir, const PowerLossOptions& options);

}  // namespace agentdraft::testing
