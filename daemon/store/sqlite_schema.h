// The SQLite schema as an ordered list of migrations, applied by MigrateSchema.
#pragma once

#include "common/status.h"
#include "daemon/store/sqlite_connection.h"

namespace agentdraft::store {

// Brings the database to the newest schema version (PRAGMA user_version), one migration per
// transaction. Refuses a database newer than this code.
Status MigrateSchema(SqliteStore::Connection& conn);

// The schema version this code writes.
int LatestSchemaVersion();

}  // namespace agentdraft::store
