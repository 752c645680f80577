// Daemon: one agentdraftd, assembled from a DaemonConfig — the store (store::Open), the
// engine, the audit checkpointer and event hub, webhooks and their deliverer, and the API
// server's listeners (TCP and the owner's Unix socket) — and taken down in the right order.
// agentdraftd's main() is flags → Daemon::Start → wait for a signal → Stop; tests start a
// whole daemon in process the same way (tests/e2e/in_process_daemon_test.cc).
//
//   auto daemon = daemon::Daemon::Start(config);
//   if (!daemon.ok()) …;           // the message says what could not start
//   … (*daemon)->port() …
//   (*daemon)->Stop();             // drains, then stops the engine, workers and store
//
// Start() prepares and locks the data directory (an flock on <data-dir>/agentdraftd.lock,
// held until the Daemon is destroyed), reads or creates secret.key and audit.key, opens the
// store, loads the engine and binds the listeners; only then does background work start
// (webhook deliveries, time-based checkpoints, serving). Process-wide matters stay with the
// caller: logging, signals, and the exit.
//
// Thread-safe: Stop() from any thread, once or more.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "common/clock.h"
#include "common/status.h"
#include "daemon/config.h"

namespace agentdraft::store {
class Store;
}  // namespace agentdraft::store

namespace agentdraft::daemon {

struct DaemonHooks {
  // Wraps the store that Start() opens; the daemon then uses what it returns. Tests decorate
  // the store with fault injection (tests/support/faulty_store.h). Null: the store as opened.
  std::function<std::unique_ptr<store::Store>(std::unique_ptr<store::Store>)> decorate_store;
  // Called (on the listener's thread) when serving ends by itself, not through Stop(): the
  // listener failed. agentdraftd wakes its main thread with it.
  std::function<void()> on_listener_exit;
};

class Daemon {
 public:
  static Result<std::unique_ptr<Daemon>> Start(DaemonConfig config, DaemonHooks hooks = {});
  // Stop(), then waits for the listeners' threads (which may wait out idle keep-alive
  // connections) for at most the idle timeout and 2 s; past that they are left running.
  ~Daemon();

  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // No new requests; every request being handled is answered; commits waiting out a tie
  // window settle; deliveries and checkpoints stop; the head is signed; the store is closed.
  // Returns false when serving had already ended by itself (the listener failed).
  bool Stop();

  // True when serving ended by itself (the listener failed) and Stop() has not run yet.
  bool listener_failed() const { return !serving_ && !stopped_; }

  int port() const;                        // the TCP port bound
  const std::string& socket_path() const;  // the owner's socket, or ""
  const DaemonConfig& config() const { return config_; }
  const std::string& store_description() const { return store_description_; }

 private:
  struct Parts;  // everything Start() builds, in construction order
  explicit Daemon(DaemonConfig config);
  Status Open(DaemonHooks& hooks);
  Status Assemble();
  void StartBackground(std::function<void()> on_listener_exit);

  DaemonConfig config_;
  std::string store_description_;
  int lock_fd_ = -1;
  int port_ = 0;
  SystemClock clock_;
  std::unique_ptr<Parts> parts_;
  std::atomic<bool> serving_{false};
  std::atomic<bool> ticking_{false};
  std::atomic<bool> stopped_{false};
  std::atomic<bool> serve_done_{false};
  bool started_ = false;  // StartBackground ran
  bool failed_ = false;
  std::thread serve_thread_;
  std::thread ticker_thread_;
};

// agentdraftd's main(): flags, logging, signals, Daemon::Start, the ready line; on SIGTERM or
// SIGINT, Stop and exit (0, or 1 when the HTTP listener stopped by itself). `customize`, when
// given, changes the config and hooks before Start (a test-side daemon decorates the store); a
// non-OK Status from it exits 2 with its message. Returns only on an early exit.
using Customize = std::function<Status(DaemonConfig&, DaemonHooks&)>;
int RunMain(int argc, char** argv, const Customize& customize = nullptr);

}  // namespace agentdraft::daemon
