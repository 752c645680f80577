#include "tests/history/load.h"

#include <signal.h>
#include <sqlite3.h>

#include <random>
#include <sstream>
#include <thread>

#include "common/api_client.h"
#include "common/audit_verify.h"

namespace agentdraft::testing::history {

namespace {

using Clock = std::chrono::steady_clock;
// Claims live on 2027-03-01 onwards (the future: no notice or horizon problems).
constexpr int64_t kBaseSeconds = 1803978000LL;

std::string AtMinute(int64_t minutes) {
  return FormatRfc3339(FromMicros((kBaseSeconds + minutes * 60) * 1000000));
}

Time MicrosField(sqlite3_stmt* st, int col) { return FromMicros(sqlite3_column_int64(st, col)); }
std::string TextField(sqlite3_stmt* st, int col) {
  const unsigned char* t = sqlite3_column_text(st, col);
  return t ? reinterpret_cast<const char*>(t) : "";
}

}  // namespace

std::string IntegrityCheck(const std::string& db_path) {
  sqlite3* db = nullptr;
  // Read-only: the check must not checkpoint or otherwise change what the daemon recovers.
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    std::string e = db ? sqlite3_errmsg(db) : "open failed";
    sqlite3_close(db);
    return "cannot open " + db_path + ": " + e;
  }
  sqlite3_busy_timeout(db, 5000);
  std::string result = "no answer";
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, nullptr) == SQLITE_OK) {
    result = sqlite3_step(st) == SQLITE_ROW ? TextField(st, 0) : sqlite3_errmsg(db);
  } else {
    result = sqlite3_errmsg(db);
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return result;
}

// --- Endpoint --------------------------------------------------------------------------

void Endpoint::SetUp(std::string base_url) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    up_ = true;
    base_url_ = std::move(base_url);
    ++generation_;
  }
  cv_.notify_all();
}

void Endpoint::SetDown() {
  std::lock_guard<std::mutex> lock(mu_);
  up_ = false;
}

std::pair<std::string, int> Endpoint::WaitUp(Clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!cv_.wait_until(lock, deadline, [&] { return up_; })) return {"", generation_};
  return {base_url_, generation_};
}

// --- Run -------------------------------------------------------------------------------

Run::Run(LoadOptions options) : options_(std::move(options)) {}

Run::~Run() {
  stop_ = true;
  if (daemon_ && daemon_->pid() > 0) {
    kill(daemon_->pid(), SIGCONT);  // never leave a stopped daemon behind
    daemon_->Kill();
  }
}

Status Run::Setup() {
  daemon_ = std::make_unique<DaemonProcess>(dir_.File("data"));
  if (!options_.daemon_binary.empty()) daemon_->set_binary(options_.daemon_binary);
  daemon_->set_env(options_.daemon_env);
  if (Status s = daemon_->Start(); !s.ok()) return s;
  endpoint_.SetUp(daemon_->base_url());
  const int per_calendar = options_.clients / options_.calendars;
  for (int c = 0; c < options_.calendars; ++c) {
    // The first owner signed in is the oldest: the one the Unix socket speaks for.
    owners_.push_back(std::make_unique<DevOwner>(daemon_->base_url(),
                                                 "owner" + std::to_string(c) + "@example.com"));
    DevOwner& owner = *owners_.back();
    if (owner.user_id().empty()) return Status::Internal("owner sign-in failed");
    auto set = owner.client().Patch("/v1/dashboard/settings",
                                    {{"tie_window_ms", options_.tie_window_ms},
                                     {"bump_window_seconds", options_.bump_window_seconds},
                                     {"hold_ttl_seconds", options_.hold_ttl_seconds},
                                     {"max_holds_per_agent", 3}});
    if (!set.ok() || set->status != 200) return Status::Internal("settings PATCH failed");
    for (int a = 0; a < per_calendar; ++a) {
      TestAgent agent = owner.AddAgent("c" + std::to_string(c) + "-a" + std::to_string(a), a + 1);
      if (agent.id.empty()) return Status::Internal("agent creation failed");
      agents_.push_back({agent, c});
    }
  }
  return Status::Ok();
}

std::vector<std::string> Run::nemesis_problems() const {
  std::lock_guard<std::mutex> lock(problems_mu_);
  return nemesis_problems_;
}

