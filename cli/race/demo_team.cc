#include "cli/race/demo_team.h"

#include <algorithm>
#include <optional>
#include <set>

#include "common/ids.h"

namespace agentdraft::cli {

namespace {

struct NamedAgent {
  const char* name;
  int priority;  // among five or more
};

// Creation order; the priorities are deliberately shuffled.
constexpr NamedAgent kNamed[] = {
    {"sales-bot", 2}, {"recruit-bot", 3}, {"focus-blocker", 5}, {"exec-ea", 1}, {"ops-bot", 4}};
constexpr int kNamedCount = 5;

// The names the owner already uses.
CliResult<std::set<std::string>> ExistingAgentNames(ApiClient& owner) {
  Result<ApiResponse> r = owner.Get("/v1/dashboard/agents");
  if (!r.ok()) return ErrorFromTransport(r.status());
  if (r->status != 200) return ErrorFromResponse("listing the owner's agents", *r);
  Result<nlohmann::json> j = r->Json();
  std::set<std::string> names;
  if (!j.ok() || !(*j)["agents"].is_array()) return names;
  for (const nlohmann::json& a : (*j)["agents"]) {
    if (a.contains("name") && a["name"].is_string()) names.insert(a["name"].get<std::string>());
  }
  return names;
}

// POST /v1/dashboard/agents for `agent`; fills its id and key. If the name was taken in the
// meantime (another demo run on the same daemon), retries once with `fallback_suffix`.
std::optional<CommandError> CreateAgent(ApiClient& owner, DemoAgent& agent,
                                        const std::string& fallback_suffix) {
  for (int attempt = 0;; ++attempt) {
    const nlohmann::json body = {
        {"name", agent.name}, {"priority", agent.priority}, {"scopes", DemoAgentScopes()}};
    Result<ApiResponse> r = owner.Post("/v1/dashboard/agents", body);
    if (!r.ok()) return ErrorFromTransport(r.status());
    if (r->status == 409 && r->ErrorCode() == "name_taken" && attempt == 0) {
      agent.name += fallback_suffix;
      continue;
    }
    Result<nlohmann::json> j = r->Json();
    if (r->status != 201 || !j.ok() || !(*j)["agent_id"].is_string() ||
        !(*j)["plaintext_key"].is_string()) {
      return ErrorFromResponse("creating agent " + agent.name, *r);
    }
    agent.agent_id = (*j)["agent_id"].get<std::string>();
    agent.key = (*j)["plaintext_key"].get<std::string>();
    return std::nullopt;
  }
}

}  // namespace

const std::vector<std::string>& DemoAgentScopes() {
  static const std::vector<std::string> kScopes = {"availability:read", "bookings:write",
                                                   "audit:read"};
  return kScopes;
}

std::vector<DemoAgent> DemoCast(int count, const std::string& suffix) {
  std::vector<DemoAgent> cast;
  for (int i = 0; i < count; ++i) {
    DemoAgent a;
    if (i < kNamedCount) {
      a.name = kNamed[i].name;
      a.priority = count >= kNamedCount ? kNamed[i].priority : count - i;
    } else {
      a.name = "agent-" + std::to_string(i + 1);
      a.priority = i + 1;
    }
    a.name += suffix;
    cast.push_back(a);
  }
  return cast;
}

size_t TopRanked(const std::vector<DemoAgent>& agents) {
  return std::min_element(
             agents.begin(), agents.end(),
             [](const DemoAgent& x, const DemoAgent& y) { return x.priority < y.priority; }) -
         agents.begin();
}

CliResult<std::string> SignInAsDemoOwner(ApiClient& owner) {
  Result<ApiResponse> link = owner.Post("/v1/auth/magic-link", {{"email", kDemoOwnerEmail}});
  if (!link.ok()) return ErrorFromTransport(link.status());
  if (link->status != 200) return ErrorFromResponse("requesting a magic link", *link);
  Result<nlohmann::json> link_json = link->Json();
  if (!link_json.ok() || !(*link_json)["dev_token"].is_string()) {
    return CommandError{
        ExitCode::kAuth,
        "the daemon at " + owner.options().base_url +
            " is not in dev mode (its magic-link answer has no dev_token), so the demo cannot "
            "sign in as an owner. Stop it and run the demo again (it then starts a private "
            "daemon), or start it with `agentdraftd --dev`."};
  }
  Result<ApiResponse> verify =
      owner.Post("/v1/auth/verify", {{"token", (*link_json)["dev_token"]}});
  if (!verify.ok()) return ErrorFromTransport(verify.status());
  const std::string cookie = verify->headers["set-cookie"];
  Result<nlohmann::json> verify_json = verify->Json();
  if (verify->status != 200 || cookie.rfind("ad_session=", 0) != 0 || !verify_json.ok()) {
    CommandError e = ErrorFromResponse("signing in with the magic link", *verify);
    if (verify->status == 200) e = {ExitCode::kAuth, e.message + " (no ad_session cookie)"};
    return e;
  }
  owner.set_cookie(cookie.substr(0, cookie.find(';')));
  return verify_json->value("user_id", "");
}

CliResult<std::vector<DemoAgent>> CreateDemoAgents(ApiClient& owner, int count) {
  CliResult<std::set<std::string>> existing = ExistingAgentNames(owner);
  if (!existing.ok()) return existing.error();
  const std::string suffix = NewId("-", 4);
  std::vector<DemoAgent> cast = DemoCast(count);
  const bool taken = std::any_of(cast.begin(), cast.end(),
                                 [&](const DemoAgent& a) { return existing->count(a.name) > 0; });
  if (taken) cast = DemoCast(count, suffix);
  for (DemoAgent& agent : cast) {
    if (std::optional<CommandError> e = CreateAgent(owner, agent, suffix)) return *e;
  }
  return cast;
}

}  // namespace agentdraft::cli
