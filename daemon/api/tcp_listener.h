// TcpServer: cpp-httplib's Server for the agents' HTTP listener, with a front end that
// cpp-httplib 0.11 lacks.
//
// httplib 0.11 gives each accepted connection a worker thread for as long as it is open, times
// out each read separately (a client trickling a byte every few seconds keeps its worker
// forever), and has no limit on the size of a request's head. Here every accepted connection
// goes to a RequestGate (request_gate.h): one thread holds the connections that are idle or
// still sending, reads each request whole, refuses bad framing at once, and hands only whole
// requests to the workers, which run httplib's request processing on them (GateStream). So
// stalled, slow or idle connections cost no worker: they cannot keep ready requests waiting.
//
// Thread-safety: as httplib::Server (bind and listen_after_bind on one thread, stop() from any).
#pragma once

#include <functional>

#include <httplib.h>

#include "daemon/api/request_gate.h"

namespace agentdraft::api {

// Runs one request's processing on a listener's worker thread. Routes and the error handlers
// catch their own exceptions; anything that still escapes would reach a thread with no catch
// and terminate the daemon, so it costs only its connection: logged, and false (close).
bool ServeGuarded(const std::function<bool()>& serve);

// httplib's accept loop hands each socket to a TaskQueue; this one passes it straight to a
// gate (process_and_close_socket adopts it) and stops the gate when the loop ends.
class GateQueue final : public httplib::TaskQueue {
 public:
  explicit GateQueue(RequestGate& gate) : gate_(gate) {}
  void enqueue(std::function<void()> fn) override { fn(); }
  void shutdown() override { gate_.Stop(); }

 private:
  RequestGate& gate_;
};

class TcpServer : public httplib::Server {
 public:
  explicit TcpServer(GateLimits limits);

 private:
  bool process_and_close_socket(socket_t sock) override;
  bool ServeRequest(GateConnection& conn);

  const std::chrono::milliseconds write_timeout_;
  RequestGate gate_;
};

}  // namespace agentdraft::api
