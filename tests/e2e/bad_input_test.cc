// Bad input over HTTP: each case gets its documented 4xx JSON error, and nothing is written.
#include "tests/e2e/e2e_support.h"

namespace agentdraft::testing {
namespace {

struct Case {
  const char* name;
  const char* method;
  std::string path;
  std::string body;  // raw
  std::string key;   // "" = no credentials; "*" = agent a; "?" = a bad key; "@" = the owner
  int status;
  const char* error;
};

class BadInputTest : public E2eTest {
 protected:
  // Raw request so malformed bodies and odd headers can be sent.
  ApiResponse Send(const Case& c) {
    ApiClientOptions o;
    o.base_url = daemon_->base_url();
    if (c.key == "@") o.cookie = owner_->client().options().cookie;
    else if (c.key == "*") o.api_key = a_.key;
    else if (c.key == "?") o.api_key = "avs_live_notarealkey";
    else o.api_key = c.key;
    ApiClient client(o);
    Result<ApiResponse> r = Status::Internal("unsent");
    if (std::string(c.method) == "GET") r = client.Get(c.path);
    else if (std::string(c.method) == "DELETE") r = client.Delete(c.path);
    else r = client.PostRaw(c.path, c.body);
    EXPECT_TRUE(r.ok()) << c.name;
    return r.ok() ? r.value() : ApiResponse{};
  }
  // Everything the daemon holds that a bad request could change.
  std::string State() {
    auto bookings = owner_->client().Get("/v1/bookings?limit=1000");
    auto audit = owner_->client().Get("/v1/audit?limit=1000");
    return bookings->body + "\n" + audit->body;
  }

