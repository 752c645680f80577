#include "cli/command_line.h"

#include "common/error_codes.h"

namespace agentdraft::cli {

namespace {

constexpr const char* kDescription =
    "agentdraft: the command line of agentdraftd, which arbitrates calendar bookings between "
    "AI agents by rank.";

constexpr const char* kFooter =
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
    "6 auth, 7 not found, 8 daemon unreachable.";

void AddGlobalFlags(CLI::App& app, GlobalOptions& global) {
  app.add_flag("--json", global.json, "print the API's JSON exactly, one document per line");
  app.add_option("--base-url", global.base_url, "the daemon's HTTP address (agents; else $AGENTDRAFT_BASE_URL)");
  app.add_option("--socket", global.socket, "the owner's Unix socket (else $AGENTDRAFT_SOCKET)");
  app.add_option("--api-key", global.api_key, "an agent's key (else $AGENTDRAFT_API_KEY)");
  app.add_option("--as", global.as, "as the owner, act as this agent (name or id; over the socket)");
  app.add_option("--tz", global.tz, "time zone for friendly times (else $AGENTDRAFT_TZ, else the owner's)");
}

// Global flags may also follow the command: `agentdraft commit 16:00 --json`.
void FallThroughEverywhere(CLI::App& app) {
  app.fallthrough();
  for (CLI::App* sub : app.get_subcommands({})) FallThroughEverywhere(*sub);
}

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
int UsageError(CLI::App& app, const CLI::ParseError& e, std::ostream& err) {
  CLI::App& command = DeepestCommand(app);
  const std::vector<std::string> extra = command.remaining();
  err << "agentdraft: "
      << (extra.empty() ? std::string(e.what()) : "unknown command or argument: " + extra.front())
      << "\n\n"
      << command.help(ParentPath(command));
  return static_cast<int>(ExitCode::kUsage);
}

}  // namespace

std::unique_ptr<CLI::App> BuildCommandLine(GlobalOptions& global, CommandSet& set) {
  auto app = std::make_unique<CLI::App>(kDescription, "agentdraft");
  app->footer(kFooter);
  app->set_version_flag("--version", "agentdraft 0.1.0");
  app->require_subcommand(1);
  AddGlobalFlags(*app, global);
  for (const Command& row : CommandTable()) {
    row.setup(*app->add_subcommand(row.name, row.summary), set);
  }
  FallThroughEverywhere(*app);
  return app;
}

int RunCommandLine(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  GlobalOptions global;
  CommandSet set;
  std::unique_ptr<CLI::App> app = BuildCommandLine(global, set);
  try {
    app->parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app->exit(e, out, err);  // --help, --version
    return UsageError(*app, e, err);
  }
  if (!set.run) return static_cast<int>(ExitCode::kUsage);
  Context ctx(global, out, err);
  return static_cast<int>(set.run(ctx));
}

int RunCommandLine(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::vector<const char*> argv = {"agentdraft"};
  for (const std::string& a : args) argv.push_back(a.c_str());
  return RunCommandLine(static_cast<int>(argv.size()), argv.data(), out, err);
}

}  // namespace agentdraft::cli
