// Counter-proposals over HTTP against the real daemon (docs/api.md, "Counter-proposals"): the
// whole exchange as an agent's SDK makes it, who may do what, and bad input that changes
// nothing.
#include <barrier>
#include <thread>

#include "tests/e2e/e2e_support.h"
#include "tests/support/dynamodb_local.h"

namespace agentdraft::testing {
namespace {

using nlohmann::json;

class CountersTest : public E2eTest {
 protected:
  void SetUp() override {
    E2eTest::SetUp();
    top_ = owner_->AddAgent("exec-ea", 1);
    low_ = owner_->AddAgent("sales-bot", 4);
    auto won = Client(top_.key).Post("/v1/bookings", Claim(0, 30));
    ASSERT_TRUE(won.ok());
    ASSERT_EQ(won->status, 201) << won->body;
    booking_ = won->Json()->value("booking_id", "");
    auto lost = Client(low_.key).Post("/v1/bookings", Claim(0, 30));
    ASSERT_EQ(lost->status, 409) << lost->body;
    ASSERT_EQ(lost->Json()->value("winning_booking_id", ""), booking_);
  }

  // The audit head, through the owner: what a refused request must leave alone.
  int64_t AuditHead() {
    auto r = owner_->client().Get("/v1/audit?limit=1000");
    const json events = r->Json().value()["events"];
    return events.empty() ? 0 : events.back()["seq"].get<int64_t>();
  }

  static json Offer(std::vector<std::pair<int64_t, int64_t>> slots) {
    json proposed = json::array();
    for (auto [from, to] : slots) proposed.push_back({{"start", At(from)}, {"end", At(to)}});
    return {{"proposed", proposed}, {"note", "the afternoon works for our client"}};
  }

