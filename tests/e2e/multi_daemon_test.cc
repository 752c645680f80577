// Three agentdraftd on one DynamoDB table (the tests' DynamoDB Local): the stampede spread
// over the daemons, an overlap storm with one daemon SIGKILLed and restarted every 10 s, and
// DynamoDB's own failures injected by the fault proxy.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "common/audit_verify.h"
#include "tests/e2e/e2e_support.h"
#include "tests/support/dynamodb_local.h"
#include "tests/support/fault_proxy.h"

namespace agentdraft::testing {
namespace {

using nlohmann::json;

class MultiDaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!DynamoDbLocal::Available()) {
      if (std::getenv("AGENTDRAFT_REQUIRE_DYNAMODB")) {
        FAIL() << "DynamoDB Local is not installed (scripts/setup.sh)";
      }
      GTEST_SKIP() << "DynamoDB Local is not installed (scripts/setup.sh installs it)";
    }
    UseLocalAwsCredentials();
    table_ = DynamoDbLocal::UniqueTableName("md");
  }
  void TearDown() override {
    for (auto& d : daemons_) {
      if (d->pid() > 0) {
        EXPECT_EQ(d->Stop(), 0) << d->Log();
      }
    }
  }

  // A daemon on the shared table (through `endpoint`, DynamoDB Local's by default).
  DaemonProcess& AddDaemon(std::vector<std::string> extra = {}, std::string endpoint = "") {
    if (endpoint.empty()) endpoint = DynamoDbLocal::Shared().endpoint();
    std::vector<std::string> args = {"--dev", "--store", "dynamodb", "--dynamodb-table", table_,
                                     "--dynamodb-endpoint", endpoint, "--create-table"};
    args.insert(args.end(), extra.begin(), extra.end());
    daemons_.push_back(std::make_unique<DaemonProcess>(dir_.File("d" + std::to_string(daemons_.size())), args));
    Status s = daemons_.back()->Start();
    EXPECT_TRUE(s.ok()) << s.ToString() << daemons_.back()->Log();
    return *daemons_.back();
  }

  static ApiClient ClientOf(const std::string& base_url, const std::string& key) {
    ApiClientOptions o;
    o.base_url = base_url;
    o.api_key = key;
    return ApiClient(o);
  }

  // Every COMMITTED booking of the owner, read through daemon `via`.
  std::vector<json> CommittedBookings(DevOwner& owner) {
    auto r = owner.client().Get("/v1/bookings?status=COMMITTED&limit=1000");
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r->status, 200) << r->body;
    return r->Json().value()["bookings"].get<std::vector<json>>();
  }

  static void ExpectNoOverlap(std::vector<json> bookings) {
    std::sort(bookings.begin(), bookings.end(),
              [](const json& a, const json& b) { return a["start"].get<std::string>() < b["start"].get<std::string>(); });
    for (size_t i = 1; i < bookings.size(); ++i) {
      EXPECT_LE(bookings[i - 1]["end"].get<std::string>(), bookings[i]["start"].get<std::string>())
          << bookings[i - 1].dump() << " overlaps " << bookings[i].dump();
    }
  }

  TempDir dir_;
  std::string table_;
  std::vector<std::unique_ptr<DaemonProcess>> daemons_;
};

