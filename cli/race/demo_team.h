// The race demo's cast: one dev-mode owner and N ranked agents.
//
// Names in creation order are sales-bot, recruit-bot, focus-blocker, exec-ea, ops-bot, then
// agent-6, agent-7, …; priorities are 1..N but deliberately not in creation order, so the
// race table shows that rank decides, not arrival. Creating them follows docs/api.md's owner
// bootstrap: magic link → dev_token → verify (ad_session cookie) → POST /v1/dashboard/agents.
//
// Thread-safety: the functions taking an ApiClient use it from the calling thread only.
#pragma once

#include <string>
#include <vector>

#include "cli/exit_codes.h"
#include "common/api_client.h"

namespace agentdraft::cli {

struct DemoAgent {
  std::string name;
  int priority = 0;      // 1 = top-ranked
  std::string agent_id;  // "" until created
  std::string key;       // plaintext API key, "" until created
};

// The demo owner's email. Every demo run signs in as this owner.
inline constexpr char kDemoOwnerEmail[] = "demo@agentdraft.local";

// The scopes the demo's agents get (nothing more than the demo uses).
const std::vector<std::string>& DemoAgentScopes();

// `count` agents in creation order, not created yet. With five or more: exec-ea 1,
// sales-bot 2, recruit-bot 3, ops-bot 4, focus-blocker 5, agent-k k. With fewer: the first
// `count` names ranked in reverse creation order. Every name ends in `suffix`.
// REQUIRES: count >= 1.
std::vector<DemoAgent> DemoCast(int count, const std::string& suffix = "");

// Index of the top-ranked agent (lowest priority). REQUIRES: !agents.empty().
size_t TopRanked(const std::vector<DemoAgent>& agents);

// Signs `owner` in as kDemoOwnerEmail and sets its ad_session cookie; returns the user id.
// kAuth when the daemon does not hand out dev_token (it is not running with --dev).
CliResult<std::string> SignInAsDemoOwner(ApiClient& owner);

// Creates DemoCast(count) as agents of the signed-in owner. When any of those names is
// already taken (the demo ran on this daemon before), every name gets the same random
// "-xxxx" suffix for this run. Returns the agents with ids and keys.
CliResult<std::vector<DemoAgent>> CreateDemoAgents(ApiClient& owner, int count);

}  // namespace agentdraft::cli
