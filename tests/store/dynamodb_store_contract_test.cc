// The store contract suite (store_contract.h) on DynamoDB Local: DynamoStore must give the
// same results as SQLite. Each test gets a table of its own, named after its temp directory,
// so that a reopen finds the same data.
#include <cstdlib>
#include <functional>

#include "daemon/store/dynamo/dynamo_store.h"
#include "tests/store/store_contract.h"
#include "tests/support/dynamodb_local.h"

namespace agentdraft::store {
namespace {

std::unique_ptr<Store> OpenDynamo(const std::string& temp_dir) {
  testing::UseLocalAwsCredentials();
  DynamoStoreOptions o;
  o.table = "contract-" + std::to_string(std::hash<std::string>{}(temp_dir));
  o.create_table = true;
  o.client.endpoint = testing::DynamoDbLocal::Shared().endpoint();
  o.client.region = "us-east-1";
  o.client.credentials = {"local", "local", ""};
  auto store = DynamoStore::Open(o);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::unique_ptr<Store>(std::move(store).value()) : nullptr;
}

std::string DynamoSkipReason() {
  return testing::DynamoDbLocal::Available() || std::getenv("AGENTDRAFT_REQUIRE_DYNAMODB")
             ? ""
             : "DynamoDB Local is not installed (scripts/setup.sh installs it)";
}

INSTANTIATE_TEST_SUITE_P(DynamoDbLocal, StoreContract,
                         ::testing::Values(StoreFactory{"DynamoDbLocal", OpenDynamo, OpenDynamo, DynamoSkipReason}),
                         StoreFactoryName);

}  // namespace
}  // namespace agentdraft::store
