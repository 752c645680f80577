// SqliteStore: opening, and the writer thread (group commit).
#include "daemon/store/sqlite_store.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "common/file_modes.h"
#include "common/ids.h"
#include "daemon/store/sqlite_connection.h"
#include "daemon/store/sqlite_rows.h"
#include "daemon/store/sqlite_schema.h"

namespace agentdraft::store {

SqliteStore::SqliteStore(SqliteStoreOptions options)
    : options_(std::move(options)), in_memory_(options_.path == ":memory:") {}

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const SqliteStoreOptions& options) {
  std::unique_ptr<SqliteStore> store(new SqliteStore(options));
  Status s = store->Init();
  if (!s.ok()) return s;
  return store;
}

Status SqliteStore::Init() {
  uri_ = in_memory_ ? "file:agentdraft-mem-" + NewId("", 16) + "?mode=memory&cache=shared"
                    : "file:" + options_.path;
  if (!in_memory_) {
    // The database holds webhook secrets: created 0600, so its -wal and -shm are 0600 too.
    if (std::string loose = LooseModeWarning(options_.path); !loose.empty()) {
      spdlog::warn("{} (the database holds webhook secrets; chmod its -wal and -shm files too)",
                   loose);
    }
    if (Status s = CreatePrivateFile(options_.path); !s.ok()) return s;
  }
  auto writer = Connection::Open(uri_);
  if (!writer.ok()) return writer.status();
  writer_ = std::move(writer.value());
  if (!in_memory_) {
    Status s = writer_->Exec(options_.sync ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                                           : "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
    if (!s.ok()) return s;
    // Read both back: a store that is not durable must not start.
    auto journal = PragmaValue("journal_mode");
    auto sync = PragmaValue("synchronous");
    if (!journal.ok() || *journal != "wal") {
      return Status::Internal("journal_mode is not WAL (" + (journal.ok() ? *journal : journal.status().message()) + ")");
    }
    const char* wanted = options_.sync ? "2" : "1";
    if (!sync.ok() || *sync != wanted) {
      return Status::Internal(std::string("synchronous is not ") + (options_.sync ? "FULL" : "NORMAL") +
                              " (" + (sync.ok() ? *sync : sync.status().message()) + ")");
    }
  }
  // A larger page cache than SQLite's 2 MiB default: B-tree pages the writer touches stay in
  // memory instead of being read back with pread() on every commit.
  if (Status s = writer_->Exec("PRAGMA foreign_keys=ON; PRAGMA cache_size=-65536;"); !s.ok()) return s;
  if (Status s = MigrateSchema(*writer_); !s.ok()) return s;
  {
    auto head = writer_->Prepare("SELECT COALESCE(MAX(seq), 0) FROM audit");
    if (!head.ok()) return head.status();
    Stmt st(*head);
    if (st.Step() != SQLITE_ROW) return writer_->Error(SQLITE_ERROR, "reading the audit head");
    audit_head_ = st.Int(0);
  }
  if (!in_memory_) {
    if (Status s = writer_->Exec("PRAGMA wal_autocheckpoint=0;"); !s.ok()) return s;
    auto checkpointer = Connection::Open(uri_);
    if (!checkpointer.ok()) return checkpointer.status();
    checkpointer_ = std::move(checkpointer.value());
    sqlite3_wal_hook(writer_->db(), &SqliteStore::OnWalCommit, this);
    checkpoint_thread_ = std::thread([this] { CheckpointLoop(); });
    for (int i = 0; i < options_.reader_connections; ++i) {
      auto reader = Connection::Open(uri_);
      if (!reader.ok()) return reader.status();
      if (Status st = reader.value()->Exec("PRAGMA cache_size=-16384;"); !st.ok()) return st;
      readers_.push_back(std::move(reader.value()));
      reader_mu_.push_back(std::make_unique<std::mutex>());
    }
  }
  writer_thread_ = std::thread([this] { WriterLoop(); });
  return Status::Ok();
}

SqliteStore::~SqliteStore() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  if (writer_thread_.joinable()) writer_thread_.join();
  {
    std::lock_guard<std::mutex> lock(checkpoint_mu_);
    checkpoint_stop_ = true;
  }
  checkpoint_cv_.notify_all();
  if (checkpoint_thread_.joinable()) checkpoint_thread_.join();
  if (checkpointer_) (void)Checkpoint(/*truncate=*/true);  // leave an empty WAL behind
}

