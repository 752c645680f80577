// Counter-proposals in the engine (docs/design.md, "Counter-proposals"): a losing agent offers
// the winner other slots; the winner's acceptance is judged like a commit and moves its booking
// in one decision; pending counters expire with their booking; only the booking's agent (or
// the owner) answers them.
#include <gtest/gtest.h>

#include "tests/unit/engine_test_support.h"

namespace agentdraft::testing {
namespace {

class EngineCounterTest : public EngineTest {
 protected:
  // Slots as minutes after SlotBase().
  static engine::CounterRequest Offer(std::vector<std::pair<int, int>> slots, std::string key = "") {
    engine::CounterRequest r;
    for (auto [from, to] : slots) {
      r.proposed.push_back({SlotBase() + std::chrono::minutes(from), SlotBase() + std::chrono::minutes(to)});
    }
    r.note = "could you move?";
    r.idempotency_key = std::move(key);
    return r;
  }
  Reply Propose(const engine::Principal& p, const std::string& booking, engine::CounterRequest r) {
    return Capture([&](engine::Done d) { engine_->ProposeCounter(p, booking, std::move(r), std::move(d)); }).get();
  }
  Reply Accept(const engine::Principal& p, const std::string& booking, const std::string& counter, int slot) {
    return Capture([&](engine::Done d) { engine_->AcceptCounter(p, booking, counter, slot, std::move(d)); }).get();
  }
  Reply RejectCounter(const engine::Principal& p, const std::string& booking, const std::string& counter) {
    return Capture([&](engine::Done d) { engine_->RejectCounter(p, booking, counter, std::move(d)); }).get();
  }
  nlohmann::json List(const engine::Principal& p, const std::string& booking) {
    engine::Outcome o = engine_->ListCounters(p, booking);
    EXPECT_EQ(o.status, 200) << o.body;
    return nlohmann::json::parse(o.body)["counters"];
  }
  store::ClaimRecord Claim(const std::string& id) { return store_->GetClaim(id).value(); }
  std::vector<std::string> AuditKinds(int64_t after) {
    store::AuditQuery q;
    q.after_seq = after;
    q.limit = 1000;
    std::vector<std::string> kinds;
    const std::vector<store::AuditRecord> rows = store_->ListAudit(q).value();
    for (const auto& r : rows) kinds.push_back(r.kind + " " + r.resource);
    return kinds;
  }
  int64_t Head() { return store_->AuditHeadSeq().value(); }

  // `top` (priority 1) holds [0, 30); `low` (priority 5) lost it and offers other slots.
  void SetUpLostRace() {
    top_ = AddAgent("top", 1);
    low_ = AddAgent("low", 5);
    Reply won = Commit(top_, Slot(0, 30));
    ASSERT_EQ(won.status, 201) << won.raw;
    booking_ = won.body["booking_id"];
    Reply lost = Commit(low_, Slot(0, 30));
    ASSERT_EQ(lost.status, 409) << lost.raw;
    ASSERT_EQ(lost.body["winning_booking_id"], booking_);
  }

