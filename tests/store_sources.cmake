# store tests: the store contract suite (store/store_contract.h) on SQLite and DynamoDB Local,
# and the DynamoDB client. Paths relative to tests/.
set(AGENTDRAFT_TEST_SOURCES_store
  support/dynamodb_local.cc
  support/fault_proxy.cc
  store/dynamo_client_test.cc
  store/dynamo_store_test.cc
  store/store_contract_test.cc
  store/dynamodb_store_contract_test.cc
)
set(AGENTDRAFT_TEST_LIBS_store agentdraft_dynamo_store agentdraft_dynamo_client agentdraft_store agentdraft_common PkgConfig::SQLITE3)