Result<int64_t> SqliteStore::Checkpoint(bool truncate) {
  if (!checkpointer_) return int64_t{0};
  std::lock_guard<std::mutex> lock(checkpointer_mu_);
  // Through the pragma, not sqlite3_wal_checkpoint_v2(): a connection that has not read the
  // database yet has not opened its WAL, and the C call then silently does nothing.
  auto stmt = checkpointer_->Prepare(truncate ? "PRAGMA wal_checkpoint(TRUNCATE)"
                                              : "PRAGMA wal_checkpoint(PASSIVE)");
  if (!stmt.ok()) return stmt.status();
  Stmt s(*stmt);
  int rc = s.Step();
  if (rc != SQLITE_ROW) return checkpointer_->Error(rc, "checkpoint");
  return s.Int(2);  // frames copied into the database
}

int SqliteStore::OnWalCommit(void* self, sqlite3*, const char*, int pages) {
  auto* store = static_cast<SqliteStore*>(self);
  store->wal_pages_ = pages;
  ++store->batches_committed_;
  if (pages >= store->options_.checkpoint_pages) {
    {
      std::lock_guard<std::mutex> lock(store->checkpoint_mu_);
      store->checkpoint_wanted_ = true;
    }
    store->checkpoint_cv_.notify_one();
  }
  return SQLITE_OK;
}

void SqliteStore::CheckpointLoop() {
  std::unique_lock<std::mutex> lock(checkpoint_mu_);
  uint64_t batches_seen = batches_committed_;
  while (!checkpoint_stop_) {
    const bool wanted = checkpoint_cv_.wait_for(
        lock, std::chrono::seconds(1), [&] { return checkpoint_wanted_ || checkpoint_stop_; });
    if (checkpoint_stop_) break;
    // Past the size threshold, checkpoint now; otherwise only once the writer has been idle for
    // a second, so that a checkpoint's fsync never competes with a busy commit path.
    const uint64_t batches = batches_committed_;
    const bool idle = batches == batches_seen;
    batches_seen = batches;
    if (!wanted && !(idle && wal_pages_ > 0)) continue;
    checkpoint_wanted_ = false;
    lock.unlock();
    auto copied = Checkpoint(/*truncate=*/false);
    if (!copied.ok()) spdlog::warn("WAL checkpoint failed: {}", copied.status().ToString());
    lock.lock();
  }
}

Result<std::string> SqliteStore::PragmaValue(const std::string& name) {
  std::unique_lock<std::mutex> lock(memory_mu_, std::defer_lock);
  if (in_memory_) lock.lock();
  sqlite3_stmt* raw = nullptr;
  const std::string sql = "PRAGMA " + name;
  if (sqlite3_prepare_v2(writer_->db(), sql.c_str(), -1, &raw, nullptr) != SQLITE_OK) {
    return Status::InvalidArgument("bad pragma " + name);
  }
  std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> stmt(raw, &sqlite3_finalize);
  if (sqlite3_step(raw) != SQLITE_ROW) return Status::NotFound("pragma " + name + " has no value");
  const unsigned char* text = sqlite3_column_text(raw, 0);
  return std::string(text ? reinterpret_cast<const char*>(text) : "");
}

Status SqliteStore::IntegrityCheck() {
  auto v = PragmaValue("integrity_check");
  if (!v.ok()) return v.status();
  return *v == "ok" ? Status::Ok() : Status::Internal("integrity_check: " + *v);
}

// --- Writing ---------------------------------------------------------------------------

void SqliteStore::Apply(Decision decision, std::function<void(Status)> done) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back({std::move(decision), std::move(done), next_ticket_++});
  }
  work_cv_.notify_one();
}

void SqliteStore::Flush() {
  std::unique_lock<std::mutex> lock(mu_);
  const uint64_t last = next_ticket_ - 1;
  done_cv_.wait(lock, [&] { return answered_ >= last; });
}

void SqliteStore::WriterLoop() {
  std::vector<Pending> batch;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything is answered
      while (!queue_.empty() && static_cast<int>(batch.size()) < options_.max_batch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    RunBatch(batch);
    const uint64_t last = batch.back().ticket;
    batch.clear();
    {
      std::lock_guard<std::mutex> lock(mu_);
      answered_ = last;
    }
    done_cv_.notify_all();
  }
}

Status SqliteStore::RunCached(const char* sql) {
  auto stmt = writer_->Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  Stmt s(*stmt);
  int rc = s.Step();
  return rc == SQLITE_DONE || rc == SQLITE_ROW ? Status::Ok() : writer_->Error(rc, sql);
}

