// SqliteStore: reads, on reader connections (committed data only).
#include <atomic>

#include "daemon/store/sqlite_connection.h"
#include "daemon/store/sqlite_rows.h"
#include "daemon/store/sqlite_store.h"

namespace agentdraft::store {

class SqliteStore::ReaderLease {
 public:
  ReaderLease(Connection& c, std::unique_lock<std::mutex> lock) : conn_(&c), lock_(std::move(lock)) {}
  Connection& operator*() { return *conn_; }
  Connection* operator->() { return conn_; }

 private:
  Connection* conn_;
  std::unique_lock<std::mutex> lock_;
};

SqliteStore::ReaderLease SqliteStore::Reader() {
  if (in_memory_) return ReaderLease(*writer_, std::unique_lock<std::mutex>(memory_mu_));
  static std::atomic<size_t> next{0};
  const size_t n = readers_.size();
  const size_t first = next++ % n;
  for (size_t i = 0; i < n; ++i) {
    size_t k = (first + i) % n;
    std::unique_lock<std::mutex> lock(*reader_mu_[k], std::try_to_lock);
    if (lock.owns_lock()) return ReaderLease(*readers_[k], std::move(lock));
  }
  return ReaderLease(*readers_[first], std::unique_lock<std::mutex>(*reader_mu_[first]));
}

namespace {
#define PREPARE_READ(var, conn, sql)            \
  auto var##_ = (conn)->Prepare(sql);           \
  if (!var##_.ok()) return var##_.status();     \
  Stmt var(*var##_)

// Steps `s` to the end, calling `row` for each row; Unavailable on an error.
template <typename F>
Status EachRow(SqliteStore::Connection& c, Stmt& s, F row) {
  while (true) {
    int rc = s.Step();
    if (rc == SQLITE_DONE) return Status::Ok();
    if (rc != SQLITE_ROW) return c.Error(rc, "read");
    row();
  }
}
}  // namespace

Result<LoadedState> SqliteStore::Load() {
  auto c = Reader();
  LoadedState out;
  {
    PREPARE_READ(s, c, std::string("SELECT ") + kOwnerColumns + " FROM owners ORDER BY created_at, id");
    if (Status st = EachRow(*c, s, [&] { out.owners.push_back(OwnerFromRow(s)); }); !st.ok()) return st;
  }
  {
    PREPARE_READ(s, c, std::string("SELECT ") + kAgentColumns + " FROM agents ORDER BY rank_order");
    if (Status st = EachRow(*c, s, [&] { out.agents.push_back(AgentFromRow(s)); }); !st.ok()) return st;
  }
  {
    PREPARE_READ(s, c, std::string("SELECT ") + kClaimColumns +
                           " FROM claims WHERE state IN ('COMMITTED', 'HELD')");
    if (Status st = EachRow(*c, s, [&] { out.active_claims.push_back(ClaimFromRow(s)); }); !st.ok()) return st;
  }
  {
    PREPARE_READ(s, c,
                 "SELECT id, owner_id, kind, spec, created_at, updated_at FROM rules WHERE deleted_at IS NULL "
                 "ORDER BY created_at, id");
    if (Status st = EachRow(*c, s, [&] {
          out.rules.push_back({s.Text(0), s.Text(1), s.Text(2), s.Text(3), FromMicros(s.Int(4)),
                               FromMicros(s.Int(5)), std::nullopt});
        });
        !st.ok()) {
      return st;
    }
  }
  {
    PREPARE_READ(s, c, std::string("SELECT ") + kCounterColumns + " FROM counters WHERE state = 'PENDING'");
    if (Status st = EachRow(*c, s, [&] { out.open_counters.push_back(CounterFromRow(s)); }); !st.ok()) return st;
  }
  {
    PREPARE_READ(s, c, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1");
    out.audit_head_hash = std::string(64, '0');
    if (Status st = EachRow(*c, s, [&] {
          out.audit_head_seq = s.Int(0);
          out.audit_head_hash = s.Text(1);
        });
        !st.ok()) {
      return st;
    }
  }
  return out;
}

Result<int64_t> SqliteStore::AuditHeadSeq() {
  auto c = Reader();
  PREPARE_READ(s, c, "SELECT COALESCE(MAX(seq), 0) FROM audit");
  int64_t seq = 0;
  if (Status st = EachRow(*c, s, [&] { seq = s.Int(0); }); !st.ok()) return st;
  return seq;
}

Result<std::string> SqliteStore::GetBucket(const std::string& owner_id, int64_t bucket) {
  auto c = Reader();
  PREPARE_READ(s, c, "SELECT claim_id FROM buckets WHERE owner_id=? AND bucket=?");
  s.Bind(1, owner_id).Bind(2, bucket);
  std::string id;
  if (Status st = EachRow(*c, s, [&] { id = s.Text(0); }); !st.ok()) return st;
  return id;
}

Result<ClaimRecord> SqliteStore::GetClaim(const std::string& id) {
  auto c = Reader();
  PREPARE_READ(s, c, std::string("SELECT ") + kClaimColumns + " FROM claims WHERE id=?");
  s.Bind(1, id);
  std::optional<ClaimRecord> found;
  if (Status st = EachRow(*c, s, [&] { found = ClaimFromRow(s); }); !st.ok()) return st;
  if (!found) return Status::NotFound("no claim " + id);
  return *found;
}

Result<std::vector<ClaimRecord>> SqliteStore::ListClaims(const ClaimQuery& q) {
  std::string sql = std::string("SELECT ") + kClaimColumns + " FROM claims WHERE owner_id=?1";
  if (q.agent_id) sql += " AND agent_id=?2";
  if (q.kind) sql += " AND kind=?3";
  if (q.state) sql += " AND state=?4";
  if (q.range_start) sql += " AND end_us>?5";
  if (q.range_end) sql += " AND start_us<?6";
  sql += " ORDER BY start_us, id LIMIT ?7";
  auto c = Reader();
  PREPARE_READ(s, c, sql);
  s.Bind(1, q.owner_id);
  if (q.agent_id) s.Bind(2, *q.agent_id);
  if (q.kind) s.Bind(3, std::string(*q.kind == ClaimKind::kHold ? "hold" : "booking"));
  if (q.state) s.Bind(4, std::string(ClaimStateName(*q.state)));
  if (q.range_start) s.Bind(5, ToMicros(*q.range_start));
  if (q.range_end) s.Bind(6, ToMicros(*q.range_end));
  s.Bind(7, int64_t{q.limit});
  std::vector<ClaimRecord> out;
  if (Status st = EachRow(*c, s, [&] { out.push_back(ClaimFromRow(s)); }); !st.ok()) return st;
  return out;
}

Result<std::optional<IdempotencyRecord>> SqliteStore::GetIdempotency(const std::string& agent_id,
                                                                     const std::string& key) {
  auto c = Reader();
  PREPARE_READ(s, c,
               "SELECT fingerprint, http_status, response, created_at FROM idempotency "
               "WHERE agent_id=? AND key=?");
  s.Bind(1, agent_id).Bind(2, key);
  std::optional<IdempotencyRecord> found;
  if (Status st = EachRow(*c, s, [&] {
        found = IdempotencyRecord{agent_id, key, s.Text(0), static_cast<int>(s.Int(1)), s.Text(2),
                                  FromMicros(s.Int(3))};
      });
      !st.ok()) {
    return st;
  }
  return found;
}

Result<int64_t> SqliteStore::PurgeIdempotency(Time cutoff) {
  // A write, but not a decision: it runs on the writer's queue as an empty decision would not
  // do, so take a reader connection (WAL lets it write; busy_timeout covers the writer).
  auto c = Reader();
  // Rows are in creation order: delete the prefix older than the cutoff.
  PREPARE_READ(s, c,
               "DELETE FROM idempotency WHERE id < (SELECT COALESCE((SELECT id FROM idempotency "
               "WHERE created_at >= ?1 ORDER BY id LIMIT 1), (SELECT MAX(id) + 1 FROM idempotency)))");
  s.Bind(1, ToMicros(cutoff));
  int rc = s.Step();
  if (rc != SQLITE_DONE) return c->Error(rc, "purging idempotency records");
  return static_cast<int64_t>(sqlite3_changes(c->db()));
}

Result<std::vector<AuditRecord>> SqliteStore::ListAudit(const AuditQuery& q) {
  std::string sql = std::string("SELECT ") + kAuditColumns + " FROM audit WHERE seq>?2";
  if (!q.owner_id.empty()) sql += " AND owner_id=?1";
  if (q.visible_to_agent) sql += " AND (actor=?3 OR subject=?3)";
  if (q.resource) sql += " AND resource=?4";
  if (q.kind) sql += " AND kind=?5";
  sql += " ORDER BY seq LIMIT ?6";
  auto c = Reader();
  PREPARE_READ(s, c, sql);
  if (!q.owner_id.empty()) s.Bind(1, q.owner_id);
  s.Bind(2, q.after_seq);
  if (q.visible_to_agent) s.Bind(3, *q.visible_to_agent);
  if (q.resource) s.Bind(4, *q.resource);
  if (q.kind) s.Bind(5, *q.kind);
  s.Bind(6, int64_t{q.limit});
  std::vector<AuditRecord> out;
  if (Status st = EachRow(*c, s, [&] { out.push_back(AuditFromRow(s)); }); !st.ok()) return st;
  return out;
}

Result<std::optional<SessionRecord>> SqliteStore::GetSession(const std::string& token_hash) {
  auto c = Reader();
  PREPARE_READ(s, c, "SELECT owner_id, created_at, expires_at, dev FROM sessions WHERE token_hash=?");
  s.Bind(1, token_hash);
  std::optional<SessionRecord> found;
  if (Status st = EachRow(*c, s, [&] {
        found = SessionRecord{token_hash, s.Text(0), FromMicros(s.Int(1)), FromMicros(s.Int(2)),
                              s.Int(3) != 0};
      });
      !st.ok()) {
    return st;
  }
  return found;
}

Result<std::vector<CheckpointRecord>> SqliteStore::ListCheckpoints() {
  auto c = Reader();
  PREPARE_READ(s, c, "SELECT size, head, at, key, signature FROM checkpoints ORDER BY size");
  std::vector<CheckpointRecord> out;
  if (Status st = EachRow(*c, s, [&] {
        out.push_back({s.Int(0), s.Text(1), FromMicros(s.Int(2)), s.Text(3), s.Text(4)});
      });
      !st.ok()) {
    return st;
  }
  return out;
}

Result<std::optional<CheckpointRecord>> SqliteStore::LatestCheckpoint() {
  auto c = Reader();
  PREPARE_READ(s, c, "SELECT size, head, at, key, signature FROM checkpoints ORDER BY size DESC LIMIT 1");
  std::optional<CheckpointRecord> out;
  if (Status st = EachRow(*c, s, [&] {
        out = CheckpointRecord{s.Int(0), s.Text(1), FromMicros(s.Int(2)), s.Text(3), s.Text(4)};
      });
      !st.ok()) {
    return st;
  }
  return out;
}

Result<std::vector<CounterRecord>> SqliteStore::ListCounters(const std::string& owner_id,
                                                             const std::string& booking_id) {
  auto c = Reader();
  PREPARE_READ(s, c, std::string("SELECT ") + kCounterColumns +
                         " FROM counters WHERE booking_id = ? AND owner_id = ? ORDER BY created_at, id");
  s.Bind(1, booking_id).Bind(2, owner_id);
  std::vector<CounterRecord> out;
  if (Status st = EachRow(*c, s, [&] { out.push_back(CounterFromRow(s)); }); !st.ok()) return st;
  return out;
}

Result<std::vector<WebhookSubscription>> SqliteStore::ListSubscriptions(const std::string& owner_id) {
  auto c = Reader();
  PREPARE_READ(s, c,
               std::string("SELECT id, owner_id, event_type, url, secret, created_at FROM "
                           "webhook_subscriptions WHERE deleted_at IS NULL") +
                   (owner_id.empty() ? "" : " AND owner_id=?1") + " ORDER BY created_at, id");
  if (!owner_id.empty()) s.Bind(1, owner_id);
  std::vector<WebhookSubscription> out;
  if (Status st = EachRow(*c, s, [&] {
        out.push_back({s.Text(0), s.Text(1), s.Text(2), s.Text(3), s.Text(4), FromMicros(s.Int(5)),
                       std::nullopt});
      });
      !st.ok()) {
    return st;
  }
  return out;
}

Result<std::vector<WebhookDelivery>> SqliteStore::ListDeliveries(const DeliveryQuery& q) {
  std::string sql =
      "SELECT id, subscription_id, owner_id, audit_seq, event_type, body, state, attempts, "
      "created_at, next_attempt_at, finished_at, last_status, last_error FROM webhook_deliveries "
      "WHERE audit_seq > ?1";
  if (q.subscription_id) sql += " AND subscription_id=?2";
  if (q.owner_id) sql += " AND owner_id=?3";
  if (q.state) sql += " AND state=?4";
  sql += " ORDER BY audit_seq, subscription_id LIMIT ?5";
  auto c = Reader();
  PREPARE_READ(s, c, sql);
  s.Bind(1, q.after_seq);
  if (q.subscription_id) s.Bind(2, *q.subscription_id);
  if (q.owner_id) s.Bind(3, *q.owner_id);
  if (q.state) s.Bind(4, std::string(DeliveryStateName(*q.state)));
  s.Bind(5, int64_t{q.limit});
  std::vector<WebhookDelivery> out;
  if (Status st = EachRow(*c, s, [&] {
        WebhookDelivery d;
        d.id = s.Text(0);
        d.subscription_id = s.Text(1);
        d.owner_id = s.Text(2);
        d.audit_seq = s.Int(3);
        d.event_type = s.Text(4);
        d.body = s.Text(5);
        ParseDeliveryState(s.Text(6), &d.state);
        d.attempts = static_cast<int>(s.Int(7));
        d.created_at = FromMicros(s.Int(8));
        d.next_attempt_at = FromMicros(s.Int(9));
        if (!s.IsNull(10)) d.finished_at = FromMicros(s.Int(10));
        d.last_status = static_cast<int>(s.Int(11));
        d.last_error = s.Text(12);
        out.push_back(std::move(d));
      });
      !st.ok()) {
    return st;
  }
  return out;
}

}  // namespace agentdraft::store
