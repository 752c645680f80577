// agentdraft hold START [--duration 30m | --end END] [-k KEY]
// Holds a slot for the owner's hold TTL (POST /v1/holds); `commit` converts it.
#include "cli/commands/claim_args.h"
#include "cli/commands/commands.h"

namespace agentdraft::cli {

void SetupHold(CLI::App& command, CommandSet& set) {
  auto args = std::make_shared<ClaimArgs>();
  CLI::App* c = &command;
  AddClaimArgs(c, *args);
  c->footer(
      "Examples:\n"
      "  agentdraft hold tomorrow 16:00 -d 30m\n"
      "  agentdraft commit tomorrow 16:00 -d 30m   # converts the hold");
  set.On(c, [args](Context& ctx) { return RunClaim(ctx, *args, /*hold=*/true); });
}

}  // namespace agentdraft::cli
