// Pairs of paths that make a slot busy (TESTING.md), against the real daemon over HTTP.
//
// The paths: commit; hold; convert (an agent commits over its own hold); bump (a commit that
// evicts a lower-ranked booking inside its bump window); displace (a commit that displaces a
// lower-ranked hold); counter-accept (an agent accepts a counter-proposal that moves its
// booking onto the slot). Every ordered pair (X, Y) of them is fired at once — two threads
// released by a barrier, each with its connection already open — on overlapping slots, many
// times:
//
//   minutes   0        15        30        45
//   X         [====== request =====)                 X by H (priority 1), then by M
//             [ X's setup )
//   Y                   [====== request =====)       Y by M (priority 2), then by H
//                                 [ Y's setup )
//
// A setup is what the path needs first: convert, the actor's own hold; bump, a booking of L
// (priority 3); displace, a hold of L; counter-accept, a booking of the actor's and L's
// counter-proposal to move it onto the request's interval (which overlaps the booking itself).
// The requests share [15, 30), which is free, so they race for it; the setups do not overlap
// each other. Tie window 0: nobody waits.
//
// Pass: no 5xx and no other status than 201 and 409; every success is legal (a bump evicts
// only a lower-ranked booking before its frozen_at, a displacement only a hold it may displace,
// a conversion only the actor's own hold; the bump, displace, convert and counter-accept paths,
// when they succeed, did what they are named for — an accepted counter cancelled the booking it
// moved); when both succeed, the second removed the first; and the final state, read from the
// daemon's own SQLite file, holds exactly the claims the answers leave alive, with no two of
// them sharing a bucket.
#include <sqlite3.h>

#include <algorithm>
#include <barrier>
#include <map>
#include <set>
#include <thread>

#include "common/clock.h"
#include "tests/e2e/e2e_support.h"

namespace agentdraft::testing {
namespace {

enum class Path { kCommit, kHold, kConvert, kBump, kDisplace, kCounterAccept };
constexpr Path kPaths[] = {Path::kCommit, Path::kHold,     Path::kConvert,
                           Path::kBump,   Path::kDisplace, Path::kCounterAccept};
constexpr int kReps = 20;
constexpr int64_t kRegionMinutes = 60;  // each (pair, rep) gets a region of its own

const char* PathName(Path p) {
  switch (p) {
    case Path::kCommit: return "commit";
    case Path::kHold: return "hold";
    case Path::kConvert: return "convert";
    case Path::kBump: return "bump";
    case Path::kDisplace: return "displace";
    case Path::kCounterAccept: return "counter-accept";
  }
  return "?";
}

int64_t MicrosAt(int64_t minutes) { return ToMicros(*ParseRfc3339(At(minutes))); }

// A claim the test knows about: from a setup or a 201.
struct Known {
  std::string agent;
  int priority = 0;
  bool hold = false;
  int64_t start_min = 0, end_min = 0;
  std::string created_at, frozen_at;  // bookings: from the 201
};

struct Shot {
  int status = 0;
  nlohmann::json body;
  std::string error;  // transport
};

class PathPairs : public E2eTest {
 protected:
  void SetUp() override {
    // A thousand races back to back, each leaving its claims behind: the per-agent rate limit
    // is off and the active-claims quota raised, so that the paths are what is tested.
    StartDaemon({"--dev", "--rate-limit", "0"});
    auto r = owner_->client().Patch("/v1/dashboard/settings",
                                    {{"tie_window_ms", 0}, {"hold_ttl_seconds", 86400},
                                     {"max_holds_per_agent", 10000}, {"bump_window_seconds", 600},
                                     {"max_active_claims_per_agent", 1000000}});
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->status, 200) << r->body;
    h_ = owner_->AddAgent("high", 1);
    m_ = owner_->AddAgent("middle", 2);
    l_ = owner_->AddAgent("low", 3);
    for (const TestAgent* a : {&h_, &m_, &l_}) {
      clients_.emplace(a->id, Client(a->key));
      ASSERT_EQ(clients_.at(a->id).Get("/v1/agents/me")->status, 200);  // connections open
    }
    ASSERT_EQ(sqlite3_open_v2((dir_.File("data") + "/agentdraft.db").c_str(), &db_,
                              SQLITE_OPEN_READONLY, nullptr),
              SQLITE_OK);
    sqlite3_busy_timeout(db_, 5000);
  }
  void TearDown() override {
    sqlite3_close(db_);
    E2eTest::TearDown();
  }

