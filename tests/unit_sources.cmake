# unit tests. Paths relative to tests/.
set(AGENTDRAFT_TEST_SOURCES_unit
  unit/engine_admin_test.cc
  unit/audit_completeness_test.cc
  unit/engine_test.cc
  unit/engine_counters_test.cc
  unit/engine_quota_test.cc
  unit/engine_availability_test.cc
  unit/race_record_test.cc
  unit/rules_test.cc
  unit/rate_limiter_test.cc
  unit/request_parser_test.cc
  unit/api_error_body_test.cc
  unit/sqlite_store_test.cc
  unit/time_test.cc
  unit/friendly_time_test.cc
  unit/audit_verify_test.cc
  unit/aws_config_test.cc
  unit/sigv4_test.cc
  unit/webhook_deliverer_test.cc
  support/crash_vfs.cc
  powerloss/power_loss.cc
  powerloss/power_loss_test.cc
)
set(AGENTDRAFT_TEST_LIBS_unit agentdraft_dynamo_client agentdraft_api agentdraft_race agentdraft_engine agentdraft_store agentdraft_common PkgConfig::SQLITE3)