// 64 agents spread over three daemons fire at one slot, 50 rounds: one 201 per round, from
// the top-ranked agent; every 409 names it. (MultiDaemonHistory's stampede runs the same shape
// under the history checkers.)
TEST_F(MultiDaemonTest, StampedeOverThreeDaemonsIsWonByTheTopRankedAgentEveryRound) {
  constexpr int kAgents = 64, kRounds = 50;
  // The top agent's commit must reach the table inside this window, even when its daemon's
  // view is stale and it must reload and try again, on a loaded 2-core host. It costs little:
  // the other daemons settle their waiting claims as soon as a refresh shows the winner.
  for (int i = 0; i < 3; ++i) AddDaemon({"--tie-window", "1s"});
  DevOwner owner(daemons_[0]->base_url());
  std::vector<int> priorities(kAgents);
  for (int i = 0; i < kAgents; ++i) priorities[i] = i + 1;
  std::shuffle(priorities.begin(), priorities.end(), std::mt19937(7));
  std::vector<TestAgent> agents;
  std::vector<ApiClient> clients;
  int top = 0;
  for (int i = 0; i < kAgents; ++i) {
    agents.push_back(owner.AddAgent("agent-" + std::to_string(i), priorities[i]));
    if (priorities[i] == 1) top = i;
  }
  for (int i = 0; i < kAgents; ++i) {
    clients.push_back(ClientOf(daemons_[i % 3]->base_url(), agents[i].key));
    auto me = clients.back().Get("/v1/agents/me");  // an agent made at daemon 0, known at all
    ASSERT_TRUE(me.ok());
    ASSERT_EQ(me->status, 200) << "daemon " << i % 3 << ": " << me->body;
  }

  std::vector<std::string> failures;
  for (int round = 0; round < kRounds && failures.size() < 5; ++round) {
    std::vector<std::pair<int, json>> shots(kAgents);
    std::barrier go(kAgents);
    std::vector<std::thread> threads;
    const json body = Claim(round * 30, round * 30 + 30);
    for (int i = 0; i < kAgents; ++i) {
      threads.emplace_back([&, i] {
        go.arrive_and_wait();
        auto r = clients[i].Post("/v1/bookings", body);
        if (!r.ok()) return;
        auto j = r->Json();
        shots[i] = {r->status, j.ok() ? *j : json()};
      });
    }
    for (auto& t : threads) t.join();
    const std::string where = "round " + std::to_string(round) + ": ";
    int commits = 0;
    for (const auto& [status, b] : shots) commits += status == 201;
    if (commits != 1 || shots[top].first != 201) {
      failures.push_back(where + std::to_string(commits) + " commits; top agent got " +
                         std::to_string(shots[top].first) + " " + shots[top].second.dump());
      continue;
    }
    const std::string winner = shots[top].second["booking_id"];
    for (int i = 0; i < kAgents; ++i) {
      if (i == top) continue;
      const auto& [status, b] = shots[i];
      if (status != 409 || b.value("winning_booking_id", "") != winner ||
          b.value("winning_agent_id", "") != agents[top].id) {
        failures.push_back(where + agents[i].name + " (daemon " + std::to_string(i % 3) + ") got " +
                           std::to_string(status) + " " + b.dump() + "; the top agent's 201: " + winner);
      }
    }
  }
  for (const std::string& f : failures) ADD_FAILURE() << f;
  ASSERT_TRUE(failures.empty());
  std::vector<json> committed = CommittedBookings(owner);
  EXPECT_EQ(committed.size(), static_cast<size_t>(kRounds));
  ExpectNoOverlap(committed);
}

