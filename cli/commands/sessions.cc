// agentdraft sessions revoke — signs every owner out of the dashboard: every session made by
// the dev-mode magic link ends now (DELETE /v1/dashboard/sessions, over the socket). Later
// sign-ins work.
#include "cli/commands/commands.h"
#include "cli/commands/output.h"

namespace agentdraft::cli {

void SetupSessions(CLI::App& command, CommandSet& set) {
  CLI::App* noun = command.require_subcommand(1);
  CLI::App* revoke = noun->add_subcommand("revoke", "sign every owner out: every session ends now");
  set.On(revoke, [](Context& ctx) {
    auto reply = ctx.Call(Context::Role::kOwner, "DELETE", "/v1/dashboard/sessions", nullptr,
                          "revoking the sessions");
    if (!reply.ok()) return ctx.Fail(reply.error());
    return ctx.Print(*reply, [&] {
      ctx.out() << "signed out: every session of " << Cell(reply->json["owners"])
                << " owner(s) ended\n";
    });
  });
}

}  // namespace agentdraft::cli
