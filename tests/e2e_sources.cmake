# e2e tests. Paths relative to tests/.
set(AGENTDRAFT_TEST_SOURCES_e2e
)
set(AGENTDRAFT_TEST_LIBS_e2e agentdraft_common)