  engine::Principal top_, low_;
  std::string booking_;
};

TEST_F(EngineCounterTest, AcceptingMovesTheBookingInOneDecision) {
  SetUpLostRace();
  Reply offer = Propose(low_, booking_, Offer({{60, 90}, {15, 45}}));
  ASSERT_EQ(offer.status, 201) << offer.raw;
  EXPECT_EQ(offer.body["status"], "PENDING");
  EXPECT_EQ(offer.body["booking_agent_id"], top_.agent_id);
  EXPECT_EQ(offer.body["agent_id"], low_.agent_id);
  EXPECT_EQ(offer.body["proposed"].size(), 2u);
  const std::string counter = offer.body["counter_id"];
  ASSERT_EQ(counter.rfind("ctr_", 0), 0u);

  const int64_t before = Head();
  Reply accepted = Accept(top_, booking_, counter, 1);  // [15, 45): overlaps the booking itself
  ASSERT_EQ(accepted.status, 201) << accepted.raw;
  EXPECT_EQ(accepted.body["status"], "ACCEPTED");
  EXPECT_EQ(accepted.body["accepted_slot"], 1);
  const std::string moved = accepted.body["booking"]["booking_id"];
  EXPECT_EQ(accepted.body["new_booking_id"], moved);
  EXPECT_EQ(accepted.body["booking"]["start"], FormatRfc3339(SlotBase() + 15min));
  EXPECT_EQ(accepted.body["booking"]["agent_id"], top_.agent_id);

  const store::ClaimRecord original = Claim(booking_);
  EXPECT_EQ(original.state, store::ClaimState::kCancelled);
  EXPECT_EQ(original.ended_by, moved);
  EXPECT_EQ(Claim(moved).state, store::ClaimState::kCommitted);
  // The shared buckets passed straight to the new booking; the rest of the old one is free.
  const int64_t first = engine::BucketRange::Of(SlotBase(), SlotBase() + 5min).first;
  EXPECT_EQ(store_->GetBucket(owner_id_, first).value(), "");
  EXPECT_EQ(store_->GetBucket(owner_id_, first + 3).value(), moved);
  EXPECT_EQ(store_->GetBucket(owner_id_, first + 8).value(), moved);
  EXPECT_EQ(store_->GetBucket(owner_id_, first + 9).value(), "");
  EXPECT_EQ(AuditKinds(before), (std::vector<std::string>{"booking.committed " + moved,
                                                          "counter.accepted " + counter,
                                                          "booking.cancelled " + booking_}));
  // The freed part of the slot is the loser's to take now.
  EXPECT_EQ(Commit(low_, Slot(0, 15)).status, 201);
}

TEST_F(EngineCounterTest, ASlotTheWinnerCannotTakeIsRefusedAndTheCounterStaysPending) {
  SetUpLostRace();
  engine::Principal boss = AddAgent("boss", 1);
  ASSERT_TRUE(engine_->directory().UpdateAgent(owner_id_, "top", {.priority = 2}).ok());  // boss outranks top now
  ASSERT_EQ(Commit(boss, Slot(60, 90)).status, 201);
  Reply offer = Propose(low_, booking_, Offer({{60, 90}, {120, 150}}));
  ASSERT_EQ(offer.status, 201) << offer.raw;
  const std::string counter = offer.body["counter_id"];

  Reply refused = Accept(top_, booking_, counter, 0);
  EXPECT_EQ(refused.status, 409) << refused.raw;
  EXPECT_EQ(refused.error(), "outranked");
  EXPECT_EQ(refused.body["winning_agent_id"], boss.agent_id);
  EXPECT_EQ(Claim(booking_).state, store::ClaimState::kCommitted);
  EXPECT_EQ(List(top_, booking_)[0]["status"], "PENDING");

  Reply accepted = Accept(top_, booking_, counter, 1);
  EXPECT_EQ(accepted.status, 201) << accepted.raw;
}

TEST_F(EngineCounterTest, AcceptingAgainAnswersTheSameAndNothingElseIsPossible) {
  SetUpLostRace();
  const std::string counter = Propose(low_, booking_, Offer({{60, 90}, {120, 150}})).body["counter_id"];
  Reply first = Accept(top_, booking_, counter, 0);
  ASSERT_EQ(first.status, 201) << first.raw;
  const int64_t head = Head();
  Reply again = Accept(top_, booking_, counter, 0);
  EXPECT_EQ(again.status, 200) << again.raw;
  EXPECT_EQ(again.body["new_booking_id"], first.body["new_booking_id"]);
  EXPECT_EQ(again.body["booking"]["booking_id"], first.body["booking"]["booking_id"]);
  Reply other = Accept(top_, booking_, counter, 1);
  EXPECT_EQ(other.status, 409) << other.raw;
  EXPECT_EQ(other.error(), "invalid_state");
  EXPECT_EQ(other.body["status"], "ACCEPTED");
  EXPECT_EQ(RejectCounter(top_, booking_, counter).status, 409);
  EXPECT_EQ(Head(), head);  // none of these wrote anything
}

TEST_F(EngineCounterTest, RejectingIsFinalAndRepeatable) {
  SetUpLostRace();
  const std::string counter = Propose(low_, booking_, Offer({{60, 90}})).body["counter_id"];
  const int64_t before = Head();
  Reply rejected = RejectCounter(top_, booking_, counter);
  ASSERT_EQ(rejected.status, 200) << rejected.raw;
  EXPECT_EQ(rejected.body["status"], "REJECTED");
  EXPECT_EQ(AuditKinds(before), std::vector<std::string>{"counter.rejected " + counter});
  EXPECT_EQ(RejectCounter(top_, booking_, counter).status, 200);
  Reply late = Accept(top_, booking_, counter, 0);
  EXPECT_EQ(late.status, 409) << late.raw;
  EXPECT_EQ(late.body["status"], "REJECTED");
  EXPECT_EQ(Claim(booking_).state, store::ClaimState::kCommitted);
  EXPECT_EQ(Head(), before + 1);
}

TEST_F(EngineCounterTest, PendingCountersExpireWithTheirBooking) {
  SetUpLostRace();
  engine::Principal mid = AddAgent("mid", 3);
  const std::string a = Propose(low_, booking_, Offer({{60, 90}})).body["counter_id"];
  const std::string b = Propose(mid, booking_, Offer({{90, 120}})).body["counter_id"];
  const int64_t before = Head();
  ASSERT_EQ(Cancel(top_, booking_).status, 200);
  EXPECT_EQ(AuditKinds(before), (std::vector<std::string>{"booking.cancelled " + booking_,
                                                          "counter.expired " + std::min(a, b),
                                                          "counter.expired " + std::max(a, b)}));
  for (const auto& c : List(Owner(), booking_)) EXPECT_EQ(c["status"], "EXPIRED");
  Reply late = Accept(top_, booking_, a, 0);
  EXPECT_EQ(late.status, 409) << late.raw;
  EXPECT_EQ(late.body["status"], "EXPIRED");
  Reply closed = Propose(low_, booking_, Offer({{60, 90}}));
  EXPECT_EQ(closed.status, 409) << closed.raw;
  EXPECT_EQ(closed.error(), "invalid_state");
  EXPECT_EQ(closed.body["status"], "CANCELLED");
}

TEST_F(EngineCounterTest, AnEvictedBookingTakesItsCountersWithIt) {
  top_ = AddAgent("top", 1);
  low_ = AddAgent("low", 5);
  engine::Principal mid = AddAgent("mid", 3);
  Reply mids = Commit(mid, Slot(0, 30));
  ASSERT_EQ(mids.status, 201);
  ASSERT_EQ(Propose(low_, mids.body["booking_id"], Offer({{60, 90}})).status, 201);
  ASSERT_EQ(Commit(top_, Slot(0, 30)).status, 201);  // inside mid's bump window: evicts it
  EXPECT_EQ(Claim(mids.body["booking_id"]).state, store::ClaimState::kEvicted);
  EXPECT_EQ(List(mid, mids.body["booking_id"])[0]["status"], "EXPIRED");
}

TEST_F(EngineCounterTest, OnlyTheBookingsAgentOrTheOwnerAnswersAndOthersSeeTheirOwn) {
  SetUpLostRace();
  engine::Principal mid = AddAgent("mid", 3);
  const std::string lows = Propose(low_, booking_, Offer({{60, 90}})).body["counter_id"];
  const std::string mids = Propose(mid, booking_, Offer({{90, 120}})).body["counter_id"];
  EXPECT_EQ(Accept(low_, booking_, lows, 0).status, 404);  // the proposer cannot accept its own
  EXPECT_EQ(RejectCounter(mid, booking_, lows).status, 404);
  EXPECT_EQ(List(top_, booking_).size(), 2u);
  EXPECT_EQ(List(Owner(), booking_).size(), 2u);
  ASSERT_EQ(List(low_, booking_).size(), 1u);
  EXPECT_EQ(List(low_, booking_)[0]["counter_id"], lows);
  Reply by_owner = Accept(Owner(), booking_, mids, 0);
  ASSERT_EQ(by_owner.status, 201) << by_owner.raw;
  EXPECT_EQ(by_owner.body["booking"]["agent_id"], top_.agent_id);  // the owner acted as the booking's agent
  EXPECT_EQ(List(low_, booking_)[0]["status"], "EXPIRED");  // the other counter went with the original
}

TEST_F(EngineCounterTest, ProposalsAreCheckedAndIdempotent) {
  SetUpLostRace();
  EXPECT_EQ(Propose(top_, booking_, Offer({{60, 90}})).status, 400);  // its own booking
  EXPECT_EQ(Propose(low_, "bkg_nosuchbooking", Offer({{60, 90}})).status, 404);
  Reply first = Propose(low_, booking_, Offer({{60, 90}}, "k1"));
  ASSERT_EQ(first.status, 201);
  Reply replay = Propose(low_, booking_, Offer({{60, 90}}, "k1"));
  EXPECT_EQ(replay.status, 201);
  EXPECT_EQ(replay.raw, first.raw);
  EXPECT_EQ(Propose(low_, booking_, Offer({{90, 120}}, "k1")).status, 422);  // idempotency_mismatch
  for (int i = 1; i < 5; ++i) ASSERT_EQ(Propose(low_, booking_, Offer({{60 + i, 90 + i}})).status, 201);
  Reply over = Propose(low_, booking_, Offer({{200, 230}}));
  EXPECT_EQ(over.status, 422) << over.raw;
  EXPECT_EQ(over.error(), "counter_limit");
  EXPECT_EQ(List(low_, booking_).size(), 5u);
}

TEST_F(EngineCounterTest, PendingCountersSurviveARestart) {
  SetUpLostRace();
  const std::string counter = Propose(low_, booking_, Offer({{60, 90}})).body["counter_id"];
  engine_->Stop();
  engine_ = std::make_unique<engine::Engine>(*store_, clock_, options_);
  ASSERT_TRUE(engine_->Start().ok());
  Reply accepted = Accept(top_, booking_, counter, 0);
  EXPECT_EQ(accepted.status, 201) << accepted.raw;
}

}  // namespace
}  // namespace agentdraft::testing
