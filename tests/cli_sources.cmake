# cli tests. Paths relative to tests/.
set(AGENTDRAFT_TEST_SOURCES_cli
  cli/audit_check_test.cc
  cli/base_url_test.cc
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
set(AGENTDRAFT_TEST_LIBS_cli agentdraft_cli agentdraft_common)
