// One round of the race demo: every agent commits the same free slot at the same moment.
//
// FireRace gives each agent its own thread and its own ApiClient (its own keep-alive
// connection), warms the connection (GET /v1/agents/me), waits at a barrier, then POSTs
// /v1/bookings and times the request with steady_clock. ReadEvidence asks the daemon what it
// recorded (the winning booking's audit rows, the committed bookings in the slot), and
// JudgeRound decides whether the round went as the rules say: exactly one 201, from the
// top-ranked agent, every loser told who won, one committed booking, audit rows verified
// (one booking.committed and a booking.rejected per 409).
//
// Thread-safety: FireRace uses each client from exactly one thread; the other functions use
// their arguments from the calling thread only.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/race/demo_team.h"
#include "cli/exit_codes.h"
#include "common/api_client.h"
#include "common/time.h"

namespace agentdraft::cli {

struct Slot {
  std::string start;  // RFC 3339, as the daemon wrote it
  std::string end;
};

// One agent's commit request and its answer.
struct Shot {
  int status = 0;       // HTTP status; 0 when no answer came
  std::string body;     // as received
  nlohmann::json json;  // the body parsed; null when it is not JSON
  double latency_ms = 0;
  std::string transport_error;  // why no answer came (status == 0)
};

// What the daemon recorded about a round.
struct Evidence {
  nlohmann::json audit_events = nlohmann::json::array();  // GET /v1/audit?resource=<winner>
  int committed_in_slot = -1;  // COMMITTED bookings overlapping the slot; -1 = not read
};

struct RaceRound {
  int number = 0;  // 1-based
  Slot slot;
  std::vector<Shot> shots;  // one per agent, in the agents' (creation) order
  Evidence evidence;
};

struct RoundVerdict {
  int commits = 0;                        // 201 answers
  int winner = -1;                        // WinningShot(): agent index of the 201; -1 if none
  std::string winning_booking;            // its booking_id
  std::vector<std::string> audit_checks;  // CheckAuditRows(evidence.audit_events)
  bool chain_ok = false;                  // every audit row checks out (and there is at least one)
  std::vector<std::string> problems;      // empty when the round went by the rules
  bool ok() const { return problems.empty(); }
};

// j[key] when it is a string, else "".
std::string StringField(const nlohmann::json& j, const char* key);

// The agent index of the 201 (the best-ranked one, if several answered 201), or -1.
int WinningShot(const std::vector<Shot>& shots, const std::vector<DemoAgent>& agents);

// The first `count` free, non-overlapping 30-minute slots from tomorrow 09:00 UTC on (at most
// about two years out, asked 30 days at a time), per GET /v1/availability with `agent`'s key.
CliResult<std::vector<Slot>> FindFreeSlots(ApiClient& agent, Time now, int count);

// Fires clients[i] at `slot` with idempotency key "<key_prefix><i>", all at once.
// REQUIRES: !clients.empty().
std::vector<Shot> FireRace(std::vector<ApiClient>& clients, const Slot& slot,
                           const std::string& key_prefix);

// Reads the round's audit trail and the committed bookings in its slot, as the owner.
CliResult<Evidence> ReadEvidence(ApiClient& owner, const std::string& winning_booking,
                                 const Slot& slot);

// Judges a round fired by `agents` (same order as round.shots). Pure.
RoundVerdict JudgeRound(const RaceRound& round, const std::vector<DemoAgent>& agents);

}  // namespace agentdraft::cli
