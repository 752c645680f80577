// Judging and showing one race round, from canned answers (no daemon).
#include "cli/race/race_round.h"

#include <gtest/gtest.h>

#include <sstream>

#include "cli/audit_check.h"
#include "cli/race/race_report.h"

namespace agentdraft::cli {
namespace {

// Three agents (creation order sales-bot 3, recruit-bot 2, focus-blocker 1) and a round in
// which focus-blocker won, as the daemon would answer it.
class RaceRoundTest : public ::testing::Test {
 protected:
  RaceRoundTest() : agents_(DemoCast(3)) {
    const char* ids[] = {"agt_s", "agt_r", "agt_f"};
    for (size_t i = 0; i < agents_.size(); ++i) agents_[i].agent_id = ids[i];
    round_.number = 1;
    round_.slot = {"2026-06-02T09:00:00Z", "2026-06-02T09:30:00Z"};
    round_.shots = {Lost(3.25), Lost(2.95), Won(1.04)};
    round_.evidence.committed_in_slot = 1;
    round_.evidence.audit_events = AuditTrail({"agt_f", "agt_r", "agt_s"});
  }

  static Shot Won(double ms) {
    return Answer(201, R"({"booking_id":"bkg_w","status":"COMMITTED","agent_id":"agt_f"})", ms);
  }
  static Shot Lost(double ms, const std::string& winner = "agt_f") {
    return Answer(409,
                  R"({"error":"outranked","reason":"outranked","winning_agent_id":")" + winner +
                      R"(","winning_booking_id":"bkg_w"})",
                  ms);
  }
  static Shot Answer(int status, const std::string& body, double ms) {
    Shot s;
    s.status = status;
    s.body = body;
    s.json = nlohmann::json::parse(body);
    s.latency_ms = ms;
    return s;
  }
  // booking.committed by the first actor, booking.rejected by the others; seq 7, 8, …
  static nlohmann::json AuditTrail(const std::vector<std::string>& actors) {
    nlohmann::json rows = nlohmann::json::array();
    std::string prev(64, '0');
    for (size_t i = 0; i < actors.size(); ++i) {
      nlohmann::json row = {
          {"seq", 7 + i},         {"at", "2026-06-01T10:00:00.001Z"},
          {"user_id", "usr_o"},   {"actor", actors[i]},
          {"subject", actors[i]}, {"kind", i == 0 ? "booking.committed" : "booking.rejected"},
          {"resource", "bkg_w"},  {"payload", nlohmann::json::object()},
          {"prev_hash", prev}};
      row["hash"] = ExpectedAuditHash(row);
      prev = row["hash"];
      rows.push_back(row);
    }
    return rows;
  }
  std::string Problems() {
    std::string out;
    for (const std::string& p : JudgeRound(round_, agents_).problems) out += p + "\n";
    return out;
  }

  std::vector<DemoAgent> agents_;
  RaceRound round_;
};

TEST_F(RaceRoundTest, OneCommitFromTheTopRankedAgentGoesByTheRules) {
  const RoundVerdict v = JudgeRound(round_, agents_);
  EXPECT_EQ(v.commits, 1);
  EXPECT_EQ(v.winner, 2);
  EXPECT_EQ(v.winning_booking, "bkg_w");
  EXPECT_TRUE(v.chain_ok);
  EXPECT_EQ(Problems(), "");
}

TEST_F(RaceRoundTest, TwoCommitsForOneSlotFailTheRound) {
  round_.shots[0] = Won(3.0);
  round_.evidence.committed_in_slot = 2;
  round_.evidence.audit_events = AuditTrail({"agt_f", "agt_r"});
  EXPECT_EQ(JudgeRound(round_, agents_).winner, 2) << "the best-ranked 201 is the winner";
  EXPECT_EQ(Problems(),
            "2 agents got a 201 for one slot\n"
            "the daemon holds 2 committed bookings in the slot (a double booking)\n");
}

TEST_F(RaceRoundTest, AWinBelowTheTopRankFailsTheRound) {
  round_.shots = {Lost(3.0, "agt_r"), Won(1.0), Lost(2.0, "agt_r")};
  round_.evidence.audit_events = AuditTrail({"agt_r", "agt_f", "agt_s"});
  EXPECT_EQ(Problems(),
            "the 201 went to recruit-bot (priority 2), not to the top-ranked focus-blocker\n");
}

