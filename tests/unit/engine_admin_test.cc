// The owner's administration in the engine: rank order, priorities, keys, settings, the local
// owner and acting as an agent. SQLite in memory, FakeClock; nothing sleeps.
#include "tests/unit/engine_test_support.h"

namespace agentdraft::testing {
namespace {

class EngineAdminTest : public EngineTest {
 protected:
  std::vector<store::AuditRecord> Rows(const std::string& kind) {
    store::AuditQuery q;
    q.owner_id = owner_id_;
    q.kind = kind;
    q.limit = 1000;
    auto rows = store_->ListAudit(q);
    EXPECT_TRUE(rows.ok());
    return rows.ok() ? *rows : std::vector<store::AuditRecord>{};
  }
};

TEST_F(EngineAdminTest, TheWholeRankOrderDecidesTheNextRace) {
  auto a = AddAgent("a", 1);
  auto b = AddAgent("b", 2);
  auto c = AddAgent("c", 3);
  auto ranked = engine_->directory().SetRankOrder(owner_id_, {"c", "a", b.agent_id});
  ASSERT_TRUE(ranked.ok()) << ranked.status().ToString();
  ASSERT_EQ(ranked->size(), 3u);
  EXPECT_EQ((*ranked)[0].record.name, "c");
  EXPECT_EQ((*ranked)[0].record.priority, 1);
  EXPECT_EQ((*ranked)[2].record.name, "b");
  EXPECT_EQ((*ranked)[2].rank, 3);

  // a and c race for one slot: c now wins, whatever the arrival order.
  auto fa = CommitAsync(a, Slot(0, 30));
  auto fc = CommitAsync(c, Slot(0, 30));
  SettleTieWindow();
  EXPECT_EQ(fc.get().status, 201);
  EXPECT_EQ(fa.get().status, 409);
  EXPECT_EQ(fa.get().body["winning_agent_id"], c.agent_id);

  ASSERT_EQ(Rows("agent.ranked").size(), 1u);
  EXPECT_NE(Rows("agent.ranked")[0].payload_json.find("\"c\""), std::string::npos);
}

TEST_F(EngineAdminTest, ARankOrderMustNameEveryActiveAgentOnceAndChangesNothingOtherwise) {
  AddAgent("a", 1);
  AddAgent("b", 2);
  EXPECT_EQ(engine_->directory().SetRankOrder(owner_id_, {"b"}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_->directory().SetRankOrder(owner_id_, {"b", "a", "b"}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_->directory().SetRankOrder(owner_id_, {"b", "a", "ghost"}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_->directory().ListAgents(owner_id_)[0].record.name, "a");
  EXPECT_TRUE(Rows("agent.ranked").empty());
  // A revoked agent is left out of the order and follows the others.
  ASSERT_TRUE(engine_->directory().RevokeKey(owner_id_, "a").ok());
  auto ranked = engine_->directory().SetRankOrder(owner_id_, {"b"});
  ASSERT_TRUE(ranked.ok()) << ranked.status().ToString();
  EXPECT_EQ((*ranked)[0].record.name, "b");
  EXPECT_EQ((*ranked)[1].record.name, "a");
}

TEST_F(EngineAdminTest, RevokingAndRotatingAKeyTakeEffectOnTheNextRequest) {
  auto created = engine_->directory().CreateAgent(owner_id_, "bot", 1, {});
  ASSERT_TRUE(created.ok());
  const std::string old_key = created->plaintext_key;
  auto rotated = engine_->directory().RotateKey(owner_id_, "bot");
  ASSERT_TRUE(rotated.ok());
  EXPECT_EQ(engine_->directory().AuthenticateKey(old_key).status().code(), StatusCode::kUnauthorized);
  EXPECT_TRUE(engine_->directory().AuthenticateKey(rotated->plaintext_key).ok());

  auto revoked = engine_->directory().RevokeKey(owner_id_, "bot");
  ASSERT_TRUE(revoked.ok());
  EXPECT_TRUE(revoked->record.revoked_at.has_value());
  EXPECT_EQ(engine_->directory().AuthenticateKey(rotated->plaintext_key).status().code(), StatusCode::kUnauthorized);
  EXPECT_TRUE(engine_->directory().RevokeKey(owner_id_, "bot").ok());  // harmless twice
  EXPECT_EQ(Rows("agent.key_revoked").size(), 1u);

  // Rotating gives a revoked agent a working key again.
  auto again = engine_->directory().RotateKey(owner_id_, "bot");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(engine_->directory().AuthenticateKey(again->plaintext_key).ok());
  EXPECT_FALSE(engine_->directory().FindAgent(owner_id_, "bot")->record.revoked_at.has_value());
  EXPECT_EQ(Rows("agent.key_rotated").size(), 2u);
}

TEST_F(EngineAdminTest, ChangesSurviveARestartOnTheSameStore) {
  AddAgent("a", 1);
  AddAgent("b", 2);
  ASSERT_TRUE(engine_->directory().SetRankOrder(owner_id_, {"b", "a"}).ok());
  ASSERT_TRUE(engine_->directory().RevokeKey(owner_id_, "a").ok());
  engine::SettingsUpdate u;
  u.tie_window = 70ms;
  u.timezone = "America/New_York";
  ASSERT_TRUE(engine_->directory().UpdateSettings(owner_id_, u).ok());

  engine_->Stop();
  engine_ = std::make_unique<engine::Engine>(*store_, clock_, options_);
  ASSERT_TRUE(engine_->Start().ok());
  auto agents = engine_->directory().ListAgents(owner_id_);
  ASSERT_EQ(agents.size(), 2u);
  EXPECT_EQ(agents[0].record.name, "b");
  EXPECT_TRUE(agents[1].record.revoked_at.has_value());
  auto s = engine_->directory().GetSettings(owner_id_);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->tie_window, 70ms);
  EXPECT_EQ(s->timezone, "America/New_York");
}

TEST_F(EngineAdminTest, SettingsApplyToTheNextDecisionAndAreValidated) {
  auto top = AddAgent("top", 1);
  auto low = AddAgent("low", 2);
  engine::SettingsUpdate wide;
  wide.tie_window = 500ms;
  ASSERT_TRUE(engine_->directory().UpdateSettings(owner_id_, wide).ok());
  // The low-ranked agent now waits 500 ms of the fake clock, not the default 20 ms.
  auto f = CommitAsync(low, Slot(0, 30));
  clock_.Advance(options_.tie_window);
  engine_->RunDue();
  EXPECT_FALSE(Ready(f));
  clock_.Advance(500ms);
  engine_->RunDue();
  ASSERT_TRUE(Ready(f));
  EXPECT_EQ(f.get().status, 201);

  for (auto bad : {[] { engine::SettingsUpdate u; u.tie_window = 6s; return u; }(),
                   [] { engine::SettingsUpdate u; u.hold_ttl = 0s; return u; }(),
                   [] { engine::SettingsUpdate u; u.max_holds_per_agent = 0; return u; }(),
                   [] { engine::SettingsUpdate u; u.timezone = "Nowhere/Atlantis"; return u; }(),
                   [] { engine::SettingsUpdate u; u.reset = {"speed"}; return u; }()}) {
    EXPECT_EQ(engine_->directory().UpdateSettings(owner_id_, bad).status().code(), StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(engine_->directory().GetSettings(owner_id_)->tie_window, 500ms);
  engine::SettingsUpdate reset;
  reset.reset = {"tie_window_ms"};
  EXPECT_EQ(engine_->directory().UpdateSettings(owner_id_, reset)->tie_window, options_.tie_window);
  EXPECT_EQ(Rows("settings.updated").size(), 2u);
  (void)top;
}

TEST_F(EngineAdminTest, TheLocalOwnerIsTheOldestNotSignedInByTheMagicLinkAndIsCreatedOnce) {
  auto local = engine_->directory().LocalOwner();
  ASSERT_TRUE(local.ok());
  EXPECT_NE(*local, owner_id_);  // the fixture's owner signed in by the magic link
  clock_.Advance(1s);
  ASSERT_TRUE(engine_->directory().RedeemMagicToken(engine_->directory().IssueMagicToken("second@example.com")).ok());
  EXPECT_EQ(*engine_->directory().LocalOwner(), *local);
}

TEST_F(EngineAdminTest, TheOwnerActingAsAnAgentIsThatAgentAndTheAuditSaysWho) {
  auto bot = AddAgent("bot", 1);
  auto as = engine_->directory().ActAs(Owner(), "bot");
  ASSERT_TRUE(as.ok());
  EXPECT_FALSE(as->is_owner());
  EXPECT_EQ(as->agent_id, bot.agent_id);
  EXPECT_EQ(as->acted_by, owner_id_);
  Reply r = Commit(*as, Slot(0, 30));
  ASSERT_EQ(r.status, 201);
  auto rows = Rows("booking.committed");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].actor, bot.agent_id);
  EXPECT_EQ(nlohmann::json::parse(rows[0].payload_json)["acted_by"], owner_id_);
  // The agent itself leaves no acted_by.
  ASSERT_EQ(Commit(bot, Slot(60, 90)).status, 201);
  EXPECT_FALSE(nlohmann::json::parse(Rows("booking.committed")[1].payload_json).contains("acted_by"));
  EXPECT_EQ(engine_->directory().ActAs(Owner(), "ghost").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace agentdraft::testing
