#include "daemon/store/sqlite_schema.h"

#include <string>
#include <vector>

namespace agentdraft::store {

namespace {
// Never edit a migration that has shipped: add a new one.
const std::vector<std::string>& Migrations() {
  static const std::vector<std::string> kMigrations = {
      // 1: the core.
      R"sql(
CREATE TABLE owners (
  id         TEXT PRIMARY KEY NOT NULL,
  email      TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  settings   TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE agents (
  id         TEXT PRIMARY KEY NOT NULL,
  owner_id   TEXT NOT NULL REFERENCES owners(id),
  name       TEXT NOT NULL,
  priority   INTEGER NOT NULL CHECK (priority >= 1),
  rank_order INTEGER NOT NULL,
  scopes     TEXT NOT NULL,
  key_prefix TEXT NOT NULL,
  key_hash   TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER,
  UNIQUE (owner_id, name)
);
CREATE TABLE claims (
  id              TEXT PRIMARY KEY NOT NULL,
  owner_id        TEXT NOT NULL,
  agent_id        TEXT NOT NULL,
  kind            TEXT NOT NULL CHECK (kind IN ('booking', 'hold')),
  state           TEXT NOT NULL CHECK (state IN ('COMMITTED', 'CANCELLED', 'EVICTED', 'HELD',
                                                 'RELEASED', 'EXPIRED', 'DISPLACED', 'CONVERTED')),
  start_us        INTEGER NOT NULL,
  end_us          INTEGER NOT NULL,
  created_at      INTEGER NOT NULL,
  expires_at      INTEGER NOT NULL,
  frozen_at       INTEGER NOT NULL,
  ended_at        INTEGER,
  ended_by        TEXT NOT NULL,
  metadata        TEXT NOT NULL,
  title           TEXT NOT NULL,
  invitee         TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  CHECK (end_us > start_us)
) WITHOUT ROWID;
CREATE INDEX claims_by_owner ON claims (owner_id, start_us);
CREATE INDEX claims_active ON claims (owner_id) WHERE state IN ('COMMITTED', 'HELD');
CREATE TABLE buckets (
  owner_id TEXT NOT NULL,
  bucket   INTEGER NOT NULL,
  claim_id TEXT NOT NULL,
  PRIMARY KEY (owner_id, bucket)
) WITHOUT ROWID;
-- Rows (with the full response) append in insertion order; the lookup index stays small.
CREATE TABLE idempotency (
  id          INTEGER PRIMARY KEY,
  agent_id    TEXT NOT NULL,
  key         TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  http_status INTEGER NOT NULL,
  response    TEXT NOT NULL,
  created_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX idempotency_by_key ON idempotency (agent_id, key);
CREATE TABLE audit (
  seq       INTEGER PRIMARY KEY NOT NULL,
  at        INTEGER NOT NULL,
  owner_id  TEXT NOT NULL,
  actor     TEXT NOT NULL,
  subject   TEXT NOT NULL,
  kind      TEXT NOT NULL,
  resource  TEXT NOT NULL,
  payload   TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash      TEXT NOT NULL
);
CREATE INDEX audit_by_resource ON audit (resource, seq);
CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY NOT NULL,
  owner_id   TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
)sql",
      // 2: signed audit checkpoints, webhooks.
      R"sql(
CREATE TABLE checkpoints (
  size      INTEGER PRIMARY KEY NOT NULL CHECK (size >= 1),
  head      TEXT NOT NULL,
  at        INTEGER NOT NULL,
  key       TEXT NOT NULL,
  signature TEXT NOT NULL
);
CREATE TABLE webhook_subscriptions (
  id         TEXT PRIMARY KEY NOT NULL,
  owner_id   TEXT NOT NULL,
  event_type TEXT NOT NULL,
  url        TEXT NOT NULL,
  secret     TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  deleted_at INTEGER
);
CREATE TABLE webhook_deliveries (
  id              TEXT PRIMARY KEY NOT NULL,
  subscription_id TEXT NOT NULL,
  owner_id        TEXT NOT NULL,
  audit_seq       INTEGER NOT NULL,
  event_type      TEXT NOT NULL,
  body            TEXT NOT NULL,
  state           TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
  attempts        INTEGER NOT NULL,
  created_at      INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  finished_at     INTEGER,
  last_status     INTEGER NOT NULL,
  last_error      TEXT NOT NULL,
  UNIQUE (subscription_id, audit_seq)
);
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (audit_seq) WHERE state = 'pending';
)sql",
      // 3: the owners' rules (business hours, focus blocks, buffers, caps, notice, horizon).
      R"sql(
CREATE TABLE rules (
  id         TEXT PRIMARY KEY NOT NULL,
  owner_id   TEXT NOT NULL,
  kind       TEXT NOT NULL CHECK (kind IN ('business_hours', 'focus', 'buffer', 'cap', 'notice', 'horizon')),
  spec       TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  deleted_at INTEGER
);
)sql",
      // 4: counter-proposals. `proposed` is a JSON array of [start_us, end_us] pairs.
      R"sql(
CREATE TABLE counters (
  id               TEXT PRIMARY KEY NOT NULL,
  owner_id         TEXT NOT NULL,
  booking_id       TEXT NOT NULL,
  booking_agent_id TEXT NOT NULL,
  agent_id         TEXT NOT NULL,
  proposed         TEXT NOT NULL,
  note             TEXT NOT NULL,
  state            TEXT NOT NULL CHECK (state IN ('PENDING', 'ACCEPTED', 'REJECTED', 'EXPIRED')),
  created_at       INTEGER NOT NULL,
  ended_at         INTEGER,
  accepted_slot    INTEGER,
  new_booking_id   TEXT NOT NULL
);
CREATE INDEX counters_by_booking ON counters (booking_id, created_at, id);
CREATE INDEX counters_pending ON counters (owner_id) WHERE state = 'PENDING';
)sql",
      // 5: dev-mode owners and sessions, "sign out everywhere". Sessions made before this
      // migration all came from the dev sign-in; owners made before it are not known to be
      // dev ones, so none of them can be signed in to by a magic link any more.
      R"sql(
ALTER TABLE owners ADD COLUMN dev INTEGER NOT NULL DEFAULT 0;
ALTER TABLE owners ADD COLUMN sessions_revoked_at INTEGER;
ALTER TABLE sessions ADD COLUMN dev INTEGER NOT NULL DEFAULT 1;
)sql",
  };
  return kMigrations;
}

