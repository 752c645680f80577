// Request validation: every problem is named, with its field.
#include "daemon/api/request_parser.h"

#include <gtest/gtest.h>

namespace agentdraft::api {
namespace {

using namespace std::chrono_literals;

struct Parsed {
  bool ok = false;
  int status = 0;
  nlohmann::json body;
};

Parsed Claim(const std::string& json, const std::string& header_key = "") {
  ApiError error;
  Parsed p;
  auto obj = ParseObject(json, &error);
  if (obj) {
    auto r = ParseClaimRequest(*obj, header_key, "usr_me", 8h, &error);
    p.ok = r.has_value();
  }
  if (!p.ok) {
    p.status = error.http_status();
    p.body = nlohmann::json::parse(error.Body());
  }
  return p;
}

std::string FirstProblemField(const Parsed& p) { return p.body["details"][0]["field"]; }

TEST(RequestParser, AcceptsAWellFormedClaim) {
  EXPECT_TRUE(Claim(R"({"start":"2026-06-01T14:00:00Z","end":"2026-06-01T14:30:00Z"})").ok);
}

TEST(RequestParser, MalformedJsonIsAValidationError) {
  Parsed p = Claim("{\"start\": ");
  EXPECT_EQ(p.status, 400);
  EXPECT_EQ(p.body["error"], "validation_error");
  EXPECT_EQ(FirstProblemField(p), "body");
}

TEST(RequestParser, BodyMustBeAnObject) { EXPECT_EQ(FirstProblemField(Claim("[1,2]")), "body"); }

TEST(RequestParser, MissingStartIsNamed) {
  EXPECT_EQ(FirstProblemField(Claim(R"({"end":"2026-06-01T14:30:00Z"})")), "start");
}

TEST(RequestParser, MistypedTimeIsNamed) {
  EXPECT_EQ(FirstProblemField(Claim(R"({"start":17,"end":"2026-06-01T14:30:00Z"})")), "start");
}

TEST(RequestParser, UnparsableTimeIsNamed) {
  Parsed p = Claim(R"({"start":"2026-13-01T14:00:00Z","end":"2026-06-01T14:30:00Z"})");
  EXPECT_EQ(FirstProblemField(p), "start");
}

TEST(RequestParser, EndMustBeAfterStart) {
  EXPECT_EQ(FirstProblemField(Claim(R"({"start":"2026-06-01T14:00:00Z","end":"2026-06-01T14:00:00Z"})")),
            "end");
}

TEST(RequestParser, ClaimLongerThanTheMaximumIsRefused) {
  Parsed p = Claim(R"({"start":"2026-06-01T08:00:00Z","end":"2026-06-01T16:05:00Z"})");
  EXPECT_EQ(p.status, 400);
  EXPECT_EQ(FirstProblemField(p), "end");
  EXPECT_TRUE(Claim(R"({"start":"2026-06-01T08:00:00Z","end":"2026-06-01T16:00:00Z"})").ok);
}

TEST(RequestParser, UserIdOfAnotherCalendarIsRefused) {
  Parsed p = Claim(R"({"start":"2026-06-01T14:00:00Z","end":"2026-06-01T14:30:00Z","user_id":"usr_x"})");
  EXPECT_EQ(FirstProblemField(p), "user_id");
}

TEST(RequestParser, IdempotencyKeyHeaderMustAgreeWithTheBody) {
  Parsed p = Claim(R"({"start":"2026-06-01T14:00:00Z","end":"2026-06-01T14:30:00Z","idempotency_key":"a"})",
                   "b");
  EXPECT_EQ(FirstProblemField(p), "idempotency_key");
}

TEST(RequestParser, AvailabilityNeedsAValidRange) {
  ApiError error;
  std::multimap<std::string, std::string> params = {{"range_start", "2026-06-02T00:00:00Z"},
                                                    {"range_end", "2026-06-01T00:00:00Z"}};
  EXPECT_FALSE(ParseAvailabilityQuery(params, 8h, &error).has_value());
  EXPECT_EQ(error.http_status(), 400);
}

TEST(RequestParser, AvailabilityAcceptsTheMcpDurationForm) {
  ApiError error;
  std::multimap<std::string, std::string> params = {
      {"start", "2026-06-01T00:00:00Z"}, {"end", "2026-06-02T00:00:00Z"}, {"duration", "45m"}};
  auto q = ParseAvailabilityQuery(params, 8h, &error);
  ASSERT_TRUE(q.has_value()) << error.Body();
  EXPECT_EQ(q->duration, 45min);
}

}  // namespace
}  // namespace agentdraft::api