void Run::Drive() {
  const auto end = Clock::now() + options_.duration;
  std::vector<std::thread> threads;
  for (int p = 0; p < static_cast<int>(agents_.size()); ++p) threads.emplace_back([this, p] { Client(p); });
  std::thread nemesis;
  if (options_.kill_every.count() > 0) nemesis = std::thread([this, end] { Nemesis(end); });
  std::this_thread::sleep_until(end);
  stop_ = true;
  if (nemesis.joinable()) nemesis.join();
  for (auto& t : threads) t.join();
}

Status Run::RestartDaemon() {
  Status s;
  for (int attempt = 0; attempt < 5; ++attempt) {
    s = daemon_->Start();
    if (s.ok()) break;
    daemon_->Kill();
  }
  if (!s.ok()) return s;
  for (auto& owner : owners_) owner->Rebind(daemon_->base_url());
  endpoint_.SetUp(daemon_->base_url());
  return Status::Ok();
}

void Run::Nemesis(Clock::time_point end) {
  const auto start = Clock::now();
  for (int event = 1;; ++event) {
    std::this_thread::sleep_until(start + event * options_.kill_every);  // a steady cadence
    if (Clock::now() + std::chrono::milliseconds(300) >= end) return;
    if (options_.pause_one_in > 0 && event % options_.pause_one_in == 0) {
      // A stall: requests time out (info) while the process is frozen, then it goes on.
      kill(daemon_->pid(), SIGSTOP);
      std::this_thread::sleep_for(options_.pause);
      kill(daemon_->pid(), SIGCONT);
      ++pauses_;
      continue;
    }
    endpoint_.SetDown();
    daemon_->Kill();
    ++kills_;
    const std::string integrity = IntegrityCheck(dir_.File("data/agentdraft.db"));
    if (integrity != "ok") {
      std::lock_guard<std::mutex> lock(problems_mu_);
      nemesis_problems_.push_back("after kill " + std::to_string(kills_) + ": integrity_check " + integrity);
    }
    if (Status s = RestartDaemon(); !s.ok()) {
      std::lock_guard<std::mutex> lock(problems_mu_);
      nemesis_problems_.push_back("restart after kill " + std::to_string(kills_) + " failed: " + s.ToString());
      return;
    }
  }
}

