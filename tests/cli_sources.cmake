# cli tests. Paths relative to tests/.
set(AGENTDRAFT_TEST_SOURCES_cli
  support/daemon_process.cc
  support/dev_owner.cc
  support/dynamodb_local.cc
  cli/audit_check_test.cc
  cli/base_url_test.cc
  cli/command_table_test.cc
  cli/commands_e2e_test.cc
  cli/deep_json_test.cc
  cli/exit_codes_test.cc
  cli/race_replay_e2e_test.cc
  cli/rules_e2e_test.cc
  cli/table_test.cc
  cli/race/bench_race_e2e_test.cc
  cli/race/bench_race_test.cc
  cli/race/daemon_launcher_test.cc
  cli/race/demo_team_test.cc
  cli/race/race_demo_e2e_test.cc
  cli/race/race_round_test.cc
)
# daemon_process.cc can start the daemon on DynamoDB Local (dynamodb_local.cc, which needs the
# DynamoDB client). The tests run the agentdraftd and agentdraft binaries: build them too.
set(AGENTDRAFT_TEST_LIBS_cli agentdraft_cli agentdraft_dynamo_client agentdraft_common)
