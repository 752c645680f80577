// agentdraft status: is the daemon there, which store, what it holds (GET /v1/status).
#include "cli/commands/commands.h"
#include "cli/commands/output.h"

namespace agentdraft::cli {

void SetupStatus(CLI::App& command, CommandSet& set) {
  CLI::App* c = &command;
  set.On(c, [](Context& ctx) {
    auto reply = ctx.Call(Context::Role::kAgentOrOwner, "GET", "/v1/status", nullptr, "asking the daemon");
    if (!reply.ok()) return ctx.Fail(reply.error());
    const nlohmann::json& j = reply->json;
    const nlohmann::json& n = j["counts"];
    return ctx.Print(*reply, [&] {
      const int64_t up = j.value("uptime_seconds", int64_t{0});
      PrintFields(ctx.out(),
                  {{"daemon", "ok (agentdraftd " + Cell(j["version"]) + ", up " + Minutes(up / 60) + ")"},
                   {"http", Cell(j["http"])},
                   {"socket", Cell(j["socket"])},
                   {"store", Cell(j["store"])},
                   {"calendar", Cell(j["user_id"])},
                   {"you", j["caller"].value("kind", "") == "owner"
                               ? "the owner"
                               : "agent " + Cell(j["caller"]["agent_id"])},
                   {"agents", Cell(n["agents"]) + " (" + Cell(n["revoked_agents"]) + " revoked)"},
                   {"bookings", Cell(n["active_bookings"]) + " active"},
                   {"holds", Cell(n["active_holds"]) + " active"},
                   {"audit", Cell(n["audit_rows"]) + " rows"}});
    });
  });
}

}  // namespace agentdraft::cli
