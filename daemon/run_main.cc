// agentdraftd's main() as a function of the Daemon library (daemon.h), so that a test-side
// daemon (the negative controls') starts the same way with its own store decoration.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "daemon/config.h"
#include "daemon/daemon.h"

namespace agentdraft::daemon {

namespace {

// Signals are taken by the main thread with sigwait; blocked everywhere (every thread the
// daemon starts inherits the mask).
sigset_t BlockSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return signals;
}

void LogStarted(const Daemon& d) {
  const DaemonConfig& c = d.config();
  spdlog::info("store {}; tie window {}, bump window {}{}", d.store_description(),
               FormatDuration(c.engine.tie_window), FormatDuration(c.engine.bump_window),
               c.server.dev_mode ? "; dev mode" : "");
  if (!c.config_file.empty()) spdlog::info("settings from {}", c.config_file);
  if (!d.socket_path().empty()) spdlog::info("owner socket at {}", d.socket_path());
  std::printf("agentdraftd ready http=http://%s:%d%s%s\n", c.server.host.c_str(), d.port(),
              d.socket_path().empty() ? "" : " socket=", d.socket_path().c_str());
  std::fflush(stdout);
}

}  // namespace

int RunMain(int argc, char** argv, const Customize& customize) {
  int exit_code = 0;
  auto config = ParseCommandLine(argc, argv, &exit_code);
  if (!config) return exit_code;
  spdlog::set_default_logger(spdlog::stderr_color_mt("agentdraftd"));
  spdlog::set_level(spdlog::level::from_str(config->log_level));
  sigset_t signals = BlockSignals();

  DaemonHooks hooks;
  hooks.on_listener_exit = [] { ::kill(::getpid(), SIGTERM); };  // wakes sigwait below
  if (customize) {
    if (Status s = customize(*config, hooks); !s.ok()) {
      std::fprintf(stderr, "agentdraftd: %s\n", s.message().c_str());
      return 2;
    }
  }
  auto started = Daemon::Start(std::move(*config), std::move(hooks));
  if (!started.ok()) {
    std::fprintf(stderr, "agentdraftd: %s\n", started.status().message().c_str());
    return 1;
  }
  Daemon& d = **started;
  LogStarted(d);

  int sig = 0;
  sigwait(&signals, &sig);
  if (d.listener_failed()) spdlog::error("the HTTP listener stopped; shutting down");
  else spdlog::info("signal {}: draining", sig);
  const bool clean = d.Stop();
  spdlog::info("stopped");
  // Flush only: spdlog::shutdown() would free the logger that idle worker threads may still
  // touch; _Exit runs no destructors. The listeners' workers may still be finishing a last
  // answer to a peer that reads slowly; nothing is left for them to do, so the Daemon is
  // left without joining them.
  spdlog::default_logger()->flush();
  std::fflush(stdout);
  std::_Exit(clean ? 0 : 1);
}

}  // namespace agentdraft::daemon
