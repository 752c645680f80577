// agentdraft agents add|list|rank|set-priority|rotate-key|revoke — the owner ranks its agents
// and manages their keys, over the Unix socket (/v1/dashboard/agents).
#include "cli/commands/commands.h"
#include "cli/commands/output.h"
#include "cli/table.h"

namespace agentdraft::cli {

namespace {

std::string AgentPath(const std::string& ref) { return "/v1/dashboard/agents/" + UrlEncode(ref); }

void PrintAgents(Context& ctx, const nlohmann::json& agents) {
  if (!agents.is_array() || agents.empty()) {
    ctx.out() << "no agents yet: add one with agentdraft agents add NAME --priority N\n";
    return;
  }
  Table t({{"rank", Align::kRight}, {"name"}, {"priority", Align::kRight}, {"agent"}, {"key"}, {"scopes"}});
  for (const nlohmann::json& a : agents) {
    std::string scopes;
    for (const auto& s : a["scopes"]) scopes += (scopes.empty() ? "" : ",") + s.get<std::string>();
    t.AddRow({Cell(a["rank"]), Cell(a["name"]), Cell(a["priority"]), Cell(a["agent_id"]),
              a["revoked_at"].is_null() ? Cell(a["key_prefix"]) + "…" : "revoked", scopes});
  }
  t.Print(ctx.out());
}

void PrintAgentWithKey(Context& ctx, const nlohmann::json& j) {
  PrintFields(ctx.out(), {{"agent", Cell(j["name"]) + " (" + Cell(j["agent_id"]) + ")"},
                          {"priority", Cell(j["priority"]) + " (rank " + Cell(j["rank"]) + ")"},
                          {"key", Cell(j["plaintext_key"])}});
  ctx.err() << "The key is shown once: give it to the agent as AGENTDRAFT_API_KEY.\n";
}

struct AddArgs {
  std::string name;
  int priority = 0;
  std::vector<std::string> scopes;
};

void SetupAdd(CLI::App& noun, CommandSet& set) {
  auto add = std::make_shared<AddArgs>();
  CLI::App* a = noun.add_subcommand("add", "create an agent and print its key (shown once)");
  a->add_option("name", add->name, "unique name, e.g. sales-bot")->required();
  a->add_option("--priority,-p", add->priority, "1 = highest (default: below every other agent)")
      ->check(CLI::Range(1, 1000000));
  a->add_option("--scopes", add->scopes, "scopes (default all): availability:read bookings:write audit:read events:read")
      ->delimiter(',');
  a->footer("Example:\n  agentdraft agents add exec-assistant --priority 1");
  set.On(a, [add](Context& ctx) {
    nlohmann::json body = {{"name", add->name}};
    if (add->priority > 0) body["priority"] = add->priority;
    if (!add->scopes.empty()) body["scopes"] = add->scopes;
    auto reply = ctx.Call(kOwner, "POST", "/v1/dashboard/agents", &body, "adding agent " + add->name);
    if (!reply.ok()) return ctx.Fail(reply.error());
    return ctx.Print(*reply, [&] { PrintAgentWithKey(ctx, reply->json); });
  });
}

void SetupList(CLI::App& noun, CommandSet& set) {
  CLI::App* l = noun.add_subcommand("list", "the agents in rank order");
  set.On(l, [](Context& ctx) {
    auto reply = ctx.Call(kOwner, "GET", "/v1/dashboard/agents", nullptr, "listing agents");
    if (!reply.ok()) return ctx.Fail(reply.error());
    return ctx.Print(*reply, [&] { PrintAgents(ctx, reply->json["agents"]); });
  });
}

void SetupRank(CLI::App& noun, CommandSet& set) {
  auto order = std::make_shared<std::vector<std::string>>();
  CLI::App* r = noun.add_subcommand("rank", "set the whole rank order at once, top first");
  r->add_option("agents", *order, "every active agent, by name or id, top-ranked first")->required();
  r->footer("Example:\n  agentdraft agents rank exec-assistant recruiter sales-bot\n"
            "Priorities become 1, 2, 3, … in that order.");
  set.On(r, [order](Context& ctx) {
    nlohmann::json body = {{"order", *order}};
    auto reply = ctx.Call(kOwner, "PATCH", "/v1/dashboard/agents", &body, "ranking agents");
    if (!reply.ok()) return ctx.Fail(reply.error());
    return ctx.Print(*reply, [&] { PrintAgents(ctx, reply->json["agents"]); });
  });
}

void SetupSetPriority(CLI::App& noun, CommandSet& set) {
  auto sp_agent = std::make_shared<std::string>();
  auto sp_priority = std::make_shared<int>(0);
  CLI::App* sp = noun.add_subcommand("set-priority", "change one agent's priority");
  sp->add_option("agent", *sp_agent, "name or id")->required();
  sp->add_option("priority", *sp_priority, "1 = highest")->required()->check(CLI::Range(1, 1000000));
  set.On(sp, [sp_agent, sp_priority](Context& ctx) {
    nlohmann::json body = {{"priority", *sp_priority}};
    auto reply = ctx.Call(kOwner, "PATCH", AgentPath(*sp_agent), &body, "setting the priority of " + *sp_agent);
    if (!reply.ok()) return ctx.Fail(reply.error());
    return ctx.Print(*reply, [&] {
      PrintFields(ctx.out(), {{"agent", Cell(reply->json["name"]) + " (" + Cell(reply->json["agent_id"]) + ")"},
                              {"priority", Cell(reply->json["priority"]) + " (rank " + Cell(reply->json["rank"]) + ")"}});
    });
  });
}

void SetupRotateKey(CLI::App& noun, CommandSet& set) {
  auto rk = std::make_shared<std::string>();
  CLI::App* k = noun.add_subcommand("rotate-key", "give an agent a new key; the old one stops working");
  k->add_option("agent", *rk, "name or id")->required();
  set.On(k, [rk](Context& ctx) {
    auto reply = ctx.Call(kOwner, "POST", AgentPath(*rk) + "/keys", nullptr, "rotating the key of " + *rk);
    if (!reply.ok()) return ctx.Fail(reply.error());
    return ctx.Print(*reply, [&] { PrintAgentWithKey(ctx, reply->json); });
  });
}

void SetupRevoke(CLI::App& noun, CommandSet& set) {
  auto rv = std::make_shared<std::string>();
  CLI::App* v = noun.add_subcommand("revoke", "revoke an agent's key (its bookings stay)");
  v->add_option("agent", *rv, "name or id")->required();
  set.On(v, [rv](Context& ctx) {
    auto reply = ctx.Call(kOwner, "DELETE", AgentPath(*rv) + "/keys", nullptr, "revoking the key of " + *rv);
    if (!reply.ok()) return ctx.Fail(reply.error());
    return ctx.Print(*reply, [&] {
      PrintFields(ctx.out(), {{"agent", Cell(reply->json["name"]) + " (" + Cell(reply->json["agent_id"]) + ")"},
                              {"revoked at", Cell(reply->json["revoked_at"])}});
    });
  });
}
}  // namespace

void SetupAgents(CLI::App& command, CommandSet& set) {
  CLI::App& noun = *command.require_subcommand(1);
  SetupAdd(noun, set);
  SetupList(noun, set);
  SetupRank(noun, set);
  SetupSetPriority(noun, set);
  SetupRotateKey(noun, set);
  SetupRevoke(noun, set);
}

}  // namespace agentdraft::cli
