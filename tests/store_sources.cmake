# store tests. Paths relative to tests/.
set(AGENTDRAFT_TEST_SOURCES_store
)
set(AGENTDRAFT_TEST_LIBS_store agentdraft_store agentdraft_common PkgConfig::SQLITE3)
