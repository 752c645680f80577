// agentdraft race record (--last-race | --since T [--until T]) [-o FILE] — turns what the
// daemon decided (its audit rows, read as the owner over the socket) into a race scenario
// whose expectations are the outcomes the daemon gave (race/record.h, docs/races.md).
#include <fstream>

#include "cli/commands/commands.h"
#include "race/record.h"

namespace agentdraft::cli {
namespace {
constexpr int kPage = 1000;

struct RecordArgs {
  bool last_race = false;
  std::string since, until, gap = "1s", name = "recorded", output;
};

CliResult<nlohmann::json> AllAuditRows(Context& ctx) {
  nlohmann::json rows = nlohmann::json::array();
  for (int64_t after = 0;;) {
    auto page = ctx.Call(kOwner, "GET",
                         "/v1/audit?limit=" + std::to_string(kPage) + "&after=" + std::to_string(after),
                         nullptr, "reading the audit log");
    if (!page.ok()) return page.error();
    const nlohmann::json& events = page->json["events"];
    for (const nlohmann::json& e : events) rows.push_back(e);
    if (events.size() < static_cast<size_t>(kPage)) return rows;
    after = events.back().value("seq", after);
  }
}

ExitCode RunRecord(Context& ctx, const RecordArgs& a) {
  if (a.last_race == !a.since.empty()) {
    return ctx.Fail(UsageProblem("give either --last-race or --since TIME (with --until TIME, optionally)"));
  }
  if (a.last_race && !a.until.empty()) return ctx.Fail(UsageProblem("--until goes with --since, not --last-race"));
  race::RecordOptions o;
  o.last_race = a.last_race;
  o.name = a.name;
  o.source = ctx.UsesSocket(kOwner) ? ctx.SocketPath() : ctx.options().base_url;
  auto gap = ParseDuration(a.gap);
  if (!gap.ok() || *gap <= Duration(0)) return ctx.Fail(UsageProblem("--gap: \"" + a.gap + "\" is not a positive duration"));
  o.race_gap = *gap;
  if (!a.since.empty()) {
    auto since = ctx.ParseTime(kOwner, a.since, "--since");
    if (!since.ok()) return ctx.Fail(since.error());
    o.since = *since;
    if (!a.until.empty()) {
      auto until = ctx.ParseTime(kOwner, a.until, "--until", &*since);
      if (!until.ok()) return ctx.Fail(until.error());
      o.until = *until;
    }
  }
  auto settings = ctx.Call(kOwner, "GET", "/v1/dashboard/settings", nullptr, "reading the settings");
  if (!settings.ok()) return ctx.Fail(settings.error());
  auto agents = ctx.Call(kOwner, "GET", "/v1/dashboard/agents", nullptr, "listing the agents");
  if (!agents.ok()) return ctx.Fail(agents.error());
  auto rows = AllAuditRows(ctx);
  if (!rows.ok()) return ctx.Fail(rows.error());
  auto doc = race::RecordScenario(*rows, agents->json["agents"], settings->json, o);
  if (!doc.ok()) {
    return ctx.Fail({doc.status().code() == StatusCode::kNotFound ? ExitCode::kNotFound : ExitCode::kError,
                     doc.status().message()});
  }
  const std::string text = doc->dump(2) + "\n";
  if (a.output.empty() || a.output == "-") {
    ctx.out() << text;
  } else {
    std::ofstream out(a.output, std::ios::trunc);
    out << text;
    if (!out) return ctx.Fail({ExitCode::kError, "cannot write " + a.output});
    if (!ctx.json()) {
      ctx.out() << "recorded " << (*doc)["steps"].size() << " steps (audit rows "
                << (*doc)["recorded_from"]["first_seq"] << " to " << (*doc)["recorded_from"]["last_seq"]
                << ") to " << a.output << "; replay with: agentdraft race replay " << a.output << "\n";
    }
  }
  return ExitCode::kOk;
}

}  // namespace

void SetupRaceRecord(CLI::App& race, CommandSet& set) {
  auto args = std::make_shared<RecordArgs>();
  CLI::App* cmd = race.add_subcommand(
      "record",
      "write what the daemon decided (its audit rows) as a race scenario, outcomes as expectations\n"
      "  e.g. agentdraft race record --last-race -o races/incident.json\n"
      "       agentdraft race record --since '-10m' -o today.json");
  cmd->add_flag("--last-race", args->last_race, "the newest rejected claim and the claims racing with it");
  cmd->add_option("--since", args->since, "requests that arrived at or after this time (RFC 3339 or friendly)");
  cmd->add_option("--until", args->until, "… and before this time (relative forms count from --since)");
  cmd->add_option("--gap", args->gap, "--last-race: the longest pause between two arrivals of one race")->capture_default_str();
  cmd->add_option("--name", args->name, "the scenario's name")->capture_default_str();
  cmd->add_option("-o,--output", args->output, "write to FILE (default: standard output)");
  set.On(cmd, [args](Context& ctx) { return RunRecord(ctx, *args); });
}

}  // namespace agentdraft::cli
