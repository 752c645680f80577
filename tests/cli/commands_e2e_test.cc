// End-to-end: the real `agentdraft` binary against the real agentdraftd, over the owner's Unix
// socket and over HTTP with agent keys. Every command's --json output is parsed and compared
// with what the API itself answers, and every exit code of docs/cli.md, "Exit codes", comes from a real case.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/api_client.h"
#include "tests/cli/cli_test_support.h"
#include "tests/cli/run_process.h"
#include "tests/e2e/e2e_support.h"
#include "tests/support/daemon_process.h"
#include "tests/support/temp_dir.h"

namespace agentdraft::testing {
namespace {

using nlohmann::json;

TEST_F(CliTest, AgentsAddListRankSetPriorityMatchTheApi) {
  ProcessResult add = Run({"agents", "add", "exec", "--priority", "1", "--json"});
  ASSERT_EQ(add.exit_code, 0) << add.err;
  json added = Parse(add);
  EXPECT_EQ(added["name"], "exec");
  EXPECT_EQ(added["priority"], 1);
  EXPECT_EQ(added["plaintext_key"].get<std::string>().rfind("avs_live_", 0), 0u);
  ApiClient socket = Socket();
  json fetched = Body(socket.Get("/v1/dashboard/agents/" + added["agent_id"].get<std::string>()));
  added.erase("plaintext_key");
  EXPECT_EQ(added, fetched);

  AddAgent("recruiter", 2);
  AddAgent("sales", 3);
  ProcessResult list = Run({"agents", "list", "--json"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(Parse(list), Body(socket.Get("/v1/dashboard/agents")));

  ProcessResult rank = Run({"agents", "rank", "sales", "exec", "recruiter", "--json"});
  ASSERT_EQ(rank.exit_code, 0) << rank.err;
  json ranked = Parse(rank)["agents"];
  ASSERT_EQ(ranked.size(), 3u);
  EXPECT_EQ(ranked[0]["name"], "sales");
  EXPECT_EQ(ranked[0]["priority"], 1);
  EXPECT_EQ(ranked[1]["name"], "exec");
  EXPECT_EQ(ranked[2]["name"], "recruiter");
  EXPECT_EQ(Parse(rank), Body(socket.Get("/v1/dashboard/agents")));

  // An order that leaves an agent out changes nothing: usage error, exit 2.
  ProcessResult partial = Run({"agents", "rank", "exec", "sales"});
  EXPECT_EQ(partial.exit_code, 2);
  EXPECT_NE(partial.err.find("recruiter"), std::string::npos) << partial.err;
  EXPECT_EQ(Body(socket.Get("/v1/dashboard/agents"))["agents"][0]["name"], "sales");

  ProcessResult sp = Run({"agents", "set-priority", "recruiter", "1", "--json"});
  ASSERT_EQ(sp.exit_code, 0) << sp.err;
  EXPECT_EQ(Parse(sp)["priority"], 1);
  EXPECT_EQ(Parse(sp), Body(socket.Get("/v1/dashboard/agents/recruiter")));

  // Human output is a short table in rank order.
  ProcessResult human = Run({"agents", "list"});
  ASSERT_EQ(human.exit_code, 0);
  EXPECT_EQ(human.out.substr(0, human.out.find('\n')).find("rank"), 0u) << human.out;
  EXPECT_NE(human.out.find("recruiter"), std::string::npos);

  // Every change is an audit row.
  json rows = Body(socket.Get("/v1/audit?limit=100"))["events"];
  std::map<std::string, int> kinds;
  for (const json& e : rows) kinds[e["kind"]]++;
  EXPECT_EQ(kinds["agent.created"], 3);
  EXPECT_EQ(kinds["agent.ranked"], 1);
  EXPECT_EQ(kinds["agent.updated"], 1);
}

TEST_F(CliTest, RotateAndRevokeKeysTakeEffectAtOnce) {
  const std::string old_key = AddAgent("bot", 1);
  ASSERT_EQ(AsAgent(old_key, {"whoami"}).exit_code, 0);

  ProcessResult rotated = Run({"agents", "rotate-key", "bot", "--json"});
  ASSERT_EQ(rotated.exit_code, 0) << rotated.err;
  const std::string new_key = Parse(rotated)["plaintext_key"];
  ASSERT_NE(new_key, old_key);
  ProcessResult refused = AsAgent(old_key, {"whoami"});
  EXPECT_EQ(refused.exit_code, 6) << refused.err;
  EXPECT_NE(refused.err.find("401"), std::string::npos) << refused.err;
  ProcessResult me = AsAgent(new_key, {"whoami", "--json"});
  ASSERT_EQ(me.exit_code, 0) << me.err;
  EXPECT_EQ(Parse(me), Body(Http(new_key).Get("/v1/agents/me")));

  ProcessResult revoked = Run({"agents", "revoke", "bot", "--json"});
  ASSERT_EQ(revoked.exit_code, 0) << revoked.err;
  EXPECT_TRUE(Parse(revoked)["revoked_at"].is_string());
  // Refused on the very next request (well within a second).
  auto r = Http(new_key).Get("/v1/agents/me");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(AsAgent(new_key, {"commit", At(0), "-d", "30m"}).exit_code, 6);

  json rows = Body(Socket().Get("/v1/audit?kind=agent.key_rotated"))["events"];
  EXPECT_EQ(rows.size(), 1u);
  rows = Body(Socket().Get("/v1/audit?kind=agent.key_revoked"))["events"];
  EXPECT_EQ(rows.size(), 1u);
}

TEST_F(CliTest, SettingsGetAndSetMatchTheApiAndAreAudited) {
  ProcessResult set = Run({"settings", "set", "tie-window=50ms", "bump-window=2m", "hold-ttl=45s",
                           "max-holds=3", "timezone=Europe/Berlin", "--json"});
  ASSERT_EQ(set.exit_code, 0) << set.err;
  json s = Parse(set);
  EXPECT_EQ(s["tie_window_ms"], 50);
  EXPECT_EQ(s["bump_window_seconds"], 120);
  EXPECT_EQ(s["hold_ttl_seconds"], 45);
  EXPECT_EQ(s["max_holds_per_agent"], 3);
  EXPECT_EQ(s["timezone"], "Europe/Berlin");
  ProcessResult get = Run({"settings", "get", "--json"});
  ASSERT_EQ(get.exit_code, 0);
  EXPECT_EQ(Parse(get), Body(Socket().Get("/v1/dashboard/settings")));

  ProcessResult reset = Run({"settings", "set", "tie-window=default", "--json"});
  ASSERT_EQ(reset.exit_code, 0) << reset.err;
  EXPECT_EQ(Parse(reset)["tie_window_ms"], 0);  // the daemon's --tie-window 0ms

  ProcessResult bad_zone = Run({"settings", "set", "timezone=Mars/Olympus"});
  EXPECT_EQ(bad_zone.exit_code, 2);
  EXPECT_NE(bad_zone.err.find("timezone"), std::string::npos) << bad_zone.err;
  ProcessResult bad_name = Run({"settings", "set", "speed=11"});
  EXPECT_EQ(bad_name.exit_code, 2);
  EXPECT_EQ(Body(Socket().Get("/v1/dashboard/settings"))["timezone"], "Europe/Berlin");

  json rows = Body(Socket().Get("/v1/audit?kind=settings.updated"))["events"];
  EXPECT_EQ(rows.size(), 2u);
}

TEST_F(CliTest, CommitConflictCancelAndBookingsOverHttpWithKeys) {
  const std::string exec = AddAgent("exec", 1);
  const std::string sales = AddAgent("sales", 2);

  ProcessResult won = AsAgent(exec, {"commit", At(0), "--duration", "30m", "-k", "k1", "--json"});
  ASSERT_EQ(won.exit_code, 0) << won.err;
  json booking = Parse(won);
  EXPECT_EQ(booking["status"], "COMMITTED");
  const std::string id = booking["booking_id"];

  // Retrying with the same key is answered byte for byte, and books nothing new.
  ProcessResult again = AsAgent(exec, {"commit", At(0), "--duration", "30m", "-k", "k1", "--json"});
  ASSERT_EQ(again.exit_code, 0);
  EXPECT_EQ(again.out, won.out);

  // Outranked: exit 3, and the --json body is the API's 409.
  ProcessResult lost = AsAgent(sales, {"commit", At(15), "--end", At(45), "--json"});
  EXPECT_EQ(lost.exit_code, 3) << lost.err;
  json conflict = Parse(lost);
  EXPECT_EQ(conflict["error"], "outranked");
  EXPECT_EQ(conflict["winning_booking_id"], id);
  EXPECT_NE(lost.err.find("409"), std::string::npos) << lost.err;

  ProcessResult show = AsAgent(exec, {"bookings", "show", id, "--json"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_EQ(Parse(show), Body(Http(exec).Get("/v1/bookings/" + id)));

  ProcessResult list = AsAgent(exec, {"bookings", "list", "--from", At(-60), "--to", At(120), "--json"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(Parse(list), Body(Http(exec).Get("/v1/bookings?limit=100&range_start=" +
                                             UrlEncode(At(-60)) + "&range_end=" + UrlEncode(At(120)))));
  EXPECT_EQ(Parse(list)["bookings"].size(), 1u);

  // Another agent's booking is not found for it: exit 7.
  EXPECT_EQ(AsAgent(sales, {"bookings", "show", id}).exit_code, 7);
  EXPECT_EQ(AsAgent(sales, {"cancel", id}).exit_code, 7);

  ProcessResult cancel = AsAgent(exec, {"cancel", id, "--json"});
  ASSERT_EQ(cancel.exit_code, 0) << cancel.err;
  EXPECT_EQ(Parse(cancel)["status"], "CANCELLED");
  // The slot is free at once.
  EXPECT_EQ(AsAgent(sales, {"commit", At(15), "--end", At(45)}).exit_code, 0);
}

TEST_F(CliTest, CountersProposeListAcceptAndRejectMatchTheApi) {
  const std::string exec = AddAgent("exec", 1);
  const std::string sales = AddAgent("sales", 2);
  ProcessResult won = AsAgent(exec, {"commit", At(0), "-d", "30m", "--json"});
  ASSERT_EQ(won.exit_code, 0) << won.err;
  const std::string booking = Parse(won)["booking_id"];
  ASSERT_EQ(AsAgent(sales, {"commit", At(0), "-d", "30m"}).exit_code, 3);

  ProcessResult proposed = AsAgent(sales, {"counters", "propose", booking, "--slot", At(60), "--slot", At(120),
                                           "-d", "45m", "--note", "mornings are full", "--json"});
  ASSERT_EQ(proposed.exit_code, 0) << proposed.err;
  const json counter = Parse(proposed);
  EXPECT_EQ(counter["proposed"][1]["start"], At(120));
  EXPECT_EQ(counter["proposed"][1]["end"], At(165));
  EXPECT_EQ(counter["note"], "mornings are full");
  const std::string id = counter["counter_id"];

  ProcessResult listed = AsAgent(exec, {"counters", "list", booking, "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_EQ(Parse(listed), Body(Http(exec).Get("/v1/bookings/" + booking + "/counters")));
  ProcessResult table = AsAgent(exec, {"counters", "list", booking});
  EXPECT_NE(table.out.find(id), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("PENDING"), std::string::npos) << table.out;

  // Only the booking's agent answers: the proposer gets exit 7 (not found for it).
  EXPECT_EQ(AsAgent(sales, {"counters", "accept", booking, id}).exit_code, 7);
  // A slot the winner cannot take is a conflict: exit 3, the counter still pending.
  const std::string rival = AddAgent("rival", 1);
  ASSERT_EQ(Run({"agents", "set-priority", "exec", "2"}).exit_code, 0);
  ASSERT_EQ(AsAgent(rival, {"commit", At(60), "-d", "45m"}).exit_code, 0);
  EXPECT_EQ(AsAgent(exec, {"counters", "accept", booking, id, "--slot-index", "0"}).exit_code, 3);
  ProcessResult accepted = AsAgent(exec, {"counters", "accept", booking, id, "-i", "1", "--json"});
  ASSERT_EQ(accepted.exit_code, 0) << accepted.err;
  const json moved = Parse(accepted);
  EXPECT_EQ(moved["status"], "ACCEPTED");
  EXPECT_EQ(moved["booking"]["start"], At(120));
  EXPECT_EQ(Body(Http(exec).Get("/v1/bookings/" + booking))["status"], "CANCELLED");

  // Rejecting: a second counter on the moved booking, declined by the owner over the socket.
  const std::string moved_id = moved["booking"]["booking_id"];
  ProcessResult second = AsAgent(sales, {"counters", "propose", moved_id, "-s", At(300), "--json"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  ProcessResult rejected = Run({"counters", "reject", moved_id, Parse(second)["counter_id"], "--json"});
  ASSERT_EQ(rejected.exit_code, 0) << rejected.err;
  EXPECT_EQ(Parse(rejected)["status"], "REJECTED");
  // Usage errors: no --slot, six of them.
  EXPECT_EQ(AsAgent(sales, {"counters", "propose", moved_id}).exit_code, 2);
  EXPECT_EQ(AsAgent(sales, {"counters", "propose", moved_id, "-s", At(1), "-s", At(2), "-s", At(3), "-s", At(4),
                            "-s", At(5), "-s", At(6)})
                .exit_code,
            2);
}

TEST_F(CliTest, TheActiveClaimsQuotaIsAnOwnerSettingAndExitFour) {
  const std::string bot = AddAgent("bot", 1);
  ASSERT_EQ(Run({"settings", "set", "max-claims=1", "max-metadata-bytes=4096"}).exit_code, 0);
  ProcessResult shown = Run({"settings", "get"});
  EXPECT_NE(shown.out.find("max-claims"), std::string::npos) << shown.out;
  ASSERT_EQ(AsAgent(bot, {"commit", At(0), "-d", "30m"}).exit_code, 0);
  ProcessResult over = AsAgent(bot, {"commit", At(60), "-d", "30m", "--json"});
  EXPECT_EQ(over.exit_code, 4) << over.err;
  EXPECT_EQ(Parse(over)["error"], "quota_exceeded");
  EXPECT_EQ(Parse(over)["quota"], "max_active_claims_per_agent");
}

TEST_F(CliTest, HoldsReleaseAndTheHoldLimitIsExitFour) {
  const std::string bot = AddAgent("bot", 1);
  ASSERT_EQ(Run({"settings", "set", "max-holds=1"}).exit_code, 0);
  ProcessResult held = AsAgent(bot, {"hold", At(0), "-d", "30m", "--json"});
  ASSERT_EQ(held.exit_code, 0) << held.err;
  json hold = Parse(held);
  EXPECT_EQ(hold["status"], "HELD");

  ProcessResult over = AsAgent(bot, {"hold", At(60), "-d", "30m", "--json"});
  EXPECT_EQ(over.exit_code, 4) << over.err;
  EXPECT_EQ(Parse(over)["error"], "hold_limit");

  ProcessResult released = AsAgent(bot, {"release", hold["hold_id"], "--json"});
  ASSERT_EQ(released.exit_code, 0) << released.err;
  EXPECT_EQ(Parse(released)["status"], "RELEASED");
  EXPECT_EQ(AsAgent(bot, {"hold", At(60), "-d", "30m"}).exit_code, 0);
}

TEST_F(CliTest, TheOwnerActsAsAnAgentWithAsAndTheAuditSaysSo) {
  AddAgent("assistant", 1);
  ProcessResult r = Run({"--as", "assistant", "commit", At(0), "-d", "30m", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string id = Parse(r)["booking_id"];
  const std::string owner = Body(Socket().Get("/v1/status"))["user_id"];

  ProcessResult trail = Run({"audit", "show", id, "--json"});
  ASSERT_EQ(trail.exit_code, 0) << trail.err;
  json events = Parse(trail)["events"];
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["kind"], "booking.committed");
  EXPECT_EQ(events[0]["payload"]["acted_by"], owner) << events[0].dump();
  EXPECT_EQ(Parse(trail), Body(Socket().Get("/v1/audit?limit=1000&after=0&resource=" + id)));

  // Global flags also work after the command.
  ProcessResult who = Run({"whoami", "--as", "assistant", "--json"});
  ASSERT_EQ(who.exit_code, 0) << who.err;
  EXPECT_EQ(Parse(who)["name"], "assistant");
  EXPECT_EQ(Parse(who)["acted_by"], owner);

  // No key and no --as: commit needs an agent (exit 6, saying how).
  ProcessResult none = Run({"commit", At(60), "-d", "30m"});
  EXPECT_EQ(none.exit_code, 6);
  EXPECT_NE(none.err.find("--as"), std::string::npos) << none.err;
  // --as names an agent that does not exist: 404, exit 7.
  EXPECT_EQ(Run({"--as", "ghost", "commit", At(60), "-d", "30m"}).exit_code, 7);
}

TEST_F(CliTest, AvailabilityStatusWhoamiAndAuditTailMatchTheApi) {
  const std::string bot = AddAgent("bot", 1);
  ASSERT_EQ(AsAgent(bot, {"commit", At(0), "-d", "60m"}).exit_code, 0);

  ProcessResult avail = AsAgent(bot, {"availability", "--from", At(-60), "--to", At(120), "-d", "30m",
                                      "--granularity", "30m", "--json"});
  ASSERT_EQ(avail.exit_code, 0) << avail.err;
  json slots = Parse(avail);
  EXPECT_EQ(slots, Body(Http(bot).Get("/v1/availability?range_start=" + UrlEncode(At(-60)) +
                                      "&range_end=" + UrlEncode(At(120)) +
                                      "&duration_minutes=30&granularity_minutes=30")));
  for (const json& s : slots["slots"]) {
    EXPECT_TRUE(s["start"] >= At(60) || s["end"] <= At(0)) << s.dump();
  }

  ProcessResult status = Run({"status", "--json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  json st = Parse(status);
  EXPECT_EQ(st["store"], "sqlite");
  EXPECT_EQ(st["counts"]["agents"], 1);
  EXPECT_EQ(st["counts"]["active_bookings"], 1);
  EXPECT_EQ(st["socket"], daemon_->socket_path());
  ProcessResult human = Run({"status"});
  ASSERT_EQ(human.exit_code, 0);
  EXPECT_NE(human.out.find("sqlite"), std::string::npos) << human.out;

  ProcessResult who = Run({"whoami", "--json"});
  ASSERT_EQ(who.exit_code, 0);
  EXPECT_EQ(Parse(who)["caller"]["kind"], "owner");

  ProcessResult tail = Run({"audit", "tail", "-n", "2", "--json"});
  ASSERT_EQ(tail.exit_code, 0) << tail.err;
  json rows = Parse(tail)["events"];
  ASSERT_EQ(rows.size(), 2u);
  json all = Body(Socket().Get("/v1/audit?limit=1000"))["events"];
  EXPECT_EQ(rows[1], all.back());
  EXPECT_EQ(rows[0], all[all.size() - 2]);
  // The agent sees only rows about its own claims.
  ProcessResult agent_tail = AsAgent(bot, {"audit", "tail", "--json"});
  ASSERT_EQ(agent_tail.exit_code, 0);
  EXPECT_EQ(Parse(agent_tail)["events"], Body(Http(bot).Get("/v1/audit?limit=1000"))["events"]);
}

TEST_F(CliTest, EveryExitCodeFromARealCase) {
  const std::string bot = AddAgent("bot", 1);
  // 2: a time that is not a time, and an unknown command.
  ProcessResult bad_time = AsAgent(bot, {"commit", "tomorow", "9:00"});
  EXPECT_EQ(bad_time.exit_code, 2);
  EXPECT_NE(bad_time.err.find("tomorow"), std::string::npos) << bad_time.err;
  EXPECT_EQ(Run({"frobnicate"}).exit_code, 2);
  EXPECT_EQ(AsAgent(bot, {"commit", At(0), "--duration", "soon"}).exit_code, 2);
  // 6: an unknown key.
  EXPECT_EQ(AsAgent("avs_live_nope", {"whoami"}).exit_code, 6);
  // 7: no such booking.
  EXPECT_EQ(AsAgent(bot, {"bookings", "show", "bkg_nope"}).exit_code, 7);
  // 8: nothing at the socket, and nothing at the URL.
  ProcessResult no_socket = Run({"agents", "list"}, {{"AGENTDRAFT_SOCKET", dir_.File("nothing.sock")}});
  EXPECT_EQ(no_socket.exit_code, 8);
  EXPECT_NE(no_socket.err.find("no daemon at " + dir_.File("nothing.sock")), std::string::npos)
      << no_socket.err;
  EXPECT_NE(no_socket.err.find("start it with agentdraftd"), std::string::npos) << no_socket.err;
  ProcessResult no_http = Run({"whoami"}, {{"AGENTDRAFT_API_KEY", bot},
                                           {"AGENTDRAFT_BASE_URL", "http://127.0.0.1:1"}});
  EXPECT_EQ(no_http.exit_code, 8) << no_http.err;
  // 0, 3 and 4 are covered by the commit and hold tests; 5 by the rate-limit test.
}

TEST(CliRateLimit, ASecondRequestOverTheBucketIsExitFiveWithRetryAfter) {
  TempDir dir;
  DaemonProcess daemon(dir.File("data"), {"--rate-limit", "0.001", "--rate-burst", "1"});
  ASSERT_TRUE(daemon.Start().ok());
  ApiClientOptions o;
  o.base_url = "http://agentdraftd";
  o.unix_socket_path = daemon.socket_path();
  ApiClient socket(o);
  auto created = socket.Post("/v1/dashboard/agents", {{"name", "bot"}});
  ASSERT_TRUE(created.ok());
  const std::string key = json::parse(created->body)["plaintext_key"];
  std::map<std::string, std::string> env = {{"AGENTDRAFT_API_KEY", key},
                                            {"AGENTDRAFT_BASE_URL", daemon.base_url()}};
  EXPECT_EQ(RunProcess({AGENTDRAFT_CLI_PATH, "whoami"}, env).exit_code, 0);
  ProcessResult limited = RunProcess({AGENTDRAFT_CLI_PATH, "whoami", "--json"}, env);
  EXPECT_EQ(limited.exit_code, 5) << limited.err;
  json body = json::parse(limited.out, nullptr, false);
  ASSERT_FALSE(body.is_discarded()) << limited.out;
  EXPECT_EQ(body["error"], "rate_limited");
  EXPECT_GE(body["retry_after"].get<int>(), 1);
  // The owner is not rate limited.
  EXPECT_EQ(RunProcess({AGENTDRAFT_CLI_PATH, "status"}, {{"AGENTDRAFT_SOCKET", daemon.socket_path()},
                                                        {"AGENTDRAFT_API_KEY", ""}})
                .exit_code,
            0);
  EXPECT_EQ(daemon.Stop(), 0);
}

TEST_F(CliTest, CompletionIsValidBashAndHelpListsEveryCommand) {
  ProcessResult script = Run({"completion", "bash"});
  ASSERT_EQ(script.exit_code, 0);
  EXPECT_NE(script.out.find("complete -F _agentdraft agentdraft"), std::string::npos);
  const std::string path = dir_.File("completion.bash");
  { std::ofstream(path) << script.out; }
  ProcessResult syntax = RunProcess({"/bin/bash", "-n", path});
  EXPECT_EQ(syntax.exit_code, 0) << syntax.err;
  // Completing "agentdraft agents r" offers rank, revoke and rotate-key.
  const std::string probe = dir_.File("probe.bash");
  {
    std::ofstream(probe) << "source " << path << "\n"
                         << "COMP_WORDS=(agentdraft agents r); COMP_CWORD=2; _agentdraft\n"
                         << "echo \"${COMPREPLY[*]}\"\n";
  }
  ProcessResult offered = RunProcess({"/bin/bash", probe});
  EXPECT_EQ(offered.out, "rank rotate-key revoke\n") << offered.err;

  ProcessResult help = Run({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  for (const char* command : {"commit", "hold", "release", "cancel", "bookings", "availability",
                              "whoami", "agents", "settings", "audit", "race", "status", "completion"}) {
    EXPECT_NE(help.out.find(std::string("  ") + command), std::string::npos) << command;
  }
}

TEST_F(CliTest, TheShellAgentExampleFallsBackToTheNextFreeSlotOnExitThree) {
  const std::string top = AddAgent("top", 1);
  const std::string shell = AddAgent("shell", 2);
  ASSERT_EQ(AsAgent(top, {"commit", At(0), "-d", "30m"}).exit_code, 0);

  ProcessResult r = RunProcess({"/bin/sh", std::string(AGENTDRAFT_SOURCE_DIR) + "/examples/shell-agent.sh",
                                At(0), "30m"},
                               {{"AGENTDRAFT_API_KEY", shell},
                                {"AGENTDRAFT_BASE_URL", daemon_->base_url()},
                                {"AGENTDRAFT_CLI", AGENTDRAFT_CLI_PATH},
                                {"AGENTDRAFT_SOCKET", ""}});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.err.find("is taken"), std::string::npos) << r.err;
  const std::string id = r.out.substr(0, r.out.find('\n'));
  json booking = Body(Http(shell).Get("/v1/bookings/" + id));
  EXPECT_EQ(booking["status"], "COMMITTED");
  EXPECT_EQ(booking["start"], At(30));  // the next free 30 minutes
  EXPECT_EQ(booking["end"], At(60));
  // One booking, however many requests it took.
  EXPECT_EQ(Body(Http(shell).Get("/v1/bookings"))["bookings"].size(), 1u);
}

}  // namespace
}  // namespace agentdraft::testing
