// Bad input over HTTP: each case gets its documented 4xx JSON error, and nothing is written.
#include <cstdio>

#include "tests/e2e/e2e_support.h"
#include "tests/support/nested_json.h"

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

// A claim body whose `metadata` is `metadata_json`, as raw text.
std::string ClaimWithMetadata(int64_t from_min, const std::string& metadata_json) {
  std::string body = Claim(from_min, from_min + 30).dump();
  body.insert(body.size() - 1, ",\"metadata\":" + metadata_json);
  return body;
}

class BadInputTest : public E2eTest {
 protected:
  // Hundreds of bad requests from one agent back to back are a flood by agentdraftd's default
  // rate limit; it is off here, so that each request's own error is what is tested.
  void SetUp() override { StartDaemon({"--dev", "--rate-limit", "0"}); }
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

// The bad-input corpus: every endpoint that takes input × each of its fields × bad values
// (wrong type, null, empty, huge, negative, out of range, bad RFC 3339, end <= start, too long,
// invalid UTF-8), malformed JSON on every body endpoint, and bad headers. Each must get a 4xx
// JSON error whose message is not empty (and names the field, for a field's case); none may
// get a 5xx or write anything.
struct CorpusCase {
  std::string name;
  std::string method;
  std::string path;
  std::string body;                  // raw; "" with GET/DELETE
  std::string key;                   // as Case::key; "" = none
  std::vector<std::string> headers;  // extra header lines
  int status = 0;                    // 0 = any 4xx
  std::string field;                 // the message must name it ("" = no check)
};

std::vector<CorpusCase> BuildCorpus(const std::string& agent_id) {
  using nlohmann::json;
  std::vector<CorpusCase> out;
  const json ok_claim = {{"start", "2027-03-01T12:00:00Z"}, {"end", "2027-03-01T12:30:00Z"}};
  const std::string invalid_utf8 = "\xff\xfe\xfd";
  // Bad values of a time field; each is 400.
  const std::vector<std::pair<std::string, std::string>> bad_times = {
      {"number", "17"}, {"true", "true"}, {"array", "[]"}, {"object", "{}"}, {"empty", "\"\""},
      {"word", "\"tomorrow\""}, {"month 13", "\"2027-13-01T12:00:00Z\""},
      {"30 February", "\"2027-02-30T12:00:00Z\""}, {"hour 25", "\"2027-03-01T25:00:00Z\""},
      {"no T", "\"2027-03-01 12:00:00\""}, {"no zone", "\"2027-03-01T12:00:00\""},
      {"date only", "\"2027-03-01\""}, {"invalid UTF-8", "\"" + invalid_utf8 + "\""},
      {"year 10000", "\"10000-01-01T00:00:00Z\""}, {"huge number", "1e400"},
      {"far past", "\"1970-01-01T00:00:00Z\""}, {"far future", "\"2999-01-01T00:00:00Z\""},
  };
  auto with = [](json base, const std::string& field, const std::string& raw_value) {
    std::string body = base.dump();
    const std::string quoted = "\"" + field + "\":";
    const size_t at = body.find(quoted);
    if (at == std::string::npos) {  // add it
      body.insert(body.size() - 1, std::string(base.empty() ? "" : ",") + quoted + raw_value);
    } else {  // replace its value (a string)
      const size_t v = at + quoted.size();
      const size_t end = body.find('"', v + 1);
      body.replace(v, end - v + 1, raw_value);
    }
    return body;
  };
  // Claims: start and end, for commits and holds.
  for (const std::string path : {"/v1/bookings", "/v1/holds"}) {
    for (const char* field : {"start", "end"}) {
      for (const auto& [what, raw] : bad_times) {
        out.push_back({path + " " + field + " " + what, "POST", path, with(ok_claim, field, raw), "*", {}, 400,
                       what == "far past" || what == "far future" || what == "invalid UTF-8" ||
                               what == "huge number" ? "" : field});
      }
      out.push_back({path + " " + field + " null", "POST", path, with(ok_claim, field, "null"), "*", {}, 400, field});
      json missing = ok_claim;
      missing.erase(field);
      out.push_back({path + " without " + field, "POST", path, missing.dump(), "*", {}, 400, field});
    }
    out.push_back({path + " end = start", "POST", path,
                   with(ok_claim, "end", "\"2027-03-01T12:00:00Z\""), "*", {}, 400, "end"});
    out.push_back({path + " end before start", "POST", path,
                   with(ok_claim, "end", "\"2027-03-01T11:00:00Z\""), "*", {}, 400, "end"});
    out.push_back({path + " claim of 9 h", "POST", path,
                   with(ok_claim, "end", "\"2027-03-01T21:00:00Z\""), "*", {}, 400, "end"});
    for (const auto& [what, raw] : std::vector<std::pair<std::string, std::string>>{
             {"number", "17"}, {"array", "[1]"}, {"object", "{}"}, {"true", "true"},
             {"300 chars", "\"" + std::string(300, 'k') + "\""}}) {
      out.push_back({path + " idempotency_key " + what, "POST", path, with(ok_claim, "idempotency_key", raw),
                     "*", {}, 400, "idempotency_key"});
    }
    for (const auto& [what, raw] : std::vector<std::pair<std::string, std::string>>{
             {"array", "[1]"}, {"string", "\"m\""}, {"number", "17"}, {"true", "true"},
             {"17 KiB", "{\"pad\":\"" + std::string(17 * 1024, 'm') + "\"}"},
             {"with a key twice", R"({"metadata":1,"metadata":2})"}}) {
      out.push_back({path + " metadata " + what, "POST", path, with(ok_claim, "metadata", raw), "*", {}, 400,
                     "metadata"});
    }
    for (const auto& [what, raw] : std::vector<std::pair<std::string, std::string>>{
             {"nested 60000 deep", NestedObjects(60000)}, {"nested 64 deep", NestedObjects(64)}}) {
      out.push_back({path + " metadata " + what, "POST", path, with(ok_claim, "metadata", raw), "*", {}, 400,
                     "deeper than 64 levels"});
    }
  }
  // Commit-only fields.
  for (const auto& [field, values] : std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>>{
           {"title", {{"number", "17"}, {"array", "[]"}, {"object", "{}"}, {"600 chars", "\"" + std::string(600, 't') + "\""}}},
           {"invitee", {{"string", "\"bob\""}, {"number", "17"}, {"array", "[]"},
                        {"email number", "{\"email\":17}"}, {"name 400 chars", "{\"name\":\"" + std::string(400, 'n') + "\"}"}}},
           {"user_id", {{"another calendar", "\"usr_someoneelse\""}, {"number", "17"}}},
           {"hold_id", {{"number", "17"}}}}) {
    for (const auto& [what, raw] : values) {
      out.push_back({"/v1/bookings " + field + " " + what, "POST", "/v1/bookings", with(ok_claim, field, raw), "*",
                     {}, 0, field == "hold_id" ? "" : field});
    }
  }
  // Availability query parameters.
  const std::string range = "range_start=2027-03-01T00:00:00Z&range_end=2027-03-02T00:00:00Z";
  for (const auto& [what, query, field] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"no range", "duration_minutes=30", "range_start"},
           {"bad range_start", "range_start=soon&range_end=2027-03-02T00:00:00Z", "range_start"},
           {"bad range_end", "range_start=2027-03-01T00:00:00Z&range_end=2027-99-02T00:00:00Z", "range_end"},
           {"reversed", "range_start=2027-03-02T00:00:00Z&range_end=2027-03-01T00:00:00Z", "range_end"},
           {"empty range", "range_start=2027-03-01T00:00:00Z&range_end=2027-03-01T00:00:00Z", "range_end"},
           {"32 days", "range_start=2027-03-01T00:00:00Z&range_end=2027-04-02T00:00:00Z", "range_end"},
           {"duration 0", range + "&duration_minutes=0", "duration_minutes"},
           {"duration -5", range + "&duration_minutes=-5", "duration_minutes"},
           {"duration abc", range + "&duration_minutes=abc", "duration_minutes"},
           {"duration 1e9", range + "&duration_minutes=1000000000", "duration_minutes"},
           {"duration 9h", range + "&duration_minutes=540", "duration_minutes"},
           {"duration=forever", range + "&duration=forever", "duration"},
           {"granularity 0", range + "&duration_minutes=30&granularity_minutes=0", "granularity_minutes"},
           {"granularity -1", range + "&duration_minutes=30&granularity_minutes=-1", "granularity_minutes"},
           {"granularity 2000", range + "&duration_minutes=30&granularity_minutes=2000", "granularity_minutes"},
           {"granularity x", range + "&duration_minutes=30&granularity_minutes=x", "granularity_minutes"},
           {"include_holds maybe", range + "&duration_minutes=30&include_holds=maybe", "include_holds"},
           {"duration 0x10", range + "&duration_minutes=0x10", "duration_minutes"},
           {"duration +16", range + "&duration_minutes=%2B16", "duration_minutes"},
           {"duration 1e1", range + "&duration_minutes=1e1", "duration_minutes"},
           {"granularity 0x10", range + "&duration_minutes=30&granularity_minutes=0x10", "granularity_minutes"}}) {
    out.push_back({"availability " + what, "GET", "/v1/availability?" + query, "", "*", {}, 400, field});
  }
  // Owner endpoints.
  const json new_agent = {{"name", "corpus-agent"}};
  for (const auto& [what, raw] : std::vector<std::pair<std::string, std::string>>{
           {"number", "17"}, {"null", "null"}, {"array", "[]"}, {"object", "{}"}, {"true", "true"}}) {
    out.push_back({"agents name " + what, "POST", "/v1/dashboard/agents", with(new_agent, "name", raw), "@", {}, 400, "name"});
  }
  out.push_back({"agents name empty", "POST", "/v1/dashboard/agents", with(new_agent, "name", "\"\""), "@", {}, 400, ""});
  out.push_back({"agents without name", "POST", "/v1/dashboard/agents", R"({"priority":9})", "@", {}, 400, "name"});
  const std::vector<std::pair<std::string, std::string>> bad_priorities = {
      {"0", "0"}, {"-1", "-1"}, {"string", "\"1\""}, {"1.5", "1.5"}, {"1e20", "1e20"},
      {"1000001", "1000001"}, {"true", "true"}, {"array", "[1]"}, {"2^63", "9223372036854775808"}};
  const std::vector<std::pair<std::string, std::string>> bad_scopes = {
      {"string", "\"bookings:write\""}, {"number list", "[17]"}, {"object", "{}"}, {"unknown scope", "[\"root:all\"]"},
      {"number", "5"}};
  for (const auto& [what, raw] : bad_priorities) {
    out.push_back({"agents priority " + what, "POST", "/v1/dashboard/agents", with(new_agent, "priority", raw), "@", {}, 400, "priority"});
    out.push_back({"agent PATCH priority " + what, "PATCH", "/v1/dashboard/agents/" + agent_id,
                   "{\"priority\":" + raw + "}", "@", {}, 400, "priority"});
  }
  for (const auto& [what, raw] : bad_scopes) {
    out.push_back({"agents scopes " + what, "POST", "/v1/dashboard/agents", with(new_agent, "scopes", raw), "@", {}, 400, "scopes"});
    out.push_back({"agent PATCH scopes " + what, "PATCH", "/v1/dashboard/agents/" + agent_id,
                   "{\"scopes\":" + raw + "}", "@", {}, 400, "scopes"});
  }
  out.push_back({"agent PATCH unknown field", "PATCH", "/v1/dashboard/agents/" + agent_id, R"({"name":"renamed"})", "@", {}, 400, "name"});
  out.push_back({"agent PATCH unknown agent", "PATCH", "/v1/dashboard/agents/agt_nope", R"({"priority":3})", "@", {}, 404, ""});
  out.push_back({"rank order missing an agent", "PATCH", "/v1/dashboard/agents", R"({"order":[]})", "@", {}, 400, ""});
  out.push_back({"rank order not a list", "PATCH", "/v1/dashboard/agents", R"({"order":"a"})", "@", {}, 400, "order"});
  out.push_back({"rank order unknown agent", "PATCH", "/v1/dashboard/agents", R"({"order":["a","b","ghost"]})", "@", {}, 400, ""});
  out.push_back({"rank order twice", "PATCH", "/v1/dashboard/agents", R"({"order":["a","a","b"]})", "@", {}, 400, ""});
  for (const auto& [field, values] : std::vector<std::pair<std::string, std::vector<std::string>>>{
           {"tie_window_ms", {"-1", "5001", "\"20\"", "true", "[]", "1e30"}},
           {"bump_window_seconds", {"-1", "86401", "\"x\"", "{}"}},
           {"hold_ttl_seconds", {"0", "-5", "86401", "\"30\""}},
           {"max_holds_per_agent", {"0", "10001", "-3", "false"}},
           {"max_active_claims_per_agent", {"0", "1000001", "-1", "\"5\"", "2.5"}},
           {"max_metadata_bytes_per_agent", {"-1", "1073741825", "\"1024\"", "true"}},
           {"timezone", {"\"Mars/Olympus_Mons\"", "17", "\"\"", "\"" + invalid_utf8 + "\"", "\"../../etc/passwd\""}},
           {"colour", {"\"blue\""}}}) {
    for (const std::string& raw : values) {
      out.push_back({"settings " + field + " = " + raw.substr(0, 20), "PATCH", "/v1/dashboard/settings",
                     "{\"" + field + "\":" + raw + "}", "@", {}, 400,
                     raw.find(invalid_utf8) == std::string::npos ? field : ""});
    }
  }
  for (const auto& [what, body] : std::vector<std::pair<std::string, std::string>>{
           {"no kind", R"({"minutes":5})"}, {"unknown kind", R"({"kind":"teleport"})"}, {"kind number", R"({"kind":7})"},
           {"business_hours bad day", R"({"kind":"business_hours","days":["funday"],"from":"09:00","to":"17:00"})"},
           {"business_hours from 25:00", R"({"kind":"business_hours","days":["mon"],"from":"25:00","to":"17:00"})"},
           {"business_hours from +9:00", R"({"kind":"business_hours","days":["mon"],"from":"+9:00","to":"17:00"})"},
           {"business_hours from \" 9:00\"", R"({"kind":"business_hours","days":["mon"],"from":" 9:00","to":"17:00"})"},
           {"business_hours to -1:00", R"({"kind":"business_hours","days":["mon"],"from":"09:00","to":"-1:00"})"},
           {"business_hours to before from", R"({"kind":"business_hours","days":["mon"],"from":"17:00","to":"09:00"})"},
           {"business_hours days string", R"({"kind":"business_hours","days":"mon","from":"09:00","to":"17:00"})"},
           {"focus bad start", R"({"kind":"focus","start":"soon","end":"2027-03-01T12:00:00Z"})"},
           {"focus end before start", R"({"kind":"focus","start":"2027-03-01T12:00:00Z","end":"2027-03-01T11:00:00Z"})"},
           {"buffer negative", R"({"kind":"buffer","before_minutes":-1,"after_minutes":5})"},
           {"buffer string", R"({"kind":"buffer","before_minutes":"5","after_minutes":5})"},
           {"cap without a limit", R"({"kind":"cap"})"}, {"cap negative", R"({"kind":"cap","max_bookings":-2})"},
           {"notice negative", R"({"kind":"notice","minutes":-5})"}, {"horizon string", R"({"kind":"horizon","days":"x"})"},
           {"horizon unknown field", R"({"kind":"horizon","days":30,"extra":1})"},
           {"business_hours days nested 60000 deep",
            R"({"kind":"business_hours","from":"09:00","to":"17:00","days":)" + std::string(60000, '[') +
                std::string(60000, ']') + "}"}}) {
    out.push_back({"rule " + what, "POST", "/v1/dashboard/rules", body, "@", {}, 400, ""});
  }
  out.push_back({"rule PATCH unknown", "PATCH", "/v1/dashboard/rules/rul_nope", R"({"minutes":5})", "@", {}, 404, ""});
  for (const auto& [what, body, field] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"unknown event", R"({"event_type":"nope.*","url":"https://example.com/h"})", "event_type"},
           {"event number", R"({"event_type":17,"url":"https://example.com/h"})", "event_type"},
           {"event empty", R"({"event_type":"","url":"https://example.com/h"})", "event_type"},
           {"ftp url", R"({"event_type":"*","url":"ftp://example.com/h"})", "url"},
           {"not a url", R"({"event_type":"*","url":"not a url"})", "url"},
           {"url number", R"({"event_type":"*","url":17})", "url"},
           {"url empty", R"({"event_type":"*","url":""})", "url"},
           {"no url", R"({"event_type":"*"})", "url"}}) {
    out.push_back({"webhook " + what, "POST", "/v1/dashboard/webhooks", body, "@", {}, 400, field});
  }
  for (const auto& [what, path, body] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"email number", "/v1/auth/magic-link", R"({"email":17})"}, {"email empty", "/v1/auth/magic-link", R"({"email":""})"},
           {"no email", "/v1/auth/magic-link", R"({})"}, {"email array", "/v1/auth/magic-link", R"({"email":["a@b.c"]})"},
           {"token number", "/v1/auth/verify", R"({"token":17})"}, {"token empty", "/v1/auth/verify", R"({"token":""})"},
           {"token bogus", "/v1/auth/verify", R"({"token":"bogus"})"}, {"no token", "/v1/auth/verify", R"({})"}}) {
    out.push_back({"auth " + what, "POST", path, body, "", {}, 0, ""});
  }
  // Malformed JSON on every endpoint that takes a body.
  const std::vector<std::pair<std::string, std::string>> malformed = {
      {"truncated", "{\"start\": "}, {"lone brace", "}"}, {"open array", "["}, {"null", "null"},
      {"true", "true"}, {"number", "17"}, {"string", "\"str\""}, {"array", "[1,2]"},
      {"missing value", "{\"start\":}"}, {"single quotes", "{'start':'x'}"}, {"trailing comma", "{\"a\":1,}"},
      {"two objects", "{}{}"}, {"NaN", "{\"a\":NaN}"}, {"invalid UTF-8", "{\"a\":\"" + invalid_utf8 + "\"}"},
      {"nul byte", std::string("{\"a\":\"\0\"}", 10)}, {"deep nesting", std::string(10000, '[') + std::string(10000, ']')},
      {"deep object nesting", NestedObjects(60000)}, {"a key twice", R"({"a":1,"a":2})"},
      {"empty", ""}};
  for (const auto& [method, path, key] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"POST", "/v1/bookings", "*"}, {"POST", "/v1/holds", "*"}, {"POST", "/v1/dashboard/agents", "@"},
           {"PATCH", "/v1/dashboard/agents/" + agent_id, "@"}, {"PATCH", "/v1/dashboard/settings", "@"},
           {"POST", "/v1/dashboard/rules", "@"}, {"POST", "/v1/dashboard/webhooks", "@"},
           {"POST", "/v1/auth/magic-link", ""}, {"POST", "/v1/auth/verify", ""}}) {
    for (const auto& [what, body] : malformed) {
      out.push_back({method + " " + path + " " + what + " JSON", method, path, body, key, {}, 400, ""});
    }
  }
  // Bad headers.
  const std::string claim = ok_claim.dump();
  for (const auto& [what, header, status] : std::vector<std::tuple<std::string, std::string, int>>{
           {"Basic auth", "Authorization: Basic YTpi", 401}, {"empty Bearer", "Authorization: Bearer ", 401},
           {"lower-case bearer", "Authorization: bearer avs_live_x", 401},
           {"garbage key", "Authorization: Bearer avs_live_" + std::string(200, 'z'), 401},
           {"key with invalid UTF-8", "Authorization: Bearer avs_live_" + invalid_utf8, 401},
           {"forged session", "Cookie: ad_session=forged", 401}}) {
    out.push_back({"header " + what, "POST", "/v1/bookings", claim, "", {header}, status, ""});
  }
  out.push_back({"X-Agentdraft-As from an agent", "POST", "/v1/bookings", claim, "*", {"X-Agentdraft-As: b"}, 403, ""});
  out.push_back({"Idempotency-Key header 300 chars", "POST", "/v1/bookings", claim, "*",
                 {"Idempotency-Key: " + std::string(300, 'k')}, 400, "idempotency_key"});
  out.push_back({"Idempotency-Key header differs from the body's", "POST", "/v1/bookings",
                 with(ok_claim, "idempotency_key", "\"body-key\""), "*", {"Idempotency-Key: header-key"}, 400,
                 "idempotency_key"});
  out.push_back({"limit abc", "GET", "/v1/bookings?limit=abc", "", "*", {}, 0, ""});
  out.push_back({"limit 0", "GET", "/v1/bookings?limit=0", "", "*", {}, 0, ""});
  out.push_back({"limit 1001", "GET", "/v1/bookings?limit=1001", "", "*", {}, 0, ""});
  out.push_back({"status bogus", "GET", "/v1/bookings?status=BOGUS", "", "*", {}, 0, ""});
  out.push_back({"audit after -1", "GET", "/v1/audit?after=-1", "", "@", {}, 0, ""});
  out.push_back({"audit limit x", "GET", "/v1/audit?limit=x", "", "@", {}, 0, ""});
  return out;
}

