// The engine when its store cannot write: the request is answered 503 `unavailable`, nothing
// of the decision is acknowledged or kept, and once the store writes again so does the engine.
// The store is SQLite in memory decorated by FaultyStore (tests/support/faulty_store.h).
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <memory>

#include <nlohmann/json.hpp>

#include "daemon/engine/engine.h"
#include "daemon/store/sqlite_store.h"
#include "tests/support/fake_clock.h"
#include "tests/support/faulty_store.h"

namespace agentdraft::testing {
namespace {

using namespace std::chrono_literals;

class EngineStoreFailureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::SqliteStoreOptions so;
    so.path = ":memory:";
    auto opened = store::SqliteStore::Open(so);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    sqlite_ = std::move(*opened);
    StoreFaults faults;
    faults.fail_apply = [this](const store::Decision&) {
      return failing_ ? Status::Unavailable("disk I/O error (injected)") : Status::Ok();
    };
    store_ = std::make_unique<FaultyStore>(*sqlite_, faults);
    engine::EngineOptions eo;
    eo.run_timer_thread = false;
    eo.key_secret = "engine-store-failure-secret";
    eo.dev_mode = true;
    engine_ = std::make_unique<engine::Engine>(*store_, clock_, eo);
    ASSERT_TRUE(engine_->Start().ok());
    auto grant = engine_->directory().RedeemMagicToken(engine_->directory().IssueMagicToken("owner@example.com"));
    ASSERT_TRUE(grant.ok()) << grant.status().ToString();
    owner_id_ = grant->owner.id;
    auto created = engine_->directory().CreateAgent(owner_id_, "top", 1, {});
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    auto p = engine_->directory().AuthenticateKey(created->plaintext_key);
    ASSERT_TRUE(p.ok());
    agent_ = *p;
  }
  void TearDown() override {
    failing_ = false;
    engine_->Stop();
    engine_.reset();
    store_.reset();
    sqlite_.reset();
  }

  engine::Outcome Commit(const std::string& key) {
    engine::ClaimRequest r;
    r.start = FromMicros(1780390800LL * 1000000);  // 2026-06-02T09:00:00Z
    r.end = r.start + 30min;
    r.idempotency_key = key;
    std::promise<engine::Outcome> answered;
    engine_->Commit(agent_, r, [&](engine::Outcome o) { answered.set_value(std::move(o)); });
    auto f = answered.get_future();
    // A request the store refused on a stale view runs again from RunDue (no timer thread).
    for (int i = 0; i < 1000 && f.wait_for(10ms) != std::future_status::ready; ++i) engine_->RunDue();
    EXPECT_EQ(f.wait_for(0s), std::future_status::ready) << "no answer";
    return f.get();
  }

  std::vector<store::ClaimRecord> StoredClaims() {
    store::ClaimQuery q;
    q.owner_id = owner_id_;
    auto claims = sqlite_->ListClaims(q);
    EXPECT_TRUE(claims.ok()) << claims.status().ToString();
    return claims.ok() ? *claims : std::vector<store::ClaimRecord>{};
  }

  FakeClock clock_;
  std::atomic<bool> failing_{false};
  std::unique_ptr<store::SqliteStore> sqlite_;
  std::unique_ptr<FaultyStore> store_;
  std::unique_ptr<engine::Engine> engine_;
  std::string owner_id_;
  engine::Principal agent_;
};

TEST_F(EngineStoreFailureTest, AFailedApplyIsAnswered503AndNothingIsAcknowledged) {
  auto head_before = sqlite_->AuditHeadSeq();
  ASSERT_TRUE(head_before.ok());
  failing_ = true;
  const engine::Outcome o = Commit("k-1");
  EXPECT_EQ(o.status, 503) << o.body;
  const auto body = nlohmann::json::parse(o.body);
  EXPECT_EQ(body.value("error", ""), "unavailable") << o.body;
  EXPECT_FALSE(body.contains("booking_id")) << o.body;
  // Nothing of the decision reached the store.
  EXPECT_TRUE(StoredClaims().empty());
  EXPECT_EQ(*sqlite_->AuditHeadSeq(), *head_before);
  auto idem = sqlite_->GetIdempotency(agent_.agent_id, "k-1");
  ASSERT_TRUE(idem.ok());
  EXPECT_FALSE(idem->has_value());
}

TEST_F(EngineStoreFailureTest, OnceTheStoreWritesAgainTheSameSlotCanBeBooked) {
  failing_ = true;
  EXPECT_EQ(Commit("k-1").status, 503);
  failing_ = false;
  const engine::Outcome o = Commit("k-2");
  EXPECT_EQ(o.status, 201) << o.body;  // the failed decision left nothing behind in memory
  ASSERT_EQ(StoredClaims().size(), 1u);
}

}  // namespace
}  // namespace agentdraft::testing