  // Posts a commit or a hold of [from, to) as `agent`; records a 201 in known_.
  Shot Send(const TestAgent& agent, bool hold, int64_t from, int64_t to, const std::string& hold_id = "") {
    nlohmann::json body = Claim(from, to);
    if (!hold_id.empty()) body["hold_id"] = hold_id;
    Shot s;
    auto r = clients_.at(agent.id).Post(hold ? "/v1/holds" : "/v1/bookings", body);
    if (!r.ok()) {
      s.error = r.status().ToString();
      return s;
    }
    s.status = r->status;
    s.body = r->Json().ok() ? *r->Json() : nlohmann::json{{"raw", r->body}};
    return s;
  }
  // Accepts slot 0 of `counter` on `booking` as `agent`. A 201's body becomes the booking it
  // made (with its converted, displaced and evicted lists), like a commit's.
  Shot SendAccept(const TestAgent& agent, const std::string& booking, const std::string& counter) {
    Shot s;
    auto r = clients_.at(agent.id).Post("/v1/bookings/" + booking + "/counters/" + counter + "/accept",
                                        {{"slot_index", 0}});
    if (!r.ok()) {
      s.error = r.status().ToString();
      return s;
    }
    s.status = r->status;
    s.body = r->Json().ok() ? *r->Json() : nlohmann::json{{"raw", r->body}};
    if (s.status == 201 && s.body.contains("booking")) {
      if (s.body.value("status", "") != "ACCEPTED" || s.body.value("booking_id", "") != booking) {
        s.error = "an accepted counter answered " + s.body.dump();
      }
      s.body = nlohmann::json(s.body["booking"]);
    }
    return s;
  }
  void Remember(const Shot& s, const TestAgent& agent, bool hold, int64_t from, int64_t to) {
    if (s.status != 201) return;
    const std::string id = s.body.value(hold ? "hold_id" : "booking_id", "");
    known_[id] = Known{agent.id, agent.priority, hold, from, to, s.body.value("created_at", ""),
                       s.body.value("frozen_at", "")};
  }

  // The setup `path` needs on [from, to) before `actor` runs it; "" when none. Fails the test
  // if the setup is refused.
  // For counter-accept, `request` is the interval the counter proposes.
  std::string Setup(Path path, const TestAgent& actor, int64_t from, int64_t to,
                    std::pair<int64_t, int64_t> request) {
    if (path == Path::kCommit || path == Path::kHold) return "";
    const TestAgent& who = path == Path::kConvert || path == Path::kCounterAccept ? actor : l_;
    const bool hold = path == Path::kConvert || path == Path::kDisplace;
    Shot s = Send(who, hold, from, to);
    EXPECT_EQ(s.status, 201) << PathName(path) << " setup: " << s.body.dump() << s.error;
    Remember(s, who, hold, from, to);
    const std::string id = s.body.value(hold ? "hold_id" : "booking_id", "");
    if (path == Path::kCounterAccept && !id.empty()) {
      auto r = clients_.at(l_.id).Post("/v1/bookings/" + id + "/counter",
                                       {{"proposed", {{{"start", At(request.first)}, {"end", At(request.second)}}}}});
      EXPECT_TRUE(r.ok() && r->status == 201) << (r.ok() ? r->body : r.status().ToString());
      if (r.ok() && r->status == 201) counter_of_[id] = r->Json()->value("counter_id", "");
    }
    return id;
  }

  // Live claims (COMMITTED, or HELD and unexpired) in [from, to) minutes, read from the
  // daemon's database: id → [start, end) in micros.
  std::map<std::string, std::pair<int64_t, int64_t>> LiveClaims(int64_t from, int64_t to) {
    std::map<std::string, std::pair<int64_t, int64_t>> live;
    sqlite3_stmt* st = nullptr;
    const char* sql =
        "SELECT id, start_us, end_us FROM claims WHERE owner_id = ?4 AND start_us < ?1 AND end_us > ?2 "
        "AND (state = 'COMMITTED' OR (state = 'HELD' AND expires_at > ?3))";
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql, -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(db_);
    sqlite3_bind_int64(st, 1, MicrosAt(to));
    sqlite3_bind_int64(st, 2, MicrosAt(from));
    sqlite3_bind_int64(st, 3, ToMicros(SystemClock().Now()));
    sqlite3_bind_text(st, 4, owner_->user_id().c_str(), -1, SQLITE_TRANSIENT);
    while (sqlite3_step(st) == SQLITE_ROW) {
      live[reinterpret_cast<const char*>(sqlite3_column_text(st, 0))] = {sqlite3_column_int64(st, 1),
                                                                         sqlite3_column_int64(st, 2)};
    }
    sqlite3_finalize(st);
    return live;
  }

