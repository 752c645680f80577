// agentdraft: the command-line client of agentdraftd (DESIGN.md §6).
//
// This file is the table of commands. Each command lives in its own file with a Setup function
// (binds its flags to an options struct) and a Run function (options, a client, output
// streams), so tests call Run without argv. Exit codes: common/error_codes.h.
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "cli/base_url.h"
#include "cli/race_demo.h"
#include "common/api_client.h"
#include "common/error_codes.h"

namespace {

using namespace agentdraft;

// agentdraft <noun> <verb>
struct Command {
  std::string noun;
  std::string verb;                                // the name `setup` gives it
  std::function<CLI::App*(CLI::App& noun)> setup;  // adds the verb, binds its flags
  std::function<ExitCode()> run;                   // after parsing, if the verb was given
};

struct Noun {
  std::string name;
  std::string help;
};

const Noun kNouns[] = {
    {"race", "ranked agents racing for slots: demo"},
};

// A client for the daemon named by --base-url, else $AGENTDRAFT_BASE_URL, else the default.
ApiClient ClientFor(const std::string& base_url_flag) {
  ApiClientOptions options;
  options.base_url = cli::ResolveBaseUrl(base_url_flag);
  return ApiClient(options);
}

// The deepest command given on the command line ("race demo" → demo), for its usage.
CLI::App& DeepestCommand(CLI::App& app) {
  const std::vector<CLI::App*> given = app.get_subcommands();
  return given.empty() ? app : DeepestCommand(*given.front());
}

// "agentdraft race" for demo: what its usage line starts with.
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
      "agentdraft: the command line of agentdraftd, which arbitrates calendar "
      "bookings between AI agents by rank.",
      "agentdraft"};
  app.footer(
      "Start with: agentdraft race demo\n\n"
      "Environment: AGENTDRAFT_BASE_URL (default http://127.0.0.1:8080).\n"
      "Exit codes: 0 ok, 1 error, 2 usage, 3 conflict, 4 rule violation, 5 rate limited,\n"
      "6 auth, 7 not found, 8 daemon unreachable.");
  app.set_version_flag("--version", "agentdraft 0.1.0");
  app.require_subcommand(1);

  cli::RaceDemoOptions race_demo;
  const Command commands[] = {
      {"race", "demo", [&](CLI::App& race) { return cli::SetupRaceDemo(race, race_demo); },
       [&] {
         ApiClient client = ClientFor(race_demo.base_url);
         return cli::RunRaceDemo(race_demo, client, std::cout, std::cerr);
       }},
  };

  std::map<std::string, CLI::App*> nouns;
  for (const Noun& n : kNouns) {
    nouns[n.name] = app.add_subcommand(n.name, n.help)->require_subcommand(1);
  }
  std::vector<CLI::App*> verbs;
  for (const Command& c : commands) {
    verbs.push_back(c.setup(*nouns.at(c.noun)));
    if (verbs.back()->get_name() != c.verb) std::abort();  // the table is wrong
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    return UsageError(app, e);
  }
  for (size_t i = 0; i < verbs.size(); ++i) {
    if (verbs[i]->parsed()) return static_cast<int>(commands[i].run());
  }
  return static_cast<int>(ExitCode::kUsage);
}
