#include "cli/race/race_demo.h"

#include <CLI/CLI.hpp>
#include <memory>
#include <utility>
#include <vector>

#include "cli/base_url.h"
#include "cli/race/demo_team.h"
#include "cli/exit_codes.h"
#include "cli/race/race_report.h"
#include "cli/race/race_round.h"
#include "cli/race/race_session.h"
#include "cli/terminal.h"
#include "common/clock.h"
#include "common/ids.h"

namespace agentdraft::cli {

namespace {

using std::chrono::milliseconds;

using Daemon = RaceDaemon;
using Session = RaceTeam;

// Fires one round and reads what the daemon recorded about it.
CliResult<RaceRound> RunRound(Session& s, int number, const Slot& slot, const std::string& run_id) {
  const std::string key_prefix = "demo-" + run_id + "-r" + std::to_string(number) + "-a";
  RaceRound round{number, slot, FireRace(s.clients, slot, key_prefix), {}};
  const int winner = WinningShot(round.shots, s.agents);
  if (winner < 0) return round;
  const std::string booking = round.shots[winner].json.value("booking_id", "");
  CliResult<Evidence> evidence = ReadEvidence(s.owner, booking, slot);
  if (!evidence.ok()) return evidence.error();
  round.evidence = std::move(*evidence);
  return round;
}

void PrintIntro(std::ostream& out, const Session& s, const Daemon& daemon, int rounds) {
  std::string created;
  for (size_t i = 0; i < s.agents.size() && i < 5; ++i) {
    created += (i > 0 ? ", " : "") + s.agents[i].name;
  }
  if (s.agents.size() > 5) created += ", …";
  out << "race demo: " << s.agents.size() << " agents race for one 30-minute slot"
      << (rounds > 1 ? " per round (" + std::to_string(rounds) + " rounds)" : "")
      << ", all at once, each on its own connection with its own key.\n"
      << "rank = the agent's priority (1 = top); they were created in another order: " << created
      << ".\n"
      << "daemon: " << daemon.base_url << (daemon.launcher ? " (private, --dev)" : "") << "\n";
}

std::string Summary(int good_rounds, int rounds, const std::string& top) {
  if (good_rounds == rounds) {
    return std::to_string(rounds) + " of " + std::to_string(rounds) +
           " rounds: exactly one 201, from the top-ranked agent (" + top + ") — 0 double bookings";
  }
  return std::to_string(rounds - good_rounds) + " of " + std::to_string(rounds) +
         " rounds did not go by the rules";
}

ExitCode Fail(std::ostream& err, const CommandError& e) {
  err << "agentdraft race demo: " << e.message << "\n";
  return e.exit_code;
}

nlohmann::json DemoJson(const Daemon& daemon, const Session& s, nlohmann::json rounds, bool ok,
                        const std::string& summary) {
  nlohmann::json agents = nlohmann::json::array();  // in creation order
  for (const DemoAgent& a : s.agents) {
    agents.push_back({{"name", a.name}, {"agent_id", a.agent_id}, {"priority", a.priority}});
  }
  return {{"daemon", {{"base_url", daemon.base_url}, {"private", daemon.launcher != nullptr}}},
          {"owner", {{"email", kDemoOwnerEmail}, {"user_id", s.user_id}}},
          {"agents", agents},
          {"top_ranked", s.agents[TopRanked(s.agents)].name},
          {"rounds", std::move(rounds)},
          {"ok", ok},
          {"summary", summary}};
}

// Everything after the daemon is reached. The agents' connections close when it returns, so
// a private daemon stops without waiting for them to idle out.
ExitCode RunDemoOn(const Daemon& daemon, const ApiClientOptions& base,
                   const RaceDemoOptions& options, std::ostream& out, std::ostream& err) {
  CliResult<Session> session = OpenDemoTeam(base, options.agents);
  if (!session.ok()) return Fail(err, session.error());
  Session& s = *session;
  CliResult<std::vector<Slot>> slots =
      FindFreeSlots(s.clients[0], SystemClock().Now(), options.rounds);
  if (!slots.ok()) return Fail(err, slots.error());

  const bool color = options.color && !options.json;
  const std::string run_id = NewId("", 8);
  if (!options.json) PrintIntro(out, s, daemon, options.rounds);
  nlohmann::json rounds_json = nlohmann::json::array();
  std::vector<std::string> problems;
  int good_rounds = 0;
  for (int number = 1; number <= options.rounds; ++number) {
    CliResult<RaceRound> round = RunRound(s, number, (*slots)[number - 1], run_id);
    if (!round.ok()) return Fail(err, round.error());
    const RoundVerdict verdict = JudgeRound(*round, s.agents);
    good_rounds += verdict.ok();
    for (const std::string& p : verdict.problems) {
      problems.push_back("round " + std::to_string(number) + ": " + p);
    }
    if (options.json)
      rounds_json.push_back(RoundJson(*round, verdict, s.agents));
    else
      PrintRound(out, *round, verdict, s.agents, s.user_id, options.rounds, color);
  }

  const std::string summary =
      Summary(good_rounds, options.rounds, s.agents[TopRanked(s.agents)].name);
  if (options.json) {
    out << DemoJson(daemon, s, std::move(rounds_json), problems.empty(), summary).dump(2) << "\n";
  } else if (options.rounds > 1) {
    out << "\n" << Paint(summary, problems.empty() ? Color::kGreen : Color::kRed, color) << "\n";
  }
  for (const std::string& p : problems) err << "agentdraft race demo: " << p << "\n";
  return problems.empty() ? ExitCode::kOk : ExitCode::kError;
}

}  // namespace

CLI::App* SetupRaceDemo(CLI::App& race, RaceDemoOptions& options) {
  CLI::App* demo = race.add_subcommand(
      "demo", "ranked agents race for one slot at the same moment; rank decides who gets it");
  demo->footer(
      "With no daemon answering at the base URL, starts a private one on a temporary SQLite\n"
      "store and stops it afterwards. Exits 0 when every round had exactly one 201, from the\n"
      "top-ranked agent.\n\n"
      "Examples:\n"
      "  agentdraft race demo\n"
      "  agentdraft race demo --agents 8 --rounds 3\n"
      "  agentdraft race demo --json | jq '.rounds[0].winner'");
  demo->add_option("--agents", options.agents, "how many agents race (2-64)")
      ->check(CLI::Range(2, 64))
      ->capture_default_str();
  demo->add_option("--rounds", options.rounds, "rounds, each on a fresh slot (1-1000)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  demo->add_option("--base-url", options.base_url,
                   "daemon URL (default: $AGENTDRAFT_BASE_URL, else http://127.0.0.1:8080)");
  demo->add_flag("--json", options.json, "print one JSON document instead of tables");
  options.color = StdoutWantsColor();
  return demo;
}

ExitCode RunRaceDemo(const RaceDemoOptions& options, ApiClient& client, std::ostream& out,
                     std::ostream& err) {
  CliResult<Daemon> daemon = ReachDaemon(client, &options.launch, err);
  if (!daemon.ok()) return Fail(err, daemon.error());
  const ExitCode code =
      RunDemoOn(*daemon, WithBaseUrl(client.options(), daemon->base_url), options, out, err);
  if (daemon->launcher) {
    const int status = daemon->launcher->Stop();
    if (status != 0) {
      err << "agentdraft race demo: the private daemon exited with status " << status << "\n";
    }
  }
  return code;
}

}  // namespace agentdraft::cli
