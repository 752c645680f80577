// The engine's rules (docs/design.md, "A decision"), one named test per rule.
#include "tests/unit/engine_test_support.h"

namespace agentdraft::testing {
namespace {

using store::ClaimState;

// --- Rank ------------------------------------------------------------------------------

TEST_F(EngineTest, LowerPriorityNumberOutranks) {
  auto low = AddAgent("low", 5);
  auto high = AddAgent("high", 1);
  EXPECT_EQ(Commit(low, Slot(0, 30)).status, 201);
  Reply r = Commit(high, Slot(0, 30));
  EXPECT_EQ(r.status, 201) << r.raw;  // evicts inside the bump window
  Reply again = Commit(low, Slot(0, 30));
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(again.reason(), "outranked");
}

TEST_F(EngineTest, EqualPriorityGoesToTheAgentRankedEarlier) {
  auto first = AddAgent("first", 3);
  auto second = AddAgent("second", 3);
  auto f1 = CommitAsync(second, Slot(0, 30));
  auto f2 = CommitAsync(first, Slot(0, 30));
  SettleTieWindow();
  EXPECT_EQ(f2.get().status, 201);
  EXPECT_EQ(f1.get().status, 409);
  EXPECT_EQ(f1.get().body["winning_agent_id"], first.agent_id);
}

// --- Tie window ------------------------------------------------------------------------

TEST_F(EngineTest, TopRankedNeverWaits) {
  auto top = AddAgent("top", 1);
  AddAgent("other", 2);
  auto f = CommitAsync(top, Slot(0, 30));
  EXPECT_TRUE(Ready(f));  // no clock movement needed
  EXPECT_EQ(f.get().status, 201);
}

TEST_F(EngineTest, OutrankedAgentWaitsOutTheTieWindow) {
  AddAgent("top", 1);
  auto low = AddAgent("low", 2);
  auto f = CommitAsync(low, Slot(0, 30));
  clock_.Advance(options_.tie_window - 1ms);
  engine_->RunDue();
  EXPECT_FALSE(Ready(f));
  clock_.Advance(1ms);
  engine_->RunDue();
  EXPECT_EQ(f.get().status, 201);
}

TEST_F(EngineTest, HigherRankInsideTieWindowWinsTheRace) {
  auto a = AddAgent("a", 1);
  auto b = AddAgent("b", 2);
  auto c = AddAgent("c", 3);
  auto fc = CommitAsync(c, Slot(0, 30));
  clock_.Advance(5ms);
  auto fb = CommitAsync(b, Slot(0, 30));
  clock_.Advance(10ms);
  auto fa = CommitAsync(a, Slot(15, 45));  // overlaps, arrives last
  SettleTieWindow();
  EXPECT_EQ(fa.get().status, 201);
  EXPECT_EQ(fb.get().status, 409);
  EXPECT_EQ(fc.get().status, 409);
}

TEST_F(EngineTest, EveryLoserNamesTheFinalWinner) {
  auto a = AddAgent("a", 1);
  auto b = AddAgent("b", 2);
  auto c = AddAgent("c", 3);
  auto fc = CommitAsync(c, Slot(0, 30));
  auto fb = CommitAsync(b, Slot(0, 30));
  clock_.Advance(10ms);
  auto fa = CommitAsync(a, Slot(0, 30));
  SettleTieWindow();
  const std::string winner = fa.get().body["booking_id"];
  for (auto* f : {&fb, &fc}) {
    Reply r = f->get();
    EXPECT_EQ(r.status, 409);
    EXPECT_EQ(r.error(), "outranked");
    EXPECT_EQ(r.body["winning_booking_id"], winner);
    EXPECT_EQ(r.body["winning_agent_id"], a.agent_id);
    EXPECT_EQ(r.body["winning_agent_priority"], 1);
    EXPECT_TRUE(r.body.contains("audit_id"));
  }
  EXPECT_EQ(fc.get().body["your_priority"], 3);
}

TEST_F(EngineTest, WaitingClaimIsSettledWhenAnOutrankingClaimIsAcknowledged) {
  auto top = AddAgent("top", 1);
  auto low = AddAgent("low", 2);
  auto f = CommitAsync(low, Slot(0, 30));
  auto ftop = CommitAsync(top, Slot(0, 30));
  // No clock movement: the top claim is decided at once and settles the waiting one.
  EXPECT_TRUE(Ready(ftop));
  EXPECT_TRUE(Ready(f));
  EXPECT_EQ(f.get().status, 409);
}

TEST_F(EngineTest, ClaimThatAlreadyLostDoesNotWaitOutTheWindow) {
  auto top = AddAgent("top", 1);
  auto low = AddAgent("low", 2);
  ASSERT_EQ(Commit(top, Slot(0, 30)).status, 201);
  auto f = CommitAsync(low, Slot(0, 30));
  EXPECT_TRUE(Ready(f));  // no clock movement: the slot is already taken by a higher rank
  EXPECT_EQ(f.get().reason(), "outranked");
}

TEST_F(EngineTest, ClaimsOnOtherSlotsDoNotInterfere) {
  auto a = AddAgent("a", 1);
  auto b = AddAgent("b", 2);
  auto fb = CommitAsync(b, Slot(0, 30));
  auto fa = CommitAsync(a, Slot(60, 90));
  SettleTieWindow();
  EXPECT_EQ(fa.get().status, 201);
  EXPECT_EQ(fb.get().status, 201);
}

TEST_F(EngineTest, LateHigherRankFallsBackToTheBumpWindow) {
  auto a = AddAgent("a", 1);
  auto b = AddAgent("b", 2);
  Reply rb = Commit(b, Slot(0, 30));
  ASSERT_EQ(rb.status, 201);
  clock_.Advance(5s);
  Reply ra = Commit(a, Slot(0, 30));
  ASSERT_EQ(ra.status, 201);
  EXPECT_EQ(ra.body["evicted_booking_ids"], nlohmann::json::array({rb.body["booking_id"]}));
  auto evicted = store_->GetClaim(rb.body["booking_id"]);
  ASSERT_TRUE(evicted.ok());
  EXPECT_EQ(evicted->state, ClaimState::kEvicted);
  EXPECT_EQ(evicted->ended_by, ra.body["booking_id"]);
}

// The timer has not run yet when a higher-ranked claim arrives after the lower one's window
// closed: the arrival settles the due claim first, so the late claim does not join the tie
// (it bumps instead). The outcome depends on arrival times only, never on the timer's delay.
TEST_F(EngineTest, ArrivalAfterTheWindowClosedNeverJoinsTheTie) {
  auto a = AddAgent("a", 1);
  auto b = AddAgent("b", 2);
  auto fb = CommitAsync(b, Slot(0, 30));
  ASSERT_FALSE(Ready(fb));
  clock_.Advance(options_.tie_window);  // b's window closes; nobody calls RunDue()
  Reply ra = Commit(a, Slot(0, 30));
  ASSERT_TRUE(Ready(fb));
  Reply rb = fb.get();
  ASSERT_EQ(rb.status, 201);
  ASSERT_EQ(ra.status, 201);
  EXPECT_EQ(ra.body["evicted_booking_ids"], nlohmann::json::array({rb.body["booking_id"]}));
}

// Just inside the window, the same late claim wins the tie and b never gets a 201.
TEST_F(EngineTest, ArrivalJustInsideTheWindowJoinsTheTie) {
  auto a = AddAgent("a", 1);
  auto b = AddAgent("b", 2);
  auto fb = CommitAsync(b, Slot(0, 30));
  clock_.Advance(options_.tie_window - 1us);
  Reply ra = Commit(a, Slot(0, 30));
  ASSERT_EQ(ra.status, 201);
  ASSERT_TRUE(Ready(fb));
  EXPECT_EQ(fb.get().status, 409);
  EXPECT_EQ(ra.body["evicted_booking_ids"], nlohmann::json::array());
}

// A due claim blocked by an outranking claim still in its window is not "next": RunDue names
// the blocker's deadline, so neither the timer thread nor a replay spins on the past.
TEST_F(EngineTest, RunDueNamesTheNextDeadlineThatCanChangeAnything) {
  auto b = AddAgent("b", 3);
  auto c = AddAgent("c", 4);
  AddAgent("a", 1);  // outranks both, so they wait out their windows
  const Time t0 = clock_.Now();
  auto fc = CommitAsync(c, Slot(0, 30));
  clock_.Advance(options_.tie_window / 2);
  auto fb = CommitAsync(b, Slot(0, 30));
  clock_.Set(t0 + options_.tie_window);  // c is due but b outranks it and still waits
  EXPECT_EQ(engine_->RunDue(), t0 + options_.tie_window / 2 + options_.tie_window);
  EXPECT_FALSE(Ready(fc));
  clock_.Set(t0 + options_.tie_window / 2 + options_.tie_window);
  EXPECT_EQ(engine_->RunDue(), Time::max());
  ASSERT_TRUE(Ready(fb) && Ready(fc));
  EXPECT_EQ(fb.get().status, 201);
  EXPECT_EQ(fc.get().status, 409);
}

// Claim rows carry their arrival to the microsecond (race record replays from them).
TEST_F(EngineTest, ClaimRowsCarryTheirArrivalTime) {
  auto b = AddAgent("b", 2);
  clock_.Advance(1234us);
  const Time arrival = clock_.Now();
  Reply rb = Commit(b, Slot(0, 30));
  ASSERT_EQ(rb.status, 201);
  store::AuditQuery q;
  q.resource = rb.body["booking_id"];
  auto rows = store_->ListAudit(q);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(rows->front().payload_json)["arrived_at"],
            FormatRfc3339Micros(arrival));
}

TEST_F(EngineTest, ZeroTieWindowDecidesAtOnce) {
  owner_id_ = owner_id_;  // same owner; the daemon-wide default is what changes here
  engine_->Stop();
  engine::EngineOptions eo = options_;
  eo.tie_window = Duration(0);
  engine_ = std::make_unique<engine::Engine>(*store_, clock_, eo);
  ASSERT_TRUE(engine_->Start().ok());
  auto a = AddAgent("a", 1);
  auto b = AddAgent("b", 2);
  auto f = CommitAsync(b, Slot(0, 30));
  EXPECT_TRUE(Ready(f));
  EXPECT_EQ(f.get().status, 201);
  (void)a;
}

// --- Bump window -----------------------------------------------------------------------

TEST_F(EngineTest, HigherRankEvictsInsideTheBumpWindow) {
  auto a = AddAgent("a", 1);
  auto b = AddAgent("b", 2);
  Reply rb = Commit(b, Slot(0, 30));
  clock_.Advance(options_.bump_window - 1s);
  Reply ra = Commit(a, Slot(10, 20));
  EXPECT_EQ(ra.status, 201) << ra.raw;
  EXPECT_EQ(ra.body["evicted_booking_ids"][0], rb.body["booking_id"]);
  // The evicted booking's buckets outside the new claim are free again.
  EXPECT_EQ(Commit(b, Slot(0, 10)).status, 201);
}

TEST_F(EngineTest, BookingIsFrozenAfterTheBumpWindow) {
  auto a = AddAgent("a", 1);
  auto b = AddAgent("b", 2);
  Reply rb = Commit(b, Slot(0, 30));
  clock_.Advance(options_.bump_window);
  Reply ra = Commit(a, Slot(0, 30));
  EXPECT_EQ(ra.status, 409);
  EXPECT_EQ(ra.reason(), "frozen");
  EXPECT_EQ(ra.body["winning_booking_id"], rb.body["booking_id"]);
  EXPECT_EQ(rb.body["frozen_at"], FormatRfc3339(FromMicros(ToMicros(clock_.Now()))));
}

TEST_F(EngineTest, LowerRankCannotTakeABooking) {
  auto a = AddAgent("a", 1);
  auto b = AddAgent("b", 2);
  ASSERT_EQ(Commit(a, Slot(0, 30)).status, 201);
  Reply rb = Commit(b, Slot(0, 30));
  EXPECT_EQ(rb.status, 409);
  EXPECT_EQ(rb.reason(), "outranked");
}

TEST_F(EngineTest, OwnOverlappingBookingIsRefused) {
  auto a = AddAgent("a", 1);
  ASSERT_EQ(Commit(a, Slot(0, 30)).status, 201);
  Reply r = Commit(a, Slot(20, 50));
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.reason(), "overlaps_own");
}

