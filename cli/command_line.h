// The `agentdraft` command line: the global flags, then one subcommand per row of the command
// table (cli/commands/commands.h), parsed and run in process.
//
// main() is RunCommandLine(argc, argv, std::cout, std::cerr); a test calls it the same way with
// string streams and gets the exit code, the output and the errors the binary would give
// (docs/cli.md). The environment is read as the binary reads it
// (AGENTDRAFT_SOCKET, AGENTDRAFT_BASE_URL, AGENTDRAFT_API_KEY, AGENTDRAFT_TZ).
//
// Thread-safety: each call builds its own command line; a command may start threads of its
// own (`race demo`, `bench race`) and joins them before it returns.
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/commands/commands.h"

namespace agentdraft::cli {

// The whole command line: global flags, and a subcommand per table row, in the table's order,
// each set up by its row. Parsing it sets `set.run` to the chosen command; `global` receives
// the global flags. Both must outlive the returned App.
std::unique_ptr<CLI::App> BuildCommandLine(GlobalOptions& global, CommandSet& set);

// Parses argv (argv[0] is the program) and runs the chosen command with a Context on `out`
// and `err`. Returns the exit code: --help and --version print to `out` and return 0; a
// usage error prints what went wrong and the command's usage to `err` and returns 2.
int RunCommandLine(int argc, const char* const* argv, std::ostream& out, std::ostream& err);
// The same for the words after the program's name: RunCommandLine({"agents", "list"}, …).
int RunCommandLine(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace agentdraft::cli
