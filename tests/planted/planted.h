// Negative controls: the classic bugs of a system like this one, planted on purpose so that
// the test harness can prove its checkers catch them (tests/history, tests/powerloss).
//
// Nothing of them is in the daemon's sources. Each bug is planted from the test side:
// ack_before_commit, idempotency_separate_txn and skip_overlap by decorating the daemon's
// store with a FaultyStore (tests/support/faulty_store.h) — `agentdraftd_planted`
// (planted_main.cc) is agentdraftd on the Daemon library with that decoration — and
// sync_normal through SqliteStoreOptions::sync (the power-loss control runs the store in
// process). The planted daemon picks its bug at start from AGENTDRAFT_PLANT=<name>.
#pragma once

#include <optional>
#include <string_view>

#include "tests/support/faulty_store.h"

namespace agentdraft::planted {

enum class Bug {
  kAckBeforeCommit,          // "ack_before_commit": answer before the decision is durable
  kSkipOverlap,              // "skip_overlap": a store that forgets who holds the buckets
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

inline std::optional<Bug> FromName(std::string_view name) {
  for (Bug b : {Bug::kAckBeforeCommit, Bug::kSkipOverlap, Bug::kIdempotencySeparateTxn, Bug::kSyncNormal}) {
    if (Name(b) == name) return b;
  }
  return std::nullopt;
}

// The store faults that plant `bug` (none for sync_normal: that one is a store option).
inline testing::StoreFaults FaultsOf(Bug bug) {
  testing::StoreFaults f;
  f.ack_before_apply = bug == Bug::kAckBeforeCommit;
  f.idempotency_separate = bug == Bug::kIdempotencySeparateTxn;
  f.forget_occupants = bug == Bug::kSkipOverlap;
  return f;
}

}  // namespace agentdraft::planted