// --- Holds -----------------------------------------------------------------------------

TEST_F(EngineTest, CommitConvertsTheAgentsOwnHold) {
  auto a = AddAgent("a", 1);
  Reply h = Hold(a, Slot(0, 30));
  ASSERT_EQ(h.status, 201) << h.raw;
  Reply c = Commit(a, Slot(0, 30));
  ASSERT_EQ(c.status, 201) << c.raw;
  EXPECT_EQ(c.body["converted_hold_ids"][0], h.body["hold_id"]);
  EXPECT_EQ(store_->GetClaim(h.body["hold_id"])->state, ClaimState::kConverted);
}

TEST_F(EngineTest, CommitDisplacesALowerRankedHold) {
  auto a = AddAgent("a", 1);
  auto b = AddAgent("b", 2);
  Reply h = Hold(b, Slot(0, 30));
  Reply c = Commit(a, Slot(0, 30));
  ASSERT_EQ(c.status, 201);
  EXPECT_EQ(c.body["displaced_hold_ids"][0], h.body["hold_id"]);
  EXPECT_EQ(store_->GetClaim(h.body["hold_id"])->state, ClaimState::kDisplaced);
}

TEST_F(EngineTest, CommitDisplacesAHoldOfEqualPriority) {
  auto first = AddAgent("first", 2);
  auto second = AddAgent("second", 2);
  Reply h = Hold(first, Slot(0, 30));
  Reply c = Commit(second, Slot(0, 30));
  EXPECT_EQ(c.status, 201) << c.raw;
}

