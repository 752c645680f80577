# The history harness (tests/history): overlap storm, crash soak and negative controls against
# the real agentdraftd (and agentdraftd_planted). Paths relative to tests/.
set(AGENTDRAFT_TEST_SOURCES_history
  support/daemon_process.cc
  support/dev_owner.cc
  support/dynamodb_local.cc
  history/history.cc
  history/checkers.cc
  history/load.cc
  history/history_test.cc
)
set(AGENTDRAFT_TEST_LIBS_history agentdraft_dynamo_store agentdraft_dynamo_client agentdraft_common PkgConfig::SQLITE3)