// Random overlapping claims from 12 agents over three daemons for `seconds`, while one daemon
// after another is SIGKILLed and restarted every 10 s. Requests cut off are retried with their
// idempotency key at the next daemon. Afterwards: no two committed bookings overlap, every 201
// is there, and a retry of any answered request returns the same answer.
TEST_F(MultiDaemonTest, OverlapStormWithADaemonKilledEveryTenSecondsLosesNothing) {
  const int seconds = std::getenv("AGENTDRAFT_STORM_SECONDS") ? std::atoi(std::getenv("AGENTDRAFT_STORM_SECONDS")) : 60;
  constexpr int kAgents = 12;
  // Twelve clients flooding for a minute: the per-agent rate limit (on by default) is off.
  for (int i = 0; i < 3; ++i) AddDaemon({"--tie-window", "20ms", "--bump-window", "2s", "--rate-limit", "0"});
  DevOwner owner(daemons_[0]->base_url());
  std::vector<TestAgent> agents;
  for (int i = 0; i < kAgents; ++i) agents.push_back(owner.AddAgent("storm-" + std::to_string(i), i + 1));

  std::mutex mu;  // guards urls and the results
  std::vector<std::string> urls;
  for (auto& d : daemons_) urls.push_back(d->base_url());
  struct Answered {
    std::string key;
    int agent;
    json request;
    int status;
    std::string body;
  };
  std::vector<Answered> answered;
  std::atomic<int> cut_off{0}, kills{0}, unavailable{0};
  std::atomic<bool> running{true};

  std::vector<std::thread> clients;
  for (int a = 0; a < kAgents; ++a) {
    clients.emplace_back([&, a] {
      std::mt19937 rng(1000 + a);
      int n = 0;
      while (running) {
        const int start = static_cast<int>(rng() % (2 * 24 * 4)) * 15;  // 15-minute grid, two days
        const int length = 15 * (1 + static_cast<int>(rng() % 8));      // 15–120 minutes
        const std::string key = "storm-" + std::to_string(a) + "-" + std::to_string(n++);
        const json body = Claim(start, start + length, key);
        for (int attempt = 0; attempt < 100; ++attempt) {
          std::string url;
          {
            std::lock_guard<std::mutex> lock(mu);
            url = urls[(a + attempt) % urls.size()];
          }
          auto r = ClientOf(url, agents[a].key).Post("/v1/bookings", body);
          if (!r.ok()) {
            ++cut_off;
            continue;  // the daemon died under it: same key, next daemon
          }
          if (r->status == 503) {  // the daemon is stopping, or the store kept changing: retry
            if (++unavailable == 1) std::printf("storm: first 503: %s\n", r->body.c_str());
            continue;
          }
          {
            std::lock_guard<std::mutex> lock(mu);
            answered.push_back({key, a, body, r->status, r->body});
          }
          // Half the bookings are cancelled again, so the calendar keeps changing hands.
          if (r->status == 201 && rng() % 2 == 0) {
            const std::string id = json::parse(r->body)["booking_id"];
            for (int c = 0; c < 100; ++c) {
              std::string at;
              {
                std::lock_guard<std::mutex> lock(mu);
                at = urls[(a + attempt + c) % urls.size()];
              }
              auto d = ClientOf(at, agents[a].key).Delete("/v1/bookings/" + id);
              if (d.ok() && d->status != 503) {
                EXPECT_TRUE(d->status == 200 || d->status == 409) << d->status << " " << d->body;
                break;
              }
            }
          }
          break;
        }
      }
    });
  }
  const auto began = std::chrono::steady_clock::now();
  std::thread nemesis([&] {
    for (int k = 0; 10 * (k + 1) < seconds; ++k) {
      // The nemesis' pace (load generation), not time under test.
      std::this_thread::sleep_until(began + std::chrono::seconds(10 * (k + 1)));
      DaemonProcess& victim = *daemons_[k % 3];
      victim.Kill();
      ++kills;
      Status s = victim.Start();
      ASSERT_TRUE(s.ok()) << s.ToString() << victim.Log();
      std::lock_guard<std::mutex> lock(mu);
      urls[k % 3] = victim.base_url();
    }
  });
  std::this_thread::sleep_until(began + std::chrono::seconds(seconds));  // the storm's length (load, not time under test)
  running = false;
  nemesis.join();
  for (auto& t : clients) t.join();

  int created = 0, refused = 0;
  for (const Answered& x : answered) {
    if (x.status == 201) ++created;
    if (x.status == 409) ++refused;
    EXPECT_TRUE(x.status == 201 || x.status == 409) << x.status << " " << x.body;
  }
  RecordProperty("answered", static_cast<int>(answered.size()));
  std::printf("storm: %zu answered (%d × 201, %d × 409), %d cut off, %d × 503, %d kills\n", answered.size(),
              created, refused, cut_off.load(), unavailable.load(), kills.load());
  EXPECT_GE(kills.load(), (seconds - 1) / 10);
  EXPECT_GT(created, 50);
  EXPECT_GT(refused, 10);

  owner.Rebind(urls[0]);
  ExpectNoOverlap(CommittedBookings(owner));
  // Every 201 is there (committed, or evicted later by a higher-ranked agent inside its bump
  // window), and a retry with the same key, at any daemon, answers the same bytes.
  std::mt19937 rng(5);
  for (const Answered& x : answered) {
    if (x.status == 201) {
      const std::string id = json::parse(x.body)["booking_id"];
      auto got = owner.client().Get("/v1/bookings/" + id);
      ASSERT_TRUE(got.ok());
      ASSERT_EQ(got->status, 200) << "a 201 was lost: " << x.body;
      const std::string state = got->Json().value()["status"];
      EXPECT_TRUE(state == "COMMITTED" || state == "EVICTED" || state == "CANCELLED") << got->body;
    }
    if (rng() % 8 == 0) {
      auto again = ClientOf(urls[rng() % 3], agents[x.agent].key).Post("/v1/bookings", x.request);
      ASSERT_TRUE(again.ok());
      EXPECT_EQ(again->status, x.status) << x.key;
      EXPECT_EQ(again->body, x.body) << x.key;
    }
  }
}