TEST_F(EngineTest, HigherRankedHoldBlocksACommit) {
  auto a = AddAgent("a", 1);
  auto b = AddAgent("b", 2);
  Reply h = Hold(a, Slot(0, 30));
  Reply c = Commit(b, Slot(0, 30));
  EXPECT_EQ(c.status, 409);
  EXPECT_EQ(c.reason(), "held");
  EXPECT_EQ(c.body["winning_booking_id"], h.body["hold_id"]);
}

TEST_F(EngineTest, HigherRankedHoldDisplacesALowerHold) {
  auto a = AddAgent("a", 1);
  auto b = AddAgent("b", 2);
  Reply hb = Hold(b, Slot(0, 30));
  Reply ha = Hold(a, Slot(0, 30));
  EXPECT_EQ(ha.status, 201);
  EXPECT_EQ(ha.body["displaced_hold_ids"][0], hb.body["hold_id"]);
  EXPECT_EQ(Hold(b, Slot(0, 30)).reason(), "held");
}

TEST_F(EngineTest, HoldNeverDisplacesABooking) {
  auto a = AddAgent("a", 1);
  auto b = AddAgent("b", 2);
  ASSERT_EQ(Commit(b, Slot(0, 30)).status, 201);
  Reply h = Hold(a, Slot(0, 30));
  EXPECT_EQ(h.status, 409);
  EXPECT_EQ(h.reason(), "booked");
}

