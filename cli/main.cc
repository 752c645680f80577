// agentdraft: the command-line client. Reads as a table of commands; each command lives in
// its own file with a Setup (flags) and a Run (options, output streams) function.
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/race_demo.h"
#include "common/error_codes.h"

using namespace agentdraft;

int main(int argc, char** argv) {
  CLI::App app{
      "agentdraft: drive agentdraftd, the coordination layer for AI scheduling agents.\n\n"
      "Environment: AGENTDRAFT_BASE_URL (default http://127.0.0.1:8080), AGENTDRAFT_API_KEY.\n"
      "Exit codes: 0 ok, 1 error, 2 usage, 3 conflict, 4 rule violation, 5 rate limited,\n"
      "6 auth, 7 not found, 8 daemon unreachable."};
  app.set_version_flag("--version", "agentdraft 0.1.0");
  app.require_subcommand(1);

  CLI::App* race = app.add_subcommand("race", "races between agents");
  race->require_subcommand(1);
  cli::RaceDemoOptions demo_options;
  CLI::App* demo = cli::SetupRaceDemo(*race, demo_options);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : static_cast<int>(ExitCode::kUsage);
  }
  if (demo->parsed()) return cli::RunRaceDemo(demo_options, std::cout, std::cerr);
  return static_cast<int>(ExitCode::kUsage);
}
