// agentdraft whoami: the agent the key (or --as) speaks for, or the owner over the socket.
#include "cli/commands/commands.h"
#include "cli/commands/output.h"

namespace agentdraft::cli {

void SetupWhoami(CLI::App& command, CommandSet& set) {
  CLI::App* c = &command;
  set.On(c, [](Context& ctx) {
    if (ctx.UsesSocket(Context::Role::kAgentOrOwner) && ctx.options().as.empty()) {
      auto reply = ctx.Call(Context::Role::kOwner, "GET", "/v1/status", nullptr, "asking the daemon");
      if (!reply.ok()) return ctx.Fail(reply.error());
      return ctx.Print(*reply, [&] {
        PrintFields(ctx.out(), {{"owner", Cell(reply->json["user_id"])},
                                {"via", "socket " + ctx.SocketPath()}});
      });
    }
    auto reply = ctx.Call(Context::Role::kAgent, "GET", "/v1/agents/me", nullptr, "asking who I am");
    if (!reply.ok()) return ctx.Fail(reply.error());
    const nlohmann::json& j = reply->json;
    return ctx.Print(*reply, [&] {
      std::vector<std::pair<std::string, std::string>> f = {
          {"agent", Cell(j["name"]) + " (" + Cell(j["agent_id"]) + ")"},
          {"priority", Cell(j["priority"]) + " (rank " + Cell(j["rank"]) + ")"},
          {"scopes", j["scopes"].is_array() ? j["scopes"].dump() : "-"},
          {"owner", Cell(j["user_id"])},
          {"time zone", Cell(j["timezone"])}};
      if (j.contains("acted_by")) f.push_back({"acted by", Cell(j["acted_by"]) + " (the owner, --as)"});
      PrintFields(ctx.out(), f);
    });
  });
}

}  // namespace agentdraft::cli