// DynamoDB's transient failures, injected between one daemon and DynamoDB Local: conflicts and
// throttling are retried to the right answer; a dropped response to the transaction is retried
// with its ClientRequestToken and applied once.
TEST_F(MultiDaemonTest, ConflictsThrottlingAndDroppedResponsesThroughTheFaultProxy) {
  FaultProxy proxy(DynamoDbLocal::Shared().endpoint());
  ASSERT_TRUE(proxy.Start().ok());
  DaemonProcess& d = AddDaemon({"--tie-window", "0ms"}, proxy.endpoint());
  DevOwner owner(d.base_url());
  TestAgent a = owner.AddAgent("a", 1);
  ApiClient client = ClientOf(d.base_url(), a.key);

  proxy.Inject(FaultProxy::Fault::kTransactionConflict, "TransactWriteItems", 3);
  auto r1 = client.Post("/v1/bookings", Claim(0, 30, "k1"));
  ASSERT_TRUE(r1.ok());
  EXPECT_EQ(r1->status, 201) << r1->body;

  proxy.Inject(FaultProxy::Fault::kThrottle, "TransactWriteItems", 2);
  proxy.Inject(FaultProxy::Fault::kServerError, "TransactWriteItems", 1);
  auto r2 = client.Post("/v1/bookings", Claim(60, 90, "k2"));
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->status, 201) << r2->body;

  const int64_t forwarded_before = proxy.forwarded();
  proxy.Inject(FaultProxy::Fault::kDropResponse, "TransactWriteItems", 1);
  auto r3 = client.Post("/v1/bookings", Claim(120, 150, "k3"));
  ASSERT_TRUE(r3.ok());
  EXPECT_EQ(r3->status, 201) << r3->body;
  EXPECT_GE(proxy.forwarded() - forwarded_before, 2);  // sent twice, applied once
  EXPECT_EQ(proxy.pending_faults(), 0);

  // The agent retries each request with its key: the same bookings, and only three exist.
  for (auto [req, first] : {std::pair{Claim(0, 30, "k1"), &*r1}, std::pair{Claim(60, 90, "k2"), &*r2},
                            std::pair{Claim(120, 150, "k3"), &*r3}}) {
    auto again = client.Post("/v1/bookings", req);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->body, first->body);
  }
  EXPECT_EQ(CommittedBookings(owner).size(), 3u);
}

