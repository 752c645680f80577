# end-to-end tests against the real agentdraftd. Paths relative to tests/.
set(AGENTDRAFT_TEST_SOURCES_e2e
  support/daemon_process.cc
  support/dev_owner.cc
  support/dynamodb_local.cc
  support/fault_proxy.cc
  e2e/bad_input_test.cc
  e2e/security_test.cc
  e2e/hostile_agent_test.cc
  e2e/sessions_test.cc
  e2e/durability_test.cc
  e2e/lifecycle_test.cc
  e2e/socket_test.cc
  e2e/audit_events_test.cc
  e2e/audit_export_test.cc
  e2e/stampede_test.cc
  e2e/multi_daemon_test.cc
  e2e/path_pairs_test.cc
  e2e/counters_test.cc
  e2e/quota_test.cc
  e2e/files_test.cc
  e2e/webhook_targets_test.cc
  e2e/in_process_daemon_test.cc
)
set(AGENTDRAFT_TEST_LIBS_e2e agentdraft_daemon agentdraft_faulty_store agentdraft_dynamo_client agentdraft_common PkgConfig::SQLITE3)
