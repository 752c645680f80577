// agentdraft race replay FILE… [--update] — replays race scenarios against a fresh engine on a
// virtual clock (race/replay.h) and compares each step with its expectations. Needs no daemon.
// Exit 0 when every step of every file is as expected, 1 when any differs, 2 when a file
// cannot be read or is not a valid scenario (docs/races.md).
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "cli/commands/commands.h"
#include "cli/table.h"
#include "race/replay.h"

namespace agentdraft::cli {
namespace {

struct ReplayArgs {
  std::vector<std::string> files;
  bool update = false;
};

std::string Ms(double ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", ms);
  return buf;
}

std::string SlotText(const race::Step& s) {
  if (s.op == race::Op::kRelease || s.op == race::Op::kCancel) return "of " + s.target;
  return FormatRfc3339(s.start) + " +" + FormatDuration(s.end - s.start);
}

std::string Join(const race::Json& list) {
  std::string out;
  for (const auto& x : list) out += (out.empty() ? "" : ",") + x.get<std::string>();
  return out;
}

// "409 outranked by exec-ea", "201 evicts s1 → EVICTED by s4", "200 RELEASED".
std::string OutcomeText(const race::Json& o) {
  std::string text = std::to_string(o.value("status", 0));
  if (o.contains("reason")) {
    text += " " + o["reason"].get<std::string>() + ", winner " + o.value("winner", "?");
  } else if (o.contains("error")) {
    text += " " + o["error"].get<std::string>();
  }
  if (o.contains("replay_of")) text += " replay of " + o["replay_of"].get<std::string>();
  for (const char* k : {"evicted", "displaced", "converted"}) {
    if (o.contains(k)) text += std::string(" ") + (k[0] == 'e' ? "evicts " : k[0] == 'd' ? "displaces " : "converts ") + Join(o[k]);
  }
  if (o.contains("result")) text += " " + o["result"].get<std::string>();
  if (o.contains("final")) text += " -> " + o["final"].get<std::string>();
  return text;
}

struct FileOutcome {
  bool invalid = false;
  bool ok = false;
};

// What `path` printed without --json: a summary line, the table of steps, each problem.
void PrintFile(std::ostream& o, const std::string& path, const race::Scenario& sc,
               const race::ReplayResult& result, bool update, const Table& steps) {
  o << path << " (" << (sc.name.empty() ? "unnamed" : sc.name) << "): " << sc.steps.size()
    << " steps, ";
  if (update) {
    o << "expectations updated\n";
  } else if (std::none_of(sc.steps.begin(), sc.steps.end(), [](const race::Step& s) { return s.expect.has_value(); })) {
    o << "no expectations (write them with --update)\n";
  } else if (result.ok()) {
    o << "all as expected\n";
  } else {
    o << result.mismatches() << " not as expected\n";
  }
  steps.Print(o, "  ");
  if (update) return;
  for (size_t i = 0; i < sc.steps.size(); ++i) {
    const race::Step& s = sc.steps[i];
    for (const std::string& p : result.steps[i].problems) {
      o << "  FAIL " << s.id << " (" << s.agent << " " << race::OpName(s.op) << " at "
        << Ms(race::ToMs(s.at)) << " ms): " << p << "\n";
    }
  }
}

FileOutcome ReplayFile(Context& ctx, const std::string& path, bool update, race::Json* report) {
  auto fail = [&](const std::string& why) {
    ctx.err() << "agentdraft: " << path << ": " << why << "\n";
    (*report)["files"].push_back({{"file", path}, {"error", why}});
    return FileOutcome{true, false};
  };
  std::ifstream in(path);
  if (!in) return fail("cannot read the file");
  std::stringstream text;
  text << in.rdbuf();
  auto scenario = race::ParseScenario(text.str());
  if (!scenario.ok()) return fail(scenario.status().message());
  auto result = race::Replay(*scenario);
  if (!result.ok()) return fail("cannot replay: " + result.status().message());

  const race::Scenario& sc = *scenario;
  race::Json file = {{"file", path}, {"name", sc.name}, {"ok", result->ok() || update},
                     {"steps", race::Json::array()}};
  std::vector<race::Json> observed;
  Table t({{"step"}, {"at ms", Align::kRight}, {"agent"}, {"op"}, {"slot"}, {"outcome"},
           {"decided ms", Align::kRight}, {""}});
  for (size_t i = 0; i < sc.steps.size(); ++i) {
    const race::Step& s = sc.steps[i];
    const race::StepResult& r = result->steps[i];
    observed.push_back(r.observed);
    race::Json step = {{"id", s.id}, {"at_ms", race::ToMs(s.at)}, {"agent", s.agent},
                       {"op", race::OpName(s.op)}, {"observed", r.observed}};
    if (s.expect) step["expect"] = *s.expect;
    step["problems"] = r.problems;
    file["steps"].push_back(step);
    const char* mark = update ? "" : !s.expect ? "-" : r.problems.empty() ? "ok" : "FAIL";
    t.AddRow({s.id, Ms(race::ToMs(s.at)), s.agent, race::OpName(s.op), SlotText(s),
              OutcomeText(r.observed), Ms(r.observed.value("decided_at_ms", 0.0)), mark});
  }
  (*report)["files"].push_back(file);
  if (update) {
    std::ofstream out(path, std::ios::trunc);
    out << race::WithExpectations(sc, observed).dump(2) << "\n";
    if (!out) return fail("cannot write the file");
  }
  if (!ctx.json()) PrintFile(ctx.out(), path, sc, *result, update, t);
  return {false, result->ok() || update};
}

ExitCode RunReplay(Context& ctx, const ReplayArgs& a) {
  race::Json report = {{"files", race::Json::array()}};
  int passed = 0, failed = 0, invalid = 0;
  for (size_t i = 0; i < a.files.size(); ++i) {
    if (i > 0 && !ctx.json()) ctx.out() << "\n";
    FileOutcome f = ReplayFile(ctx, a.files[i], a.update, &report);
    (f.invalid ? invalid : f.ok ? passed : failed)++;
  }
  report["passed"] = passed;
  report["failed"] = failed;
  report["invalid"] = invalid;
  if (ctx.json()) {
    ctx.out() << report.dump() << "\n";
  } else if (a.files.size() > 1) {
    ctx.out() << "\n" << a.files.size() << " scenarios: " << passed << " passed";
    if (failed > 0) ctx.out() << ", " << failed << " failed";
    if (invalid > 0) ctx.out() << ", " << invalid << " invalid";
    ctx.out() << "\n";
  }
  if (invalid > 0) return ExitCode::kUsage;
  return failed > 0 ? ExitCode::kError : ExitCode::kOk;
}

}  // namespace

void SetupRaceReplay(CLI::App& race, CommandSet& set) {
  auto args = std::make_shared<ReplayArgs>();
  CLI::App* cmd = race.add_subcommand(
      "replay",
      "replay race scenario files on a virtual clock and check their expectations (no daemon)\n"
      "  exit 0 all as expected, 1 a step differs, 2 a file is unreadable or invalid\n"
      "  e.g. agentdraft race replay races/*.json");
  cmd->add_option("files", args->files, "scenario files (docs/races.md)")->required();
  cmd->add_flag("--update", args->update, "write the observed outcomes into the files as their expectations");
  set.On(cmd, [args](Context& ctx) { return RunReplay(ctx, *args); });
}

}  // namespace agentdraft::cli