  TestAgent top_, low_;
  std::string booking_;
};

TEST_F(CountersTest, TheLoserProposesTheWinnerAcceptsAndTheLoserTakesTheFreedSlot) {
  ApiClient low = Client(low_.key), top = Client(top_.key);
  auto proposed = low.Post("/v1/bookings/" + booking_ + "/counter", Offer({{120, 150}, {180, 210}}),
                           {"Idempotency-Key: ctr-1"});
  ASSERT_EQ(proposed->status, 201) << proposed->body;
  const json counter = *proposed->Json();
  EXPECT_EQ(counter["booking_id"], booking_);
  EXPECT_EQ(counter["status"], "PENDING");
  EXPECT_EQ(counter["proposed"][1]["start"], At(180));
  const std::string id = counter["counter_id"];
  EXPECT_EQ(id.rfind("ctr_", 0), 0u);
  // A retry with the same key is the same answer, not a second counter.
  auto again = low.Post("/v1/bookings/" + booking_ + "/counter", Offer({{120, 150}, {180, 210}}),
                        {"Idempotency-Key: ctr-1"});
  EXPECT_EQ(again->status, 201);
  EXPECT_EQ(again->body, proposed->body);

  auto listed = top.Get("/v1/bookings/" + booking_ + "/counters");
  ASSERT_EQ(listed->status, 200) << listed->body;
  ASSERT_EQ(listed->Json().value()["counters"].size(), 1u);
  EXPECT_EQ(listed->Json().value()["counters"][0]["counter_id"], id);

  auto accepted = top.Post("/v1/bookings/" + booking_ + "/counters/" + id + "/accept", {{"slot_index", 1}});
  ASSERT_EQ(accepted->status, 201) << accepted->body;
  const json moved = accepted->Json().value()["booking"];
  EXPECT_EQ(moved["start"], At(180));
  EXPECT_EQ(moved["status"], "COMMITTED");
  auto original = top.Get("/v1/bookings/" + booking_);
  EXPECT_EQ(original->Json().value()["status"], "CANCELLED");
  EXPECT_EQ(original->Json().value()["ended_by"], moved["booking_id"]);

  // The loser learns it (its audit view shows the acceptance) and takes the slot it lost.
  auto seen = low.Get("/v1/audit?kind=counter.accepted");
  ASSERT_EQ(seen->status, 200) << seen->body;
  ASSERT_EQ(seen->Json().value()["events"].size(), 1u);
  EXPECT_EQ(seen->Json().value()["events"][0]["payload"]["new_booking_id"], moved["booking_id"]);
  EXPECT_EQ(low.Post("/v1/bookings", Claim(0, 30))->status, 201);
}

TEST_F(CountersTest, WhoMayDoWhat) {
  ApiClient low = Client(low_.key), top = Client(top_.key);
  const std::string id = low.Post("/v1/bookings/" + booking_ + "/counter", Offer({{120, 150}}))->Json()->value("counter_id", "");
  ASSERT_FALSE(id.empty());
  const std::string accept = "/v1/bookings/" + booking_ + "/counters/" + id + "/accept";
  const std::string reject = "/v1/bookings/" + booking_ + "/counters/" + id + "/reject";
  const int64_t head = AuditHead();
  // The proposer answers nothing; a third agent sees nothing of others' counters.
  EXPECT_EQ(low.Post(accept, {{"slot_index", 0}})->status, 404);
  EXPECT_EQ(low.Post(reject, json::object())->status, 404);
  TestAgent other = owner_->AddAgent("recruit-bot", 3);
  const int64_t after_agent = AuditHead();  // creating the agent is a row of its own
  EXPECT_EQ(after_agent, head + 1);
  auto listed = Client(other.key).Get("/v1/bookings/" + booking_ + "/counters");
  ASSERT_EQ(listed->status, 200);
  EXPECT_TRUE(listed->Json().value()["counters"].empty());
  // Its own booking is not for countering; a key without bookings:write cannot propose.
  EXPECT_EQ(top.Post("/v1/bookings/" + booking_ + "/counter", Offer({{120, 150}}))->status, 400);
  auto reader = owner_->client().Post("/v1/dashboard/agents",
                                      {{"name", "reader"}, {"priority", 9}, {"scopes", {"availability:read"}}});
  ASSERT_EQ(reader->status, 201) << reader->body;
  auto forbidden = Client(reader->Json()->value("plaintext_key", ""))
                       .Post("/v1/bookings/" + booking_ + "/counter", Offer({{120, 150}}));
  EXPECT_EQ(forbidden->status, 403) << forbidden->body;
  const int64_t before_reject = AuditHead();
  // Another owner's agent cannot see the booking at all.
  DevOwner stranger(daemon_->base_url(), "stranger@example.test");
  TestAgent theirs = stranger.AddAgent("their-bot", 1);
  EXPECT_EQ(Client(theirs.key).Post("/v1/bookings/" + booking_ + "/counter", Offer({{120, 150}}))->status, 404);
  EXPECT_EQ(Client(theirs.key).Get("/v1/bookings/" + booking_ + "/counters")->status, 404);
  // The owner may answer for its agent.
  auto by_owner = owner_->client().Post(reject, json::object());
  ASSERT_EQ(by_owner->status, 200) << by_owner->body;
  EXPECT_EQ(by_owner->Json().value()["status"], "REJECTED");
  EXPECT_GT(AuditHead(), before_reject);
}

TEST_F(CountersTest, BadInputIsNamedAndChangesNothing) {
  ApiClient low = Client(low_.key), top = Client(top_.key);
  const std::string path = "/v1/bookings/" + booking_ + "/counter";
  const int64_t head = AuditHead();
  auto expect_400 = [&](const std::string& body, const std::string& field) {
    auto r = low.PostRaw(path, body, {});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, 400) << body << " → " << r->body;
    EXPECT_EQ(r->Json().value().value("error", ""), "validation_error") << r->body;
    EXPECT_NE(r->body.find(field), std::string::npos) << field << " not named in " << r->body;
  };
  expect_400("{", "body");
  expect_400("[]", "body");
  expect_400("{}", "proposed");
  expect_400(R"({"proposed":[]})", "proposed");
  expect_400(Offer({{1, 2}, {3, 4}, {5, 6}, {7, 8}, {9, 10}, {11, 12}}).dump(), "proposed");
  expect_400(R"({"proposed":[{"start":"2027-03-02T10:00:00Z"}]})", "proposed[0].end");
  expect_400(R"({"proposed":["10:00"]})", "proposed[0]");
  expect_400(Offer({{60, 30}}).dump(), "proposed[0].end");
  expect_400(Offer({{60, 90}, {0, 600}}).dump(), "proposed[1].end");  // longer than 8 h
  json long_note = Offer({{60, 90}});
  long_note["note"] = std::string(501, 'n');
  expect_400(long_note.dump(), "note");
  long_note["note"] = 42;
  expect_400(long_note.dump(), "note");
  json fine_note = Offer({{60, 90}});
  std::string accents;
  for (int i = 0; i < 500; ++i) accents += "é";
  fine_note["note"] = accents;
  EXPECT_EQ(AuditHead(), head);
  // 500 characters of two bytes each is within the limit (characters, not bytes).
  auto fine = low.Post(path, fine_note);
  EXPECT_EQ(fine->status, 201) << fine->body;
  const std::string id = fine->Json()->value("counter_id", "");

