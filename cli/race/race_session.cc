#include "cli/race/race_session.h"

#include <algorithm>
#include <numeric>

namespace agentdraft::cli {

using std::chrono::milliseconds;

CliResult<RaceDaemon> ReachDaemon(ApiClient& client, const DaemonLaunchOptions* launch,
                                  std::ostream& err) {
  const std::string& url = client.options().base_url;
  const milliseconds timeout = client.options().timeout;
  client.set_timeout(milliseconds(2000));
  Result<ApiResponse> health = client.Get("/healthz");
  client.set_timeout(timeout);
  if (health.ok() && health->status == 200) return RaceDaemon{url, nullptr};
  const std::string why = health.ok() ? "GET /healthz answered " + std::to_string(health->status)
                                      : health.status().message();
  if (launch == nullptr) return CommandError{ExitCode::kUnreachable, "no daemon at " + url + " (" + why + ")"};
  auto launched = DaemonLauncher::Start(*launch);
  if (!launched.ok()) {
    return CommandError{ExitCode::kUnreachable, "no daemon at " + url + " (" + why +
                                                    "), and a private one could not be started: " +
                                                    launched.status().message()};
  }
  RaceDaemon daemon{launched.value()->base_url(), std::move(launched.value())};
  err << "no daemon at " << url << "; started a private one on a temporary SQLite store ("
      << daemon.base_url << ")\n";
  return daemon;
}

namespace {
ApiClientOptions WithKey(ApiClientOptions o, const std::string& key) {
  o.api_key = key;
  o.cookie.clear();
  return o;
}
}  // namespace

ApiClientOptions WithBaseUrl(ApiClientOptions options, const std::string& base_url) {
  options.base_url = base_url;
  return WithKey(std::move(options), "");
}

CliResult<RaceTeam> OpenDemoTeam(const ApiClientOptions& base, int count) {
  RaceTeam t{ApiClient(WithKey(base, "")), "", {}, {}};
  CliResult<std::string> user_id = SignInAsDemoOwner(t.owner);
  if (!user_id.ok()) return user_id.error();
  t.user_id = *user_id;
  CliResult<std::vector<DemoAgent>> agents = CreateDemoAgents(t.owner, count);
  if (!agents.ok()) return agents.error();
  t.agents = std::move(*agents);
  for (const DemoAgent& a : t.agents) t.clients.emplace_back(WithKey(base, a.key));
  return t;
}

CliResult<RaceTeam> OpenKeyedTeam(const ApiClientOptions& base, const std::vector<std::string>& keys) {
  struct Member {
    DemoAgent agent;
    int rank = 0;
    std::string owner;
  };
  std::vector<Member> members;
  for (size_t i = 0; i < keys.size(); ++i) {
    ApiClient client(WithKey(base, keys[i]));
    Result<ApiResponse> me = client.Get("/v1/agents/me");
    if (!me.ok()) return ErrorFromTransport(me.status());
    if (me->status != 200) return ErrorFromResponse("checking key " + std::to_string(i + 1) + " of AGENTDRAFT_API_KEYS", *me);
    Result<nlohmann::json> j = me->Json();
    if (!j.ok()) return CommandError{ExitCode::kError, "GET /v1/agents/me did not answer JSON"};
    members.push_back({{j->value("name", ""), j->value("priority", 0), j->value("agent_id", ""), keys[i]},
                       j->value("rank", 0), j->value("user_id", "")});
  }
  for (const Member& m : members) {
    if (m.owner != members.front().owner) {
      return CommandError{ExitCode::kUsage, "AGENTDRAFT_API_KEYS: " + m.agent.name + " and " +
                                                members.front().agent.name +
                                                " belong to different owners; a race is on one calendar"};
    }
  }
  std::stable_sort(members.begin(), members.end(), [](const Member& a, const Member& b) { return a.rank < b.rank; });
  RaceTeam t{ApiClient(WithKey(base, "")), "", {}, {}};
  for (const Member& m : members) {
    t.agents.push_back(m.agent);
    t.clients.emplace_back(WithKey(base, m.agent.key));
  }
  return t;
}

}  // namespace agentdraft::cli