  TestAgent a_, b_;
};

TEST_F(BadInputTest, EveryMalformedRequestGetsItsErrorAndChangesNothing) {
  a_ = owner_->AddAgent("a", 1);
  b_ = owner_->AddAgent("b", 2);
  ApiClient b = Client(b_.key);
  const std::string b_booking = b.Post("/v1/bookings", Claim(600, 630))->Json().value()["booking_id"];
  ApiClient a = Client(a_.key);
  ASSERT_EQ(a.Post("/v1/bookings", Claim(0, 30, "key-1"))->status, 201);

  const std::string ok_times = R"("start":"2027-03-01T12:00:00Z","end":"2027-03-01T12:30:00Z")";
  const std::vector<Case> cases = {
      {"malformed JSON", "POST", "/v1/bookings", "{\"start\": ", "*", 400, "validation_error"},
      {"body not an object", "POST", "/v1/bookings", "[1, 2]", "*", 400, "validation_error"},
      {"empty body", "POST", "/v1/bookings", "", "*", 400, "validation_error"},
      {"missing start", "POST", "/v1/bookings", R"({"end":"2027-03-01T12:30:00Z"})", "*", 400, "validation_error"},
      {"missing end", "POST", "/v1/bookings", R"({"start":"2027-03-01T12:00:00Z"})", "*", 400, "validation_error"},
      {"start is a number", "POST", "/v1/bookings", R"({"start":17,"end":"2027-03-01T12:30:00Z"})", "*", 400, "validation_error"},
      {"unparsable time", "POST", "/v1/bookings", R"({"start":"tomorrow","end":"2027-03-01T12:30:00Z"})", "*", 400, "validation_error"},
      {"month 13", "POST", "/v1/bookings", R"({"start":"2027-13-01T12:00:00Z","end":"2027-03-01T12:30:00Z"})", "*", 400, "validation_error"},
      {"end equals start", "POST", "/v1/bookings", R"({"start":"2027-03-01T12:00:00Z","end":"2027-03-01T12:00:00Z"})", "*", 400, "validation_error"},
      {"end before start", "POST", "/v1/bookings", R"({"start":"2027-03-01T12:00:00Z","end":"2027-03-01T11:00:00Z"})", "*", 400, "validation_error"},
      {"claim over 8 h", "POST", "/v1/bookings", R"({"start":"2027-03-01T08:00:00Z","end":"2027-03-01T16:05:00Z"})", "*", 400, "validation_error"},
      {"hold over 8 h", "POST", "/v1/holds", R"({"start":"2027-03-01T08:00:00Z","end":"2027-03-01T16:05:00Z"})", "*", 400, "validation_error"},
      {"metadata not an object", "POST", "/v1/bookings", "{" + ok_times + R"(,"metadata":[1]})", "*", 400, "validation_error"},
      {"huge number", "POST", "/v1/bookings", R"({"start":1e400,"end":"2027-03-01T12:30:00Z"})", "*", 400, "validation_error"},
      {"invalid UTF-8", "POST", "/v1/bookings", "{\"start\":\"\xff\xfe\",\"end\":\"2027-03-01T12:30:00Z\"}", "*", 400, "validation_error"},
      {"unknown key", "POST", "/v1/bookings", "{" + ok_times + "}", "?", 401, "unauthorized"},
      {"missing key", "POST", "/v1/bookings", "{" + ok_times + "}", "", 401, "unauthorized"},
      {"unknown booking", "GET", "/v1/bookings/bkg_doesnotexist", "", "*", 404, "not_found"},
      {"another agent's booking", "GET", "/v1/bookings/" + b_booking, "", "*", 404, "not_found"},
      {"cancel another agent's booking", "DELETE", "/v1/bookings/" + b_booking, "", "*", 404, "not_found"},
      {"release an unknown hold", "DELETE", "/v1/holds/hld_nope", "", "*", 404, "not_found"},
      {"unknown route", "GET", "/v1/nothing-here", "", "*", 404, "not_found"},
      {"wrong method", "DELETE", "/v1/availability", "", "*", 405, "method_not_allowed"},
      {"same key, different request", "POST", "/v1/bookings", R"({"start":"2027-03-01T09:30:00Z","end":"2027-03-01T10:00:00Z","idempotency_key":"key-1"})", "*", 422, "idempotency_mismatch"},
      {"availability without range", "GET", "/v1/availability?duration_minutes=30", "", "*", 400, "validation_error"},
      {"availability reversed range", "GET", "/v1/availability?range_start=2027-03-02T00:00:00Z&range_end=2027-03-01T00:00:00Z", "", "*", 400, "validation_error"},
      {"availability over 31 days", "GET", "/v1/availability?range_start=2027-03-01T00:00:00Z&range_end=2027-05-01T00:00:00Z", "", "*", 400, "validation_error"},
      {"owner endpoint with an agent key", "POST", "/v1/dashboard/agents", R"({"name":"x"})", "*", 403, "forbidden"},
      {"agent with an empty name", "POST", "/v1/dashboard/agents", R"({"name":""})", "@", 400, "validation_error"},
      {"agent with a priority of 0", "POST", "/v1/dashboard/agents", R"({"name":"z","priority":0})", "@", 400, "validation_error"},
      {"agent name taken", "POST", "/v1/dashboard/agents", R"({"name":"a"})", "@", 409, "name_taken"},
  };
  const std::string before = State();
  for (const Case& c : cases) {
    ApiResponse r = Send(c);
    EXPECT_EQ(r.status, c.status) << c.name << ": " << r.body;
    auto j = r.Json();
    ASSERT_TRUE(j.ok()) << c.name << ": not JSON: " << r.body;
    EXPECT_EQ(j->value("error", ""), c.error) << c.name << ": " << r.body;
    EXPECT_FALSE(j->value("message", "").empty()) << c.name;
  }
  EXPECT_EQ(State(), before) << "a bad request changed something";
}

TEST_F(BadInputTest, SameKeySameRequestReplaysByteForByte) {
  a_ = owner_->AddAgent("a", 1);
  ApiClient a = Client(a_.key);
  auto first = a.Post("/v1/bookings", Claim(0, 30, "replay"));
  auto again = a.Post("/v1/bookings", Claim(0, 30, "replay"));
  EXPECT_EQ(first->status, 201);
  EXPECT_EQ(again->status, 201);
  EXPECT_EQ(again->body, first->body);
}

TEST_F(BadInputTest, IdempotencyKeyHeaderIsAccepted) {
  a_ = owner_->AddAgent("a", 1);
  ApiClient a = Client(a_.key);
  auto first = a.PostRaw("/v1/bookings", Claim(0, 30).dump(), {"Idempotency-Key: hdr-1"});
  auto again = a.Post("/v1/bookings", Claim(0, 30, "hdr-1"));
  EXPECT_EQ(first->status, 201);
  EXPECT_EQ(again->body, first->body);
}

}  // namespace
}  // namespace agentdraft::testing
