// Claim lifecycles over HTTP against the real daemon.
#include "tests/e2e/e2e_support.h"

namespace agentdraft::testing {
namespace {

nlohmann::json J(const Result<ApiResponse>& r) { return r.ok() ? r->Json().value() : nlohmann::json(); }

TEST_F(E2eTest, HoldThenCommitConvertsTheHold) {
  TestAgent a = owner_->AddAgent("a", 1);
  ApiClient c = Client(a.key);
  auto hold = c.Post("/v1/holds", Claim(0, 30));
  ASSERT_EQ(hold->status, 201) << hold->body;
  EXPECT_EQ(J(hold)["status"], "HELD");
  auto booking = c.Post("/v1/bookings", Claim(0, 30));
  ASSERT_EQ(booking->status, 201);
  EXPECT_EQ(J(booking)["converted_hold_ids"][0], J(hold)["hold_id"]);
}

TEST_F(E2eTest, HigherRankedCommitDisplacesALowerHold) {
  TestAgent hi = owner_->AddAgent("hi", 1), lo = owner_->AddAgent("lo", 2);
  ApiClient h = Client(hi.key), l = Client(lo.key);
  auto hold = l.Post("/v1/holds", Claim(0, 30));
  auto booking = h.Post("/v1/bookings", Claim(0, 30));
  EXPECT_EQ(J(booking)["displaced_hold_ids"][0], J(hold)["hold_id"]);
  EXPECT_EQ(J(l.Delete("/v1/holds/" + J(hold)["hold_id"].get<std::string>()))["status"], "DISPLACED");
}

TEST_F(E2eTest, CancelFreesTheSlotForAnotherAgent) {
  TestAgent hi = owner_->AddAgent("hi", 1), lo = owner_->AddAgent("lo", 2);
  ApiClient h = Client(hi.key), l = Client(lo.key);
  const std::string id = J(h.Post("/v1/bookings", Claim(0, 30)))["booking_id"];
  EXPECT_EQ(l.Post("/v1/bookings", Claim(0, 30))->status, 409);
  auto cancel = h.Delete("/v1/bookings/" + id);
  EXPECT_EQ(cancel->status, 200);
  EXPECT_EQ(J(cancel)["status"], "CANCELLED");
  EXPECT_EQ(h.Delete("/v1/bookings/" + id)->status, 200);  // repeating is harmless
  EXPECT_EQ(l.Post("/v1/bookings", Claim(0, 30))->status, 201);
}

TEST_F(E2eTest, HigherRankEvictsInsideTheBumpWindow) {
  TestAgent hi = owner_->AddAgent("hi", 1), lo = owner_->AddAgent("lo", 2);
  ApiClient h = Client(hi.key), l = Client(lo.key);
  const std::string victim = J(l.Post("/v1/bookings", Claim(0, 30)))["booking_id"];
  auto bump = h.Post("/v1/bookings", Claim(0, 30));
  ASSERT_EQ(bump->status, 201);
  EXPECT_EQ(J(bump)["evicted_booking_ids"][0], victim);
  auto gone = J(l.Get("/v1/bookings/" + victim));
  EXPECT_EQ(gone["status"], "EVICTED");
  EXPECT_EQ(gone["evicted_by"], J(bump)["booking_id"]);
  auto cancel = l.Delete("/v1/bookings/" + victim);
  EXPECT_EQ(cancel->status, 409);
  EXPECT_EQ(J(cancel)["error"], "invalid_state");
}

TEST_F(E2eTest, ReleasingAHoldTwiceIsHarmless) {
  TestAgent a = owner_->AddAgent("a", 1);
  ApiClient c = Client(a.key);
  const std::string id = J(c.Post("/v1/holds", Claim(0, 30)))["hold_id"];
  for (int i = 0; i < 2; ++i) {
    auto r = c.Delete("/v1/holds/" + id);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(J(r)["status"], "RELEASED");
  }
}

TEST_F(E2eTest, AgentsMeDescribesTheKey) {
  TestAgent a = owner_->AddAgent("scheduler", 3);
  auto me = J(Client(a.key).Get("/v1/agents/me"));
  EXPECT_EQ(me["agent_id"], a.id);
  EXPECT_EQ(me["name"], "scheduler");
  EXPECT_EQ(me["priority"], 3);
  EXPECT_EQ(me["user_id"], owner_->user_id());
}

TEST_F(E2eTest, AvailabilityShowsOnlyFreeSlots) {
  TestAgent a = owner_->AddAgent("a", 1);
  ApiClient c = Client(a.key);
  ASSERT_EQ(c.Post("/v1/bookings", Claim(30, 60))->status, 201);
  auto r = J(c.Get("/v1/availability?range_start=" + UrlEncode(At(0)) + "&range_end=" + UrlEncode(At(120)) +
                   "&duration_minutes=30&granularity_minutes=30"));
  std::string starts;
  for (const auto& s : r["slots"]) starts += s["start"].get<std::string>().substr(11, 5) + " ";
  EXPECT_EQ(starts, "09:00 10:00 10:30 ");
}

TEST_F(E2eTest, AvailabilityOfThirtyOneDaysAtOneMinuteIsCutWithACursor) {
  TestAgent a = owner_->AddAgent("a", 1);
  auto r = Client(a.key).Get("/v1/availability?range_start=" + UrlEncode(At(0)) +
                             "&range_end=" + UrlEncode(At(31 * 24 * 60)) + "&duration_minutes=30&granularity_minutes=1");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->status, 200) << r->body.substr(0, 300);
  const nlohmann::json j = r->Json().value();
  EXPECT_EQ(j["slots"].size(), 10000u);
  EXPECT_EQ(j.value("truncated", false), true);
  EXPECT_EQ(j.value("next_range_start", ""), At(10000));
  EXPECT_LT(r->body.size(), 1000000u);
  // A range over 31 days is refused, naming the limit.
  r = Client(a.key).Get("/v1/availability?range_start=" + UrlEncode(At(0)) +
                             "&range_end=" + UrlEncode(At(31 * 24 * 60 + 1)));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("at most 31 days"), std::string::npos) << r->body;
}

TEST_F(E2eTest, SigtermDrainsAndExitsZero) {
  TestAgent a = owner_->AddAgent("a", 1);
  ASSERT_EQ(Client(a.key).Post("/v1/bookings", Claim(0, 30))->status, 201);
  EXPECT_EQ(daemon_->Stop(), 0) << daemon_->Log();
  Restart();
  auto list = J(owner_->client().Get("/v1/bookings"));
  EXPECT_EQ(list["bookings"].size(), 1u);
}

}  // namespace
}  // namespace agentdraft::testing
