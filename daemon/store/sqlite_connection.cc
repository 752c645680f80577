#include "daemon/store/sqlite_connection.h"

namespace agentdraft::store {

Result<std::unique_ptr<SqliteStore::Connection>> SqliteStore::Connection::Open(const std::string& uri) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(uri.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI |
                               SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return Status::Unavailable("cannot open " + uri + ": " + msg);
  }
  sqlite3_busy_timeout(db, 5000);
  sqlite3_extended_result_codes(db, 1);
  return std::unique_ptr<Connection>(new Connection(db));
}

SqliteStore::Connection::~Connection() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

Status SqliteStore::Connection::Error(int rc, const std::string& what) const {
  std::string msg = what + ": " + sqlite3_errmsg(db_);
  if ((rc & 0xff) == SQLITE_CONSTRAINT) return Status::Conflict(msg);
  if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) return Status::Unavailable(msg);
  if ((rc & 0xff) == SQLITE_MISUSE) return Status::Internal(msg);
  return Status::Unavailable(msg);
}

Status SqliteStore::Connection::Exec(const std::string& sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  if (rc == SQLITE_OK) return Status::Ok();
  std::string msg = err ? err : sqlite3_errstr(rc);
  sqlite3_free(err);
  if ((rc & 0xff) == SQLITE_CONSTRAINT) return Status::Conflict(msg);
  return Status::Unavailable(msg + " (in: " + sql.substr(0, 60) + ")");
}

Result<sqlite3_stmt*> SqliteStore::Connection::Prepare(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) return it->second;
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return Status::Internal("cannot prepare \"" + sql + "\": " + sqlite3_errmsg(db_));
  cache_[sql] = stmt;
  return stmt;
}

}  // namespace agentdraft::store
