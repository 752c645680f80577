# store tests: the store contract suite (store/store_contract.h). Paths relative to tests/.
set(AGENTDRAFT_TEST_SOURCES_store
  store/store_contract_test.cc
)
set(AGENTDRAFT_TEST_LIBS_store agentdraft_store agentdraft_common PkgConfig::SQLITE3)
