#include "tests/history/load.h"

#include <signal.h>
#include <sqlite3.h>

#include <random>
#include <sstream>
#include <thread>

#include "common/api_client.h"
#include "common/audit_verify.h"
#include "daemon/store/dynamo/dynamo_store.h"
#include "tests/support/dynamodb_local.h"

namespace agentdraft::testing::history {

namespace {

using SteadyClock = std::chrono::steady_clock;
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

std::pair<std::string, int> Endpoint::WaitUp(SteadyClock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!cv_.wait_until(lock, deadline, [&] { return up_; })) return {"", generation_};
  return {base_url_, generation_};
}

// --- Run -------------------------------------------------------------------------------

Run::Run(LoadOptions options) : options_(std::move(options)) {}

Run::~Run() {
  stop_ = true;
  for (auto& d : daemons_) {
    if (d->pid() > 0) {
      kill(d->pid(), SIGCONT);  // never leave a stopped daemon behind
      d->Kill();
    }
  }
}

Status Run::Setup() {
  const int n = std::max(1, options_.dynamodb_daemons);
  if (options_.dynamodb_daemons > 0) {
    if (!DynamoDbLocal::Available()) return Status::Unavailable("DynamoDB Local is not installed (scripts/setup.sh)");
    UseLocalAwsCredentials();
    table_ = DynamoDbLocal::UniqueTableName("hist");
  }
  for (int d = 0; d < n; ++d) {
    // The storms flood on purpose (every client sends as fast as it is answered): the per-agent
    // rate limit, on by default, is off so that the engine is what they test.
    std::vector<std::string> args = {"--dev", "--rate-limit", "0"};
    if (!table_.empty()) {
      args.insert(args.end(), {"--store", "dynamodb", "--dynamodb-table", table_, "--dynamodb-endpoint",
                               DynamoDbLocal::Shared().endpoint(), "--create-table"});
    }
    daemons_.push_back(std::make_unique<DaemonProcess>(dir_.File(d == 0 ? "data" : "data" + std::to_string(d)), args));
    DaemonProcess& daemon = *daemons_.back();
    if (!options_.daemon_binary.empty()) daemon.set_binary(options_.daemon_binary);
    daemon.set_env(options_.daemon_env);
    if (Status s = daemon.Start(); !s.ok()) return s;
    socket_paths_.push_back(daemon.socket_path());
    endpoints_.push_back(std::make_unique<Endpoint>());
    endpoints_.back()->SetUp(daemon.base_url());
  }
  const std::string first = daemons_[0]->base_url();
  const int per_calendar = options_.clients / options_.calendars;
  for (int c = 0; c < options_.calendars; ++c) {
    // Calendar 0 is the Unix socket's owner (the magic link never signs in to it).
    owners_.push_back(c == 0 ? DevOwner::OverSocket(socket_paths_[0], first)
                             : std::make_unique<DevOwner>(first, "owner" + std::to_string(c) + "@example.com"));
    DevOwner& owner = *owners_.back();
    if (owner.user_id().empty()) return Status::Internal("owner sign-in failed");
    const nlohmann::json settings = {{"tie_window_ms", options_.tie_window_ms},
                                     {"bump_window_seconds", options_.bump_window_seconds},
                                     {"hold_ttl_seconds", options_.hold_ttl_seconds},
                                     {"max_holds_per_agent", 3}};
    auto set = owner.client().Patch("/v1/dashboard/settings", settings);
    // A planted ack_before_commit answers the sign-in before its session is written, and a
    // shared store reads sessions from the table: wait, briefly, for the session to land.
    for (const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
         set.ok() && set->status == 401 && std::chrono::steady_clock::now() < until;) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      set = owner.client().Patch("/v1/dashboard/settings", settings);
    }
    if (!set.ok() || set->status != 200) {
      return Status::Internal("settings PATCH failed: " + (set.ok() ? set->body : set.status().ToString()));
    }
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
  const auto end = SteadyClock::now() + options_.duration;
  std::vector<std::thread> threads;
  if (options_.stampede_rounds > 0) round_start_ = std::make_unique<RoundBarrier>(static_cast<int>(agents_.size()));
  for (int p = 0; p < static_cast<int>(agents_.size()); ++p) threads.emplace_back([this, p] { Client(p); });
  std::thread nemesis;
  if (options_.kill_every.count() > 0) nemesis = std::thread([this, end] { Nemesis(end); });
  if (options_.stampede_rounds > 0) {
    for (auto& t : threads) t.join();  // the rounds end the run
    threads.clear();
  } else {
    std::this_thread::sleep_until(end);
  }
  stop_ = true;
  if (nemesis.joinable()) nemesis.join();
  for (auto& t : threads) t.join();
}

Status Run::RestartDaemon(int d) {
  DaemonProcess& daemon = *daemons_[d];
  Status s;
  for (int attempt = 0; attempt < 5; ++attempt) {
    s = daemon.Start();
    if (s.ok()) break;
    daemon.Kill();
  }
  if (!s.ok()) return s;
  if (d == 0) {
    for (auto& owner : owners_) owner->Rebind(daemon.base_url());
  }
  endpoints_[d]->SetUp(daemon.base_url());
  return Status::Ok();
}

void Run::Nemesis(SteadyClock::time_point end) {
  const auto start = SteadyClock::now();
  const int n = static_cast<int>(daemons_.size());
  for (int event = 1;; ++event) {
    std::this_thread::sleep_until(start + event * options_.kill_every);  // a steady cadence
    if (SteadyClock::now() + std::chrono::milliseconds(300) >= end) return;
    const int victim = (event - 1) % n;  // one daemon at a time, in turn
    DaemonProcess& daemon = *daemons_[victim];
    if (options_.pause_one_in > 0 && event % options_.pause_one_in == 0) {
      // A stall: requests time out (info) while the process is frozen, then it goes on.
      kill(daemon.pid(), SIGSTOP);
      std::this_thread::sleep_for(options_.pause);
      kill(daemon.pid(), SIGCONT);
      ++pauses_;
      continue;
    }
    endpoints_[victim]->SetDown();
    daemon.Kill();
    ++kills_;
    if (table_.empty()) {
      const std::string integrity = IntegrityCheck(dir_.File("data/agentdraft.db"));
      if (integrity != "ok") {
        std::lock_guard<std::mutex> lock(problems_mu_);
        nemesis_problems_.push_back("after kill " + std::to_string(kills_) + ": integrity_check " + integrity);
      }
    }
    if (Status s = RestartDaemon(victim); !s.ok()) {
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
  // The daemon this client talks to; after an `info` it moves on to the next one.
  const int daemons = static_cast<int>(endpoints_.size());
  int at = process % daemons;
  int connected_to = -1;
  // Returns false when no daemon came back before the grace deadline.
  const auto grace_end = SteadyClock::now() + options_.duration + std::chrono::seconds(20);
  auto connect = [&]() -> bool {
    std::pair<std::string, int> up{"", 0};
    for (int i = 0; i < daemons && up.first.empty(); ++i) {  // the first one up, from `at` on
      up = endpoints_[(at + i) % daemons]->WaitUp(SteadyClock::now());
      if (!up.first.empty()) at = (at + i) % daemons;
    }
    if (up.first.empty()) up = endpoints_[at]->WaitUp(grace_end);
    auto [url, gen] = up;
    if (url.empty()) return false;
    if (gen != generation || at != connected_to || !client) {
      ApiClientOptions o;
      if (via_socket) {
        o.base_url = "http://agentdraftd";
        o.unix_socket_path = socket_paths_[at];
        o.headers = {"X-Agentdraft-As: " + me.agent.id};
      } else {
        o.base_url = url;
        o.api_key = me.agent.key;
      }
      o.timeout = options_.request_timeout;
      o.connect_timeout = std::chrono::milliseconds(500);
      client = std::make_unique<ApiClient>(o);
      generation = gen;
      connected_to = at;
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
      client.reset();  // a fresh connection next time, at the next daemon
      at = (at + 1) % daemons;
    }
    return index;
  };
  // Sends `op`; while its outcome is unknown, sends it again with the same key (a new op
  // naming the first), until it resolves or the grace period ends. Returns the last op.
  auto send_resolving = [&](Op op) -> Op {
    int64_t index = send(op);
    Op last = history_.op(index);
    const int64_t root = index;
    while (last.outcome == Outcome::kInfo && SteadyClock::now() < grace_end) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      Op retry = op;
      retry.retry_of = root;
      index = send(retry);
      last = history_.op(index);
    }
    return last;
  };

  if (options_.stampede_rounds > 0) {
    // Every client at one slot per round, released together; an `info` is resolved before
    // the next round (the barrier waits for it).
    for (int round = 0; round < options_.stampede_rounds; ++round) {
      round_start_->ArriveAndWait();
      const std::string key = me.agent.name + "-r" + std::to_string(round);
      Op op;
      op.kind = OpKind::kCommit;
      op.method = "POST";
      op.path = "/v1/bookings";
      op.idempotency_key = key;
      op.request = {{"start", AtMinute(round * 30)}, {"end", AtMinute(round * 30 + 30)}, {"idempotency_key", key}};
      send_resolving(op);
    }
    return;
  }

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
  VerifyExports(s);
  for (size_t d = 0; d < daemons_.size(); ++d) {
    const int stopped = daemons_[d]->Stop();
    if (stopped != 0) {
      s.api_problems.push_back("daemon " + std::to_string(d) + "'s clean stop exited " + std::to_string(stopped));
    }
  }
  if (table_.empty()) {
    ReadFile(s);
  } else {
    ReadTable(s);
  }
  return s;
}

void Run::VerifyExports(FinalState& s) {
  // The audit chain, exported over each daemon's socket and verified offline with that
  // daemon's key; on one table every daemon's export is the whole chain.
  for (size_t d = 0; d < daemons_.size(); ++d) {
    const std::string who = daemons_.size() > 1 ? "daemon " + std::to_string(d) + ": " : "";
    ApiClientOptions o;
    o.base_url = "http://agentdraftd";
    o.unix_socket_path = socket_paths_[d];
    ApiClient socket(o);
    auto key = socket.Get("/v1/audit/checkpoint");
    auto exported = socket.Get("/v1/audit/export");
    if (!key.ok() || key->status != 200 || !exported.ok() || exported->status != 200) {
      s.export_problems.push_back(who + "could not read the checkpoint or the export");
      continue;
    }
    std::istringstream in(exported->body);
    AuditVerification v = VerifyAuditExport(in, key->Json().value().value("key", ""));
    for (const AuditProblem& p : v.problems) s.export_problems.push_back(who + AuditProblemLine(p));
    // The exports are taken one after another while sweepers may still expire holds: C7
    // holds the smallest to "every row but later hold.expired ones". The socket's owner sees
    // other owners' rows as links: the chain's length is both.
    s.export_rows = d == 0 ? v.chain_rows() : std::min(s.export_rows, v.chain_rows());
  }
}

void Run::ReadTable(FinalState& s) {
  s.store = "dynamodb";
  store::DynamoStoreOptions o;
  o.table = table_;
  o.client.endpoint = DynamoDbLocal::Shared().endpoint();
  o.client.region = "us-east-1";
  o.client.credentials = {"local", "local", ""};
  auto opened = store::DynamoStore::Open(o);
  if (!opened.ok()) {
    s.api_problems.push_back("cannot open the table: " + opened.status().ToString());
    return;
  }
  store::DynamoStore& table = **opened;
  auto loaded = table.Load();
  if (!loaded.ok()) {
    s.api_problems.push_back("cannot load the table: " + loaded.status().ToString());
    return;
  }
  for (const store::AgentRecord& a : loaded->agents) s.agents[a.id] = {a.id, a.owner_id, a.name, a.priority};
  for (auto& owner : owners_) {
    store::ClaimQuery q;
    q.owner_id = owner->user_id();
    q.limit = 1 << 30;
    auto claims = table.ListClaims(q);
    if (!claims.ok()) {
      s.api_problems.push_back("cannot read the claims of " + owner->user_id() + ": " + claims.status().ToString());
      continue;
    }
    for (const store::ClaimRecord& r : *claims) {
      StoredClaim c;
      c.id = r.id;
      c.owner_id = r.owner_id;
      c.agent_id = r.agent_id;
      c.kind = r.kind == store::ClaimKind::kHold ? "hold" : "booking";
      c.state = store::ClaimStateName(r.state);
      c.start = r.start;
      c.end = r.end;
      c.created_at = r.created_at;
      c.expires_at = r.expires_at;
      c.frozen_at = r.frozen_at;
      c.ended = r.ended_at.has_value();
      if (c.ended) c.ended_at = *r.ended_at;
      c.ended_by = r.ended_by;
      c.idempotency_key = r.idempotency_key;
      s.claims[c.id] = c;
    }
  }
  store::AuditQuery q;
  q.limit = 1000;
  for (;;) {
    auto rows = table.ListAudit(q);
    if (!rows.ok()) {
      s.api_problems.push_back("cannot read the audit rows: " + rows.status().ToString());
      break;
    }
    for (const store::AuditRecord& r : *rows) {
      s.audit_hash[r.seq] = r.hash;
      s.audit_rows.emplace_back(r.kind, r.resource);
      q.after_seq = r.seq;
    }
    if (static_cast<int>(rows->size()) < q.limit) break;
  }
  auto checkpoints = table.ListCheckpoints();
  if (checkpoints.ok()) s.checkpoints = static_cast<int64_t>(checkpoints->size());
}

void Run::ReadFile(FinalState& s) {
  const std::string path = dir_.File("data/agentdraft.db");
  s.integrity = IntegrityCheck(path);
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    s.api_problems.push_back("cannot open the file read-only");
    sqlite3_close(db);
    return;
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
}

}  // namespace agentdraft::testing::history
