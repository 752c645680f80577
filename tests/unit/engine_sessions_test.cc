// Owner sessions in the engine: expiry checked on every use, sign-out, sign out everywhere,
// dev sessions without dev mode, and the local owner out of the magic link's reach. SQLite in
// memory, FakeClock; nothing sleeps.
#include "tests/unit/engine_test_support.h"

namespace agentdraft::testing {
namespace {

class EngineSessionsTest : public EngineTest {
 protected:
  std::string SignIn(const std::string& email = "owner@example.com") {
    auto grant = engine_->directory().RedeemMagicToken(engine_->directory().IssueMagicToken(email));
    EXPECT_TRUE(grant.ok()) << grant.status().ToString();
    return grant.ok() ? grant->cookie_value : "";
  }
  StatusCode Use(const std::string& cookie) {
    return engine_->directory().AuthenticateSession(cookie).status().code();
  }
};

TEST_F(EngineSessionsTest, ASessionInUseStillExpiresAfterThirtyDays) {
  const std::string cookie = SignIn();
  ASSERT_EQ(Use(cookie), StatusCode::kOk);  // remembered from here on
  clock_.Advance(24h * 30 - 1s);
  EXPECT_EQ(Use(cookie), StatusCode::kOk);
  clock_.Advance(1s);
  EXPECT_EQ(Use(cookie), StatusCode::kUnauthorized);
}

TEST_F(EngineSessionsTest, AnEndedSessionIsRefusedAndOthersGoOn) {
  const std::string mine = SignIn(), other = SignIn();
  ASSERT_EQ(Use(mine), StatusCode::kOk);
  ASSERT_TRUE(engine_->directory().EndSession(mine).ok());
  EXPECT_EQ(Use(mine), StatusCode::kUnauthorized);
  EXPECT_EQ(Use(other), StatusCode::kOk);
  EXPECT_TRUE(engine_->directory().EndSession(mine).ok());  // again: harmless
}

TEST_F(EngineSessionsTest, RevokingEndsEveryCurrentSessionOfThatOwnerOnly) {
  const std::string a = SignIn(), b = SignIn(), elsewhere = SignIn("other@example.com");
  ASSERT_EQ(Use(a), StatusCode::kOk);
  auto revoked = engine_->directory().RevokeSessions(owner_id_);
  ASSERT_TRUE(revoked.ok()) << revoked.status().ToString();
  EXPECT_EQ(*revoked, 1);
  EXPECT_EQ(Use(a), StatusCode::kUnauthorized);
  EXPECT_EQ(Use(b), StatusCode::kUnauthorized);
  EXPECT_EQ(Use(elsewhere), StatusCode::kOk);
  EXPECT_EQ(Use(SignIn()), StatusCode::kOk);  // signing in again, at the same instant, works
  store::AuditQuery q;
  q.owner_id = owner_id_;
  q.kind = "sessions.revoked";
  EXPECT_EQ(store_->ListAudit(q)->size(), 1u);
  EXPECT_EQ(engine_->directory().RevokeSessions("usr_nosuch").status().code(), StatusCode::kNotFound);
  // Everyone's ("" = every owner, the socket's "sign everyone out").
  EXPECT_EQ(*engine_->directory().RevokeSessions(""), 2);
  EXPECT_EQ(Use(elsewhere), StatusCode::kUnauthorized);
}

TEST_F(EngineSessionsTest, ADevSessionIsRefusedByAnEngineWithoutDevMode) {
  const std::string cookie = SignIn();
  engine_->Stop();
  engine::EngineOptions eo = options_;
  eo.dev_mode = false;
  engine_ = std::make_unique<engine::Engine>(*store_, clock_, eo);
  ASSERT_TRUE(engine_->Start().ok());
  EXPECT_EQ(Use(cookie), StatusCode::kUnauthorized);
}

TEST_F(EngineSessionsTest, TheMagicLinkNeverSignsInToTheLocalOwner) {
  // The fixture's owner signed in by the magic link: it is not the socket's.
  auto local = engine_->directory().LocalOwner();
  ASSERT_TRUE(local.ok());
  EXPECT_NE(*local, owner_id_);
  for (const char* email : {"owner@localhost", "owner@example.com"}) {
    SCOPED_TRACE(email);
    EXPECT_EQ(engine_->directory().CheckMagicLinkEmail(email).code(),
              std::string(email) == "owner@localhost" ? StatusCode::kForbidden : StatusCode::kOk);
  }
  auto grant = engine_->directory().RedeemMagicToken(engine_->directory().IssueMagicToken(engine::kLocalOwnerEmail));
  EXPECT_EQ(grant.status().code(), StatusCode::kForbidden);
  EXPECT_EQ(*engine_->directory().LocalOwner(), *local);
}

TEST_F(EngineSessionsTest, AMagicLinkMadeFirstDoesNotMakeTheLocalOwner) {
  // A fresh engine: a web page signs in before the machine's owner ever used the socket.
  engine_->Stop();
  store_.reset();
  store::SqliteStoreOptions so;
  so.path = ":memory:";
  store_ = std::move(store::SqliteStore::Open(so).value());
  engine_ = std::make_unique<engine::Engine>(*store_, clock_, options_);
  ASSERT_TRUE(engine_->Start().ok());
  auto page = engine_->directory().RedeemMagicToken(engine_->directory().IssueMagicToken("page@example.com"));
  ASSERT_TRUE(page.ok());
  clock_.Advance(1s);
  auto local = engine_->directory().LocalOwner();
  ASSERT_TRUE(local.ok());
  EXPECT_NE(*local, page->owner.id);
  auto session = engine_->directory().AuthenticateSession(page->cookie_value);
  ASSERT_TRUE(session.ok());
  EXPECT_EQ(session->owner_id, page->owner.id);
}

}  // namespace
}  // namespace agentdraft::testing
