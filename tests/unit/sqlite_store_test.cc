// SqliteStore: what only SQLite has — durability settings, group commit with per-decision
// conflicts, WAL checkpoints, schema versions. The Store contract itself (conditions,
// atomicity, reads, durability across reopening) is tested on every store, this one included,
// by tests/store/store_contract_test.cc.
#include "daemon/store/sqlite_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <future>

#include "tests/support/temp_dir.h"

namespace agentdraft::store {
namespace {

using testing::TempDir;

std::unique_ptr<SqliteStore> OpenAt(const std::string& path) {
  SqliteStoreOptions o;
  o.path = path;
  auto s = SqliteStore::Open(o);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(s.value()) : nullptr;
}

// A decision that books [b, b+n) buckets for a new claim `id` (expected free).
Decision Book(const std::string& id, int64_t b, int n, const std::string& expected = "") {
  Decision d;
  for (int i = 0; i < n; ++i) d.buckets.push_back({"usr_1", b + i, expected, id});
  ClaimRecord c;
  c.id = id;
  c.owner_id = "usr_1";
  c.agent_id = "agt_1";
  c.start = FromMicros((b) * 300000000LL);
  c.end = FromMicros((b + n) * 300000000LL);
  d.claims.push_back(c);
  return d;
}

TEST(SqliteStore, FileStoreRunsInWalWithSynchronousFull) {
  TempDir dir;
  auto store = OpenAt(dir.File("a.db"));
  EXPECT_EQ(*store->PragmaValue("journal_mode"), "wal");
  EXPECT_EQ(*store->PragmaValue("synchronous"), "2");
}

TEST(SqliteStore, OneConflictInABatchLeavesTheOthersDurable) {
  TempDir dir;
  auto store = OpenAt(dir.File("a.db"));
  std::vector<std::future<Status>> results;
  for (int i = 0; i < 50; ++i) {
    auto p = std::make_shared<std::promise<Status>>();
    results.push_back(p->get_future());
    // Decision 25 collides with decision 24; all others are disjoint.
    const int64_t bucket = i == 25 ? 24 * 10 : i * 10;
    store->Apply(Book("bkg_" + std::to_string(i), bucket, 2), [p](Status s) { p->set_value(s); });
  }
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(results[i].get().code(), i == 25 ? StatusCode::kConflict : StatusCode::kOk) << i;
  }
  EXPECT_TRUE(store->GetClaim("bkg_49").ok());
  EXPECT_FALSE(store->GetClaim("bkg_25").ok());
}

TEST(SqliteStore, AReopenedDatabasePassesTheIntegrityCheck) {
  TempDir dir;
  {
    auto store = OpenAt(dir.File("a.db"));
    ASSERT_TRUE(store->ApplySync(Book("bkg_a", 100, 2)).ok());
  }
  auto store = OpenAt(dir.File("a.db"));
  EXPECT_EQ(store->Load()->active_claims.size(), 1u);
  EXPECT_TRUE(store->IntegrityCheck().ok());
}

TEST(SqliteStore, CheckpointMovesTheWalIntoTheDatabase) {
  TempDir dir;
  auto store = OpenAt(dir.File("a.db"));
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(store->ApplySync(Book("bkg_" + std::to_string(i), i * 10, 2)).ok());
  auto frames = store->Checkpoint(/*truncate=*/false);
  ASSERT_TRUE(frames.ok()) << frames.status().ToString();
  EXPECT_GT(*frames, 0);
  EXPECT_GT(std::filesystem::file_size(dir.File("a.db")), 4096u);
}

TEST(SqliteStore, RefusesADatabaseFromANewerVersion) {
  TempDir dir;
  { auto store = OpenAt(dir.File("a.db")); }
  sqlite3* db = nullptr;
  sqlite3_open(dir.File("a.db").c_str(), &db);
  sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  SqliteStoreOptions o;
  o.path = dir.File("a.db");
  auto s = SqliteStore::Open(o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("newer"), std::string::npos) << s.status().ToString();
}

}  // namespace
}  // namespace agentdraft::store
