// agentdraftd_planted: agentdraftd with one classic bug planted (planted.h), for the negative
// controls of the history harness. Built for the tests only; never installed or packaged.
// AGENTDRAFT_PLANT=<name> picks the bug; without it this is agentdraftd.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "daemon/config.h"
#include "daemon/daemon.h"
#include "tests/planted/planted.h"

using namespace agentdraft;

int main(int argc, char** argv) {
  int exit_code = 0;
  auto config = daemon::ParseCommandLine(argc, argv, &exit_code);
  if (!config) return exit_code;
  spdlog::set_default_logger(spdlog::stderr_color_mt("agentdraftd"));
  spdlog::set_level(spdlog::level::from_str(config->log_level));
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  daemon::DaemonHooks hooks;
  hooks.on_listener_exit = [] { ::kill(::getpid(), SIGTERM); };
  const char* name = std::getenv("AGENTDRAFT_PLANT");
  if (name != nullptr && *name != '\0') {
    auto bug = planted::FromName(name);
    if (!bug) {
      std::fprintf(stderr, "agentdraftd_planted: no bug named %s\n", name);
      return 2;
    }
    spdlog::warn("negative control: {} planted", name);
    if (*bug == planted::Bug::kSyncNormal) config->store.sqlite_sync = false;
    hooks.decorate_store = [bug = *bug](std::unique_ptr<store::Store> inner) -> std::unique_ptr<store::Store> {
      return std::make_unique<testing::FaultyStore>(std::move(inner), planted::FaultsOf(bug));
    };
  }
  auto started = daemon::Daemon::Start(std::move(*config), std::move(hooks));
  if (!started.ok()) {
    std::fprintf(stderr, "agentdraftd: %s\n", started.status().message().c_str());
    return 1;
  }
  daemon::Daemon& d = **started;
  std::printf("agentdraftd ready http=http://%s:%d%s%s\n", d.config().server.host.c_str(), d.port(),
              d.socket_path().empty() ? "" : " socket=", d.socket_path().c_str());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&signals, &sig);
  const bool clean = d.Stop();
  spdlog::default_logger()->flush();
  std::fflush(stdout);
  std::_Exit(clean ? 0 : 1);
}
