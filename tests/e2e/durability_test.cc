// SIGKILL while clients commit; restart on the same directory: nothing acknowledged is lost,
// nothing refused appears, and retries of cut-off requests never make a second booking.
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "tests/e2e/e2e_support.h"

namespace agentdraft::testing {
namespace {

constexpr int kPairs = 6;
constexpr int kAcksBeforeKill = 300;

struct Attempt {
  int agent = 0;  // index into agents
  nlohmann::json body;
  int status = 0;  // 0 = cut off (no answer)
  std::string booking_id;
};

TEST_F(E2eTest, AcknowledgedCommitsSurviveSigkillAndRefusedOnesNeverAppear) {
  // Twelve clients commit back to back until the kill, a flood by design: the per-agent rate
  // limit (on by default) is off, so that durability is what is tested.
  ASSERT_EQ(daemon_->Stop(), 0) << daemon_->Log();
  StartDaemon({"--dev", "--rate-limit", "0"});
  // Each pair: a higher-ranked agent commits a slot, then a lower-ranked one tries the same
  // slot and is refused (it cannot evict a higher rank).
  std::vector<TestAgent> agents;
  for (int p = 0; p < kPairs; ++p) {
    agents.push_back(owner_->AddAgent("hi-" + std::to_string(p), 2 * p + 1));
    agents.push_back(owner_->AddAgent("lo-" + std::to_string(p), 2 * p + 2));
  }
  std::mutex mu;
  std::condition_variable cv;
  int acks = 0;
  std::vector<std::vector<Attempt>> log(kPairs);
  std::vector<std::thread> threads;
  for (int p = 0; p < kPairs; ++p) {
    threads.emplace_back([&, p] {
      ApiClient hi = Client(agents[2 * p].key), lo = Client(agents[2 * p + 1].key);
      for (int i = 0;; ++i) {
        const int64_t slot = (p * 100000 + i) * 30;
        for (int who : {2 * p, 2 * p + 1}) {
          Attempt a{who, Claim(slot, slot + 30, agents[who].name + "-" + std::to_string(i)), 0, ""};
          auto r = (who == 2 * p ? hi : lo).Post("/v1/bookings", a.body);
          if (r.ok()) {
            a.status = r->status;
            a.booking_id = r->Json().value().value("booking_id", "");
          }
          log[p].push_back(a);
          if (!r.ok()) return;  // the daemon is gone: stop this client
          if (a.status == 201) {
            std::lock_guard<std::mutex> lock(mu);
            if (++acks == kAcksBeforeKill) cv.notify_all();
          }
        }
      }
    });
  }
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return acks >= kAcksBeforeKill; });
  }
  daemon_->Kill();  // while the clients are still committing
  for (auto& t : threads) t.join();
  Restart();

  ApiClient& owner = owner_->client();
  int acked = 0, refused = 0, cut_off = 0;
  for (const auto& attempts : log) {
    for (const Attempt& a : attempts) {
      const std::string range = "?range_start=" + UrlEncode(a.body["start"].get<std::string>()) +
                                "&range_end=" + UrlEncode(a.body["end"].get<std::string>());
      if (a.status == 201) {
        ++acked;
        auto r = owner.Get("/v1/bookings/" + a.booking_id);
        ASSERT_TRUE(r.ok());
        ASSERT_EQ(r->status, 200) << "acknowledged booking lost: " << a.booking_id;
        auto b = r->Json().value();
        EXPECT_EQ(b["status"], "COMMITTED");
        EXPECT_EQ(b["start"], a.body["start"]);
        EXPECT_EQ(b["end"], a.body["end"]);
      } else if (a.status == 409) {
        ++refused;
        auto list = owner.Get("/v1/bookings" + range)->Json().value()["bookings"];
        for (const auto& b : list) EXPECT_NE(b["agent_id"], agents[a.agent].id) << "refused booking appeared";
      } else {
        ASSERT_EQ(a.status, 0) << "unexpected status " << a.status;
        ++cut_off;
        // Retrying with the same key answers the original decision, or makes it now.
        ApiClient retry = Client(agents[a.agent].key);
        auto r = retry.Post("/v1/bookings", a.body);
        ASSERT_TRUE(r.ok());
        EXPECT_TRUE(r->status == 201 || r->status == 409) << r->body;
        auto again = retry.Post("/v1/bookings", a.body);
        EXPECT_EQ(again->body, r->body) << "a replay must be byte-identical";
        auto list = owner.Get("/v1/bookings" + range)->Json().value()["bookings"];
        EXPECT_LE(list.size(), 1u) << "two bookings in one slot";
      }
    }
  }
  EXPECT_GE(acked, kAcksBeforeKill);
  EXPECT_GT(refused, 0);
  RecordProperty("acked", acked);
  RecordProperty("cut_off", cut_off);
  EXPECT_EQ(daemon_->Stop(), 0) << daemon_->Log();
}

}  // namespace
}  // namespace agentdraft::testing
