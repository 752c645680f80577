// Checkers: judge a recorded History plus the final state against the invariants C1–C9 and
// the conservation check of /work/shared/TESTING.md. Each returns its violations, each a
// sentence naming the op(s) or record(s) concerned; an empty list is a pass.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "tests/history/history.h"

namespace agentdraft::testing::history {

// A claim (booking or hold) as the SQLite file has it.
struct StoredClaim {
  std::string id, owner_id, agent_id, kind, state;  // kind "booking"/"hold"; state "COMMITTED", …
  Time start, end, created_at, expires_at, frozen_at;
  bool ended = false;
  Time ended_at;
  std::string ended_by, idempotency_key;
};

struct StoredAgent {
  std::string id, owner_id, name;
  int priority = 0;
};

struct FinalState {
  // Read through the API before the stop: each calendar's COMMITTED bookings (id → [start, end)).
  std::map<std::string, std::map<std::string, std::pair<Time, Time>>> api_committed;  // by owner id
  std::vector<std::string> api_problems;  // reads that failed
  // The audit export (over the socket), verified offline with the daemon's key.
  std::vector<std::string> export_problems;
  int64_t export_rows = 0;  // with several daemons, the smallest of their exports
  // Read from the store after the clean stop: the SQLite file, or the DynamoDB table
  // ("dynamodb": no file, no integrity_check; every daemon's export is verified instead).
  std::string store = "sqlite";
  std::string integrity = "not checked";
  std::map<std::string, StoredClaim> claims;  // by id
  std::map<std::string, StoredAgent> agents;  // by id
  std::map<int64_t, std::string> audit_hash;  // seq → hash
  std::vector<std::pair<std::string, std::string>> audit_rows;  // (kind, resource) in seq order
  int64_t checkpoints = 0;
  // Owner settings the run used (the checkers' notion of the bump window).
  std::map<std::string, Duration> bump_window;  // by owner id
  Time collected_at;  // wall clock when the final read was made
};

using Violations = std::vector<std::string>;

Violations CheckNoOverlap(const std::vector<Op>& ops, const FinalState& s);            // C1
Violations CheckNoLostAck(const std::vector<Op>& ops, const FinalState& s);            // C2
Violations CheckNoPhantom(const std::vector<Op>& ops, const FinalState& s);            // C3
Violations CheckIdempotency(const std::vector<Op>& ops, const FinalState& s);          // C4
Violations CheckIndeterminateResolves(const std::vector<Op>& ops, const FinalState& s);  // C5
Violations CheckRealTimeOrder(const std::vector<Op>& ops, const FinalState& s);        // C6
Violations CheckAudit(const std::vector<Op>& ops, const FinalState& s);                // C7
Violations CheckLegalEvictions(const std::vector<Op>& ops, const FinalState& s);       // C8
Violations CheckHolds(const std::vector<Op>& ops, const FinalState& s);                // C9
Violations CheckConservation(const std::vector<Op>& ops, const FinalState& s);
// The API's and the file's final states agree, and integrity_check said ok.
Violations CheckStoreAgreement(const std::vector<Op>& ops, const FinalState& s);

// Every checker by name ("C1" … "C9", "conservation", "store"), in that order.
std::vector<std::pair<std::string, Violations>> CheckAll(const std::vector<Op>& ops,
                                                         const FinalState& s);

// "C1=0 C2=3 …" and the first few violations of each failing checker.
std::string Report(const std::vector<std::pair<std::string, Violations>>& results, int examples = 5);
size_t CountOf(const std::vector<std::pair<std::string, Violations>>& results, const std::string& name);

}  // namespace agentdraft::testing::history