TEST_F(BadInputTest, CorpusOfMalformedRequestsGets4xxJsonNamingTheProblemAndChangesNothing) {
  a_ = owner_->AddAgent("a", 1);
  b_ = owner_->AddAgent("b", 2);
  ApiClient a = Client(a_.key);
  ASSERT_EQ(a.Post("/v1/bookings", Claim(0, 30))->status, 201);
  ASSERT_EQ(a.Post("/v1/holds", Claim(60, 90))->status, 201);
  const std::vector<CorpusCase> corpus = BuildCorpus(a_.id);
  ASSERT_GE(corpus.size(), 200u);
  std::printf("bad-input corpus: %zu requests\n", corpus.size());
  const std::string before = State();
  for (const CorpusCase& c : corpus) {
    ApiClientOptions o;
    o.base_url = daemon_->base_url();
    if (c.key == "@") o.cookie = owner_->client().options().cookie;
    else if (c.key == "*") o.api_key = a_.key;
    ApiClient client(o);
    auto r = c.method == "GET"      ? client.Get(c.path)
             : c.method == "DELETE" ? client.Delete(c.path)
                                    : client.Request(c.method.c_str(), c.path, &c.body, c.headers);
    if (c.method == "GET" && !c.headers.empty()) r = client.Request("GET", c.path, nullptr, c.headers);
    ASSERT_TRUE(r.ok()) << c.name << ": " << r.status().ToString();
    if (c.status != 0) {
      EXPECT_EQ(r->status, c.status) << c.name << ": " << r->body;
    } else {
      EXPECT_TRUE(r->status >= 400 && r->status < 500) << c.name << ": " << r->status << " " << r->body;
    }
    auto j = r->Json();
    ASSERT_TRUE(j.ok() && j->is_object()) << c.name << ": not JSON: " << r->body;
    EXPECT_FALSE(j->value("error", "").empty()) << c.name << ": " << r->body;
    const std::string message = j->value("message", "");
    EXPECT_FALSE(message.empty()) << c.name;
    if (!c.field.empty()) {
      EXPECT_NE(message.find(c.field), std::string::npos) << c.name << ": " << message;
    }
  }
  EXPECT_EQ(State(), before) << "a bad request changed something";
  // And the daemon still works.
  EXPECT_EQ(a.Post("/v1/bookings", Claim(120, 150))->status, 201);
}


