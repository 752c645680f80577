// TcpServer: cpp-httplib's Server for the agents' HTTP listener, with the connection limits
// cpp-httplib 0.11 lacks.
//
// httplib 0.11 times out each read separately (a client trickling a byte every few seconds
// keeps its worker forever), has no limit on the size of a request's head (only 8 KiB per
// line, answered 400), and queues every accepted connection for a worker without bound. So:
//
//  - Connection cap: the task queue counts accepted connections (queued or being served).
//    Beyond `max_connections`, a connection is answered `503 unavailable` with Retry-After by
//    a small refusal thread and closed; it never waits for a worker.
//  - Read timeout: a connection's first request must arrive within `read_timeout` of the
//    accept, a later one within `read_timeout` of its first byte: the head, then the body, all
//    of it. A client that stalls or trickles is answered 408 (if it is still reading) and cut.
//  - Head limit: before httplib parses it, the head (request line and headers) is inspected
//    with MSG_PEEK; one over `max_header_bytes`, or with a header line over httplib's 8 KiB,
//    is answered `431 headers_too_large` and the connection closed.
//
// The head is then consumed in one read and handed to httplib's protected request
// processing through a Stream that enforces the deadline; the body is read from the socket.
//
// Thread-safety: as httplib::Server (bind and listen_after_bind on one thread, stop() from any).
#pragma once

#include <functional>

#include <atomic>
#include <chrono>
#include <cstddef>

#include <httplib.h>

namespace agentdraft::api {

// Runs one request's processing on a listener's worker thread. Routes and the error handlers
// catch their own exceptions; anything that still escapes would reach a thread with no catch
// and terminate the daemon, so it costs only its connection: logged, and false (close).
bool ServeGuarded(const std::function<bool()>& serve);

struct ConnectionLimits {
  int threads = 256;          // workers: connections served at once
  int max_connections = 256;  // accepted connections (being served or waiting for a worker)
  std::chrono::milliseconds read_timeout{10000};
  std::chrono::milliseconds idle_timeout{5000};  // between requests on a keep-alive connection
  size_t max_header_bytes = 16384;
};

// The longest header line cpp-httplib 0.11 accepts (CPPHTTPLIB_HEADER_MAX_LENGTH, compiled
// into the shared library); a longer one is answered 431 here rather than 400 there.
inline constexpr size_t kMaxHeaderLine = 8192;

class TcpServer : public httplib::Server {
 public:
  explicit TcpServer(ConnectionLimits limits);

  // Connections accepted and not yet closed (for tests and /v1/status).
  int open_connections() const { return open_; }
  // True on a worker thread whose current request's body did not arrive before its deadline
  // (httplib then reports a 400; the error handler answers 408 instead).
  static bool RequestTimedOut();

 private:
  class CappedQueue;
  bool process_and_close_socket(socket_t sock) override;

  const ConnectionLimits limits_;
  std::atomic<int> open_{0};
};

}  // namespace agentdraft::api