void SqliteStore::RunBatch(std::vector<Pending>& batch) {
  std::vector<Status> results(batch.size());
  std::unique_lock<std::mutex> memory_lock(memory_mu_, std::defer_lock);
  if (in_memory_) memory_lock.lock();
  const int64_t head_before = audit_head_;
  Status batch_status = writer_->Exec("BEGIN IMMEDIATE");
  for (size_t i = 0; i < batch.size() && batch_status.ok(); ++i) {
    const int64_t head = audit_head_;
    batch_status = RunCached("SAVEPOINT d");
    if (!batch_status.ok()) break;
    Status s = ApplyOne(batch[i].decision, &audit_head_);
    if (s.code() == StatusCode::kConflict) {
      audit_head_ = head;
      batch_status = RunCached("ROLLBACK TO d");
      if (batch_status.ok()) batch_status = RunCached("RELEASE d");
    } else if (s.ok()) {
      batch_status = RunCached("RELEASE d");
    } else {
      batch_status = s;
    }
    results[i] = s;
  }
  if (batch_status.ok()) batch_status = writer_->Exec("COMMIT");  // the fsync
  if (!batch_status.ok()) {
    (void)writer_->Exec("ROLLBACK");
    audit_head_ = head_before;
    spdlog::error("store batch of {} failed: {}", batch.size(), batch_status.ToString());
    for (Status& r : results) r = Status::Unavailable(batch_status.message());
  }
  if (memory_lock.owns_lock()) memory_lock.unlock();
  for (size_t i = 0; i < batch.size(); ++i) batch[i].done(std::move(results[i]));
}

