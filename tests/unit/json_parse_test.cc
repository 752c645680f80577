// The strict JSON parser: nesting depth checked before parsing, repeated keys refused, errors
// that name the problem and where.
#include "common/json_parse.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/support/nested_json.h"

namespace agentdraft {
namespace {

using testing::NestedObjects;

std::string Nested(int depth, char open = '[', char close = ']') {
  return std::string(depth, open) + std::string(depth, close);
}

TEST(JsonParse, ParsesAnObjectWithinTheLimits) {
  auto j = ParseJson(R"({"a": [1, {"b": "c"}], "d": null})");
  ASSERT_TRUE(j.ok()) << j.status().message();
  EXPECT_EQ(j->dump(), R"({"a":[1,{"b":"c"}],"d":null})");
}

TEST(JsonParse, DepthAtTheLimitIsAccepted) {
  EXPECT_TRUE(ParseJson(Nested(kRequestJsonDepth)).ok());
  EXPECT_TRUE(ParseJson(NestedObjects(kRequestJsonDepth)).ok());
}

TEST(JsonParse, DepthOneOverTheLimitIsRefusedNamingTheLimitAndTheByte) {
  auto j = ParseJson(Nested(kRequestJsonDepth + 1));
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(j.status().message(), "nests arrays and objects deeper than 64 levels (at byte 65)");
}

TEST(JsonParse, SixtyThousandLevelsAreRefusedWithoutRecursion) {
  const std::string deep = "{\"metadata\":" + NestedObjects(60000) + "}";
  auto j = ParseJson(deep);
  ASSERT_FALSE(j.ok());
  EXPECT_NE(j.status().message().find("deeper than 64 levels"), std::string::npos);
}

TEST(JsonParse, BracketsInsideStringsDoNotCount) {
  const std::string text = "{\"a\":\"" + Nested(1000) + "\\\"[[[\"}";
  auto j = ParseJson(text, {.max_depth = 1});
  ASSERT_TRUE(j.ok()) << j.status().message();
  EXPECT_EQ((*j)["a"].get<std::string>().size(), 2004u);
}

TEST(JsonParse, TheLimitCanBeRaised) {
  EXPECT_FALSE(ParseJson(Nested(100)).ok());
  EXPECT_TRUE(ParseJson(Nested(100), {.max_depth = kDocumentJsonDepth}).ok());
}

TEST(JsonParse, RepeatedKeyIsRefusedNamingTheKey) {
  auto j = ParseJson(R"({"start": "a", "end": "b", "start": "c"})");
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status().message(), "has the key \"start\" twice in one object");
}

TEST(JsonParse, RepeatedKeyInANestedObjectIsRefused) {
  auto j = ParseJson(R"({"m": [{"x": 1}, {"y": {"z": 1, "z": 2}}]})");
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status().message(), "has the key \"z\" twice in one object");
}

TEST(JsonParse, TheSameKeyInSiblingObjectsIsFine) {
  auto j = ParseJson(R"({"a": {"k": 1}, "b": {"k": 2}, "k": {"k": {"k": 3}}})");
  ASSERT_TRUE(j.ok()) << j.status().message();
  EXPECT_EQ((*j)["k"]["k"]["k"], 3);
}

TEST(JsonParse, RepeatedKeysCanBeAllowed) {
  auto j = ParseJson(R"({"a": 1, "a": 2})", {.refuse_duplicate_keys = false});
  ASSERT_TRUE(j.ok());
  EXPECT_EQ((*j)["a"], 2);
}

TEST(JsonParse, SyntaxErrorNamesThePosition) {
  auto j = ParseJson("{\"start\": ");
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status().message().rfind("is not valid JSON: parse error at line 1, column 11: ", 0),
            0u)
      << j.status().message();
}

TEST(JsonParse, MessagesAreJsonSafeEvenForInvalidUtf8) {
  for (const std::string& text : {std::string("{\"a\":\"\xff\xfe\"}"), std::string("{\"\xff\":1,\"\xff\":2}"),
                                 std::string("\xff\xfe")}) {
    auto j = ParseJson(text);
    ASSERT_FALSE(j.ok());
    EXPECT_NO_THROW(nlohmann::json(j.status().message()).dump()) << j.status().message();
  }
}

TEST(JsonParse, OrderedParseKeepsKeyOrderAndTheSameLimits) {
  auto j = ParseOrderedJson(R"({"z": 1, "a": 2})");
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(j->dump(), R"({"z":1,"a":2})");
  EXPECT_FALSE(ParseOrderedJson(R"({"z": 1, "z": 2})").ok());
  EXPECT_FALSE(ParseOrderedJson(Nested(kRequestJsonDepth + 1)).ok());
}

}  // namespace
}  // namespace agentdraft