// Found by the adversarial pass (issue 17): metadata nested 60,000 deep killed the daemon (a
// recursive dump() in the 16 KiB size check overflowed the stack). Now every body's depth is
// checked before it is parsed.
TEST_F(BadInputTest, MetadataNestedSixtyThousandDeepIsRefusedAndTheDaemonLives) {
  a_ = owner_->AddAgent("a", 1);
  ApiClient a = Client(a_.key);
  const std::string deep = "{\"a\":" + std::string(60000, '[') + std::string(60000, ']') + "}";
  const std::string before = State();
  for (const char* path : {"/v1/bookings", "/v1/holds"}) {
    auto r = a.PostRaw(path, ClaimWithMetadata(0, deep));
    ASSERT_TRUE(r.ok()) << path << ": the daemon did not answer: " << r.status().ToString();
    EXPECT_EQ(r->status, 400) << path << ": " << r->body;
    EXPECT_EQ(r->ErrorCode(), "validation_error") << r->body;
    EXPECT_NE(r->body.find("deeper than 64 levels"), std::string::npos) << r->body;
  }
  EXPECT_EQ(State(), before) << "a refused request changed something";
  EXPECT_EQ(a.Post("/v1/bookings", Claim(0, 30))->status, 201);
}

TEST_F(BadInputTest, BodyDepthOfSixtyFourIsTheLimit) {
  a_ = owner_->AddAgent("a", 1);
  ApiClient a = Client(a_.key);
  // The body is level 1, so metadata may have 63 levels and not 64.
  auto over = a.PostRaw("/v1/bookings", ClaimWithMetadata(0, NestedObjects(64)));
  ASSERT_TRUE(over.ok());
  EXPECT_EQ(over->status, 400) << over->body;
  EXPECT_NE(over->body.find("body: nests arrays and objects deeper than 64 levels"), std::string::npos)
      << over->body;
  auto at = a.PostRaw("/v1/bookings", ClaimWithMetadata(0, NestedObjects(63)));
  ASSERT_TRUE(at.ok());
  EXPECT_EQ(at->status, 201) << at->body;
}

