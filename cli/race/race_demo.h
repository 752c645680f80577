// `agentdraft race demo`: ranked agents race for one slot, and rank decides.
//
// 1. Probes GET /healthz at the base URL. If nothing answers, starts a private agentdraftd
//    (DaemonLauncher: temporary SQLite store, --dev) and says so on stderr. A daemon that
//    answers must run with --dev (the demo signs in through the dev magic link).
// 2. Signs in as the demo owner and creates N ranked agents (cli/race/demo_team.h).
// 3. Per round, fires every agent at one free 30-minute slot at once, each on its own
//    connection with its own key (cli/race/race_round.h), then reads the race's audit rows and the
//    slot's bookings and verifies the rows' hashes.
// 4. Prints a table per round (cli/race/race_report.h), or with --json one JSON document.
//
// Exit codes: 0 when every round had exactly one 201, from the top-ranked agent (and nothing
// else went wrong: losers told the winner, one committed booking, audit rows verified);
// 1 otherwise, saying why; 6 for auth problems (a daemon without --dev); 8 when no daemon
// answered and none could be started.
#pragma once

#include <ostream>
#include <string>

#include "cli/race/daemon_launcher.h"
#include "common/api_client.h"
#include "common/error_codes.h"

namespace CLI {
class App;
}

namespace agentdraft::cli {

struct RaceDemoOptions {
  int agents = 5;        // 2..64
  int rounds = 1;        // each on a fresh slot
  std::string base_url;  // "" = $AGENTDRAFT_BASE_URL, else http://127.0.0.1:8080
  bool json = false;
  bool color = false;          // color the tables (SetupRaceDemo: stdout is a terminal)
  DaemonLaunchOptions launch;  // how to start a private daemon
};

// Adds `demo` under `race`, binding its flags to `options`. Returns the subcommand.
CLI::App* SetupRaceDemo(CLI::App& race, RaceDemoOptions& options);

// Runs the demo against the daemon `client` points at (ResolveBaseUrl(options.base_url)),
// or against a private one when nothing answers there. Tables or JSON go to `out`; progress
// and errors to `err`.
ExitCode RunRaceDemo(const RaceDemoOptions& options, ApiClient& client, std::ostream& out,
                     std::ostream& err);

}  // namespace agentdraft::cli
