// agentdraft hold START [--duration 30m | --end END] [-k KEY]
// Holds a slot for the owner's hold TTL (POST /v1/holds); `commit` converts it.
#include "cli/commands/claim_args.h"
#include "cli/commands/commands.h"
#include "cli/commands/output.h"

namespace agentdraft::cli {

namespace {
ExitCode RunHold(Context& ctx, const ClaimArgs& args) {
  std::string summary;
  auto body = BuildClaimBody(ctx, args, &summary);
  if (!body.ok()) return ctx.Fail(body.error());
  auto reply = ctx.Call(Context::Role::kAgent, "POST", "/v1/holds", &*body, "holding " + summary);
  if (!reply.ok()) {
    CommandError e = reply.error();
    if (e.exit_code == ExitCode::kConflict) {
      e.message += "\n  a free slot: agentdraft availability --from '" + JoinWords(args.when) + "' --duration " +
                   (args.duration.empty() ? "30m" : args.duration);
    }
    return ctx.Fail(e);
  }
  const nlohmann::json& j = reply->json;
  return ctx.Print(*reply, [&] {
    PrintFields(ctx.out(), {{"hold", Cell(j["hold_id"])},
                            {"status", Cell(j["status"])},
                            {"when", summary},
                            {"expires at", ctx.Local(j["expires_at"])},
                            {"agent", Cell(j["agent_id"]) + " (priority " + Cell(j["agent_priority"]) + ")"}});
  });
}
}  // namespace

void RegisterHold(CLI::App& app, CommandSet& set) {
  auto args = std::make_shared<ClaimArgs>();
  CLI::App* c = app.add_subcommand("hold", "hold a slot tentatively as an agent (it expires unless committed)");
  AddClaimArgs(c, *args);
  c->footer(
      "Examples:\n"
      "  agentdraft hold tomorrow 16:00 -d 30m\n"
      "  agentdraft commit tomorrow 16:00 -d 30m   # converts the hold");
  set.On(c, [args](Context& ctx) { return RunHold(ctx, *args); });
}

}  // namespace agentdraft::cli