TEST_F(EngineTest, ExpiredHoldBlocksNoOne) {
  auto a = AddAgent("a", 1);
  auto b = AddAgent("b", 2);
  Reply h = Hold(a, Slot(0, 30));
  clock_.Advance(options_.hold_ttl);
  Reply c = Commit(b, Slot(0, 30));
  EXPECT_EQ(c.status, 201) << c.raw;
  EXPECT_EQ(store_->GetClaim(h.body["hold_id"])->state, ClaimState::kExpired);
}

TEST_F(EngineTest, ExpiredHoldCannotBeConverted) {
  auto a = AddAgent("a", 1);
  Reply h = Hold(a, Slot(0, 30));
  clock_.Advance(options_.hold_ttl + 1s);
  Reply c = Commit(a, Slot(0, 30));
  ASSERT_EQ(c.status, 201);
  EXPECT_TRUE(c.body["converted_hold_ids"].empty());
  EXPECT_EQ(store_->GetClaim(h.body["hold_id"])->state, ClaimState::kExpired);
}

TEST_F(EngineTest, CommitNamingItsExpiredHoldIsRefusedAndWritesNothing) {
  auto a = AddAgent("a", 1);
  Reply h = Hold(a, Slot(0, 30));
  clock_.Advance(options_.hold_ttl);
  auto r = Slot(0, 30);
  r.hold_id = h.body["hold_id"];
  store_->Flush();
  const int64_t audit_before = *store_->AuditHeadSeq();
  Reply c = Commit(a, r);
  EXPECT_EQ(c.status, 409) << c.raw;
  EXPECT_EQ(c.error(), "invalid_state");
  store_->Flush();
  EXPECT_EQ(*store_->AuditHeadSeq(), audit_before);
}

TEST_F(EngineTest, CommitNamingAnotherAgentsHoldIsNotFound) {
  auto a = AddAgent("a", 1);
  auto b = AddAgent("b", 2);
  Reply h = Hold(b, Slot(0, 30));
  for (std::string id : {h.body["hold_id"].get<std::string>(), std::string("hld_nope")}) {
    auto r = Slot(0, 30);
    r.hold_id = id;
    Reply c = Commit(a, r);
    EXPECT_EQ(c.status, 404) << id << ": " << c.raw;
  }
  EXPECT_EQ(store_->GetClaim(h.body["hold_id"])->state, ClaimState::kHeld);
}