// The rules' `days` field printed a bad element with a recursive dump(), the same crash.
TEST_F(BadInputTest, RuleWithDeeplyNestedDaysIsRefusedAndTheDaemonLives) {
  const std::string body = R"({"kind":"business_hours","from":"09:00","to":"17:00","days":)" +
                           std::string(60000, '[') + std::string(60000, ']') + "}";
  auto r = owner_->client().PostRaw("/v1/dashboard/rules", body);
  ASSERT_TRUE(r.ok()) << "the daemon did not answer: " << r.status().ToString();
  EXPECT_EQ(r->status, 400) << r->body;
  EXPECT_NE(r->body.find("deeper than 64 levels"), std::string::npos) << r->body;
  auto rules = owner_->client().Get("/v1/dashboard/rules");
  ASSERT_TRUE(rules.ok());
  EXPECT_EQ(rules->Json().value()["rules"], nlohmann::json::array()) << rules->body;
}

// A repeated key used to take its last value silently.
TEST_F(BadInputTest, RepeatedKeyInABodyIsRefusedNamingTheKey) {
  a_ = owner_->AddAgent("a", 1);
  ApiClient a = Client(a_.key);
  const std::string before = State();
  for (const auto& [what, path, body] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"start twice", "/v1/bookings",
            "{\"start\":\"" + At(0) + "\",\"end\":\"" + At(30) + "\",\"start\":\"" + At(60) + "\"}"},
           {"end twice in a hold", "/v1/holds",
            "{\"start\":\"" + At(0) + "\",\"end\":\"" + At(30) + "\",\"end\":\"" + At(60) + "\"}"},
           {"a metadata key twice", "/v1/bookings", ClaimWithMetadata(0, R"({"deal":{"id":1,"id":2}})")}}) {
    auto r = a.PostRaw(path, body);
    ASSERT_TRUE(r.ok()) << what;
    EXPECT_EQ(r->status, 400) << what << ": " << r->body;
    EXPECT_EQ(r->ErrorCode(), "validation_error") << what << ": " << r->body;
    const std::string key = what.substr(0, what.find(' ')) == "a" ? "id" : what.substr(0, what.find(' '));
    EXPECT_NE(r->body.find("has the key \\\"" + key + "\\\" twice"), std::string::npos) << what << ": " << r->body;
  }
  const std::string twice = R"({"hold_ttl_seconds":60,"hold_ttl_seconds":120})";
  auto settings = owner_->client().Request("PATCH", "/v1/dashboard/settings", &twice);
  ASSERT_TRUE(settings.ok());
  EXPECT_EQ(settings->status, 400) << settings->body;
  EXPECT_EQ(State(), before) << "a refused request changed something";
}