TEST_F(RaceRoundTest, LosersMustBeToldTheRealWinnerAndGetA409) {
  round_.shots[0] = Lost(3.0, "agt_r");
  round_.shots[1] = Answer(503, R"({"error":"unavailable"})", 2.0);
  round_.evidence.audit_events = AuditTrail({"agt_f", "agt_s"});  // no row for the 503
  EXPECT_EQ(Problems(),
            "sales-bot was told the winner is agt_r, not focus-blocker\n"
            "recruit-bot got 503 unavailable instead of 409 outranked\n");
}

TEST_F(RaceRoundTest, ATamperedAuditRowFailsTheRound) {
  round_.evidence.audit_events[1]["actor"] = "agt_s";
  EXPECT_EQ(
      Problems(),
      "audit row 2: hash mismatch\n"
      "the audit trail has 1 booking.committed and 1 booking.rejected rows; expected 1 and 2\n");
}

TEST_F(RaceRoundTest, HumanReportListsAgentsByRankThenWinnerAuditAndVerdict) {
  std::ostringstream out;
  PrintRound(out, round_, JudgeRound(round_, agents_), agents_, "usr_o", 3, /*color=*/false);
  const std::string h0 = round_.evidence.audit_events[0]["hash"].get<std::string>().substr(0, 12);
  const std::string h1 = round_.evidence.audit_events[1]["hash"].get<std::string>().substr(0, 12);
  const std::string h2 = round_.evidence.audit_events[2]["hash"].get<std::string>().substr(0, 12);
  EXPECT_EQ(
      out.str(),
      "\n"
      "round 1 of 3 · slot 2026-06-02 09:00–09:30 UTC\n"
      "  rank  agent          outcome        latency  winner named in the 409\n"
      "     1  focus-blocker  201 committed   1.0 ms\n"
      "     2  recruit-bot    409 outranked   3.0 ms  focus-blocker\n"
      "     3  sales-bot      409 outranked   3.2 ms  focus-blocker\n"
      "  winner: focus-blocker (rank 1), booking bkg_w\n"
      "  audit trail (GET /v1/audit?resource=bkg_w):\n"
      "    seq  kind               actor          hash          check\n"
      "      7  booking.committed  focus-blocker  " +
          h0 +
          "  ok\n"
          "      8  booking.rejected   recruit-bot    " +
          h1 +
          "  ok\n"
          "      9  booking.rejected   sales-bot      " +
          h2 +
          "  ok\n"
          "  chain ok: 3 rows, each hash recomputed from prev_hash and the row's canonical JSON\n"
          "  exactly one 201, from the top-ranked agent (focus-blocker) — 0 double bookings\n");
}

TEST_F(RaceRoundTest, JsonKeepsResponseBodiesAsReceivedInRankOrder) {
  round_.shots[1] = Shot{502, "Bad Gateway", nullptr, 2.0, ""};
  const nlohmann::json j = RoundJson(round_, JudgeRound(round_, agents_), agents_);
  EXPECT_EQ(j["attempts"][0]["agent"], "focus-blocker");
  EXPECT_EQ(j["attempts"][0]["response"]["booking_id"], "bkg_w");
  EXPECT_EQ(j["attempts"][1]["agent"], "recruit-bot");
  EXPECT_EQ(j["attempts"][1]["response"], "Bad Gateway");
  EXPECT_EQ(j["attempts"][2]["latency_ms"], 3.25);
  EXPECT_EQ(j["winner"]["agent"], "focus-blocker");
  EXPECT_EQ(j["top_ranked_won"], true);
  EXPECT_EQ(j["audit"]["row_checks"], nlohmann::json::array({"ok", "ok", "ok"}));
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(j["problems"][0], "recruit-bot got 502 instead of 409 outranked");
}

TEST(RaceReport, SlotsReadAsDayAndTimes) {
  EXPECT_EQ(DescribeSlot({"2026-06-02T09:00:00Z", "2026-06-02T09:30:00Z"}),
            "2026-06-02 09:00–09:30 UTC");
  EXPECT_EQ(DescribeSlot({"2026-06-02T23:45:00Z", "2026-06-03T00:15:00Z"}),
            "2026-06-02 23:45–2026-06-03 00:15 UTC");
}

}  // namespace
}  // namespace agentdraft::cli
