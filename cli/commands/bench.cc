// agentdraft bench race [--rounds K] [--agents N] [--base-url URL] [--out DIR] — the public
// collision benchmark's method (cli/race/bench_race.h) against a daemon over HTTP. The agents are
// the keys in AGENTDRAFT_API_KEYS (comma-separated), or N demo agents made through the dev
// bootstrap (the daemon must run with --dev; with no daemon at the URL a private one is
// started, as `race demo` does). Writes benchmark-<time>.json and .md.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>

#include "cli/base_url.h"
#include "cli/race/bench_race.h"
#include "cli/commands/commands.h"
#include "cli/race/race_round.h"
#include "cli/race/race_session.h"
#include "common/clock.h"
#include "common/ids.h"

namespace agentdraft::cli {
namespace {

struct BenchArgs {
  int rounds = 100;
  int agents = 5;
  bool agents_given = false;
  std::string base_url;
  std::string out = ".";
  bool no_files = false;
};

std::vector<std::string> KeysFromEnv() {
  std::vector<std::string> keys;
  const char* env = std::getenv("AGENTDRAFT_API_KEYS");
  std::string text = env ? env : "";
  size_t at = 0;
  while (at <= text.size()) {
    size_t comma = text.find(',', at);
    if (comma == std::string::npos) comma = text.size();
    std::string key = text.substr(at, comma - at);
    key.erase(0, key.find_first_not_of(" \t"));
    key.erase(key.find_last_not_of(" \t") + 1);
    if (!key.empty()) keys.push_back(key);
    at = comma + 1;
  }
  return keys;
}

// "2026-11-25T031500Z": sortable, and no two runs a second apart share a file name.
std::string FileStamp(Time t) {
  std::string s = FormatRfc3339(std::chrono::floor<std::chrono::seconds>(t));
  std::string out;
  for (char c : s) {
    if (c != ':') out += c;
  }
  return out;
}

ExitCode Fail(Context& ctx, const CommandError& e) { return ctx.Fail(e); }

ExitCode RunOn(Context& ctx, const BenchArgs& a, const RaceDaemon& daemon, const ApiClientOptions& base,
               const std::vector<std::string>& keys) {
  CliResult<RaceTeam> team = keys.empty() ? OpenDemoTeam(base, a.agents) : OpenKeyedTeam(base, keys);
  if (!team.ok()) return Fail(ctx, team.error());
  RaceTeam& t = *team;
  const size_t top = TopRanked(t.agents);
  const Time started = SystemClock().Now();
  CliResult<std::vector<Slot>> slots = FindFreeSlots(t.clients[0], started, a.rounds);
  if (!slots.ok()) return Fail(ctx, slots.error());

  const bool progress = !ctx.json() && isatty(STDERR_FILENO);
  const std::string run_id = NewId("", 8);
  std::vector<BenchRound> rounds;
  const auto t0 = std::chrono::steady_clock::now();
  int resolved = 0;
  for (int k = 0; k < a.rounds; ++k) {
    std::vector<Shot> shots = FireRace(t.clients, (*slots)[k], "bench-" + run_id + "-r" + std::to_string(k) + "-a");
    BenchRound r;
    int commits = 0;
    for (const Shot& s : shots) {
      r.statuses.push_back(s.status);
      r.latencies_ms.push_back(s.latency_ms);
      commits += s.status == 201;
    }
    resolved += commits == 1;
    rounds.push_back(std::move(r));
    if (progress && ((k + 1) % 10 == 0 || k + 1 == a.rounds)) {
      ctx.err() << "\rround " << (k + 1) << "/" << a.rounds << "  resolved " << resolved << std::flush;
    }
  }
  if (progress) ctx.err() << "\n";
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  const BenchStats stats = Summarize(rounds, top);
  BenchContext c{FormatRfc3339(std::chrono::floor<std::chrono::seconds>(started)), daemon.base_url,
                 t.agents[top].name, {}, seconds};
  for (const DemoAgent& agent : t.agents) c.agents.emplace_back(agent.name, agent.priority);
  std::stable_sort(c.agents.begin(), c.agents.end(),  // demo agents come in creation order
                   [](const auto& x, const auto& y) { return x.second < y.second; });
  const nlohmann::json report = BenchJson(stats, c);
  std::vector<std::string> written;
  if (!a.no_files) {
    const std::string stem = a.out + "/benchmark-" + FileStamp(started);
    for (const auto& [path, text] : {std::pair{stem + ".json", report.dump(2) + "\n"},
                                     std::pair{stem + ".md", BenchMarkdown(stats, c)}}) {
      std::ofstream f(path, std::ios::trunc);
      f << text;
      if (!f) return Fail(ctx, {ExitCode::kError, "cannot write " + path});
      written.push_back(path);
    }
  }
  if (ctx.json()) {
    ctx.out() << report.dump() << "\n";
  } else {
    ctx.out() << BenchMarkdown(stats, c);
    if (!written.empty()) ctx.out() << "\nwrote " << written[0] << " and " << written[1] << "\n";
  }
  return stats.perfect() ? ExitCode::kOk : ExitCode::kError;
}

ExitCode RunBenchRace(Context& ctx, const BenchArgs& a) {
  const std::vector<std::string> keys = KeysFromEnv();
  if (!keys.empty() && keys.size() < 2) return ctx.Fail(UsageProblem("AGENTDRAFT_API_KEYS: a race needs at least 2 keys"));
  if (!keys.empty() && a.agents_given && static_cast<size_t>(a.agents) != keys.size()) {
    return ctx.Fail(UsageProblem("--agents " + std::to_string(a.agents) + " but AGENTDRAFT_API_KEYS holds " +
                                 std::to_string(keys.size()) + " keys"));
  }
  ApiClientOptions options;
  options.base_url = ResolveBaseUrl(a.base_url.empty() ? ctx.options().base_url : a.base_url);
  ApiClient probe(options);
  DaemonLaunchOptions launch;
  // A private daemon would not know the keys: with keys, the daemon must be there already.
  CliResult<RaceDaemon> daemon = ReachDaemon(probe, keys.empty() ? &launch : nullptr, ctx.err());
  if (!daemon.ok()) return Fail(ctx, daemon.error());
  const ExitCode code = RunOn(ctx, a, *daemon, WithBaseUrl(options, daemon->base_url), keys);
  if (daemon->launcher) daemon->launcher->Stop();
  return code;
}

}  // namespace

void SetupBench(CLI::App& command, CommandSet& set) {
  CLI::App* noun = command.require_subcommand(1);
  auto args = std::make_shared<BenchArgs>();
  CLI::App* race = noun->add_subcommand(
      "race",
      "the collision benchmark: K rounds, N agents at one fresh slot each round, over HTTP\n"
      "  agents: the keys in AGENTDRAFT_API_KEYS (comma-separated), else N demo agents (--dev)\n"
      "  writes benchmark-<time>.json and .md; exit 0 only with 100 % accuracy and rank-1 wins\n"
      "  e.g. agentdraft bench race --rounds 1000 --agents 5");
  race->add_option("--rounds", args->rounds, "rounds, each on a fresh 30-minute slot (1-100000)")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  race->add_option("--agents", args->agents, "agents per round (2-64) when they are demo agents")
      ->check(CLI::Range(2, 64))
      ->capture_default_str()
      ->each([args](const std::string&) { args->agents_given = true; });
  race->add_option("--base-url", args->base_url, "daemon URL (default: $AGENTDRAFT_BASE_URL, else http://127.0.0.1:8080)");
  race->add_option("--out", args->out, "directory for the report files")->capture_default_str();
  race->add_flag("--no-files", args->no_files, "do not write the report files");
  set.On(race, [args](Context& ctx) { return RunBenchRace(ctx, *args); });
}

}  // namespace agentdraft::cli