  // One race: X by `ax` on [b, b + 30) against Y by `ay` on [b + 15, b + 45), each after its
  // setup. Appends what is wrong to `failures`; returns the two statuses ("201/409").
  std::string Race(Path px, const TestAgent& ax, Path py, const TestAgent& ay, int64_t b,
                   const std::string& where, std::vector<std::string>& failures) {
    struct Side {
      Path path;
      const TestAgent* agent;
      int64_t from, to;
      std::string setup;
      std::string counter;  // counter-accept: the counter on `setup` to accept
      Shot shot;
    };
    // The setups (X's on [0, 15), Y's on [30, 45)), then the race for [15, 30).
    const std::string setup_x = Setup(px, ax, b, b + 15, {b, b + 30});
    const std::string setup_y = Setup(py, ay, b + 30, b + 45, {b + 15, b + 45});
    auto counter_of = [&](const std::string& setup) {
      auto it = counter_of_.find(setup);
      return it == counter_of_.end() ? std::string() : it->second;
    };
    Side sides[2] = {{px, &ax, b, b + 30, setup_x, counter_of(setup_x), {}},
                     {py, &ay, b + 15, b + 45, setup_y, counter_of(setup_y), {}}};
    std::barrier go(2);
    std::vector<std::thread> threads;
    for (Side& side : sides) {
      threads.emplace_back([&go, this, s = &side] {
        go.arrive_and_wait();
        s->shot = s->path == Path::kCounterAccept
                      ? SendAccept(*s->agent, s->setup, s->counter)
                      : Send(*s->agent, s->path == Path::kHold, s->from, s->to,
                             s->path == Path::kConvert ? s->setup : "");
      });
    }
    for (auto& t : threads) t.join();
    for (Side& s : sides) Remember(s.shot, *s.agent, s.path == Path::kHold, s.from, s.to);

    // Each answer on its own.
    std::set<std::string> removed;  // claims the answers say they took out
    std::string ids[2];
    for (int i = 0; i < 2; ++i) {
      const Side& s = sides[i];
      const std::string who = where + PathName(s.path) + " by " + s.agent->name + ": ";
      if (!s.shot.error.empty()) {
        failures.push_back(who + s.shot.error);
        continue;
      }
      if (s.shot.status != 201 && s.shot.status != 409) {
        failures.push_back(who + std::to_string(s.shot.status) + " " + s.shot.body.dump());
        continue;
      }
      if (s.shot.status != 201) continue;
      const bool hold = s.path == Path::kHold;
      ids[i] = s.shot.body.value(hold ? "hold_id" : "booking_id", "");
      const Known& me = known_[ids[i]];
      auto list = [&](const char* field) {
        std::vector<std::string> out;
        for (const auto& v : s.shot.body.value(field, nlohmann::json::array())) out.push_back(v);
        return out;
      };
      for (const std::string& v : list("evicted_booking_ids")) {
        removed.insert(v);
        auto it = known_.find(v);
        if (it == known_.end() || it->second.hold) {
          failures.push_back(who + "evicted " + v + ", not a booking of this race");
        } else if (it->second.priority <= me.priority) {
          failures.push_back(who + "evicted " + v + " of an agent it does not outrank");
        } else if (*ParseRfc3339(me.created_at) >= *ParseRfc3339(it->second.frozen_at)) {
          failures.push_back(who + "evicted " + v + " after its frozen_at " + it->second.frozen_at);
        }
      }
      for (const std::string& v : list("displaced_hold_ids")) {
        removed.insert(v);
        auto it = known_.find(v);
        // A commit displaces a hold of same-or-lower priority; a hold only a lower-ranked one.
        if (it == known_.end() || !it->second.hold || it->second.agent == me.agent ||
            it->second.priority < me.priority || (hold && it->second.priority == me.priority)) {
          failures.push_back(who + "displaced " + v + ", which it may not");
        }
      }
      for (const std::string& v : list("converted_hold_ids")) {
        removed.insert(v);
        auto it = known_.find(v);
        if (it == known_.end() || !it->second.hold || it->second.agent != me.agent) {
          failures.push_back(who + "converted " + v + ", not its own hold");
        }
      }
      // The named paths did what they are named for. An accepted counter cancelled the booking
      // it moved (its setup), in the same decision.
      if (s.path == Path::kCounterAccept) {
        removed.insert(s.setup);
        continue;
      }
      const std::vector<std::string> took =
          list(s.path == Path::kBump ? "evicted_booking_ids"
               : s.path == Path::kDisplace ? "displaced_hold_ids" : "converted_hold_ids");
      if (!s.setup.empty() && std::find(took.begin(), took.end(), s.setup) == took.end()) {
        failures.push_back(who + "succeeded without taking " + s.setup + ": " + s.shot.body.dump());
      }
    }
    // Both won the shared buckets: only if the second took them from the first.
    if (!ids[0].empty() && !ids[1].empty() && !removed.count(ids[0]) && !removed.count(ids[1])) {
      failures.push_back(where + "both succeeded: " + sides[0].shot.body.dump() + " and " +
                         sides[1].shot.body.dump());
    }

    // The final state of the region: exactly the claims the answers leave alive, no two of
    // them in one bucket.
    std::set<std::string> expected;
    for (const std::string& id : {setup_x, setup_y, ids[0], ids[1]}) {
      if (!id.empty() && !removed.count(id)) expected.insert(id);
    }
    auto live = LiveClaims(b, b + kRegionMinutes);
    std::set<std::string> live_ids;
    for (const auto& [id, span] : live) live_ids.insert(id);
    if (live_ids != expected) {
      failures.push_back(where + "live claims " + ::testing::PrintToString(live_ids) +
                         ", the answers say " + ::testing::PrintToString(expected));
    }
    for (auto a = live.begin(); a != live.end(); ++a) {
      for (auto c = std::next(a); c != live.end(); ++c) {
        if (a->second.first < c->second.second && c->second.first < a->second.second) {
          failures.push_back(where + a->first + " and " + c->first + " share a bucket");
        }
      }
    }
    return std::to_string(sides[0].shot.status) + "/" + std::to_string(sides[1].shot.status);
  }