namespace {
// Runs a prepared write; Conflict on a constraint failure.
Status Run(SqliteStore::Connection& c, Stmt& s, const std::string& what) {
  int rc = s.Step();
  if (rc == SQLITE_DONE || rc == SQLITE_ROW) return Status::Ok();
  return c.Error(rc, what);
}

#define PREPARE(var, conn, sql)         \
  auto var##_ = (conn).Prepare(sql);    \
  if (!var##_.ok()) return var##_.status(); \
  Stmt var(*var##_)

// Owners, then their agents (an agent's owner must exist).
Status WriteOwnersAndAgents(SqliteStore::Connection& c, const Decision& d) {
  for (const OwnerRecord& o : d.owners) {
    PREPARE(s, c,
            "INSERT OR REPLACE INTO owners (id, email, created_at, settings, dev, sessions_revoked_at) "
            "VALUES (?,?,?,?,?,?)");
    s.Bind(1, o.id).Bind(2, o.email).Bind(3, ToMicros(o.created_at)).Bind(4, SettingsToJson(o.settings))
        .Bind(5, int64_t{o.dev ? 1 : 0})
        .Bind(6, o.sessions_revoked_at ? std::optional<int64_t>(ToMicros(*o.sessions_revoked_at)) : std::nullopt);
    if (Status st = Run(c, s, "owner"); !st.ok()) return st;
  }
  for (const AgentRecord& a : d.agents) {
    PREPARE(s, c,
            "INSERT INTO agents (id, owner_id, name, priority, rank_order, scopes, key_prefix, "
            "key_hash, created_at, revoked_at) VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO "
            "UPDATE SET owner_id=excluded.owner_id, name=excluded.name, priority=excluded.priority, "
            "rank_order=excluded.rank_order, scopes=excluded.scopes, key_prefix=excluded.key_prefix, "
            "key_hash=excluded.key_hash, created_at=excluded.created_at, revoked_at=excluded.revoked_at");
    const std::string scopes = nlohmann::json(a.scopes).dump();
    s.Bind(1, a.id).Bind(2, a.owner_id).Bind(3, a.name).Bind(4, int64_t{a.priority})
        .Bind(5, a.rank_order).Bind(6, scopes).Bind(7, a.key_prefix).Bind(8, a.key_hash)
        .Bind(9, ToMicros(a.created_at)).Bind(10, OptMicros(a.revoked_at));
    if (Status st = Run(c, s, "agent"); !st.ok()) return st;
  }
  return Status::Ok();
}

// Each bucket write, on the condition that the bucket holds its expected claim; Conflict otherwise.
Status WriteBuckets(SqliteStore::Connection& c, const Decision& d) {
  for (const BucketWrite& b : d.buckets) {
    if (b.expected_claim_id.empty()) {
      PREPARE(s, c, "INSERT INTO buckets (owner_id, bucket, claim_id) VALUES (?,?,?)");
      s.Bind(1, b.owner_id).Bind(2, b.bucket).Bind(3, b.new_claim_id);
      if (Status st = Run(c, s, "bucket " + std::to_string(b.bucket) + " is taken"); !st.ok()) return st;
      continue;
    }
    if (b.new_claim_id.empty()) {
      PREPARE(s, c, "DELETE FROM buckets WHERE owner_id=? AND bucket=? AND claim_id=?");
      s.Bind(1, b.owner_id).Bind(2, b.bucket).Bind(3, b.expected_claim_id);
      if (Status st = Run(c, s, "bucket"); !st.ok()) return st;
    } else {
      PREPARE(s, c, "UPDATE buckets SET claim_id=? WHERE owner_id=? AND bucket=? AND claim_id=?");
      s.Bind(1, b.new_claim_id).Bind(2, b.owner_id).Bind(3, b.bucket).Bind(4, b.expected_claim_id);
      if (Status st = Run(c, s, "bucket"); !st.ok()) return st;
    }
    if (sqlite3_changes(c.db()) != 1) {
      return Status::Conflict("bucket " + std::to_string(b.bucket) + " is not held by " +
                              b.expected_claim_id);
    }
  }
  return Status::Ok();
}

// Claim rows, and audit rows that must follow the head (advanced as they are written).
Status WriteClaimsAndAudit(SqliteStore::Connection& c, const Decision& d, int64_t* audit_head) {
  for (const ClaimRecord& r : d.claims) {
    PREPARE(s, c,
            "INSERT OR REPLACE INTO claims (id, owner_id, agent_id, kind, state, start_us, end_us, "
            "created_at, expires_at, frozen_at, ended_at, ended_by, metadata, title, invitee, "
            "idempotency_key) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    s.Bind(1, r.id).Bind(2, r.owner_id).Bind(3, r.agent_id)
        .Bind(4, std::string(r.kind == ClaimKind::kHold ? "hold" : "booking"))
        .Bind(5, std::string(ClaimStateName(r.state))).Bind(6, ToMicros(r.start))
        .Bind(7, ToMicros(r.end)).Bind(8, ToMicros(r.created_at)).Bind(9, ToMicros(r.expires_at))
        .Bind(10, ToMicros(r.frozen_at)).Bind(11, OptMicros(r.ended_at)).Bind(12, r.ended_by)
        .Bind(13, r.metadata_json).Bind(14, r.title).Bind(15, r.invitee_json)
        .Bind(16, r.idempotency_key);
    if (Status st = Run(c, s, "claim " + r.id); !st.ok()) return st;
  }
  for (const AuditRecord& a : d.audit) {
    if (a.seq != *audit_head + 1) {
      return Status::Conflict("audit row " + std::to_string(a.seq) + " does not follow the head " +
                              std::to_string(*audit_head));
    }
    PREPARE(s, c,
            "INSERT INTO audit (seq, at, owner_id, actor, subject, kind, resource, payload, "
            "prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?)");
    s.Bind(1, a.seq).Bind(2, ToMicros(a.at)).Bind(3, a.owner_id).Bind(4, a.actor)
        .Bind(5, a.subject).Bind(6, a.kind).Bind(7, a.resource).Bind(8, a.payload_json)
        .Bind(9, a.prev_hash).Bind(10, a.hash);
    if (Status st = Run(c, s, "audit row " + std::to_string(a.seq)); !st.ok()) return st;
    *audit_head = a.seq;
  }
  return Status::Ok();
}

// Idempotency records (Conflict when a key exists), sessions, checkpoints.
Status WriteKeysSessionsCheckpoints(SqliteStore::Connection& c, const Decision& d) {
  for (const IdempotencyRecord& r : d.idempotency) {
    PREPARE(s, c,
            "INSERT INTO idempotency (agent_id, key, fingerprint, http_status, response, "
            "created_at) VALUES (?,?,?,?,?,?)");
    s.Bind(1, r.agent_id).Bind(2, r.key).Bind(3, r.fingerprint).Bind(4, int64_t{r.http_status})
        .Bind(5, r.response_body).Bind(6, ToMicros(r.created_at));
    if (Status st = Run(c, s, "idempotency key " + r.key + " exists"); !st.ok()) return st;
  }
  for (const SessionRecord& r : d.sessions) {
    PREPARE(s, c, "INSERT INTO sessions (token_hash, owner_id, created_at, expires_at, dev) VALUES (?,?,?,?,?)");
    s.Bind(1, r.token_hash).Bind(2, r.owner_id).Bind(3, ToMicros(r.created_at)).Bind(4, ToMicros(r.expires_at))
        .Bind(5, int64_t{r.dev ? 1 : 0});
    if (Status st = Run(c, s, "session"); !st.ok()) return st;
  }
  for (const std::string& token_hash : d.ended_sessions) {
    PREPARE(s, c, "DELETE FROM sessions WHERE token_hash=?");
    s.Bind(1, token_hash);
    if (Status st = Run(c, s, "session"); !st.ok()) return st;
  }
  for (const CheckpointRecord& r : d.checkpoints) {
    PREPARE(s, c, "INSERT INTO checkpoints (size, head, at, key, signature) VALUES (?,?,?,?,?)");
    s.Bind(1, r.size).Bind(2, r.head).Bind(3, ToMicros(r.at)).Bind(4, r.key_hex).Bind(5, r.signature_hex);
    if (Status st = Run(c, s, "checkpoint at size " + std::to_string(r.size) + " exists"); !st.ok()) return st;
  }
  return Status::Ok();
}

// Webhook subscriptions, rules, counter-proposals, webhook deliveries.
Status WriteWebhooksRulesCounters(SqliteStore::Connection& c, const Decision& d) {
  for (const WebhookSubscription& r : d.subscriptions) {
    PREPARE(s, c,
            "INSERT OR REPLACE INTO webhook_subscriptions (id, owner_id, event_type, url, secret, "
            "created_at, deleted_at) VALUES (?,?,?,?,?,?,?)");
    s.Bind(1, r.id).Bind(2, r.owner_id).Bind(3, r.event_type).Bind(4, r.url).Bind(5, r.secret)
        .Bind(6, ToMicros(r.created_at)).Bind(7, OptMicros(r.deleted_at));
    if (Status st = Run(c, s, "subscription " + r.id); !st.ok()) return st;
  }
  for (const RuleRecord& r : d.rules) {
    PREPARE(s, c,
            "INSERT OR REPLACE INTO rules (id, owner_id, kind, spec, created_at, updated_at, deleted_at) "
            "VALUES (?,?,?,?,?,?,?)");
    s.Bind(1, r.id).Bind(2, r.owner_id).Bind(3, r.kind).Bind(4, r.spec_json).Bind(5, ToMicros(r.created_at))
        .Bind(6, ToMicros(r.updated_at)).Bind(7, OptMicros(r.deleted_at));
    if (Status st = Run(c, s, "rule " + r.id); !st.ok()) return st;
  }
  for (const CounterRecord& r : d.counters) {
    PREPARE(s, c,
            "INSERT OR REPLACE INTO counters (id, owner_id, booking_id, booking_agent_id, agent_id, "
            "proposed, note, state, created_at, ended_at, accepted_slot, new_booking_id) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
    s.Bind(1, r.id).Bind(2, r.owner_id).Bind(3, r.booking_id).Bind(4, r.booking_agent_id)
        .Bind(5, r.agent_id).Bind(6, SlotsToJson(r.proposed)).Bind(7, r.note)
        .Bind(8, std::string(CounterStateName(r.state))).Bind(9, ToMicros(r.created_at))
        .Bind(10, OptMicros(r.ended_at))
        .Bind(11, r.accepted_slot ? std::optional<int64_t>(*r.accepted_slot) : std::nullopt)
        .Bind(12, r.new_booking_id);
    if (Status st = Run(c, s, "counter " + r.id); !st.ok()) return st;
  }
  for (const WebhookDelivery& r : d.deliveries) {
    PREPARE(s, c,
            "INSERT OR REPLACE INTO webhook_deliveries (id, subscription_id, owner_id, audit_seq, "
            "event_type, body, state, attempts, created_at, next_attempt_at, finished_at, "
            "last_status, last_error) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)");
    s.Bind(1, r.id).Bind(2, r.subscription_id).Bind(3, r.owner_id).Bind(4, r.audit_seq)
        .Bind(5, r.event_type).Bind(6, r.body).Bind(7, std::string(DeliveryStateName(r.state)))
        .Bind(8, int64_t{r.attempts}).Bind(9, ToMicros(r.created_at))
        .Bind(10, ToMicros(r.next_attempt_at)).Bind(11, OptMicros(r.finished_at))
        .Bind(12, int64_t{r.last_status}).Bind(13, r.last_error);
    if (Status st = Run(c, s, "delivery " + r.id); !st.ok()) return st;
  }
  return Status::Ok();
}

}  // namespace

Status SqliteStore::ApplyOne(const Decision& d, int64_t* audit_head) {
  Connection& c = *writer_;
  if (Status s = WriteOwnersAndAgents(c, d); !s.ok()) return s;
  if (Status s = WriteBuckets(c, d); !s.ok()) return s;
  if (Status s = WriteClaimsAndAudit(c, d, audit_head); !s.ok()) return s;
  if (Status s = WriteKeysSessionsCheckpoints(c, d); !s.ok()) return s;
  return WriteWebhooksRulesCounters(c, d);
}

}  // namespace agentdraft::store
