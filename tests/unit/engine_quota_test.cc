// Per-agent quotas (active claims, metadata bytes): the engine on a FakeClock and SQLite in
// memory.
#include "common/error_codes.h"
#include "tests/unit/engine_test_support.h"

namespace agentdraft::testing {
namespace {

class EngineQuotaTest : public EngineTest {
 protected:
  int64_t AuditRows() { return engine_->directory().Counts(owner_id_)->audit_rows; }
  void Set(std::optional<int64_t> claims, std::optional<int64_t> bytes) {
    engine::SettingsUpdate u;
    u.max_active_claims_per_agent = claims;
    u.max_metadata_bytes_per_agent = bytes;
    ASSERT_TRUE(engine_->directory().UpdateSettings(owner_id_, u).ok());
  }
  // A claim whose metadata is {"blob": "xxx…"}: `blob` + 11 bytes of JSON.
  static engine::ClaimRequest WithMetadata(engine::ClaimRequest r, size_t blob) {
    r.metadata = {{"blob", std::string(blob, 'x')}};
    return r;
  }
  // "error quota limit used" of a refusal.
  static std::string Refusal(const Reply& r) {
    return std::to_string(r.status) + " " + r.error() + " " + r.body.value("quota", "") + " " +
           std::to_string(r.body.value("limit", int64_t{-1})) + " " + std::to_string(r.body.value("used", int64_t{-1}));
  }
};

TEST_F(EngineQuotaTest, DefaultCapsActiveClaimsPerAgentAndWritesNothing) {
  auto a = AddAgent("a", 1);
  const int64_t cap = options_.max_active_claims_per_agent;
  ASSERT_EQ(cap, 1000);
  std::string first_id;
  for (int64_t i = 0; i < cap; ++i) {
    Reply r = Commit(a, Slot(i * 30, i * 30 + 30));
    ASSERT_EQ(r.status, 201) << i;
    if (i == 0) first_id = r.body["booking_id"];
  }
  const int64_t rows = AuditRows();
  Reply over = Commit(a, Slot(cap * 30, cap * 30 + 30));
  EXPECT_EQ(Refusal(over), "422 quota_exceeded max_active_claims_per_agent 1000 1000") << over.raw;
  EXPECT_NE(over.body.value("message", "").find("limit is 1000"), std::string::npos) << over.raw;
  EXPECT_EQ(Hold(a, Slot(cap * 30, cap * 30 + 30)).error(), "quota_exceeded");
  EXPECT_EQ(AuditRows(), rows);  // a quota refusal writes no audit row
  // Another agent has its own quota; a cancelled booking frees one.
  EXPECT_EQ(Commit(AddAgent("b", 2), Slot(-60, -30)).status, 201);
  ASSERT_EQ(Cancel(a, first_id).status, 200);
  EXPECT_EQ(Commit(a, Slot(cap * 30, cap * 30 + 30)).status, 201);
}

TEST_F(EngineQuotaTest, OwnerSetCapCountsHoldsButLetsAHoldConvert) {
  auto a = AddAgent("a", 1);
  Set(2, std::nullopt);
  ASSERT_EQ(Commit(a, Slot(0, 30)).status, 201);
  Reply hold = Hold(a, Slot(60, 90));
  ASSERT_EQ(hold.status, 201);
  EXPECT_EQ(Refusal(Commit(a, Slot(120, 150))), "422 quota_exceeded max_active_claims_per_agent 2 2");
  EXPECT_EQ(Refusal(Hold(a, Slot(120, 150))), "422 quota_exceeded max_active_claims_per_agent 2 2");
  Reply converted = Commit(a, Slot(60, 90));  // converts the hold: still two claims
  EXPECT_EQ(converted.status, 201) << converted.raw;
  EXPECT_EQ(converted.body["converted_hold_ids"], nlohmann::json::array({hold.body["hold_id"]}));
}

TEST_F(EngineQuotaTest, ExpiredHoldsDoNotCount) {
  auto a = AddAgent("a", 1);
  Set(1, std::nullopt);
  ASSERT_EQ(Hold(a, Slot(0, 30)).status, 201);
  EXPECT_EQ(Commit(a, Slot(60, 90)).error(), "quota_exceeded");
  clock_.Advance(options_.hold_ttl);  // expired, not swept
  EXPECT_EQ(Commit(a, Slot(60, 90)).status, 201);
}

TEST_F(EngineQuotaTest, CommitsWaitingOutTheTieWindowAreCheckedAgainWhenDecided) {
  AddAgent("top", 1);
  auto low = AddAgent("low", 2);
  Set(1, std::nullopt);
  auto first = CommitAsync(low, Slot(0, 30));
  auto second = CommitAsync(low, Slot(60, 90));  // both under the quota when they arrive
  SettleTieWindow();
  EXPECT_EQ(first.get().status, 201);
  EXPECT_EQ(Refusal(second.get()), "422 quota_exceeded max_active_claims_per_agent 1 1");
}

TEST_F(EngineQuotaTest, DefaultCapsMetadataBytesPerAgent) {
  auto a = AddAgent("a", 1);
  ASSERT_EQ(options_.max_metadata_bytes_per_agent, 1 << 20);
  const int64_t each = 15000 + 11;  // {"blob":"…"}
  const int64_t fit = (1 << 20) / each;
  for (int64_t i = 0; i < fit; ++i) {
    ASSERT_EQ(Commit(a, WithMetadata(Slot(i * 30, i * 30 + 30), 15000)).status, 201) << i;
  }
  const int64_t rows = AuditRows();
  Reply over = Commit(a, WithMetadata(Slot(fit * 30, fit * 30 + 30), 15000));
  EXPECT_EQ(Refusal(over), "422 quota_exceeded max_metadata_bytes_per_agent 1048576 " + std::to_string(fit * each));
  EXPECT_EQ(over.body.value("requested", 0), each);
  EXPECT_EQ(AuditRows(), rows);
  EXPECT_EQ(Commit(a, Slot(fit * 30, fit * 30 + 30)).status, 201);  // no metadata: fits
}

TEST_F(EngineQuotaTest, OwnerSetMetadataCapOfZeroRefusesAnyMetadata) {
  auto a = AddAgent("a", 1);
  Set(std::nullopt, 0);
  EXPECT_EQ(Refusal(Commit(a, WithMetadata(Slot(0, 30), 1))),
            "422 quota_exceeded max_metadata_bytes_per_agent 0 0");
  EXPECT_EQ(Hold(a, WithMetadata(Slot(0, 30), 1)).error(), "quota_exceeded");
  EXPECT_EQ(Commit(a, Slot(0, 30)).status, 201);
}

TEST_F(EngineQuotaTest, QuotaSettingsAreValidatedShownAndReset) {
  engine::SettingsUpdate zero;
  zero.max_active_claims_per_agent = 0;
  EXPECT_EQ(engine_->directory().UpdateSettings(owner_id_, zero).status().code(), StatusCode::kInvalidArgument);
  engine::SettingsUpdate too_many;
  too_many.max_active_claims_per_agent = engine::kMaxActiveClaimsSetting + 1;
  EXPECT_EQ(engine_->directory().UpdateSettings(owner_id_, too_many).status().code(), StatusCode::kInvalidArgument);
  engine::SettingsUpdate negative;
  negative.max_metadata_bytes_per_agent = -1;
  EXPECT_EQ(engine_->directory().UpdateSettings(owner_id_, negative).status().code(), StatusCode::kInvalidArgument);
  Set(7, 4096);
  auto v = engine_->directory().GetSettings(owner_id_);
  EXPECT_EQ(v->max_active_claims_per_agent, 7);
  EXPECT_EQ(v->max_metadata_bytes_per_agent, 4096);
  engine::SettingsUpdate reset;
  reset.reset = {"max_active_claims_per_agent", "max_metadata_bytes_per_agent"};
  v = engine_->directory().UpdateSettings(owner_id_, reset);
  EXPECT_EQ(v->max_active_claims_per_agent, 1000);
  EXPECT_EQ(v->max_metadata_bytes_per_agent, 1 << 20);
  EXPECT_TRUE(v->explicit_fields.empty());
}

TEST_F(EngineQuotaTest, UsageIsRebuiltWhenTheEngineRestarts) {
  auto a = AddAgent("a", 1);
  Set(2, std::nullopt);
  ASSERT_EQ(Commit(a, Slot(0, 30)).status, 201);
  ASSERT_EQ(Commit(a, Slot(60, 90)).status, 201);
  engine_->Stop();
  engine_ = std::make_unique<engine::Engine>(*store_, clock_, options_);
  ASSERT_TRUE(engine_->Start().ok());
  EXPECT_EQ(Refusal(Commit(a, Slot(120, 150))), "422 quota_exceeded max_active_claims_per_agent 2 2");
}

TEST(ErrorCodes, QuotaExceededIs422AndARuleStyleExit) {
  EXPECT_EQ(HttpStatusFor("quota_exceeded"), 422);
  EXPECT_EQ(ExitCodeFor("quota_exceeded"), ExitCode::kRuleViolation);
}

}  // namespace
}  // namespace agentdraft::testing
