// `agentdraft race replay` and `race record` with the real binaries: every scenario in races/
// replays byte-identically, also with both cores busy; a changed expectation fails naming
// the step; --update writes what the committed files hold; malformed files exit 2; and a
// race run live against a real daemon, recorded from its audit log, replays to the same
// outcome.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <barrier>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/clock.h"
#include "common/time.h"
#include "tests/cli/cli_test_support.h"

namespace agentdraft::testing {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> RaceFiles() {
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(fs::path(AGENTDRAFT_SOURCE_DIR) / "races")) {
    if (e.path().extension() == ".json") files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

void WriteFile(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

ProcessResult Cli(std::vector<std::string> args) {
  args.insert(args.begin(), AGENTDRAFT_CLI_PATH);
  return RunProcess(args, {{"NO_COLOR", "1"}});
}

// Processes that spin until killed, one per core: the replays must not notice.
class BusyCores {
 public:
  explicit BusyCores(int n) {
    for (int i = 0; i < n; ++i) {
      pid_t pid = fork();
      if (pid == 0) {
        volatile uint64_t x = 0;
        for (;;) x = x + 1;
      }
      pids_.push_back(pid);
    }
  }
  ~BusyCores() {
    for (pid_t p : pids_) {
      kill(p, SIGKILL);
      waitpid(p, nullptr, 0);
    }
  }

 private:
  std::vector<pid_t> pids_;
};

TEST(RaceReplay, EveryScenarioReplaysByteIdenticallyTwentyTimesEvenWithBusyCores) {
  std::vector<std::string> files = RaceFiles();
  ASSERT_GE(files.size(), 12u);
  std::vector<std::string> args = {"race", "replay"};
  args.insert(args.end(), files.begin(), files.end());
  std::vector<std::string> json_args = args;
  json_args.push_back("--json");

  const ProcessResult first = Cli(args);
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  EXPECT_NE(first.out.find(std::to_string(files.size()) + " scenarios: " + std::to_string(files.size()) + " passed"),
            std::string::npos) << first.out;
  const ProcessResult first_json = Cli(json_args);
  ASSERT_EQ(first_json.exit_code, 0) << first_json.err;
  json report = json::parse(first_json.out);
  EXPECT_EQ(report["passed"], files.size());
  for (const json& f : report["files"]) {
    for (const json& step : f["steps"]) {
      EXPECT_TRUE(step.contains("expect")) << f["file"] << " " << step["id"] << ": every step pins its outcome";
    }
  }

  BusyCores busy(2);
  for (int run = 0; run < 20; ++run) {
    const ProcessResult r = Cli(run % 2 == 0 ? args : json_args);
    ASSERT_EQ(r.exit_code, 0) << "run " << run << ": " << r.err;
    EXPECT_EQ(r.out, run % 2 == 0 ? first.out : first_json.out) << "run " << run;
    EXPECT_EQ(r.err, "") << "run " << run;
  }
}

class RaceFileTest : public ::testing::Test {
 protected:
  std::string Copy(const std::string& name) {
    const std::string path = dir_.File(name);
    WriteFile(path, ReadWholeFile(std::string(AGENTDRAFT_SOURCE_DIR) + "/races/" + name));
    return path;
  }
  TempDir dir_;
};

TEST_F(RaceFileTest, AChangedExpectationFailsWithADiffNamingTheStep) {
  const std::string path = Copy("02-late-arrival-bumps.json");
  json doc = json::parse(ReadWholeFile(path));
  doc["steps"][1]["expect"]["status"] = 409;  // s2 (exec-ea) in truth evicts s1 with a 201
  WriteFile(path, doc.dump(2));

  ProcessResult r = Cli({"race", "replay", path});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("1 not as expected"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("FAIL s2 (exec-ea commit at 5000.000 ms): status: expected 409, got 201"),
            std::string::npos) << r.out;

  ProcessResult j = Cli({"race", "replay", path, "--json"});
  EXPECT_EQ(j.exit_code, 1);
  json report = json::parse(j.out);
  EXPECT_EQ(report["failed"], 1);
  EXPECT_EQ(report["files"][0]["steps"][1]["problems"], json::array({"status: expected 409, got 201"}));
  EXPECT_EQ(report["files"][0]["steps"][0]["problems"], json::array());
}

TEST_F(RaceFileTest, UpdateWritesTheObservedOutcomesAndNothingElse) {
  const std::string path = Copy("09-cancel-then-rebook.json");
  const std::string committed = ReadWholeFile(path);
  nlohmann::ordered_json doc = nlohmann::ordered_json::parse(committed);  // keeps the key order
  for (auto& step : doc["steps"]) step.erase("expect");
  WriteFile(path, doc.dump(2));
  ProcessResult plain = Cli({"race", "replay", path});
  EXPECT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_NE(plain.out.find("no expectations"), std::string::npos) << plain.out;

  ProcessResult update = Cli({"race", "replay", "--update", path});
  ASSERT_EQ(update.exit_code, 0) << update.err;
  EXPECT_EQ(ReadWholeFile(path), committed);
}

TEST_F(RaceFileTest, MalformedScenariosExitTwoNamingTheProblem) {
  const std::string base = R"({"format": "agentdraft-race/1", "agents": [{"name": "a", "priority": 1}],
    "steps": [{"at_ms": 0, "agent": "a", "op": "commit", "start": "2030-01-07T10:00:00Z", "end": "2030-01-07T10:30:00Z"}]})";
  struct Case {
    std::string what, path, value, message;
  };
  const std::vector<Case> cases = {
      {"unknown agent", "/steps/0/agent", R"("b")", "steps[0].agent: no agent \"b\" in agents"},
      {"bad op", "/steps/0/op", R"("book")", "steps[0].op: \"book\" is not one of commit, hold, release, cancel"},
      {"bad time", "/steps/0/start", R"("10am")", "steps[0].start: not an RFC 3339 time"},
      {"negative offset", "/steps/0/at_ms", "-1", "steps[0].at_ms: must be a number of milliseconds >= 0"},
      {"typo", "/steps/0/idempotency", R"("k")", "steps[0].idempotency: unknown key"},
      {"tie window", "/settings", R"({"tie_window_ms": 9000})", "settings.tie_window_ms: must be between 0 and 5000"},
      {"owner commits", "/steps/0/agent", R"("@owner")", "steps[0].agent: the owner (@owner) can only release or cancel"},
      {"format", "/format", R"("agentdraft-race/9")", "format: \"agentdraft-race/9\" is not"},
      {"release of nothing", "/steps/1", R"({"at_ms": 1, "agent": "a", "op": "release", "target": "s1"})",
       "steps[1].target: \"s1\" is not an earlier hold step"},
  };
  for (const Case& c : cases) {
    json doc = json::parse(base);
    doc[json::json_pointer(c.path)] = json::parse(c.value);
    const std::string path = dir_.File("bad.json");
    WriteFile(path, doc.dump());
    ProcessResult r = Cli({"race", "replay", path});
    EXPECT_EQ(r.exit_code, 2) << c.what;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.what << ": " << r.err;
  }
  WriteFile(dir_.File("bad.json"), "{not json");
  EXPECT_EQ(Cli({"race", "replay", dir_.File("bad.json")}).exit_code, 2);
  ProcessResult missing = Cli({"race", "replay", dir_.File("nowhere.json")});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("cannot read the file"), std::string::npos) << missing.err;
}

