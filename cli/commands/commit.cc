// agentdraft commit START [--duration 30m | --end END] [-k KEY] [--title T] …
// Books a slot as an agent (POST /v1/bookings). Exit 3 when another claim wins it.
#include "cli/commands/claim_args.h"
#include "cli/commands/commands.h"

namespace agentdraft::cli {

void SetupCommit(CLI::App& command, CommandSet& set) {
  auto args = std::make_shared<ClaimArgs>();
  CLI::App* c = &command;
  AddClaimArgs(c, *args);
  c->add_option("--title", args->title, "the meeting's title");
  c->add_option("--invitee-name", args->invitee_name, "who is invited");
  c->add_option("--invitee-email", args->invitee_email, "the invitee's email");
  c->add_option("--hold", args->hold_id, "convert this hold of yours (default: any overlapping own hold)");
  c->footer(
      "Examples:\n"
      "  agentdraft commit 2026-12-01T16:00:00Z --duration 30m\n"
      "  agentdraft commit tomorrow 16:00 -d 45m -k crm-deal-42\n"
      "  agentdraft --as sales-bot commit +2h --json");
  set.On(c, [args](Context& ctx) { return RunClaim(ctx, *args, /*hold=*/false); });
}

}  // namespace agentdraft::cli
