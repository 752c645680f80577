// agentdraft: the command-line client of agentdraftd (DESIGN.md §6, docs/cli.md).
//
// This file wires the commands together: global flags, one Register call per command (each
// in cli/commands/), then runs the one the command line chose with a Context. Exit codes:
// common/error_codes.h (0 ok, 1 error, 2 usage, 3 conflict, 4 rule violation, 5 rate limited,
// 6 auth, 7 not found, 8 daemon unreachable).
#include <CLI/CLI.hpp>
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands/commands.h"
#include "cli/context.h"
#include "common/error_codes.h"

namespace {

using namespace agentdraft;

// The deepest command given on the command line ("agents add" → add), for its usage.
CLI::App& DeepestCommand(CLI::App& app) {
  const std::vector<CLI::App*> given = app.get_subcommands();
  return given.empty() ? app : DeepestCommand(*given.front());
}

// "agentdraft agents" for add: what its usage line starts with.
std::string ParentPath(const CLI::App& command) {
  const CLI::App* parent = command.get_parent();
  if (parent == nullptr) return "";
  const std::string above = ParentPath(*parent);
  return above.empty() ? parent->get_name() : above + " " + parent->get_name();
}

// What went wrong, then the usage of the command it went wrong in; exit code 2.
int UsageError(CLI::App& app, const CLI::ParseError& e) {
  CLI::App& command = DeepestCommand(app);
  const std::vector<std::string> extra = command.remaining();
  std::cerr << "agentdraft: "
            << (extra.empty() ? std::string(e.what())
                              : "unknown command or argument: " + extra.front())
            << "\n\n"
            << command.help(ParentPath(command));
  return static_cast<int>(ExitCode::kUsage);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "agentdraft: the command line of agentdraftd, which arbitrates calendar bookings between "
      "AI agents by rank.",
      "agentdraft"};
  app.footer(
      "Examples:\n"
      "  agentdraft race demo                          # watch rank decide a race\n"
      "  agentdraft agents add sales-bot --priority 2  # as the owner, over the socket\n"
      "  AGENTDRAFT_API_KEY=avs_live_… agentdraft commit tomorrow 16:00 -d 30m\n"
      "  agentdraft --as sales-bot availability --from tomorrow --to +3d\n\n"
      "As an agent: AGENTDRAFT_API_KEY over HTTP at AGENTDRAFT_BASE_URL (default\n"
      "http://127.0.0.1:8080). As the owner: the Unix socket (AGENTDRAFT_SOCKET, default\n"
      "/run/agentdraft/agentdraftd.sock for root, else $XDG_RUNTIME_DIR/agentdraft/).\n"
      "Times: RFC 3339 or +4h, 16:00, \"tomorrow 16:00\", \"mon 9:30\" in the owner's zone.\n"
      "Exit codes: 0 ok, 1 error, 2 usage, 3 conflict, 4 rule violation, 5 rate limited,\n"
      "6 auth, 7 not found, 8 daemon unreachable.");
  app.set_version_flag("--version", "agentdraft 0.1.0");
  app.require_subcommand(1);

  cli::GlobalOptions global;
  app.add_flag("--json", global.json, "print the API's JSON exactly, one document per line");
  app.add_option("--base-url", global.base_url, "the daemon's HTTP address (agents; else $AGENTDRAFT_BASE_URL)");
  app.add_option("--socket", global.socket, "the owner's Unix socket (else $AGENTDRAFT_SOCKET)");
  app.add_option("--api-key", global.api_key, "an agent's key (else $AGENTDRAFT_API_KEY)");
  app.add_option("--as", global.as, "as the owner, act as this agent (name or id; over the socket)");
  app.add_option("--tz", global.tz, "time zone for friendly times (else $AGENTDRAFT_TZ, else the owner's)");

  cli::CommandSet set;
  for (auto reg : {cli::RegisterCommit, cli::RegisterHold, cli::RegisterRelease, cli::RegisterCancel,
                   cli::RegisterBookings, cli::RegisterCounters, cli::RegisterAvailability, cli::RegisterWhoami,
                   cli::RegisterAgents, cli::RegisterSettings, cli::RegisterSessions, cli::RegisterRules, cli::RegisterAudit, cli::RegisterRace,
                   cli::RegisterStatus, cli::RegisterWatch, cli::RegisterBench,
                   cli::RegisterCompletion}) {
    reg(app, set);
  }
  // Global flags may also follow the command: `agentdraft commit 16:00 --json`.
  std::vector<CLI::App*> stack = {&app};
  while (!stack.empty()) {
    CLI::App* a = stack.back();
    stack.pop_back();
    a->fallthrough();
    for (CLI::App* sub : a->get_subcommands({})) stack.push_back(sub);
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    return UsageError(app, e);
  }
  if (!set.run) return static_cast<int>(ExitCode::kUsage);
  cli::Context ctx(global, std::cout, std::cerr);
  return static_cast<int>(set.run(ctx));
}
