// `agentdraft race demo`: ranked agents race for one slot; the table shows rank decides.
//
// With no daemon reachable it starts a private one (temporary SQLite store, --dev) and stops
// it afterwards. It signs in as a demo owner (dev magic link), creates N ranked agents, and per
// round fires them all at one free 30-minute slot at once, each on its own connection with its
// own key. It prints each agent's outcome and latency, the winner, and the race's audit rows
// with their hashes recomputed.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace CLI {
class App;
}

namespace agentdraft::cli {

struct RaceDemoOptions {
  int agents = 5;
  int rounds = 1;
  std::string base_url;  // "" = $AGENTDRAFT_BASE_URL, else http://127.0.0.1:8080
  bool json = false;
};

// Adds `race demo` under `race`, binding its flags to `options`.
CLI::App* SetupRaceDemo(CLI::App& race, RaceDemoOptions& options);

// Runs the demo. Returns the exit code: 0 when every round had exactly one 201 and it came
// from the top-ranked agent; 1 otherwise; 6 auth; 8 when no daemon could be reached or started.
int RunRaceDemo(const RaceDemoOptions& options, std::ostream& out, std::ostream& err);

// The demo's agents: names in creation order and their priorities (1 = highest), chosen so
// that creation order is not rank order.
struct DemoAgent {
  std::string name;
  int priority = 0;
};
std::vector<DemoAgent> DemoAgents(int count);

// True when `event`'s hash is SHA-256(prev_hash ‖ canonical row) as docs/api.md defines it.
bool AuditEventHashIsValid(const nlohmann::json& event);

}  // namespace agentdraft::cli
