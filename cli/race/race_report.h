// How the race demo shows a round: a short aligned table for people, a JSON object for tools.
//
// The human form lists one row per agent by rank (rank, agent, outcome, latency, the winner the
// 409 named), then the winner and its booking, the race's audit rows with each hash checked,
// and a one-line verdict. Colors only when `color` is set (stdout is a terminal).
// Thread-safe: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "cli/race/demo_team.h"
#include "cli/race/race_round.h"

namespace agentdraft::cli {

// "201 committed", "409 outranked", "503 unavailable", "no answer".
std::string Outcome(const Shot& shot);

// "2026-11-25 09:00–09:30 UTC" for a slot in RFC 3339.
std::string DescribeSlot(const Slot& slot);

// Writes round `round.number` of `rounds`. `user_id` names the owner in audit rows.
void PrintRound(std::ostream& out, const RaceRound& round, const RoundVerdict& verdict,
                const std::vector<DemoAgent>& agents, const std::string& user_id, int rounds,
                bool color);

// {"round", "slot": {start, end}, "attempts": [{agent, agent_id, priority, status, latency_ms,
// response (the body as received: JSON, or a string when it is not JSON), error?}] by rank,
// "commits", "winner": {agent, agent_id, booking_id} | null, "top_ranked_won",
// "committed_bookings_in_slot", "audit": {resource, events, row_checks, chain_ok}, "ok",
// "problems"}.
nlohmann::json RoundJson(const RaceRound& round, const RoundVerdict& verdict,
                         const std::vector<DemoAgent>& agents);

// Agent indexes sorted by rank (priority, then creation order).
std::vector<size_t> ByRank(const std::vector<DemoAgent>& agents);

}  // namespace agentdraft::cli