TEST_F(EngineTest, CommitNamingItsLiveHoldConvertsItAndMustOverlapIt) {
  auto a = AddAgent("a", 1);
  Reply h = Hold(a, Slot(0, 30));
  auto apart = Slot(60, 90);
  apart.hold_id = h.body["hold_id"];
  EXPECT_EQ(Commit(a, apart).status, 400);
  auto r = Slot(0, 30);
  r.hold_id = h.body["hold_id"];
  Reply c = Commit(a, r);
  ASSERT_EQ(c.status, 201) << c.raw;
  EXPECT_EQ(c.body["converted_hold_ids"][0], h.body["hold_id"]);
}

TEST_F(EngineTest, SweepRecordsExpiryWithTheTimeItTookEffect) {
  auto a = AddAgent("a", 1);
  Reply h = Hold(a, Slot(0, 30));
  clock_.Advance(options_.hold_ttl + 7s);
  engine_->SweepExpiredHolds();
  store_->Flush();
  auto claim = store_->GetClaim(h.body["hold_id"]);
  EXPECT_EQ(claim->state, ClaimState::kExpired);
  EXPECT_EQ(FormatRfc3339(*claim->ended_at), h.body["expires_at"]);
}

TEST_F(EngineTest, HoldCapIsEnforced) {
  auto a = AddAgent("a", 1);
  for (int i = 0; i < options_.max_holds_per_agent; ++i) {
    ASSERT_EQ(Hold(a, Slot(i * 30, i * 30 + 30)).status, 201);
  }
  Reply over = Hold(a, Slot(2000, 2030));
  EXPECT_EQ(over.status, 422);
  EXPECT_EQ(over.error(), "hold_limit");
}

TEST_F(EngineTest, ReleasingTwiceIsHarmless) {
  auto a = AddAgent("a", 1);
  Reply h = Hold(a, Slot(0, 30));
  Reply r1 = Release(a, h.body["hold_id"]);
  Reply r2 = Release(a, h.body["hold_id"]);
  EXPECT_EQ(r1.status, 200);
  EXPECT_EQ(r1.body["status"], "RELEASED");
  EXPECT_EQ(r2.status, 200);
  EXPECT_EQ(r2.body["status"], "RELEASED");
}

// --- Cancel ----------------------------------------------------------------------------

TEST_F(EngineTest, CancellingOwnBookingFreesTheSlotAtOnce) {
  auto a = AddAgent("a", 1);
  auto b = AddAgent("b", 2);
  Reply c = Commit(a, Slot(0, 30));
  Reply x = Cancel(a, c.body["booking_id"]);
  EXPECT_EQ(x.status, 200);
  EXPECT_EQ(x.body["status"], "CANCELLED");
  EXPECT_EQ(Commit(b, Slot(0, 30)).status, 201);
}

TEST_F(EngineTest, AgentCannotCancelAnotherAgentsBooking) {
  auto a = AddAgent("a", 1);
  auto b = AddAgent("b", 2);
  Reply c = Commit(b, Slot(0, 30));
  Reply x = Cancel(a, c.body["booking_id"]);
  EXPECT_EQ(x.status, 404);
  EXPECT_EQ(store_->GetClaim(c.body["booking_id"])->state, ClaimState::kCommitted);
}

TEST_F(EngineTest, OwnerCanCancelAnyBooking) {
  auto b = AddAgent("b", 2);
  Reply c = Commit(b, Slot(0, 30));
  EXPECT_EQ(Cancel(Owner(), c.body["booking_id"]).status, 200);
}

// --- Idempotency -----------------------------------------------------------------------

TEST_F(EngineTest, SameKeySameRequestReplaysTheStoredResponse) {
  auto a = AddAgent("a", 1);
  Reply first = Commit(a, Slot(0, 30, "k1"));
  Reply again = Commit(a, Slot(0, 30, "k1"));
  EXPECT_EQ(first.status, 201);
  EXPECT_EQ(again.status, 201);
  EXPECT_EQ(again.raw, first.raw);
}

