// agentdraft cancel BOOKING_ID: frees a booked slot (DELETE /v1/bookings/{id}).
#include "cli/commands/commands.h"
#include "cli/commands/output.h"

namespace agentdraft::cli {

void SetupCancel(CLI::App& command, CommandSet& set) {
  auto id = std::make_shared<std::string>();
  CLI::App* c = &command;
  c->add_option("booking_id", *id, "the booking (bkg_…)")->required();
  set.On(c, [id](Context& ctx) {
    auto reply = ctx.Call(Context::Role::kAgentOrOwner, "DELETE", "/v1/bookings/" + UrlEncode(*id),
                          nullptr, "cancelling " + *id);
    if (!reply.ok()) return ctx.Fail(reply.error());
    return ctx.Print(*reply, [&] {
      PrintFields(ctx.out(), {{"booking", Cell(reply->json["booking_id"])},
                              {"status", Cell(reply->json["status"])}});
    });
  });
}

}  // namespace agentdraft::cli
