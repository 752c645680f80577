// What `race demo` and `bench race` share: reaching a daemon (or starting a private one) and
// the racing team — agents with their own keys and their own connections.
//
// Thread-safety: each ApiClient of a team is used by one thread at a time (FireRace gives each
// its own thread).
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "cli/race/daemon_launcher.h"
#include "cli/race/demo_team.h"
#include "cli/exit_codes.h"
#include "common/api_client.h"

namespace agentdraft::cli {

// The daemon a race runs against; `launcher` is set when it is a private one.
struct RaceDaemon {
  std::string base_url;
  std::unique_ptr<DaemonLauncher> launcher;
};

// The daemon at `client`'s base URL if one answers GET /healthz; else, when `launch` is
// given, a private one (--dev, temporary SQLite store), announced on `err`. kUnreachable when
// neither.
CliResult<RaceDaemon> ReachDaemon(ApiClient& client, const DaemonLaunchOptions* launch,
                                  std::ostream& err);

// `options` pointed at `base_url`, with no key and no cookie.
ApiClientOptions WithBaseUrl(ApiClientOptions options, const std::string& base_url);

// The owner (when signed in) and the agents, each with its own client: clients[i] acts as
// agents[i].
struct RaceTeam {
  ApiClient owner;
  std::string user_id;             // "" for a team made of keys
  std::vector<DemoAgent> agents;
  std::vector<ApiClient> clients;
};

// Signs in as the demo owner (the daemon must run with --dev) and creates `count` ranked
// agents (DemoCast).
CliResult<RaceTeam> OpenDemoTeam(const ApiClientOptions& base, int count);

// The agents behind `keys` (GET /v1/agents/me for each), listed best rank first. kAuth for a
// key the daemon refuses; kUsage when the keys belong to more than one owner.
CliResult<RaceTeam> OpenKeyedTeam(const ApiClientOptions& base, const std::vector<std::string>& keys);

}  // namespace agentdraft::cli