TEST_F(EngineTest, ReplaySurvivesARestart) {
  auto a = AddAgent("a", 1);
  Reply first = Commit(a, Slot(0, 30, "k1"));
  engine_->Stop();
  engine_ = std::make_unique<engine::Engine>(*store_, clock_, options_);
  ASSERT_TRUE(engine_->Start().ok());
  EXPECT_EQ(Commit(a, Slot(0, 30, "k1")).raw, first.raw);
}

TEST_F(EngineTest, SameKeyDifferentRequestIsAMismatch) {
  auto a = AddAgent("a", 1);
  ASSERT_EQ(Commit(a, Slot(0, 30, "k1")).status, 201);
  Reply r = Commit(a, Slot(30, 60, "k1"));
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.error(), "idempotency_mismatch");
}

TEST_F(EngineTest, SameKeyStillInFlightIsRefused) {
  AddAgent("top", 1);
  auto low = AddAgent("low", 2);
  auto waiting = CommitAsync(low, Slot(0, 30, "k1"));  // waits out the tie window
  Reply second = Commit(low, Slot(0, 30, "k1"));
  EXPECT_EQ(second.status, 409);
  EXPECT_EQ(second.error(), "idempotency_in_flight");
  SettleTieWindow();
  EXPECT_EQ(waiting.get().status, 201);
}

TEST_F(EngineTest, KeysAreScopedPerAgent) {
  auto a = AddAgent("a", 1);
  auto b = AddAgent("b", 2);
  ASSERT_EQ(Commit(a, Slot(0, 30, "shared")).status, 201);
  EXPECT_EQ(Commit(b, Slot(60, 90, "shared")).status, 201);
}

// --- Buckets ---------------------------------------------------------------------------

TEST_F(EngineTest, BucketsAreRoundedOutward) {
  auto a = AddAgent("a", 1);
  auto b = AddAgent("b", 2);
  ASSERT_EQ(Commit(a, Slot(0, 2)).status, 201);   // 09:00–09:02 takes the 09:00 bucket
  EXPECT_EQ(Commit(b, Slot(3, 5)).status, 409);   // same bucket though the times don't meet
  EXPECT_EQ(Commit(b, Slot(5, 10)).status, 201);  // the next bucket is free
}

TEST_F(EngineTest, AvailabilityOmitsBusyBucketsAndOthersHolds) {
  auto a = AddAgent("a", 1);
  auto b = AddAgent("b", 2);
  ASSERT_EQ(Commit(a, Slot(0, 30)).status, 201);
  ASSERT_EQ(Hold(b, Slot(60, 90)).status, 201);
  engine::AvailabilityQuery q{SlotBase(), SlotBase() + 2h, 30min, 30min, false};
  auto for_a = nlohmann::json::parse(engine_->Availability(a, q).body);
  auto for_b = nlohmann::json::parse(engine_->Availability(b, q).body);
  auto starts = [](const nlohmann::json& j) {
    std::string out;
    for (const auto& s : j["slots"]) out += s["start"].get<std::string>().substr(11, 5) + " ";
    return out;
  };
  EXPECT_EQ(starts(for_a), "09:30 10:30 ");
  EXPECT_EQ(starts(for_b), "09:30 10:00 10:30 ");  // its own hold does not count by default
}

// --- Audit -----------------------------------------------------------------------------

TEST_F(EngineTest, EveryDecisionAppendsALinkedAuditRow) {
  auto a = AddAgent("a", 1);
  auto b = AddAgent("b", 2);
  Reply c = Commit(a, Slot(0, 30));
  Reply lost = Commit(b, Slot(0, 30));
  store::AuditQuery q;
  q.owner_id = owner_id_;
  q.limit = 1000;
  auto rows = store_->ListAudit(q);
  ASSERT_TRUE(rows.ok());
  std::string kinds;
  std::string prev(64, '0');
  for (const auto& row : *rows) {
    kinds += row.kind + " ";
    EXPECT_EQ(row.prev_hash, prev);
    EXPECT_TRUE(engine::AuditChain::Verify(row)) << row.seq;
    prev = row.hash;
  }
  EXPECT_EQ(kinds, "owner.created agent.created agent.created booking.committed booking.rejected ");
  EXPECT_EQ(c.body["audit_id"], rows->at(3).seq);
  EXPECT_EQ(c.body["audit_hash"], rows->at(3).hash);
  EXPECT_EQ(lost.body["audit_id"], rows->at(4).seq);
}

}  // namespace
}  // namespace agentdraft::testing
