// Race scenarios: a race as a file (docs/races.md).
//
// A scenario names an owner's settings, the agents with their priorities (creation order
// breaks equal priorities), and a timeline of requests, each at an offset in milliseconds
// from the scenario's start, optionally with the outcome expected of it. `race replay` runs
// it against a fresh engine on a virtual clock (race/replay.h); `race record` writes one from
// a daemon's audit rows (race/record.h).
//
// The file is kept as JSON with its keys in the order written, so `replay --update` changes
// nothing but the expectations. Thread-safety: plain values.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "common/time.h"

namespace agentdraft::race {

using Json = nlohmann::ordered_json;

// The value of a scenario's "format" key.
inline constexpr char kScenarioFormat[] = "agentdraft-race/1";
// The agent name that stands for the calendar's owner (releases and cancels only).
inline constexpr char kOwnerActor[] = "@owner";

enum class Op { kCommit, kHold, kRelease, kCancel };
const char* OpName(Op op);

struct ScenarioAgent {
  std::string name;
  int priority = 0;
};

struct Step {
  std::string id;      // unique in the scenario: "s1", "late-exec", …
  Duration at{0};      // offset from the scenario's start (microsecond resolution)
  std::string agent;   // an agent's name, or kOwnerActor
  Op op = Op::kCommit;
  Time start, end;     // commit, hold
  std::string idempotency_key;  // commit, hold; "" = none
  std::string target;  // release, cancel: the id of the step whose hold/booking it ends
  std::optional<Json> expect;  // object; only its keys are compared
};

struct Settings {
  std::optional<int64_t> tie_window_ms;
  std::optional<int64_t> bump_window_seconds;
  std::optional<int64_t> hold_ttl_seconds;
  std::optional<int> max_holds_per_agent;
};

struct Scenario {
  std::string name;
  std::string description;
  Time start_time;     // the virtual clock at offset 0
  Settings settings;
  std::vector<ScenarioAgent> agents;  // creation order
  std::vector<Step> steps;            // file order
  Json document;                      // the file as read (for --update)
};

// Parses and checks a scenario. InvalidArgument with a message naming the file's key
// ("steps[2].agent: no agent \"ops\"") for anything malformed, unknown or contradictory.
Result<Scenario> ParseScenario(const std::string& text);

// The document with each step's "expect" replaced by `observed[i]` (same order as steps).
Json WithExpectations(const Scenario& scenario, const std::vector<Json>& observed);

// Offsets in files are milliseconds with up to three decimals (microseconds).
double ToMs(Duration d);
Duration FromMs(double ms);

}  // namespace agentdraft::race