void Run::Client(int process) {
  const Agent& me = agents_[process];
  const std::string owner_id = owners_[me.calendar]->user_id();
  // Calendar 0 belongs to the socket's owner: half its agents talk over the socket, as the
  // owner acting for them.
  const bool via_socket = me.calendar == 0 && process % 2 == 1;
  std::mt19937_64 rng(options_.seed * 1000003 + process);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
  const int grid = options_.grid_hours * 4;

  std::unique_ptr<ApiClient> client;
  int generation = -1;
  // Returns false when the daemon did not come back before the grace deadline.
  const auto grace_end = Clock::now() + options_.duration + std::chrono::seconds(20);
  auto connect = [&]() -> bool {
    auto [url, gen] = endpoint_.WaitUp(grace_end);
    if (url.empty()) return false;
    if (gen != generation || !client) {
      ApiClientOptions o;
      if (via_socket) {
        o.base_url = "http://agentdraftd";
        o.unix_socket_path = daemon_->socket_path();
        o.headers = {"X-Agentdraft-As: " + me.agent.id};
      } else {
        o.base_url = url;
        o.api_key = me.agent.key;
      }
      o.timeout = options_.request_timeout;
      o.connect_timeout = std::chrono::milliseconds(500);
      client = std::make_unique<ApiClient>(o);
      generation = gen;
    }
    return true;
  };
  // Sends `op` once and records it; returns its index.
  auto send = [&](Op op) -> int64_t {
    op.process = process;
    op.calendar = me.calendar;
    op.owner_id = owner_id;
    op.agent_id = me.agent.id;
    op.agent_name = me.agent.name;
    op.via_socket = via_socket;
    if (!connect()) {
      const int64_t index = history_.Invoke(op);
      history_.CompleteInfo(index, "the daemon never came back");
      return index;
    }
    const std::string body = op.method == "POST" ? op.request.dump() : "";
    const std::string method = op.method, path = op.path;
    const int64_t index = history_.Invoke(std::move(op));
    auto r = client->Request(method.c_str(), path, body.empty() ? nullptr : &body);
    if (r.ok()) {
      history_.Complete(index, r->status, r->body);
    } else {
      history_.CompleteInfo(index, r.status().ToString());
      client.reset();  // a fresh connection next time
    }
    return index;
  };
  // Sends `op`; while its outcome is unknown, sends it again with the same key (a new op
  // naming the first), until it resolves or the grace period ends. Returns the last op.
  auto send_resolving = [&](Op op) -> Op {
    int64_t index = send(op);
    Op last = history_.ops()[index];  // (copying the history is fine: a few per info)
    const int64_t root = index;
    while (last.outcome == Outcome::kInfo && Clock::now() < grace_end) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      Op retry = op;
      retry.retry_of = root;
      index = send(retry);
      last = history_.ops()[index];
    }
    return last;
  };

  struct Hold { std::string id; nlohmann::json span; };
  std::vector<std::string> bookings;  // my acknowledged bookings
  std::vector<Hold> holds;            // my acknowledged holds
  std::vector<Op> replayable;         // my ok commits (a few)
  int n = 0;
  while (!stop_) {
    const std::string key = me.agent.name + "-" + std::to_string(n++);
    int roll = pick(100);
    if (roll >= 63 && roll < 70 && holds.empty()) roll = 0;
    if (roll >= 70 && roll < 80 && bookings.empty()) roll = 0;
    if (roll >= 92 && replayable.empty()) roll = 80;
    Op op;
    if (roll < 63) {
      // A commit (15–120 min) or a hold (15–60 min) on the 15-minute grid.
      op.kind = roll < 55 ? OpKind::kCommit : OpKind::kHold;
      const int len = 1 + pick(op.kind == OpKind::kCommit ? 8 : 4);
      const int start = pick(grid - len + 1);
      op.method = "POST";
      op.path = op.kind == OpKind::kCommit ? "/v1/bookings" : "/v1/holds";
      op.idempotency_key = key;
      op.request = {{"start", AtMinute(start * 15)}, {"end", AtMinute((start + len) * 15)},
                    {"idempotency_key", key}};
    } else if (roll < 70) {
      const Hold h = holds[pick(static_cast<int>(holds.size()))];
      holds.erase(std::find_if(holds.begin(), holds.end(), [&](const Hold& x) { return x.id == h.id; }));
      if (pick(3) == 0) {
        op.kind = OpKind::kRelease;
        op.method = "DELETE";
        op.path = "/v1/holds/" + h.id;
      } else {
        op.kind = OpKind::kConvert;
        op.method = "POST";
        op.path = "/v1/bookings";
        op.idempotency_key = key;
        op.request = {{"start", h.span["start"]}, {"end", h.span["end"]}, {"hold_id", h.id},
                      {"idempotency_key", key}};
      }
      op.target_id = h.id;
    } else if (roll < 80) {
      const size_t i = pick(static_cast<int>(bookings.size()));
      op.kind = OpKind::kCancel;
      op.method = "DELETE";
      op.path = "/v1/bookings/" + bookings[i];
      op.target_id = bookings[i];
      bookings.erase(bookings.begin() + i);
    } else if (roll < 92) {
      const int start = pick(grid - 8);
      op.kind = OpKind::kRead;
      op.method = "GET";
      op.request = {{"range_start", AtMinute(start * 15)}, {"range_end", AtMinute((start + 8) * 15)}};
      op.path = "/v1/bookings?limit=1000&range_start=" + UrlEncode(op.request["range_start"].get<std::string>()) +
                "&range_end=" + UrlEncode(op.request["range_end"].get<std::string>());
    } else {
      // A deliberate replay of an acknowledged commit: same key, same body.
      const Op& original = replayable[pick(static_cast<int>(replayable.size()))];
      Op replay = original;
      replay.replay = true;
      replay.retry_of = original.index;
      replay.outcome = Outcome::kPending;
      const int64_t index = send(replay);
      (void)index;
      continue;
    }
    if (op.kind == OpKind::kRead) {
      send(op);
      continue;
    }
    const Op last = send_resolving(op);
    if (last.outcome != Outcome::kOk) continue;
    if (last.kind == OpKind::kCommit || last.kind == OpKind::kConvert) {
      bookings.push_back(last.CreatedId());
      if (replayable.size() < 8) replayable.push_back(last);
    } else if (last.kind == OpKind::kHold) {
      holds.push_back({last.CreatedId(), last.request});
    }
  }
}

