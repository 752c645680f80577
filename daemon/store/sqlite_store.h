// SqliteStore: the embedded Store, on one SQLite file (or in memory, for tests).
//
// Durability: WAL with synchronous=FULL, both read back at Open (Open fails otherwise). Like
// leveldb's WriteOptions::sync, `sync = false` (synchronous=NORMAL: WAL commits not fsynced)
// exists for tests that show what a store without it loses; agentdraftd never sets it.
// Writes: one writer thread owns the write connection. It takes every queued Decision (up to
// `max_batch`) as one batch, applies each inside its own SAVEPOINT inside one
// `BEGIN IMMEDIATE … COMMIT` — one fsync for the batch (group commit) — and only then runs
// the callbacks, in submission order. A decision whose conditions fail is rolled back to its
// savepoint and answered Conflict; the others in the batch still land.
// Reads: a small pool of reader connections that see committed data only. (In memory, reads
// share the writer's connection under a mutex.)
// Checkpoints: the writer never checkpoints; a checkpointer thread on its own connection
// copies the WAL into the database (PASSIVE, so it never blocks the writer) whenever the WAL
// passes `checkpoint_pages`, and after a second without commits, so the commit path never
// waits for a checkpoint and a busy one rarely competes with it.
// Modes: a new database file is created 0600 before SQLite opens it (SQLite gives its -wal
// and -shm files the same mode); an existing one that others may read is used, with a warning
// in the log.
//
// Thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "daemon/store/store.h"

struct sqlite3;

namespace agentdraft::store {

struct SqliteStoreOptions {
  std::string path;           // a file, or ":memory:"
  int max_batch = 512;        // decisions per transaction
  int reader_connections = 4;
  int checkpoint_pages = 4000;  // ~16 MiB of WAL
  bool sync = true;             // synchronous=FULL (false: NORMAL, for tests only)
};

class SqliteStore final : public Store {
 public:
  // Opens (creating if needed) and migrates the database.
  static Result<std::unique_ptr<SqliteStore>> Open(const SqliteStoreOptions& options);
  ~SqliteStore() override;  // drains the queue, then closes

  std::string Name() const override { return "sqlite"; }
  void Apply(Decision decision, std::function<void(Status)> done) override;
  void Flush() override;

  Result<LoadedState> Load() override;
  Result<int64_t> AuditHeadSeq() override;
  Result<std::string> GetBucket(const std::string& owner_id, int64_t bucket) override;
  Result<ClaimRecord> GetClaim(const std::string& id) override;
  Result<std::vector<ClaimRecord>> ListClaims(const ClaimQuery& q) override;
  Result<std::optional<IdempotencyRecord>> GetIdempotency(const std::string& agent_id,
                                                          const std::string& key) override;
  Result<int64_t> PurgeIdempotency(Time cutoff) override;
  Result<std::vector<AuditRecord>> ListAudit(const AuditQuery& q) override;
  Result<std::optional<SessionRecord>> GetSession(const std::string& token_hash) override;
  Result<std::vector<CheckpointRecord>> ListCheckpoints() override;
  Result<std::optional<CheckpointRecord>> LatestCheckpoint() override;
  Result<std::vector<CounterRecord>> ListCounters(const std::string& owner_id,
                                                  const std::string& booking_id) override;
  Result<std::vector<WebhookSubscription>> ListSubscriptions(const std::string& owner_id) override;
  Result<std::vector<WebhookDelivery>> ListDeliveries(const DeliveryQuery& q) override;

  // PRAGMA `name` as text ("synchronous" → "2", "journal_mode" → "wal").
  Result<std::string> PragmaValue(const std::string& name);
  // PRAGMA integrity_check; OK when it says "ok".
  Status IntegrityCheck();
  // Copies the WAL into the database now (PASSIVE: never waits for readers or the writer;
  // TRUNCATE: also empties the WAL). Returns the frames checkpointed. 0 in memory.
  Result<int64_t> Checkpoint(bool truncate);

  class Connection;  // a sqlite3* with its cached statements (sqlite_connection.h)

 private:
  struct Pending {
    Decision decision;
    std::function<void(Status)> done;
    uint64_t ticket;
  };

  explicit SqliteStore(SqliteStoreOptions options);
  Status Init();
  void WriterLoop();
  void CheckpointLoop();
  static int OnWalCommit(void* self, sqlite3* db, const char* name, int pages);
  void RunBatch(std::vector<Pending>& batch);
  Status ApplyOne(const Decision& d, int64_t* audit_head);
  Status RunCached(const char* sql);  // a statement without results, prepared once

  // A reader connection, locked for the caller's use.
  class ReaderLease;
  ReaderLease Reader();

  const SqliteStoreOptions options_;
  const bool in_memory_;
  std::string uri_;
  std::unique_ptr<Connection> writer_;
  std::vector<std::unique_ptr<Connection>> readers_;
  std::vector<std::unique_ptr<std::mutex>> reader_mu_;
  std::mutex memory_mu_;  // in memory: serializes the writer and the readers on one connection

  std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable done_cv_;
  std::deque<Pending> queue_;  // GUARDED_BY(mu_)
  uint64_t next_ticket_ = 1;   // GUARDED_BY(mu_)
  uint64_t answered_ = 0;      // GUARDED_BY(mu_): every ticket ≤ this has been answered
  bool stopping_ = false;      // GUARDED_BY(mu_)
  int64_t audit_head_ = 0;     // writer thread only
  std::thread writer_thread_;

  std::unique_ptr<Connection> checkpointer_;
  std::mutex checkpointer_mu_;  // serializes use of checkpointer_
  std::mutex checkpoint_mu_;
  std::condition_variable checkpoint_cv_;
  bool checkpoint_wanted_ = false;  // GUARDED_BY(checkpoint_mu_)
  bool checkpoint_stop_ = false;    // GUARDED_BY(checkpoint_mu_)
  std::atomic<uint64_t> batches_committed_{0};  // written by the writer's WAL hook
  std::atomic<int> wal_pages_{0};               // WAL size after the last commit
  std::thread checkpoint_thread_;
};

}  // namespace agentdraft::store
