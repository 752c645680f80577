# unit tests. Paths relative to tests/.
set(AGENTDRAFT_TEST_SOURCES_unit
)
set(AGENTDRAFT_TEST_LIBS_unit agentdraft_engine agentdraft_store agentdraft_common)
