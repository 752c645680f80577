// 64 agents, one slot, released together, 200 rounds: the top-ranked contender wins each.
// AGENTDRAFT_STAMPEDE_ROUNDS sets another count: the re-run on DynamoDB Local (dynamodb/…,
// tests/CMakeLists.txt) takes 50, since the 200-round stampede on DynamoDB is
// MultiDaemonHistory's, over three daemons.
// Half the agents come over HTTP with their keys, half over the owner's Unix socket acting as
// themselves (X-Agentdraft-As), so both doors race into the same engine.
#include <algorithm>
#include <barrier>
#include <cstdlib>
#include <random>
#include <thread>

#include "tests/e2e/e2e_support.h"

namespace agentdraft::testing {
namespace {

constexpr int kAgents = 64;
int Rounds() {
  const char* v = std::getenv("AGENTDRAFT_STAMPEDE_ROUNDS");
  const int rounds = v != nullptr ? std::atoi(v) : 0;
  return rounds > 0 ? rounds : 200;
}

struct StampedeShot {
  int status = 0;
  nlohmann::json body;
  std::string transport_error;
};

TEST_F(E2eTest, StampedeOf64AgentsIsWonByTheTopRankedAgentEveryRound) {
  // 200 rounds back to back are up to 200 requests per agent within a few seconds, a flood by
  // design: the per-agent rate limit (on by default) is off, so that the race is what is tested.
  ASSERT_EQ(daemon_->Stop(), 0) << daemon_->Log();
  StartDaemon({"--dev", "--rate-limit", "0"});
  // Priorities are a fixed shuffle of 1..64, so creation order is not rank order.
  std::vector<int> priorities(kAgents);
  for (int i = 0; i < kAgents; ++i) priorities[i] = i + 1;
  std::shuffle(priorities.begin(), priorities.end(), std::mt19937(42));
  // The test is about rank among claims that arrive inside the tie window. Sixty-four threads
  // released by a barrier on a loaded 2-core CI host can reach the engine more than the default
  // 20 ms apart, and a top agent arriving after the window rightly bumps (a second 201). A wide
  // window costs nothing here: no one outranks the top agent, so its claim settles the round the
  // moment it arrives.
  // Half the agents talk over the socket as the owner acting for them: the socket's owner.
  owner_ = DevOwner::OverSocket(daemon_->socket_path(), daemon_->base_url());
  {
    auto r = owner_->client().Patch("/v1/dashboard/settings", {{"tie_window_ms", 2000}});
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->status, 200) << r->body;
  }
  std::vector<TestAgent> agents;
  std::vector<ApiClient> clients;
  int top = 0;
  for (int i = 0; i < kAgents; ++i) {
    agents.push_back(owner_->AddAgent("agent-" + std::to_string(i), priorities[i]));
    if (i % 2 == 0) {
      clients.push_back(Client(agents.back().key));
    } else {
      ApiClientOptions o;
      o.base_url = "http://agentdraftd";
      o.unix_socket_path = daemon_->socket_path();
      o.headers = {std::string("X-Agentdraft-As: ") + agents.back().id};
      clients.push_back(ApiClient(o));
    }
    ASSERT_EQ(clients.back().Get("/v1/agents/me")->status, 200);  // connection open before racing
    if (priorities[i] == 1) top = i;
  }

  std::vector<std::string> failures;
  std::vector<std::string> winners;
  const int rounds = Rounds();
  for (int round = 0; round < rounds; ++round) {
    std::vector<StampedeShot> shots(kAgents);
    std::barrier go(kAgents);
    std::vector<std::thread> threads;
    const nlohmann::json body = Claim(round * 30, round * 30 + 30);
    for (int i = 0; i < kAgents; ++i) {
      threads.emplace_back([&, i] {
        go.arrive_and_wait();
        auto r = clients[i].Post("/v1/bookings", body);
        if (!r.ok()) {
          shots[i].transport_error = r.status().ToString();
          return;
        }
        shots[i].status = r->status;
        shots[i].body = r->Json().value();
      });
    }
    for (auto& t : threads) t.join();

    std::string where = "round " + std::to_string(round) + ": ";
    int commits = 0;
    for (int i = 0; i < kAgents; ++i) {
      if (!shots[i].transport_error.empty()) failures.push_back(where + shots[i].transport_error);
      if (shots[i].status >= 500) failures.push_back(where + "5xx " + shots[i].body.dump());
      if (shots[i].status == 201) ++commits;
    }
    if (commits != 1 || shots[top].status != 201) {
      failures.push_back(where + std::to_string(commits) + " commits; top agent got " +
                         std::to_string(shots[top].status) + " " + shots[top].body.dump());
      continue;
    }
    const std::string winner = shots[top].body["booking_id"];
    winners.push_back(winner);
    for (int i = 0; i < kAgents; ++i) {
      if (i == top) continue;
      const nlohmann::json& b = shots[i].body;
      if (shots[i].status != 409 || b.value("error", "") != "outranked" ||
          b.value("winning_booking_id", "") != winner ||
          b.value("winning_agent_id", "") != agents[top].id ||
          b.value("winning_agent_priority", 0) != 1) {
        failures.push_back(where + agents[i].name + " got " + std::to_string(shots[i].status) +
                           " " + b.dump());
      }
    }
  }
  ASSERT_TRUE(failures.empty()) << failures.size() << " failures, first: " << failures.front();

  // One booking.committed audit row per round, for its winner.
  for (const std::string& winner : winners) {
    auto r = owner_->client().Get("/v1/audit?kind=booking.committed&resource=" + winner);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->Json().value()["events"].size(), 1u) << winner;
  }
}

}  // namespace
}  // namespace agentdraft::testing
