// DynamoStore beyond the shared contract: the transaction it builds (items, the 100-item
// limit) and the conditions that judge a leaving occupant by its own attributes, against
// DynamoDB Local.
#include "daemon/store/dynamo/dynamo_store.h"

#include <gtest/gtest.h>

#include "tests/support/dynamodb_local.h"

namespace agentdraft::store {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr int64_t kMinute = 60'000'000;
const Time kBase = FromMicros(1'800'000'000LL * 1'000'000);  // 2027-01-15T08:00:00Z, a bucket edge

class DynamoStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::DynamoDbLocal::Available()) {
      if (testing::DynamoDbLocalRequired()) {
        FAIL() << "DynamoDB Local is not installed and AGENTDRAFT_REQUIRE_DYNAMODB is set";
      }
      GTEST_SKIP() << "DynamoDB Local is not installed (scripts/setup.sh installs it)";
    }
    DynamoStoreOptions o;
    o.table = testing::DynamoDbLocal::UniqueTableName("store");
    o.create_table = true;
    o.client.endpoint = testing::DynamoDbLocal::Shared().endpoint();
    o.client.credentials = {"local", "local", ""};
    auto opened = DynamoStore::Open(o);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(*opened);
  }

  static ClaimRecord Claim(const std::string& id, ClaimKind kind, int64_t from_min, int64_t to_min) {
    ClaimRecord c;
    c.id = id;
    c.owner_id = "usr_1";
    c.agent_id = "agt_1";
    c.kind = kind;
    c.state = kind == ClaimKind::kHold ? ClaimState::kHeld : ClaimState::kCommitted;
    c.start = kBase + Duration(from_min * kMinute);
    c.end = kBase + Duration(to_min * kMinute);
    c.created_at = kBase;
    c.expires_at = kind == ClaimKind::kHold ? kBase + 30s : Time();
    c.frozen_at = kind == ClaimKind::kBooking ? kBase + 30s : Time();
    return c;
  }
  // `c` takes its buckets from `expected` ("" = free).
  static void Take(Decision& d, const ClaimRecord& c, const std::string& expected = "") {
    const int64_t first = ToMicros(c.start) / (5 * kMinute), last = ToMicros(c.end) / (5 * kMinute);
    for (int64_t b = first; b < last; ++b) d.buckets.push_back({c.owner_id, b, expected, c.id});
    d.claims.push_back(c);
  }

  std::unique_ptr<DynamoStore> store_;
};

TEST_F(DynamoStoreTest, AnEightHourCommitIsOneSmallTransaction) {
  Decision d;
  Take(d, Claim("bkg_long", ClaimKind::kBooking, 5, 8 * 60 + 5));  // 96 buckets over 9 hours
  d.audit.push_back({1, kBase, "usr_1", "agt_1", "agt_1", "booking.committed", "bkg_long", "{}",
                     std::string(64, '0'), std::string(64, 'a')});
  d.idempotency.push_back({"agt_1", "k", "fp", 201, "{}", kBase});
  auto tx = store_->BuildTransaction(d);
  ASSERT_TRUE(tx.ok()) << tx.status().ToString();
  // 9 hour pages, the claim and its pointer, the audit row and the head, the idempotency record.
  EXPECT_EQ((*tx)["TransactItems"].size(), 14u);
  ASSERT_TRUE(store_->ApplySync(d).ok());
  EXPECT_EQ(*store_->GetBucket("usr_1", ToMicros(kBase) / (5 * kMinute) + 1), "bkg_long");
}

TEST_F(DynamoStoreTest, ADecisionBeyondOneHundredItemsIsRefusedAndWritesNothing) {
  Decision d;
  for (int i = 0; i < 51; ++i) {  // 51 claims and their pointers: 102 items
    d.claims.push_back(Claim("hld_" + std::to_string(i), ClaimKind::kHold, 0, 5));
  }
  auto tx = store_->BuildTransaction(d);
  ASSERT_FALSE(tx.ok());
  EXPECT_EQ(tx.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(tx.status().message().find("needs 102 DynamoDB writes; one transaction carries at most 100"),
            std::string::npos)
      << tx.status().message();
  EXPECT_FALSE(store_->ApplySync(d).ok());
  EXPECT_EQ(store_->GetClaim("hld_0").status().code(), StatusCode::kNotFound);
}

// The engine says a hold expired; the condition checks the slot's own expiry attribute
// against the decision's time, so a daemon with a clock running ahead cannot take a live hold.
TEST_F(DynamoStoreTest, AnExpiredHoldIsJudgedByItsExpiryAttribute) {
  const ClaimRecord hold = Claim("hld_1", ClaimKind::kHold, 0, 30);  // expires at kBase + 30 s
  Decision place;
  Take(place, hold);
  ASSERT_TRUE(store_->ApplySync(place).ok());

  auto take_over = [&](Time decided_at) {
    Decision d;
    d.decided_at = decided_at;
    ClaimRecord expired = hold;
    expired.state = ClaimState::kExpired;
    expired.ended_at = hold.expires_at;
    d.claims.push_back(expired);
    Take(d, Claim("bkg_1", ClaimKind::kBooking, 0, 30), "hld_1");
    return store_->ApplySync(d);
  };
  EXPECT_EQ(take_over(kBase + 10s).code(), StatusCode::kConflict);  // not expired yet
  EXPECT_EQ(store_->GetClaim("hld_1")->state, ClaimState::kHeld);
  EXPECT_TRUE(take_over(kBase + 31s).ok());
  EXPECT_EQ(*store_->GetBucket("usr_1", ToMicros(kBase) / (5 * kMinute)), "bkg_1");
}

// An eviction is allowed only inside the booking's bump window, by its frozen_at attribute.
TEST_F(DynamoStoreTest, AnEvictionIsJudgedByTheBumpWindowAttribute) {
  const ClaimRecord booking = Claim("bkg_low", ClaimKind::kBooking, 0, 30);  // frozen at kBase + 30 s
  Decision place;
  Take(place, booking);
  ASSERT_TRUE(store_->ApplySync(place).ok());
  auto evict = [&](Time decided_at) {
    Decision d;
    d.decided_at = decided_at;
    ClaimRecord evicted = booking;
    evicted.state = ClaimState::kEvicted;
    evicted.ended_at = decided_at;
    d.claims.push_back(evicted);
    Take(d, Claim("bkg_high", ClaimKind::kBooking, 0, 30), "bkg_low");
    return store_->ApplySync(d);
  };
  EXPECT_EQ(evict(kBase + 40s).code(), StatusCode::kConflict);  // frozen
  EXPECT_TRUE(evict(kBase + 20s).ok());
}

// A daemon whose audit rows extend a head at the same seq as the table's, but another chain
// (another daemon wrote that seq), is refused.
TEST_F(DynamoStoreTest, TheHeadIsMatchedBySeqAndHash) {
  Decision first;
  first.audit.push_back({1, kBase, "usr_1", "a", "", "k", "r", "{}", std::string(64, '0'), std::string(64, 'a')});
  ASSERT_TRUE(store_->ApplySync(first).ok());
  Decision stale;
  stale.audit.push_back({2, kBase, "usr_1", "a", "", "k", "r", "{}", std::string(64, 'b'), std::string(64, 'c')});
  EXPECT_EQ(store_->ApplySync(stale).code(), StatusCode::kConflict);
  stale.audit[0].prev_hash = std::string(64, 'a');
  EXPECT_TRUE(store_->ApplySync(stale).ok());
  EXPECT_EQ(*store_->AuditHeadSeq(), 2);
}

}  // namespace
}  // namespace agentdraft::store
