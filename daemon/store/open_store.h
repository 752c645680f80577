// store::Open: the one place that turns a StoreConfig into a Store (as leveldb's DB::Open does
// for its options). agentdraftd's --store flag picks the kind; tests open either kind the same
// way.
//
//   store::StoreConfig config;
//   config.kind = "sqlite";
//   config.sqlite_path = dir + "/agentdraft.db";
//   auto opened = store::Open(config);  // Result<OpenedStore>
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "common/time.h"
#include "daemon/store/store.h"

namespace agentdraft::store {

// Where decisions are kept: the embedded SQLite file, or a DynamoDB table shared by several
// daemons (credentials and region from the standard AWS sources, daemon/store/dynamo/aws_config.h).
struct StoreConfig {
  std::string kind = "sqlite";      // "sqlite" or "dynamodb"
  // --- sqlite ---
  std::string sqlite_path;          // the database file (agentdraftd: <data-dir>/agentdraft.db)
  // synchronous=FULL: a commit is acknowledged only once its WAL frames are fsynced. false
  // (synchronous=NORMAL) is for tests that show what losing that costs; never for a daemon.
  bool sqlite_sync = true;
  // --- dynamodb ---
  std::string dynamodb_table;       // --dynamodb-table
  std::string dynamodb_endpoint;    // --dynamodb-endpoint ("" = the region's AWS endpoint)
  std::string region;               // --region ("" = AWS_REGION, the profile's, …)
  std::string profile;              // --profile ("" = AWS_PROFILE or "default")
  bool create_table = false;        // --create-table
  Duration idempotency_ttl = std::chrono::hours(24);  // the engine's (DynamoDB TTL backstop)
  // The secret this process would hash API keys with. A shared store keeps the first daemon's
  // (every daemon on a table must hash keys alike); OpenedStore::key_secret is the one to use.
  std::string key_secret;
};

struct OpenedStore {
  std::unique_ptr<Store> store;
  std::string description;  // for the log: "sqlite at … (synchronous=FULL, WAL)", "dynamodb table …"
  std::string key_secret;   // StoreConfig::key_secret, or the shared store's
};

// Opens (creating if needed) the store `config` names. InvalidArgument for an unknown kind;
// otherwise the store's own errors, with what was being opened in the message.
Result<OpenedStore> Open(const StoreConfig& config);

}  // namespace agentdraft::store
