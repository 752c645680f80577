# cli tests. Paths relative to tests/.
set(AGENTDRAFT_TEST_SOURCES_cli
)
set(AGENTDRAFT_TEST_LIBS_cli agentdraft_cli agentdraft_common)
