// The owner's rules in the engine (daemon/engine/rules.h): each kind's refusal (422
// rule_violation naming the rule) and its effect on availability; administration and
// persistence; and consistency on random calendars: every slot availability returns is
// committed with 201 right after, every other start is refused.
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "tests/unit/engine_test_support.h"

namespace agentdraft::testing {
namespace {

using nlohmann::json;

Time T(const char* rfc3339) { return *ParseRfc3339(rfc3339); }

class RulesTest : public EngineTest {
 protected:
  std::string AddRule(const json& body, const std::string& owner = "") {
    auto r = engine_->directory().CreateRule(owner.empty() ? owner_id_ : owner, body);
    EXPECT_TRUE(r.ok()) << body << ": " << r.status().ToString();
    return r.ok() ? r->id : "";
  }
  void SetZone(const std::string& tz, Duration tie = 20ms) {
    engine::SettingsUpdate u;
    u.timezone = tz;
    u.tie_window = tie;
    ASSERT_TRUE(engine_->directory().UpdateSettings(owner_id_, u).ok());
  }
  static engine::ClaimRequest At(const char* start, const char* end, std::string key = "") {
    engine::ClaimRequest r;
    r.start = T(start);
    r.end = T(end);
    r.idempotency_key = std::move(key);
    return r;
  }
  static engine::ClaimRequest Span(Time start, Time end) {
    engine::ClaimRequest r;
    r.start = start;
    r.end = end;
    return r;
  }
  // The slot starts availability returns.
  std::set<std::string> Free(const engine::Principal& p, const char* from, const char* to, int minutes = 30,
                             int granularity = 30) {
    engine::AvailabilityQuery q;
    q.range_start = T(from);
    q.range_end = T(to);
    q.duration = std::chrono::minutes(minutes);
    q.granularity = std::chrono::minutes(granularity);
    engine::Outcome o = engine_->Availability(p, q);
    EXPECT_EQ(o.status, 200) << o.body;
    const json body = json::parse(o.body);  // kept alive: the loop reads one of its members
    std::set<std::string> starts;
    for (const json& s : body["slots"]) starts.insert(s["start"].get<std::string>());
    return starts;
  }
  static void ExpectViolation(const Reply& r, const std::string& rule_id, const std::string& kind) {
    EXPECT_EQ(r.status, 422) << r.raw;
    EXPECT_EQ(r.error(), "rule_violation") << r.raw;
    EXPECT_EQ(r.body["rule"]["id"], rule_id) << r.raw;
    EXPECT_EQ(r.body["rule"]["kind"], kind) << r.raw;
    EXPECT_FALSE(r.body.value("message", "").empty());
  }
  int64_t AuditRows() {
    auto c = engine_->directory().Counts(owner_id_);
    return c.ok() ? c->audit_rows : -1;
  }
};

TEST_F(RulesTest, BusinessHoursInTheOwnersZone) {
  auto a = AddAgent("a", 1);
  SetZone("Europe/Berlin");  // 2026-06-02 is a Tuesday; Berlin is UTC+2 in June
  const std::string id = AddRule({{"kind", "business_hours"}, {"days", {"mon", "tue", "wed", "thu", "fri"}},
                                  {"from", "09:00"}, {"to", "17:00"}});
  const int64_t rows = AuditRows();
  ExpectViolation(Commit(a, At("2026-06-02T15:00:00Z", "2026-06-02T15:30:00Z")), id, "business_hours");  // 17:00 local
  ExpectViolation(Commit(a, At("2026-06-02T06:30:00Z", "2026-06-02T07:30:00Z")), id, "business_hours");  // starts 08:30
  ExpectViolation(Commit(a, At("2026-06-06T10:00:00Z", "2026-06-06T10:30:00Z")), id, "business_hours");  // Saturday
  EXPECT_EQ(AuditRows(), rows);  // a refusal writes nothing
  EXPECT_EQ(Commit(a, At("2026-06-02T14:30:00Z", "2026-06-02T15:00:00Z")).status, 201);  // 16:30-17:00 local
  std::set<std::string> free = Free(a, "2026-06-02T00:00:00Z", "2026-06-03T00:00:00Z");
  EXPECT_EQ(free.size(), 15u);  // 09:00-16:30 local starts, less the booked 16:30
  EXPECT_EQ(*free.begin(), "2026-06-02T07:00:00Z");
  EXPECT_EQ(*free.rbegin(), "2026-06-02T14:00:00Z");
  EXPECT_TRUE(Free(a, "2026-06-06T00:00:00Z", "2026-06-07T00:00:00Z").empty());
  // Holds obey business hours too.
  ExpectViolation(Hold(a, At("2026-06-02T16:00:00Z", "2026-06-02T16:30:00Z")), id, "business_hours");
}

TEST_F(RulesTest, BusinessHoursFollowTheWallClockAcrossDst) {
  auto a = AddAgent("a", 1);
  SetZone("America/New_York");  // 2026-03-08: clocks go from 02:00 to 03:00
  const std::string id = AddRule({{"kind", "business_hours"}, {"days", {"sat", "sun", "mon"}}, {"from", "09:00"}, {"to", "10:00"}});
  // Saturday 09:00 EST = 14:00Z; Sunday 09:00 EDT = 13:00Z; Monday too.
  EXPECT_EQ(Free(a, "2026-03-07T00:00:00Z", "2026-03-10T00:00:00Z"),
            (std::set<std::string>{"2026-03-07T14:00:00Z", "2026-03-07T14:30:00Z", "2026-03-08T13:00:00Z",
                                   "2026-03-08T13:30:00Z", "2026-03-09T13:00:00Z", "2026-03-09T13:30:00Z"}));
  ExpectViolation(Commit(a, At("2026-03-08T14:00:00Z", "2026-03-08T14:30:00Z")), id, "business_hours");
  EXPECT_EQ(Commit(a, At("2026-03-08T13:00:00Z", "2026-03-08T13:30:00Z")).status, 201);
}

TEST_F(RulesTest, FocusBlocksOneOffAndWeekly) {
  auto a = AddAgent("a", 1);
  const std::string once = AddRule({{"kind", "focus"}, {"start", "2026-06-02T10:00:00Z"}, {"end", "2026-06-02T11:00:00Z"}});
  const std::string weekly = AddRule({{"kind", "focus"}, {"days", {"tue"}}, {"from", "13:00"}, {"to", "14:00"}});
  ExpectViolation(Commit(a, At("2026-06-02T10:30:00Z", "2026-06-02T11:30:00Z")), once, "focus");
  ExpectViolation(Commit(a, At("2026-06-09T12:45:00Z", "2026-06-09T13:15:00Z")), weekly, "focus");  // next Tuesday
  EXPECT_EQ(Commit(a, At("2026-06-02T11:00:00Z", "2026-06-02T11:30:00Z")).status, 201);            // touching is fine
  std::set<std::string> free = Free(a, "2026-06-02T09:00:00Z", "2026-06-02T15:00:00Z");
  EXPECT_EQ(free, (std::set<std::string>{"2026-06-02T09:00:00Z", "2026-06-02T09:30:00Z", "2026-06-02T11:30:00Z",
                                         "2026-06-02T12:00:00Z", "2026-06-02T12:30:00Z", "2026-06-02T14:00:00Z",
                                         "2026-06-02T14:30:00Z"}));
}

TEST_F(RulesTest, BuffersKeepRoomAroundEveryBooking) {
  auto top = AddAgent("top", 1);
  auto a = AddAgent("a", 2);
  SetZone("UTC", 0ms);
  ASSERT_EQ(Commit(top, At("2026-06-02T10:00:00Z", "2026-06-02T10:30:00Z")).status, 201);
  const std::string id = AddRule({{"kind", "buffer"}, {"before_minutes", 15}, {"after_minutes", 10}});
  ExpectViolation(Commit(a, At("2026-06-02T10:30:00Z", "2026-06-02T11:00:00Z")), id, "buffer");
  ExpectViolation(Commit(a, At("2026-06-02T09:35:00Z", "2026-06-02T09:50:00Z")), id, "buffer");
  // Overlapping a booking outright is the rank rules' business: 409, not 422.
  EXPECT_EQ(Commit(a, At("2026-06-02T10:00:00Z", "2026-06-02T10:30:00Z")).status, 409);
  EXPECT_EQ(Commit(a, At("2026-06-02T09:15:00Z", "2026-06-02T09:45:00Z")).status, 201);  // ends 15 min before
  EXPECT_EQ(Commit(a, At("2026-06-02T10:40:00Z", "2026-06-02T11:10:00Z")).status, 201);  // starts 10 min after
  // Bookings now: 09:15-09:45, 10:00-10:30, 10:40-11:10. A 30-minute claim must end 15 minutes
  // before the next one and start 10 minutes after the last.
  std::set<std::string> free = Free(a, "2026-06-02T08:00:00Z", "2026-06-02T12:30:00Z", 30, 5);
  EXPECT_TRUE(free.count("2026-06-02T08:30:00Z"));
  EXPECT_FALSE(free.count("2026-06-02T08:35:00Z"));
  EXPECT_FALSE(free.count("2026-06-02T09:50:00Z"));
  EXPECT_FALSE(free.count("2026-06-02T11:15:00Z"));
  EXPECT_TRUE(free.count("2026-06-02T11:20:00Z"));
  EXPECT_EQ(free.size(), 7u + 9u);  // 08:00-08:30 and 11:20-12:00, by 5 minutes
}

TEST_F(RulesTest, DailyCapsByCountMinutesAndAgent) {
  auto a = AddAgent("a", 1);
  auto b = AddAgent("b", 2);
  SetZone("America/New_York", 0ms);
  const std::string total = AddRule({{"kind", "cap"}, {"max_bookings", 3}});
  const std::string for_b = AddRule({{"kind", "cap"}, {"max_minutes", 60}, {"agent_id", "b"}});
  // 2026-06-02 in New York runs 04:00Z to next 04:00Z.
  EXPECT_EQ(Commit(b, At("2026-06-02T13:00:00Z", "2026-06-02T13:30:00Z")).status, 201);
  EXPECT_EQ(Commit(b, At("2026-06-02T14:00:00Z", "2026-06-02T14:30:00Z")).status, 201);
  ExpectViolation(Commit(b, At("2026-06-02T15:00:00Z", "2026-06-02T15:15:00Z")), for_b, "cap");
  EXPECT_EQ(Commit(a, At("2026-06-03T02:00:00Z", "2026-06-03T02:30:00Z")).status, 201);  // 22:00 local, same day
  ExpectViolation(Commit(a, At("2026-06-02T16:00:00Z", "2026-06-02T16:30:00Z")), total, "cap");
  EXPECT_EQ(Commit(a, At("2026-06-03T04:00:00Z", "2026-06-03T04:30:00Z")).status, 201);  // the next local day
  EXPECT_TRUE(Free(a, "2026-06-02T04:00:00Z", "2026-06-03T04:00:00Z").empty());
  EXPECT_FALSE(Free(a, "2026-06-03T04:00:00Z", "2026-06-04T04:00:00Z").empty());
  // Holds are not capped.
  EXPECT_EQ(Hold(b, At("2026-06-02T18:00:00Z", "2026-06-02T18:30:00Z")).status, 201);
}

TEST_F(RulesTest, NoticeAndHorizonCountFromNow) {
  auto a = AddAgent("a", 1);  // now: 2026-06-01T12:00:00Z
  const std::string notice = AddRule({{"kind", "notice"}, {"minutes", 120}});
  const std::string horizon = AddRule({{"kind", "horizon"}, {"days", 2}});
  ExpectViolation(Commit(a, At("2026-06-01T13:00:00Z", "2026-06-01T13:30:00Z")), notice, "notice");
  ExpectViolation(Commit(a, At("2026-06-03T11:45:00Z", "2026-06-03T12:15:00Z")), horizon, "horizon");
  EXPECT_EQ(Commit(a, At("2026-06-01T14:00:00Z", "2026-06-01T14:30:00Z")).status, 201);
  std::set<std::string> free = Free(a, "2026-06-01T12:00:00Z", "2026-06-04T00:00:00Z");
  EXPECT_EQ(*free.begin(), "2026-06-01T14:30:00Z");
  EXPECT_EQ(*free.rbegin(), "2026-06-03T11:30:00Z");
}

TEST_F(RulesTest, AdministrationIsAuditedValidatedAndSurvivesARestart) {
  AddAgent("a", 1);
  const int64_t rows = AuditRows();
  const std::string id = AddRule({{"kind", "cap"}, {"max_bookings", 4}, {"agent_id", "a"}});
  auto updated = engine_->directory().UpdateRule(owner_id_, id, {{"max_bookings", 5}, {"agent_id", "a"}});
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(json::parse(updated->spec_json)["max_bookings"], 5);
  EXPECT_FALSE(engine_->directory().UpdateRule(owner_id_, id, {{"kind", "notice"}, {"minutes", 5}}).ok());
  const std::string gone = AddRule({{"kind", "notice"}, {"minutes", 30}});
  ASSERT_TRUE(engine_->directory().DeleteRule(owner_id_, gone).ok());
  EXPECT_EQ(engine_->directory().DeleteRule(owner_id_, gone).code(), StatusCode::kNotFound);
  EXPECT_EQ(AuditRows(), rows + 4);  // created, updated, created, deleted
  for (const json& bad : {json{{"kind", "nap"}}, json{{"kind", "cap"}}, json{{"kind", "cap"}, {"max_bookings", 1}, {"max_minutes", 5}},
                          json{{"kind", "business_hours"}, {"days", {"someday"}}, {"from", "09:00"}, {"to", "10:00"}},
                          json{{"kind", "business_hours"}, {"days", {"mon"}}, {"from", "10:00"}, {"to", "09:00"}},
                          json{{"kind", "focus"}, {"start", "2026-06-02T10:00:00Z"}},
                          json{{"kind", "cap"}, {"max_bookings", 1}, {"agent_id", "nobody"}},
                          json{{"kind", "notice"}, {"minutes", 5}, {"extra", 1}}}) {
    auto r = engine_->directory().CreateRule(owner_id_, bad);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(AuditRows(), rows + 4);

  engine_->Stop();
  engine_ = std::make_unique<engine::Engine>(*store_, clock_, options_);
  ASSERT_TRUE(engine_->Start().ok());
  auto rules = engine_->directory().ListRules(owner_id_);
  ASSERT_EQ(rules.size(), 1u);
  EXPECT_EQ(rules[0].id, id);
  EXPECT_EQ(json::parse(rules[0].spec_json)["max_bookings"], 5);
}

// Thousands of random calendars and rule sets, in UTC, New York and Berlin, around their DST
// changes and with days at their caps: availability and commit agree, slot by slot.
TEST_F(RulesTest, AvailabilityAndCommitAgreeOnRandomCalendars) {
  std::mt19937 rng(20261125);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const char* zones[] = {"UTC", "America/New_York", "Europe/Berlin"};
  // Days around DST changes (and ordinary ones), 00:00Z.
  const char* days[] = {"2026-03-07T00:00:00Z", "2026-03-28T00:00:00Z", "2026-10-24T00:00:00Z",
                        "2026-10-31T00:00:00Z", "2026-06-02T00:00:00Z"};
  const char* names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
  auto hhmm = [](int min) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%02d:%02d", min / 60, min % 60);
    return std::string(buf);
  };
  int checked_free = 0, checked_busy = 0, cases = 0, capped_days = 0;
  for (int c = 0; c < 2000; ++c, ++cases) {
    auto grant = engine_->directory().RedeemMagicToken(engine_->directory().IssueMagicToken("owner" + std::to_string(c) + "@example.com"));
    ASSERT_TRUE(grant.ok());
    const std::string owner = grant->owner.id;
    auto mk = [&](const std::string& name, int priority) {
      auto created = engine_->directory().CreateAgent(owner, name, priority, {});
      return *engine_->directory().AuthenticateKey(created->plaintext_key);
    };
    auto top = mk("top", 1);
    auto me = mk("me", 2);  // ranked last: no rank rule lets its commits through
    engine::SettingsUpdate u;
    u.timezone = zones[pick(0, 2)];
    u.tie_window = 0ms;
    ASSERT_TRUE(engine_->directory().UpdateSettings(owner, u).ok());
    const Time day0 = T(days[pick(0, 4)]);
    clock_.Set(day0 - std::chrono::hours(pick(0, 30)));
    // Bookings first (rules would refuse some), by both agents, on 15-minute starts.
    for (int i = pick(0, 9); i > 0; --i) {
      const Time s = day0 + std::chrono::minutes(15 * pick(0, 48 * 4 - 1));
      Commit(i % 3 == 0 ? me : top, Span(s, s + std::chrono::minutes(15 * pick(1, 4))));
    }
    std::vector<json> rules;
    if (pick(0, 1)) {
      json d = json::array();
      for (int k = 0; k < 7; ++k) if (pick(0, 3)) d.push_back(names[k]);
      if (d.empty()) d.push_back("mon");
      rules.push_back({{"kind", "business_hours"}, {"days", d}, {"from", hhmm(15 * pick(0, 48))}, {"to", hhmm(15 * pick(56, 96))}});
    }
    if (pick(0, 2) == 0) rules.push_back({{"kind", "focus"}, {"days", {names[pick(0, 6)]}}, {"from", hhmm(15 * pick(40, 60))}, {"to", hhmm(15 * pick(61, 80))}});
    if (pick(0, 2) == 0) {
      const Time s = day0 + std::chrono::minutes(15 * pick(0, 190));
      rules.push_back({{"kind", "focus"}, {"start", FormatRfc3339(s)}, {"end", FormatRfc3339(s + std::chrono::minutes(15 * pick(1, 12)))}});
    }
    if (pick(0, 1)) rules.push_back({{"kind", "buffer"}, {"before_minutes", 5 * pick(0, 6)}, {"after_minutes", 5 * pick(1, 6)}});
    if (pick(0, 1)) rules.push_back({{"kind", "cap"}, {"max_bookings", pick(1, 4)}});
    if (pick(0, 2) == 0) rules.push_back({{"kind", "cap"}, {"max_minutes", 30 * pick(1, 5)}, {"agent_id", "me"}});
    if (pick(0, 2) == 0) rules.push_back({{"kind", "notice"}, {"minutes", 60 * pick(0, 30)}});
    if (pick(0, 2) == 0) rules.push_back({{"kind", "horizon"}, {"days", pick(1, 3)}});
    for (const json& r : rules) ASSERT_TRUE(engine_->directory().CreateRule(owner, r).ok()) << r;

    engine::AvailabilityQuery q;
    q.range_start = day0;
    q.range_end = day0 + std::chrono::hours(48);
    q.duration = std::chrono::minutes(pick(0, 1) ? 30 : 45);
    q.granularity = 15min;
    const json body = json::parse(engine_->Availability(me, q).body);
    std::set<Time> free;
    for (const json& s : body["slots"]) free.insert(T(s["start"].get<std::string>().c_str()));
    std::vector<Time> in, out;
    for (Time s = q.range_start; s + q.duration <= q.range_end; s += q.granularity) (free.count(s) ? in : out).push_back(s);
    std::shuffle(in.begin(), in.end(), rng);
    std::shuffle(out.begin(), out.end(), rng);
    capped_days += body["slots"].empty();
    for (size_t i = 0; i < in.size() && i < 6; ++i) {
      Reply r = Commit(me, Span(in[i], in[i] + q.duration));
      ASSERT_EQ(r.status, 201) << "case " << c << ": availability offered " << FormatRfc3339(in[i]) << " but " << r.raw
                               << "\nrules: " << json(rules).dump();
      ASSERT_EQ(Cancel(me, r.body["booking_id"]).status, 200);
      ++checked_free;
    }
    for (size_t i = 0; i < out.size() && i < 6; ++i) {
      Reply r = Commit(me, Span(out[i], out[i] + q.duration));
      ASSERT_NE(r.status, 201) << "case " << c << ": availability did not offer " << FormatRfc3339(out[i])
                               << " but the commit got 201\nrules: " << json(rules).dump();
      ++checked_busy;
    }
  }
  EXPECT_GT(checked_free, 3000);
  EXPECT_GT(checked_busy, 3000);
  EXPECT_GT(capped_days, 10);  // some calendars have no room at all
}

}  // namespace
}  // namespace agentdraft::testing
