// agentdraft availability [--duration 30m] [--from T] [--to T] [--granularity 5m] [--include-holds]
// Free slots of the given length (GET /v1/availability).
#include "cli/commands/commands.h"
#include "cli/commands/output.h"
#include "cli/table.h"

namespace agentdraft::cli {

namespace {
struct Args {
  std::string duration = "30m", from = "now", to = "+7d", granularity;
  bool include_holds = false;
};

ExitCode Run(Context& ctx, const Args& a) {
  const auto role = Context::Role::kAgentOrOwner;
  auto from = ctx.ParseTime(role, a.from, "--from");
  if (!from.ok()) return ctx.Fail(from.error());
  // A relative --to counts from --from: "--from tomorrow --to +3d" is three days.
  auto to = ctx.ParseTime(role, a.to, "--to", &*from);
  if (!to.ok()) return ctx.Fail(to.error());
  if (*to <= *from) return ctx.Fail(UsageProblem("--to must be after --from"));
  auto minutes = [&](const std::string& text, const char* flag) -> CliResult<int64_t> {
    auto d = ParseDuration(text);
    if (!d.ok() || *d < std::chrono::minutes(1) || *d % std::chrono::minutes(1) != Duration(0)) {
      return UsageProblem(std::string(flag) + ": \"" + text + "\" is not a whole number of minutes (e.g. 30m, 1h)");
    }
    return std::chrono::duration_cast<std::chrono::minutes>(*d).count();
  };
  auto duration = minutes(a.duration, "--duration");
  if (!duration.ok()) return ctx.Fail(duration.error());
  std::string query = "?range_start=" + UrlEncode(FormatRfc3339(*from)) +
                      "&range_end=" + UrlEncode(FormatRfc3339(*to)) +
                      "&duration_minutes=" + std::to_string(*duration);
  if (!a.granularity.empty()) {
    auto g = minutes(a.granularity, "--granularity");
    if (!g.ok()) return ctx.Fail(g.error());
    query += "&granularity_minutes=" + std::to_string(*g);
  }
  if (a.include_holds) query += "&include_holds=true";
  if (!ctx.json()) (void)ctx.TimeZone(role);
  auto reply = ctx.Call(role, "GET", "/v1/availability" + query, nullptr, "reading availability");
  if (!reply.ok()) return ctx.Fail(reply.error());
  return ctx.Print(*reply, [&] {
    const nlohmann::json& slots = reply->json["slots"];
    if (!slots.is_array() || slots.empty()) {
      ctx.out() << "no free " << a.duration << " slot between " << ctx.Local(*from) << " and "
                << ctx.Local(*to) << "\n";
      return;
    }
    Table t({{"start"}, {"end"}});
    for (const nlohmann::json& s : slots) t.AddRow({ctx.Local(s["start"]), ctx.Local(s["end"])});
    t.Print(ctx.out());
    const nlohmann::json next = reply->json.value("next_range_start", nlohmann::json());
    if (next.is_string()) {
      ctx.out() << "(the first " << slots.size() << " slots; for the rest: --from " << next.get<std::string>() << ")\n";
    }
  });
}
}  // namespace

void SetupAvailability(CLI::App& command, CommandSet& set) {
  auto a = std::make_shared<Args>();
  CLI::App* c = &command;
  c->add_option("--duration,-d", a->duration, "slot length (default 30m)");
  c->add_option("--from", a->from, "from (default now; e.g. tomorrow, \"mon 9:00\")");
  c->add_option("--to", a->to, "to (default +7d; +N counts from --from)");
  c->add_option("--granularity", a->granularity, "slot starts on multiples of this (default 5m)");
  c->add_flag("--include-holds", a->include_holds, "count your own holds as busy");
  c->footer("Example:\n  agentdraft availability --duration 30m --from tomorrow --to +3d");
  set.On(c, [a](Context& ctx) { return Run(ctx, *a); });
}

}  // namespace agentdraft::cli