// duration_minutes=0x10 was read as 16 minutes (strtod reads hex); every integer in a query is
// now decimal digits only.
TEST_F(BadInputTest, IntegersInQueriesAreDecimalDigitsOnly) {
  a_ = owner_->AddAgent("a", 1);
  ApiClient a = Client(a_.key);
  const std::string range = "/v1/availability?range_start=" + At(0) + "&range_end=" + At(600);
  for (const char* bad : {"0x10", "%2B16", "%2016", "16%20", "16abc", "1e1", "1.5", "016.0", ""}) {
    for (const std::string param : {"duration_minutes", "granularity_minutes"}) {
      auto r = a.Get(range + "&" + param + "=" + bad + (param == "duration_minutes" ? "" : "&duration_minutes=30"));
      ASSERT_TRUE(r.ok());
      EXPECT_EQ(r->status, 400) << param << "=" << bad << ": " << r->body;
      EXPECT_NE(r->body.find(param), std::string::npos) << r->body;
    }
  }
  // A stream that was wrongly accepted would not end: the short timeout turns it into a failure.
  a.set_timeout(std::chrono::seconds(5));
  for (const char* query : {"/v1/bookings?limit=%2B5", "/v1/bookings?limit=%205", "/v1/audit?after=-0",
                                   "/v1/audit?after=%2B1", "/v1/events?after=-0"}) {
    auto r = a.Get(query);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, 400) << query << ": " << r->body;
  }
  auto ok = a.Get(range + "&duration_minutes=16&granularity_minutes=015");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->status, 200) << ok->body;
  EXPECT_EQ(ok->Json().value()["duration_minutes"], 16) << ok->body;
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
