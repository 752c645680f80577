// agentdraft: the command-line client of agentdraftd (docs/cli.md).
//
// The commands are a table (cli/commands/commands.h); cli/command_line.h builds the command
// line from it, parses argv and runs the chosen command. Exit codes: common/error_codes.h
// (0 ok, 1 error, 2 usage, 3 conflict, 4 rule violation, 5 rate limited, 6 auth, 7 not found,
// 8 daemon unreachable).
#include <iostream>

#include "cli/command_line.h"

int main(int argc, char** argv) {
  return agentdraft::cli::RunCommandLine(argc, argv, std::cout, std::cerr);
}
