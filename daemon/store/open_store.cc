#include "daemon/store/open_store.h"

#include "daemon/store/dynamo/aws_config.h"
#include "daemon/store/dynamo/dynamo_store.h"
#include "daemon/store/sqlite_store.h"

namespace agentdraft::store {
namespace {

Result<OpenedStore> OpenSqlite(const StoreConfig& config) {
  SqliteStoreOptions options;
  options.path = config.sqlite_path;
  options.sync = config.sqlite_sync;
  auto opened = SqliteStore::Open(options);
  if (!opened.ok()) return Status(opened.status().code(), "cannot open the store: " + opened.status().message());
  OpenedStore out;
  out.store = std::move(*opened);
  out.description = "sqlite at " + options.path +
                    (options.sync ? " (synchronous=FULL, WAL)" : " (synchronous=NORMAL, WAL)");
  out.key_secret = config.key_secret;
  return out;
}

Result<OpenedStore> OpenDynamo(const StoreConfig& config) {
  dynamo::AwsConfigRequest aws_request;
  if (!config.profile.empty()) aws_request.profile = config.profile;
  if (!config.region.empty()) aws_request.region = config.region;
  auto aws = dynamo::ResolveAwsConfig(aws_request);
  if (!aws.ok()) return Status(aws.status().code(), "DynamoDB credentials: " + aws.status().message());
  DynamoStoreOptions o;
  o.table = config.dynamodb_table;
  o.create_table = config.create_table;
  o.idempotency_ttl = config.idempotency_ttl;
  o.client.endpoint = config.dynamodb_endpoint;
  o.client.region = aws->region;
  o.client.credentials = aws->credentials;
  auto opened = DynamoStore::Open(o);
  if (!opened.ok()) return Status(opened.status().code(), "cannot open the store: " + opened.status().message());
  // Every daemon on the table must hash API keys alike: the first one's secret wins.
  auto shared = (*opened)->SharedSecret(config.key_secret);
  if (!shared.ok()) {
    return Status(shared.status().code(), "cannot read the shared key secret: " + shared.status().message());
  }
  OpenedStore out;
  out.store = std::move(*opened);
  out.description = "dynamodb table " + o.table + " at " +
                    (o.client.endpoint.empty() ? "region " + o.client.region : o.client.endpoint) +
                    " (credentials: " + aws->credentials_source + ")";
  out.key_secret = *shared;
  return out;
}

}  // namespace

Result<OpenedStore> Open(const StoreConfig& config) {
  if (config.kind == "sqlite") return OpenSqlite(config);
  if (config.kind == "dynamodb") return OpenDynamo(config);
  return Status::InvalidArgument("unknown store \"" + config.kind + "\" (sqlite or dynamodb)");
}

}  // namespace agentdraft::store
