// EngineTest: an Engine on SQLite in memory with a FakeClock and no timer thread, plus
// helpers to create agents and send claims. Tie windows are settled by moving the clock and
// calling RunDue(); nothing sleeps.
#pragma once

#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "daemon/engine/audit_chain.h"
#include "daemon/engine/buckets.h"
#include "daemon/engine/rules.h"
#include "daemon/engine/engine.h"
#include "daemon/store/sqlite_store.h"
#include "tests/support/fake_clock.h"

namespace agentdraft::testing {

using namespace std::chrono_literals;

// 2026-06-02T09:00:00Z, the start of the slots tests claim.
inline Time SlotBase() { return FromMicros(1780390800LL * 1000000); }

struct Reply {
  int status = 0;
  nlohmann::json body;
  std::string raw;
  std::string error() const { return body.value("error", ""); }
  std::string reason() const { return body.value("reason", ""); }
};

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::SqliteStoreOptions so;
    so.path = ":memory:";
    auto opened = store::SqliteStore::Open(so);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened.value());
    engine::EngineOptions eo;
    eo.run_timer_thread = false;
    eo.key_secret = "engine-test-secret";
    eo.dev_mode = true;  // the owner signs in by the dev magic link
    options_ = eo;
    engine_ = std::make_unique<engine::Engine>(*store_, clock_, eo);
    ASSERT_TRUE(engine_->Start().ok());
    auto grant = engine_->directory().RedeemMagicToken(engine_->directory().IssueMagicToken("owner@example.com"));
    ASSERT_TRUE(grant.ok()) << grant.status().ToString();
    owner_id_ = grant->owner.id;
  }
  void TearDown() override {
    engine_->Stop();
    engine_.reset();
    store_.reset();
  }

  engine::Principal AddAgent(const std::string& name, int priority) {
    auto created = engine_->directory().CreateAgent(owner_id_, name, priority, {});
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    auto p = engine_->directory().AuthenticateKey(created->plaintext_key);
    EXPECT_TRUE(p.ok());
    return p.value();
  }

  engine::Principal Owner() {
    return engine::Principal::Owner(owner_id_);
  }

  // A claim of [base + from, base + to) in minutes.
  static engine::ClaimRequest Slot(int from_min, int to_min, std::string key = "") {
    engine::ClaimRequest r;
    r.start = SlotBase() + std::chrono::minutes(from_min);
    r.end = SlotBase() + std::chrono::minutes(to_min);
    r.idempotency_key = std::move(key);
    return r;
  }

  static std::shared_future<Reply> Capture(const std::function<void(engine::Done)>& call) {
    auto promise = std::make_shared<std::promise<Reply>>();
    std::shared_future<Reply> f = promise->get_future().share();
    call([promise](engine::Outcome o) {
      Reply r;
      r.status = o.status;
      r.raw = o.body;
      r.body = nlohmann::json::parse(o.body);
      promise->set_value(std::move(r));
    });
    return f;
  }

  std::shared_future<Reply> CommitAsync(const engine::Principal& p, engine::ClaimRequest r) {
    return Capture([&](engine::Done d) { engine_->Commit(p, std::move(r), std::move(d)); });
  }
  // Commits and settles the tie window (moves the clock past it) if the answer needs it.
  Reply Commit(const engine::Principal& p, engine::ClaimRequest r) {
    auto f = CommitAsync(p, std::move(r));
    if (!Ready(f)) SettleTieWindow();
    return f.get();
  }
  Reply Hold(const engine::Principal& p, engine::ClaimRequest r) {
    return Capture([&](engine::Done d) { engine_->Hold(p, std::move(r), std::move(d)); }).get();
  }
  Reply Release(const engine::Principal& p, const std::string& id) {
    return Capture([&](engine::Done d) { engine_->Release(p, id, std::move(d)); }).get();
  }
  Reply Cancel(const engine::Principal& p, const std::string& id) {
    return Capture([&](engine::Done d) { engine_->Cancel(p, id, std::move(d)); }).get();
  }

  // True when the answer has been given. An answer that needs no tie window is sent once the
  // store has made it durable, so wait for the store first: this never waits on time.
  bool Ready(const std::shared_future<Reply>& f) {
    store_->Flush();
    return f.wait_for(0s) == std::future_status::ready;
  }
  void SettleTieWindow() {
    clock_.Advance(options_.tie_window);
    engine_->RunDue();
  }

  FakeClock clock_;
  engine::EngineOptions options_;
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<engine::Engine> engine_;
  std::string owner_id_;
};

}  // namespace agentdraft::testing