// Live races against a real daemon, recorded and replayed. The tie window is wide enough that
// the racing threads reach the daemon inside it even on a loaded 2-core machine.
class RaceRecordTest : public CliTest {
 protected:
  void SetUp() override { StartDaemon({"--tie-window", "100ms"}); }

  // Every key commits `claim` at once, each from its own thread and connection; returns the
  // statuses in key order.
  std::vector<int> Race(const std::vector<std::string>& keys, const json& claim) {
    std::vector<ApiClient> clients;
    for (const std::string& k : keys) clients.push_back(Http(k));
    for (ApiClient& c : clients) EXPECT_TRUE(c.Get("/v1/agents/me").ok());  // warm the connection
    std::vector<int> statuses(keys.size());
    std::barrier start(static_cast<std::ptrdiff_t>(keys.size()));
    std::vector<std::thread> threads;
    for (size_t i = 0; i < keys.size(); ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        auto r = clients[i].Post("/v1/bookings", claim);
        statuses[i] = r.ok() ? r->status : 0;
      });
    }
    for (std::thread& t : threads) t.join();
    return statuses;
  }

  json Commit(const std::string& key, const json& claim) {
    auto r = Http(key).Post("/v1/bookings", claim);
    EXPECT_TRUE(r.ok());
    return r.ok() ? json::parse(r->body) : json();
  }
};

json Slot(const std::string& start, const std::string& end) { return {{"start", start}, {"end", end}}; }

