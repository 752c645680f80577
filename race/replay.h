// Replaying a race scenario against a fresh engine on a virtual clock.
//
// Each replay opens its own engine on an in-memory SQLite store with a ManualClock that starts
// at the scenario's start_time and moves only between steps: to each step's arrival, and on
// the way to every tie-window deadline that falls before it (so waiting commits are settled
// exactly when their window closes). Nothing waits on real time and nothing depends on the
// machine's speed or load, so the same file gives the same outcome, byte for byte, every run.
//
// What a step observed (the "expect" vocabulary of docs/races.md), in this key order:
//   status        HTTP status of the answer
//   error         the error code (non-2xx only)
//   reason        409 only: outranked, frozen, held, booked, overlaps_own
//   winner        409 only: the name of the agent whose claim won
//   replay_of     201 only, when the answer was an idempotent replay of an earlier step's
//   evicted, displaced, converted   201 only: the steps whose claims this one ended
//   result        release/cancel 200: RELEASED, EXPIRED, CANCELLED, …
//   decided_at_ms when the answer was decided (virtual ms from the start)
//   final         the claim this step created, at the end: "COMMITTED", "EVICTED by s3",
//                 "CANCELLED by @owner", "EXPIRED", "RELEASED by sales-bot", …
// Claims are named by the id of the step that created them, agents by name: no random id
// ever appears in the output.
//
// Thread-safety: Replay() uses only its own engine; several may run at once.
#pragma once

#include <string>
#include <vector>

#include "race/scenario.h"

namespace agentdraft::race {

struct StepResult {
  Json observed = Json::object();
  std::vector<std::string> problems;  // one line per expectation that did not hold
};

struct ReplayResult {
  std::vector<StepResult> steps;  // in the scenario's file order
  bool ok() const;
  int mismatches() const;
};

// Runs `scenario`. An error Status only when the scenario cannot run at all (the engine
// refused its settings or agents); a step that fails is an outcome, not an error.
Result<ReplayResult> Replay(const Scenario& scenario);

// The lines saying where `observed` differs from `expect` (only the keys `expect` names).
std::vector<std::string> Compare(const Json& expect, const Json& observed);

}  // namespace agentdraft::race