Result<int> UserVersion(SqliteStore::Connection& conn) {
  auto stmt = conn.Prepare("PRAGMA user_version");
  if (!stmt.ok()) return stmt.status();
  Stmt s(*stmt);
  if (s.Step() != SQLITE_ROW) return Status::Unavailable("cannot read user_version");
  return static_cast<int>(s.Int(0));
}
}  // namespace

int LatestSchemaVersion() { return static_cast<int>(Migrations().size()); }

Status MigrateSchema(SqliteStore::Connection& conn) {
  auto version = UserVersion(conn);
  if (!version.ok()) return version.status();
  if (*version > LatestSchemaVersion()) {
    return Status::Internal("the database has schema version " + std::to_string(*version) +
                            ", newer than this agentdraftd knows (" +
                            std::to_string(LatestSchemaVersion()) + "); upgrade agentdraftd");
  }
  for (int v = *version; v < LatestSchemaVersion(); ++v) {
    Status s = conn.Exec("BEGIN IMMEDIATE;" + Migrations()[v] +
                         "PRAGMA user_version = " + std::to_string(v + 1) + "; COMMIT;");
    if (!s.ok()) {
      (void)conn.Exec("ROLLBACK");
      return Status::Internal("migration to schema version " + std::to_string(v + 1) +
                              " failed: " + s.message());
    }
  }
  return Status::Ok();
}

}  // namespace agentdraft::store
