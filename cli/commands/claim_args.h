// The arguments `commit` and `hold` share: when, how long, and the request's extras.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/context.h"

namespace agentdraft::cli {

struct ClaimArgs {
  std::vector<std::string> when;  // START, possibly several words ("tomorrow 16:00")
  std::string duration;           // --duration 30m (default 30m)
  std::string end;                // --end TIME (instead of --duration)
  std::string idempotency_key;    // --idempotency-key / -k
  std::string metadata;           // --metadata '{"k":"v"}'
  std::string title;              // commit only
  std::string invitee_name, invitee_email;  // commit only
  std::string hold_id;            // commit only: the hold to convert
};

// Adds START, --duration, --end, -k, --metadata to `command`.
void AddClaimArgs(CLI::App* command, ClaimArgs& args);

// Commits (POST /v1/bookings) or holds (POST /v1/holds) as an agent and prints the answer;
// on a conflict, says how to find a free slot.
ExitCode RunClaim(Context& ctx, const ClaimArgs& args, bool hold);

// A --duration: "30m", "1h", "1h30m"; a usage error otherwise.
CliResult<Duration> ReadDuration(const std::string& text);

// The request body: {"start", "end", "idempotency_key"?, "metadata"?, …}; a usage error when
// a time or the metadata cannot be read. `*summary` gets "Tue … 16:00 → 16:30 (30m)".
CliResult<nlohmann::json> BuildClaimBody(Context& ctx, const ClaimArgs& args, std::string* summary);

}  // namespace agentdraft::cli
