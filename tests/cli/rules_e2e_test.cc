// `agentdraft rules` and /v1/dashboard/rules with the real binaries: the CLI's --json is the
// API's answer, every change is an audit row, a commit that breaks a rule exits 4 with the rule
// named and writes nothing, availability honours the rules, and agents cannot touch them.
#include <gtest/gtest.h>

#include "tests/cli/cli_test_support.h"

namespace agentdraft::testing {
namespace {

TEST_F(CliTest, RulesAddListShowRmAndTheirEffect) {
  const std::string key = AddAgent("bot", 1);
  ASSERT_EQ(Run({"settings", "set", "timezone=Europe/Berlin"}).exit_code, 0);
  ProcessResult add = Run({"rules", "add", "business-hours", "--days", "mon-fri", "--from", "09:00", "--to", "17:00", "--json"});
  ASSERT_EQ(add.exit_code, 0) << add.err;
  json rule = Parse(add);
  EXPECT_EQ(rule["kind"], "business_hours");
  EXPECT_EQ(rule["days"], json({"mon", "tue", "wed", "thu", "fri"}));
  const std::string id = rule["id"];
  ProcessResult cap = Run({"rules", "add", "cap", "--count", "1", "--agent", "bot", "--json"});
  ASSERT_EQ(cap.exit_code, 0) << cap.err;
  EXPECT_EQ(Parse(cap)["max_bookings"], 1);

  ApiClient socket = Socket();
  ProcessResult list = Run({"rules", "list", "--json"});
  ASSERT_EQ(list.exit_code, 0);
  EXPECT_EQ(Parse(list), Body(socket.Get("/v1/dashboard/rules")));
  EXPECT_EQ(Parse(list)["rules"].size(), 2u);
  ProcessResult show = Run({"rules", "show", id});
  EXPECT_EQ(show.exit_code, 0);
  EXPECT_NE(show.out.find("mon,tue,wed,thu,fri 09:00-17:00"), std::string::npos) << show.out;
  json audit = Body(socket.Get("/v1/audit?kind=rule.created"));
  EXPECT_EQ(audit["events"].size(), 2u);

  // 2031-03-04 is a Tuesday; Berlin is UTC+1 then. 17:00 local = 16:00Z.
  const json before = Body(socket.Get("/v1/audit?limit=1000"));
  ProcessResult late = AsAgent(key, {"commit", "2031-03-04T16:00:00Z", "--duration", "30m"});
  EXPECT_EQ(late.exit_code, 4) << late.err;
  EXPECT_NE(late.err.find(id), std::string::npos) << late.err;
  ProcessResult late_json = AsAgent(key, {"commit", "2031-03-04T16:00:00Z", "--duration", "30m", "--json"});
  EXPECT_EQ(late_json.exit_code, 4);
  json refused = Parse(late_json);
  EXPECT_EQ(refused["error"], "rule_violation");
  EXPECT_EQ(refused["rule"], json({{"id", id}, {"kind", "business_hours"}}));
  EXPECT_EQ(Body(socket.Get("/v1/audit?limit=1000"))["events"].size(), before["events"].size());  // nothing written

  EXPECT_EQ(AsAgent(key, {"commit", "2031-03-04T08:00:00Z", "--duration", "30m"}).exit_code, 0);
  EXPECT_EQ(AsAgent(key, {"commit", "2031-03-04T10:00:00Z", "--duration", "30m"}).exit_code, 4);  // the cap
  ProcessResult avail = AsAgent(key, {"availability", "--from", "2031-03-05T00:00:00Z", "--to", "2031-03-06T00:00:00Z",
                                      "--duration", "30m", "--json"});
  ASSERT_EQ(avail.exit_code, 0) << avail.err;
  json slots = Parse(avail)["slots"];
  ASSERT_EQ(slots.size(), 8u * 12 - 5);  // 08:00Z to 15:30Z by 5 minutes
  EXPECT_EQ(slots.front()["start"], "2031-03-05T08:00:00Z");
  EXPECT_EQ(slots.back()["end"], "2031-03-05T16:00:00Z");

  // Agents cannot read or change rules.
  auto as_agent = Http(key).Get("/v1/dashboard/rules");
  ASSERT_TRUE(as_agent.ok());
  EXPECT_TRUE(as_agent->status == 401 || as_agent->status == 403) << as_agent->status;

  // Bad input: usage errors, nothing added.
  EXPECT_EQ(Run({"rules", "add", "business-hours", "--days", "someday", "--from", "09:00", "--to", "17:00"}).exit_code, 2);
  ProcessResult bad = Run({"rules", "add", "business-hours", "--days", "mon", "--from", "18:00", "--to", "17:00"});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_NE(bad.err.find("to"), std::string::npos) << bad.err;
  EXPECT_EQ(Body(socket.Get("/v1/dashboard/rules"))["rules"].size(), 2u);

  ProcessResult rm = Run({"rules", "rm", id});
  EXPECT_EQ(rm.exit_code, 0) << rm.err;
  EXPECT_EQ(Run({"rules", "show", id}).exit_code, 7);
  EXPECT_EQ(Body(socket.Get("/v1/audit?kind=rule.deleted"))["events"].size(), 1u);
  ProcessResult again = AsAgent(key, {"commit", "2031-03-06T20:00:00Z", "--duration", "30m"});
  EXPECT_EQ(again.exit_code, 0) << again.err;  // outside the old hours, another day: allowed now
}

}  // namespace
}  // namespace agentdraft::testing