FinalState Run::Collect() {
  FinalState s;
  s.collected_at = std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
  for (auto& owner : owners_) {
    s.bump_window[owner->user_id()] = std::chrono::seconds(options_.bump_window_seconds);
    auto r = owner->client().Get("/v1/bookings?status=COMMITTED&limit=1000");
    if (!r.ok() || r->status != 200) {
      s.api_problems.push_back("GET /v1/bookings for " + owner->user_id() + " failed");
      continue;
    }
    auto& mine = s.api_committed[owner->user_id()];
    const nlohmann::json listed = r->Json().value();
    for (const auto& b : listed["bookings"]) {
      mine[b["booking_id"].get<std::string>()] = {ParseRfc3339(b["start"].get<std::string>()).value(),
                                                   ParseRfc3339(b["end"].get<std::string>()).value()};
    }
    if (mine.size() >= 1000) s.api_problems.push_back("more than 1000 committed bookings: the read is cut");
  }
  // The audit chain, exported over the socket and verified offline with the daemon's key.
  {
    ApiClientOptions o;
    o.base_url = "http://agentdraftd";
    o.unix_socket_path = daemon_->socket_path();
    ApiClient socket(o);
    auto key = socket.Get("/v1/audit/checkpoint");
    auto exported = socket.Get("/v1/audit/export");
    if (!key.ok() || key->status != 200 || !exported.ok() || exported->status != 200) {
      s.export_problems.push_back("could not read the checkpoint or the export");
    } else {
      std::istringstream in(exported->body);
      AuditVerification v = VerifyAuditExport(in, key->Json().value().value("key", ""));
      s.export_rows = v.rows;
      for (const AuditProblem& p : v.problems) s.export_problems.push_back(AuditProblemLine(p));
    }
  }
  const int stopped = daemon_->Stop();
  if (stopped != 0) s.api_problems.push_back("the daemon's clean stop exited " + std::to_string(stopped));

  const std::string path = dir_.File("data/agentdraft.db");
  s.integrity = IntegrityCheck(path);
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    s.api_problems.push_back("cannot open the file read-only");
    sqlite3_close(db);
    return s;
  }
  auto each = [&](const char* sql, const std::function<void(sqlite3_stmt*)>& row) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) != SQLITE_OK) {
      s.api_problems.push_back(std::string("cannot read the file: ") + sqlite3_errmsg(db));
      return;
    }
    while (sqlite3_step(st) == SQLITE_ROW) row(st);
    sqlite3_finalize(st);
  };
  each("SELECT id, owner_id, agent_id, kind, state, start_us, end_us, created_at, expires_at, "
       "frozen_at, ended_at, ended_by, idempotency_key FROM claims",
       [&](sqlite3_stmt* st) {
         StoredClaim c;
         c.id = TextField(st, 0);
         c.owner_id = TextField(st, 1);
         c.agent_id = TextField(st, 2);
         c.kind = TextField(st, 3);
         c.state = TextField(st, 4);
         c.start = MicrosField(st, 5);
         c.end = MicrosField(st, 6);
         c.created_at = MicrosField(st, 7);
         c.expires_at = MicrosField(st, 8);
         c.frozen_at = MicrosField(st, 9);
         c.ended = sqlite3_column_type(st, 10) != SQLITE_NULL;
         if (c.ended) c.ended_at = MicrosField(st, 10);
         c.ended_by = TextField(st, 11);
         c.idempotency_key = TextField(st, 12);
         s.claims[c.id] = c;
       });
  each("SELECT id, owner_id, name, priority FROM agents", [&](sqlite3_stmt* st) {
    StoredAgent a{TextField(st, 0), TextField(st, 1), TextField(st, 2), sqlite3_column_int(st, 3)};
    s.agents[a.id] = a;
  });
  each("SELECT seq, hash, kind, resource FROM audit ORDER BY seq", [&](sqlite3_stmt* st) {
    s.audit_hash[sqlite3_column_int64(st, 0)] = TextField(st, 1);
    s.audit_rows.emplace_back(TextField(st, 2), TextField(st, 3));
  });
  each("SELECT COUNT(*) FROM checkpoints", [&](sqlite3_stmt* st) { s.checkpoints = sqlite3_column_int64(st, 0); });
  sqlite3_close(db);
  return s;
}

}  // namespace agentdraft::testing::history
