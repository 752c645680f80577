// agentdraft release HOLD_ID: gives a hold back (DELETE /v1/holds/{id}); repeating is harmless.
#include "cli/commands/commands.h"
#include "cli/commands/output.h"

namespace agentdraft::cli {

void SetupRelease(CLI::App& command, CommandSet& set) {
  auto id = std::make_shared<std::string>();
  CLI::App* c = &command;
  c->add_option("hold_id", *id, "the hold (hld_…)")->required();
  set.On(c, [id](Context& ctx) {
    auto reply = ctx.Call(Context::Role::kAgentOrOwner, "DELETE", "/v1/holds/" + UrlEncode(*id),
                          nullptr, "releasing " + *id);
    if (!reply.ok()) return ctx.Fail(reply.error());
    return ctx.Print(*reply, [&] {
      PrintFields(ctx.out(), {{"hold", Cell(reply->json["hold_id"])}, {"status", Cell(reply->json["status"])}});
    });
  });
}

}  // namespace agentdraft::cli
