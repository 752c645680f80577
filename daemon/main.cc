// agentdraftd: reads its settings, starts the Daemon (daemon/daemon.h), prints the ready line,
// and on SIGTERM/SIGINT drains in-flight requests and the pending batch, then exits 0 (1 when
// the HTTP listener stopped by itself).
#include "daemon/daemon.h"

int main(int argc, char** argv) { return agentdraft::daemon::RunMain(argc, argv); }
