// Negative controls: the classic bugs of a system like this one, planted on purpose so that
// the test harness can prove its checkers catch them (tests/history, tests/powerloss).
//
// They exist only in targets compiled with AGENTDRAFT_PLANTED: `agentdraftd_planted` and the
// `agentdraft_planted` library (daemon/CMakeLists.txt), which are never installed or packaged.
// In every other build `Active()` is a constant false and the planted branches compile away.
// A planted build picks its bug at run time from the environment: AGENTDRAFT_PLANT=<name>.
#pragma once

#include <cstdlib>
#include <string_view>

namespace agentdraft::planted {

enum class Bug {
  kAckBeforeCommit,          // "ack_before_commit": answer before the transaction is durable
  kSkipOverlap,              // "skip_overlap": never look at who already holds the buckets
  kIdempotencySeparateTxn,   // "idempotency_separate_txn": the key's record in a txn of its own
  kSyncNormal,               // "sync_normal": SQLite synchronous=NORMAL (WAL commits not fsynced)
};

constexpr std::string_view Name(Bug bug) {
  switch (bug) {
    case Bug::kAckBeforeCommit: return "ack_before_commit";
    case Bug::kSkipOverlap: return "skip_overlap";
    case Bug::kIdempotencySeparateTxn: return "idempotency_separate_txn";
    case Bug::kSyncNormal: return "sync_normal";
  }
  return "";
}

#ifdef AGENTDRAFT_PLANTED
inline constexpr bool kPlantedBuild = true;
// Read on every call (not cached), so an in-process test can switch bugs between cases.
inline bool Active(Bug bug) {
  const char* v = std::getenv("AGENTDRAFT_PLANT");
  return v != nullptr && std::string_view(v) == Name(bug);
}
#else
inline constexpr bool kPlantedBuild = false;
constexpr bool Active(Bug) { return false; }
#endif

}  // namespace agentdraft::planted
