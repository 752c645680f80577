// The `agentdraft` commands: one file per top-level command (DESIGN.md §6), each adding itself
// to the command line with Register<Name>(app, set). Parsing only records what to run; main.cc
// runs it with a Context built from the global flags, after the whole line parsed.
#pragma once

#include <functional>

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

void RegisterCommit(CLI::App& app, CommandSet& set);
void RegisterHold(CLI::App& app, CommandSet& set);
void RegisterRelease(CLI::App& app, CommandSet& set);
void RegisterCancel(CLI::App& app, CommandSet& set);
void RegisterBookings(CLI::App& app, CommandSet& set);
void RegisterCounters(CLI::App& app, CommandSet& set);
void RegisterAvailability(CLI::App& app, CommandSet& set);
void RegisterWhoami(CLI::App& app, CommandSet& set);
void RegisterAgents(CLI::App& app, CommandSet& set);
void RegisterSettings(CLI::App& app, CommandSet& set);
void RegisterSessions(CLI::App& app, CommandSet& set);
void RegisterAudit(CLI::App& app, CommandSet& set);
void RegisterRace(CLI::App& app, CommandSet& set);
// `race replay` and `race record`, under the `race` noun.
void RegisterRaceReplay(CLI::App& race, CommandSet& set);
void RegisterRaceRecord(CLI::App& race, CommandSet& set);
void RegisterStatus(CLI::App& app, CommandSet& set);
void RegisterBench(CLI::App& app, CommandSet& set);
void RegisterRules(CLI::App& app, CommandSet& set);
void RegisterCompletion(CLI::App& app, CommandSet& set);
void RegisterWatch(CLI::App& app, CommandSet& set);

}  // namespace agentdraft::cli