  TestAgent h_, m_, l_;
  std::map<std::string, ApiClient> clients_;  // by agent id
  std::map<std::string, Known> known_;        // by claim id
  std::map<std::string, std::string> counter_of_;  // counter-accept setups: booking → counter
  sqlite3* db_ = nullptr;
};

TEST_F(PathPairs, TwoPathsToOneSlotNeverBothLeaveAnOccupant) {
  std::vector<std::string> failures;
  std::map<std::string, std::map<std::string, int>> tally;  // "X(agent)×Y(agent)" → "201/409" → n
  int64_t region = 0;
  for (int rep = 0; rep < kReps; ++rep) {
    // X by the higher-ranked agent and Y by the lower, then the other way round.
    for (bool high_first : {true, false}) {
      const TestAgent& ax = high_first ? h_ : m_;
      const TestAgent& ay = high_first ? m_ : h_;
      for (Path px : kPaths) {
        for (Path py : kPaths) {
          const std::string pair = std::string(PathName(px)) + "(" + ax.name + ")×" +
                                   PathName(py) + "(" + ay.name + ")";
          const int64_t b = (region++) * kRegionMinutes;
          tally[pair][Race(px, ax, py, ay, b, pair + " rep " + std::to_string(rep) + ": ", failures)]++;
        }
      }
    }
  }
  for (const auto& [pair, outcomes] : tally) {
    std::string line = pair + ":";
    for (const auto& [o, n] : outcomes) line += " " + o + "×" + std::to_string(n);
    std::printf("%s\n", line.c_str());
  }
  std::printf("%zu pairs × %d reps = %lld races\n", tally.size(), kReps, static_cast<long long>(region));
  EXPECT_TRUE(failures.empty()) << failures.size() << " failures; first: " << failures.front();
}

}  // namespace
}  // namespace agentdraft::testing