// What one daemon made moments ago is acted on at another at once, before its periodic
// refresh could have seen it: an agent made at A speaks through B's socket, and a booking or
// hold made at A is cancelled or released at B (each once changed nothing and answered 200
// with the claim still COMMITTED or HELD). Twenty times each, so a stale view cannot hide.
TEST_F(MultiDaemonTest, WhatADaemonMadeMomentsAgoIsActedOnAtAnotherAtOnce) {
  DaemonProcess& a = AddDaemon({"--tie-window", "0ms"});
  DaemonProcess& b = AddDaemon({"--tie-window", "0ms"});
  // The socket's owner (B's socket speaks for it too), made through A's socket.
  std::unique_ptr<DevOwner> socket_owner = DevOwner::OverSocket(a.socket_path(), a.base_url());
  DevOwner& owner = *socket_owner;
  ApiClientOptions so;
  so.base_url = "http://agentdraftd";
  so.unix_socket_path = b.socket_path();
  for (int i = 0; i < 20; ++i) {
    TestAgent agent = owner.AddAgent("quick-" + std::to_string(i), i + 1);
    ApiClientOptions as = so;
    as.headers = {"X-Agentdraft-As: " + agent.id};
    auto me = ApiClient(as).Get("/v1/agents/me");
    ASSERT_TRUE(me.ok());
    EXPECT_EQ(me->status, 200) << "round " << i << ": an agent made at A, through B's socket: " << me->body;

    ApiClient at_a = ClientOf(a.base_url(), agent.key), at_b = ClientOf(b.base_url(), agent.key);
    // Made at A (POST `kind`), ended at B at once (DELETE): answers `ended`.
    auto made_at_a_ended_at_b = [&](const std::string& kind, const char* id_field, int from, const char* ended) {
      auto made = at_a.Post("/v1/" + kind, Claim(from, from + 30));
      ASSERT_TRUE(made.ok());
      ASSERT_EQ(made->status, 201) << made->body;
      const std::string id = made->Json().value()[id_field];
      auto gone = at_b.Delete("/v1/" + kind + "/" + id);
      ASSERT_TRUE(gone.ok());
      EXPECT_EQ(gone->status, 200) << gone->body;
      EXPECT_EQ(gone->Json().value().value("status", ""), ended) << "round " << i << ": " << gone->body;
    };
    made_at_a_ended_at_b("bookings", "booking_id", i * 60, "CANCELLED");
    made_at_a_ended_at_b("holds", "hold_id", i * 60 + 30, "RELEASED");
  }
  EXPECT_TRUE(CommittedBookings(owner).empty());
}

// Both daemons sign the one chain with their own keys: each daemon's checkpoint names its own
// key, and its export covers every row, the other daemon's too, and verifies with that key.
TEST_F(MultiDaemonTest, EachDaemonsExportCoversTheWholeChainUnderItsOwnKey) {
  DaemonProcess& a = AddDaemon({"--tie-window", "0ms"});
  DaemonProcess& b = AddDaemon({"--tie-window", "0ms"});
  DevOwner owner(a.base_url());
  TestAgent agent = owner.AddAgent("signer", 1);
  for (int i = 0; i < 6; ++i) {
    auto r = ClientOf((i % 2 ? b : a).base_url(), agent.key).Post("/v1/bookings", Claim(i * 30, i * 30 + 30));
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->status, 201) << r->body;
  }
  std::set<std::string> keys;
  std::vector<int64_t> rows;
  for (DaemonProcess* d : {&a, &b, &a}) {  // a again: after b has signed a checkpoint too
    ApiClientOptions o;
    o.base_url = "http://agentdraftd";
    o.unix_socket_path = d->socket_path();
    ApiClient socket(o);
    auto checkpoint = socket.Get("/v1/audit/checkpoint");
    auto exported = socket.Get("/v1/audit/export");
    ASSERT_TRUE(checkpoint.ok() && exported.ok());
    ASSERT_EQ(checkpoint->status, 200) << checkpoint->body;
    ASSERT_EQ(exported->status, 200) << exported->body;
    const std::string key = checkpoint->Json().value()["key"];
    keys.insert(key);
    std::istringstream in(exported->body);
    AuditVerification v = VerifyAuditExport(in, key);
    EXPECT_TRUE(v.problems.empty()) << AuditProblemLine(v.problems.front());
    rows.push_back(v.chain_rows());
  }
  EXPECT_EQ(keys.size(), 2u) << "each daemon answers with its own key";
  EXPECT_EQ(rows[0], rows[1]);
  EXPECT_EQ(rows[1], rows[2]);
  EXPECT_GE(rows[0], 6);  // six commits at least
}

}  // namespace
}  // namespace agentdraft::testing
