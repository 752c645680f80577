// The `agentdraft` commands as one table (like ninja's tools): each row is a top-level command
// with its name, the one-line summary `agentdraft --help` lists, and the setup function in its
// own file under cli/commands/ that adds its arguments, flags and subcommands and says what
// runs. cli/command_line.h builds the command line from the table, parses it, then runs what
// the line chose with a Context built from the global flags (in process, for tests too).
#pragma once

#include <functional>
#include <span>

#include <CLI/CLI.hpp>

#include "cli/context.h"

namespace agentdraft::cli {

struct CommandSet {
  // What the parsed command line asks for; set by the chosen (sub)command's parse callback.
  std::function<ExitCode(Context&)> run;

  // Makes `command` set `run` to `fn` when it is given on the command line.
  void On(CLI::App* command, std::function<ExitCode(Context&)> fn) {
    command->parse_complete_callback([this, fn = std::move(fn)] { run = fn; });
  }
};

// One row of the table: a top-level command.
struct Command {
  const char* name;     // what is typed: "commit"
  const char* summary;  // one line, listed by `agentdraft --help`
  // Adds the command's arguments, flags and subcommands to `command` (already created with
  // this row's name and summary) and, through `set`, what runs when the line chooses it.
  void (*setup)(CLI::App& command, CommandSet& set);
};

// Every command, in the order `agentdraft --help` lists them.
std::span<const Command> CommandTable();

// The rows' setup functions, one per file in cli/commands/.
void SetupCommit(CLI::App& command, CommandSet& set);
void SetupHold(CLI::App& command, CommandSet& set);
void SetupRelease(CLI::App& command, CommandSet& set);
void SetupCancel(CLI::App& command, CommandSet& set);
void SetupBookings(CLI::App& command, CommandSet& set);
void SetupCounters(CLI::App& command, CommandSet& set);
void SetupAvailability(CLI::App& command, CommandSet& set);
void SetupWhoami(CLI::App& command, CommandSet& set);
void SetupAgents(CLI::App& command, CommandSet& set);
void SetupSettings(CLI::App& command, CommandSet& set);
void SetupSessions(CLI::App& command, CommandSet& set);
void SetupRules(CLI::App& command, CommandSet& set);
void SetupAudit(CLI::App& command, CommandSet& set);
void SetupRace(CLI::App& command, CommandSet& set);
void SetupStatus(CLI::App& command, CommandSet& set);
void SetupWatch(CLI::App& command, CommandSet& set);
void SetupBench(CLI::App& command, CommandSet& set);
// `completion bash` walks the whole command line: `command`'s parent is the root.
void SetupCompletion(CLI::App& command, CommandSet& set);

// `race replay` and `race record`, under the `race` noun.
void SetupRaceReplay(CLI::App& race, CommandSet& set);
void SetupRaceRecord(CLI::App& race, CommandSet& set);

}  // namespace agentdraft::cli
