// Recording a race: what a daemon decided, from its audit rows, as a scenario file whose
// expectations are the outcomes the daemon gave (docs/races.md, "Recording").
//
// The requests are the rows booking.committed, booking.rejected, hold.created, hold.rejected
// (at their payload's arrived_at, to the microsecond), hold.released and booking.cancelled (at
// the row's time). Rows are chosen by a time window on their arrival, or as the last race: the
// newest rejected claim and every claim request on an overlapping interval whose arrivals
// follow one another by at most `race_gap`. Every claim a chosen row refers to (the winner of
// a rejection, a booking it evicted, a hold it displaced or converted, the target of a release
// or cancel) is brought in too, so the replay starts from the same calendar.
//
// What the audit log cannot say is not in the file: requests refused before a decision (bad
// input, authentication, idempotent replays) and the settings as they were then (the current
// ones are used). Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "common/time.h"
#include "race/scenario.h"

namespace agentdraft::race {

struct RecordOptions {
  std::optional<Time> since;  // arrivals at or after
  std::optional<Time> until;  // arrivals before
  bool last_race = false;     // instead of since/until
  Duration race_gap = std::chrono::seconds(1);
  std::string name = "recorded";
  std::string source;         // where the rows came from, for "recorded_from"
};

// `rows`: the owner's audit rows as GET /v1/audit returns them ("events"), in seq order;
// `agents`: GET /v1/dashboard/agents "agents"; `settings`: GET /v1/dashboard/settings.
// NotFound when nothing matches (no request in the window, no rejected claim).
Result<Json> RecordScenario(const nlohmann::json& rows, const nlohmann::json& agents,
                            const nlohmann::json& settings, const RecordOptions& options);

}  // namespace agentdraft::race
