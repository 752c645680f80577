// SqliteStore::Connection: one sqlite3 handle and its cached prepared statements, plus Stmt,
// a small RAII binder/stepper. Not thread-safe: one user at a time.
#pragma once

#include <sqlite3.h>

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "common/status.h"
#include "daemon/store/sqlite_store.h"

namespace agentdraft::store {

// A prepared statement in use: bind, step, read columns; reset on destruction.
class Stmt {
 public:
  explicit Stmt(sqlite3_stmt* s) : s_(s) {}
  ~Stmt() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& Bind(int i, int64_t v) { sqlite3_bind_int64(s_, i, v); return *this; }
  Stmt& Bind(int i, const std::string& v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& Bind(int i, std::optional<int64_t> v) {
    if (v) sqlite3_bind_int64(s_, i, *v); else sqlite3_bind_null(s_, i);
    return *this;
  }
  // SQLITE_ROW, SQLITE_DONE, or an error code.
  int Step() { return sqlite3_step(s_); }

  int64_t Int(int col) const { return sqlite3_column_int64(s_, col); }
  bool IsNull(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
  std::string Text(int col) const {
    const unsigned char* t = sqlite3_column_text(s_, col);
    return t ? std::string(reinterpret_cast<const char*>(t), sqlite3_column_bytes(s_, col)) : "";
  }

 private:
  sqlite3_stmt* s_;
};

class SqliteStore::Connection {
 public:
  // Opens `uri` (SQLITE_OPEN_URI) read-write, creating it.
  static Result<std::unique_ptr<Connection>> Open(const std::string& uri);
  ~Connection();

  sqlite3* db() { return db_; }
  // Runs statements without results; Unavailable with SQLite's message on failure.
  Status Exec(const std::string& sql);
  // The cached statement for `sql` (prepared once, persistent). nullptr-safe: returns a
  // Status when preparation fails.
  Result<sqlite3_stmt*> Prepare(const std::string& sql);
  Status Error(int rc, const std::string& what) const;

 private:
  explicit Connection(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::map<std::string, sqlite3_stmt*> cache_;
};

}  // namespace agentdraft::store