TEST_F(RaceRecordTest, ALiveRaceRecordedFromTheAuditLogReplaysToTheSameOutcome) {
  // Created in an order unrelated to rank.
  std::vector<std::string> keys = {AddAgent("sales-bot", 2), AddAgent("ops-bot", 4),
                                   AddAgent("exec-ea", 1), AddAgent("recruit-bot", 3),
                                   AddAgent("intern-bot", 5)};
  const std::string t0 = FormatRfc3339Micros(SystemClock().Now());

  // A race at one slot: exec-ea (keys[2]) wins.
  std::vector<int> race = Race(keys, Slot("2031-03-03T10:00:00Z", "2031-03-03T10:30:00Z"));
  EXPECT_EQ(std::count(race.begin(), race.end(), 201), 1);
  EXPECT_EQ(race[2], 201);
  // A booking, then a higher-ranked agent bumps it; a hold, displaced by a commit.
  EXPECT_EQ(Commit(keys[1], Slot("2031-03-03T11:00:00Z", "2031-03-03T11:30:00Z")).value("status", ""), "COMMITTED");
  json bump = Commit(keys[0], Slot("2031-03-03T11:00:00Z", "2031-03-03T11:30:00Z"));
  EXPECT_EQ(bump["evicted_booking_ids"].size(), 1u) << bump;
  auto hold = Http(keys[4]).Post("/v1/holds", Slot("2031-03-03T12:00:00Z", "2031-03-03T12:30:00Z"));
  ASSERT_TRUE(hold.ok());
  EXPECT_EQ(hold->status, 201) << hold->body;
  json displace = Commit(keys[3], Slot("2031-03-03T12:00:00Z", "2031-03-03T12:30:00Z"));
  EXPECT_EQ(displace["displaced_hold_ids"].size(), 1u) << displace;
  // A second race on an overlapping interval: the last race.
  std::vector<int> race2 = Race({keys[0], keys[1], keys[3]}, Slot("2031-03-03T13:00:00Z", "2031-03-03T13:15:00Z"));
  EXPECT_EQ(race2[0], 201);

  const std::string all = dir_.File("all.json");
  ProcessResult rec = Run({"race", "record", "--since", t0, "-o", all, "--name", "live"});
  ASSERT_EQ(rec.exit_code, 0) << rec.err;
  EXPECT_NE(rec.out.find("recorded 12 steps"), std::string::npos) << rec.out;
  json doc = json::parse(ReadWholeFile(all));
  EXPECT_EQ(doc["agents"].size(), 5u);
  EXPECT_EQ(doc["agents"][0], json({{"name", "exec-ea"}, {"priority", 1}}));  // rank order
  // The expectations are what the daemon answered.
  int wins = 0;
  for (const json& s : doc["steps"]) {
    if (s["start"] == "2031-03-03T10:00:00Z") {
      if (s["expect"]["status"] == 201) {
        ++wins;
        EXPECT_EQ(s["agent"], "exec-ea");
      } else {
        EXPECT_EQ(s["expect"]["winner"], "exec-ea") << s;
      }
    }
  }
  EXPECT_EQ(wins, 1);
  ProcessResult replay = Cli({"race", "replay", all});
  EXPECT_EQ(replay.exit_code, 0) << replay.out << replay.err;
  EXPECT_NE(replay.out.find("12 steps, all as expected"), std::string::npos) << replay.out;
  EXPECT_NE(replay.out.find("evicts s"), std::string::npos) << replay.out;
  EXPECT_NE(replay.out.find("displaces s"), std::string::npos) << replay.out;

  const std::string last = dir_.File("last.json");
  ProcessResult rec2 = Run({"race", "record", "--last-race", "-o", last});
  ASSERT_EQ(rec2.exit_code, 0) << rec2.err;
  json last_doc = json::parse(ReadWholeFile(last));
  ASSERT_EQ(last_doc["steps"].size(), 3u) << last_doc.dump(2);
  ProcessResult replay2 = Cli({"race", "replay", last});
  EXPECT_EQ(replay2.exit_code, 0) << replay2.out << replay2.err;
}

TEST_F(RaceRecordTest, RecordSaysWhatIsMissing) {
  ProcessResult none = Run({"race", "record", "--last-race"});
  EXPECT_EQ(none.exit_code, 7) << none.err;
  EXPECT_NE(none.err.find("no race found"), std::string::npos) << none.err;
  EXPECT_EQ(Run({"race", "record"}).exit_code, 2);
  EXPECT_EQ(Run({"race", "record", "--last-race", "--since", "-1h"}).exit_code, 2);
  EXPECT_EQ(Run({"race", "record", "--since", "yesterday-ish"}).exit_code, 2);
}

}  // namespace
}  // namespace agentdraft::testing