  const std::string accept = "/v1/bookings/" + booking_ + "/counters/" + id + "/accept";
  const int64_t before = AuditHead();
  for (const std::string& body : {std::string("{}"), std::string(R"({"slot_index":"0"})"),
                                  std::string(R"({"slot_index":0.5})")}) {
    auto r = top.PostRaw(accept, body, {});
    EXPECT_EQ(r->status, 400) << body << " → " << r->body;
    EXPECT_NE(r->body.find("slot_index"), std::string::npos) << r->body;
  }
  for (int bad : {-1, 1, 99999}) {
    auto r = top.Post(accept, {{"slot_index", bad}});
    EXPECT_EQ(r->status, 400) << bad << " → " << r->body;
  }
  EXPECT_EQ(top.Post("/v1/bookings/" + booking_ + "/counters/ctr_nosuch/accept", {{"slot_index", 0}})->status, 404);
  EXPECT_EQ(top.Post("/v1/bookings/bkg_nosuch/counters/" + id + "/accept", {{"slot_index", 0}})->status, 404);
  EXPECT_EQ(AuditHead(), before);
  EXPECT_EQ(top.Get("/v1/bookings/" + booking_)->Json().value()["status"], "COMMITTED");
}

// Two daemons on one DynamoDB Local table: a counter proposed at one is answered at the other,
// and two acceptances of one counter at two daemons at once cannot both move the booking.
TEST(CountersAcrossDaemons, ProposedAtOneDaemonAndAcceptedOnceAcrossTwo) {
  if (!DynamoDbLocal::Available()) {
    if (std::getenv("AGENTDRAFT_REQUIRE_DYNAMODB")) FAIL() << "DynamoDB Local is not installed (scripts/setup.sh)";
    GTEST_SKIP() << "DynamoDB Local is not installed (scripts/setup.sh installs it)";
  }
  UseLocalAwsCredentials();
  const std::string table = DynamoDbLocal::UniqueTableName("ctr");
  TempDir dir;
  std::vector<std::unique_ptr<DaemonProcess>> daemons;
  for (int i = 0; i < 2; ++i) {
    daemons.push_back(std::make_unique<DaemonProcess>(
        dir.File("d" + std::to_string(i)),
        std::vector<std::string>{"--dev", "--store", "dynamodb", "--dynamodb-table", table, "--dynamodb-endpoint",
                                 DynamoDbLocal::Shared().endpoint(), "--create-table", "--tie-window", "0ms"}));
    ASSERT_TRUE(daemons.back()->Start().ok()) << daemons.back()->Log();
  }
  auto client = [&](int daemon, const std::string& key) {
    ApiClientOptions o;
    o.base_url = daemons[daemon]->base_url();
    o.api_key = key;
    return ApiClient(o);
  };
  DevOwner owner(daemons[0]->base_url());
  TestAgent top = owner.AddAgent("exec-ea", 1), low = owner.AddAgent("sales-bot", 2);
  auto won = client(0, top.key).Post("/v1/bookings", Claim(0, 30));
  ASSERT_EQ(won->status, 201) << won->body;
  const std::string booking = won->Json()->value("booking_id", "");
  json offer = {{"proposed", {{{"start", At(60)}, {"end", At(90)}}, {{"start", At(120)}, {"end", At(150)}}}}};
  auto proposed = client(1, low.key).Post("/v1/bookings/" + booking + "/counter", offer);
  ASSERT_EQ(proposed->status, 201) << proposed->body;
  const std::string counter = proposed->Json()->value("counter_id", "");

  // Both daemons accept at once, each a different slot: one moves the booking, the other
  // finds the counter decided.
  std::barrier go(2);
  int status[2] = {0, 0};
  std::string bodies[2];
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back([&, i] {
      ApiClient c = client(i, top.key);
      go.arrive_and_wait();
      auto r = c.Post("/v1/bookings/" + booking + "/counters/" + counter + "/accept", {{"slot_index", i}});
      status[i] = r.ok() ? r->status : -1;
      bodies[i] = r.ok() ? r->body : r.status().ToString();
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ((status[0] == 201) + (status[1] == 201), 1) << bodies[0] << "\n" << bodies[1];
  const int loser = status[0] == 201 ? 1 : 0;
  EXPECT_EQ(status[loser], 409) << bodies[loser];
  EXPECT_EQ(json::parse(bodies[loser]).value("status", ""), "ACCEPTED") << bodies[loser];
  const json moved = json::parse(bodies[1 - loser])["booking"];
  // Either daemon now shows one committed booking of top's: the moved one.
  for (int i = 0; i < 2; ++i) {
    auto list = client(i, top.key).Get("/v1/bookings?status=COMMITTED");
    ASSERT_EQ(list->status, 200) << list->body;
    const json bookings = list->Json().value()["bookings"];
    ASSERT_EQ(bookings.size(), 1u) << list->body;
    EXPECT_EQ(bookings[0]["booking_id"], moved["booking_id"]);
  }
  for (auto& d : daemons) EXPECT_EQ(d->Stop(), 0) << d->Log();
}

}  // namespace
}  // namespace agentdraft::testing
