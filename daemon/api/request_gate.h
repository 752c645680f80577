// RequestGate: the front end of a listener. One thread holds every open connection that no
// worker is serving — just accepted, idle between keep-alive requests, or still sending — in
// epoll, reads each request whole (head and body, framed by request_framing.h), and only then
// hands the connection to a worker. A worker therefore never waits for a client to send:
// stalled, trickling or idle connections cost a descriptor and their bytes, not a thread, and
// cannot starve the requests that are ready (slowloris).
//
// Limits, each answered at once with a JSON error and the connection closed:
//  - a request must arrive whole within `read_timeout` of its first byte (a new connection's
//    first request: of the accept): 408 `request_timeout`;
//  - a head over `max_header_bytes`, or a header line over 8 KiB: 431 `headers_too_large`;
//  - framing refused by ParseFraming() (conflicting lengths, a body over `max_body_bytes`,
//    an unsupported Transfer-Encoding): 400 / 413 / 501;
//  - idle keep-alive connections are closed after `idle_timeout`.
// When `max_connections` are open, a new connection makes room by closing the connection that
// has waited longest without delivering a request (idle, or unfinished: answered 503); only
// when every open connection is being served is the newcomer refused (503, Retry-After: 1).
// The same happens when the bytes of unfinished requests exceed `max_buffered_bytes`.
//
// Thread-safety: Adopt() from the accept thread; Stop() once, from any thread; the serve
// function runs on the gate's workers.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "daemon/api/api_error.h"

namespace agentdraft::api {

struct GateLimits {
  int workers = 256;                  // requests served at once
  size_t max_connections = 4096;      // open connections held (waiting or served)
  size_t max_header_bytes = 16384;
  size_t max_body_bytes = 1 << 20;
  size_t max_buffered_bytes = 64 << 20;  // unfinished requests' bytes, all connections
  std::chrono::milliseconds read_timeout{10000};
  std::chrono::milliseconds idle_timeout{5000};
};

// A connection as a worker sees it: the socket and the bytes read from it. `data` starts with
// one whole request (its head already reframed for httplib); bytes after it are the next,
// pipelined request. The serve function consumes what it read (`consumed`).
struct GateConnection {
  int fd = -1;
  uid_t peer_uid = static_cast<uid_t>(-1);  // AF_UNIX peers (SO_PEERCRED); -1 otherwise
  std::string data;
  size_t consumed = 0;
  size_t requests = 0;  // requests served on this connection before this one
};

// True when the peer of the connection this worker thread is serving has closed or reset its
// side. Long answers (event streams) check it between writes, so that a client that left frees
// its worker and stream slot at once rather than at the next write. False off a gate's worker.
bool ServedPeerHasLeft();

class RequestGate {
 public:
  // Serves the request at the front of `conn.data` on a worker thread, writing the answer to
  // `conn.fd`. True keeps the connection open for its next request.
  using ServeFn = std::function<bool(GateConnection& conn)>;

  RequestGate(GateLimits limits, ServeFn serve);
  ~RequestGate();
  RequestGate(const RequestGate&) = delete;
  RequestGate& operator=(const RequestGate&) = delete;

  // Takes an accepted socket (made non-blocking here). Starts the gate on first use.
  void Adopt(int fd, uid_t peer_uid = static_cast<uid_t>(-1));
  // Closes every connection not being served, stops the workers after their current request,
  // and joins the threads. Later Adopt() calls close the socket at once.
  void Stop();

 private:
  struct Conn;
  using Steady = std::chrono::steady_clock;

  void Start();
  void Loop();
  void OnReadable(Conn& c);
  void Advance(Conn& c);
  bool CheckHead(Conn& c, size_t head_end);
  void Dispatch(int fd);
  void WorkerLoop();
  void ServeOne(std::unique_ptr<Conn> c);
  void TakeReturned();
  void Sweep(Steady::time_point now);
  void MakeRoom(size_t needed_connections);
  // Writes `error` (best effort) and lets the connection linger before closing it.
  void Answer(Conn& c, const ApiError& error, bool retry_after);
  void Close(int fd);
  void Watch(Conn& c);

  const GateLimits limits_;
  const ServeFn serve_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: adopted or returned connections are waiting
  std::once_flag started_;
  std::atomic<bool> stopping_{false};
  std::atomic<size_t> open_{0};
  std::thread loop_;
  std::vector<std::thread> workers_;

  // Owned by the gate thread: connections in epoll.
  std::unordered_map<int, std::unique_ptr<Conn>> waiting_;
  size_t buffered_ = 0;  // unfinished requests' bytes in waiting_

  // Handed between threads.
  std::mutex mu_;
  std::condition_variable work_cv_;
  std::deque<std::unique_ptr<Conn>> ready_;     // GUARDED_BY(mu_): for the workers
  std::deque<std::unique_ptr<Conn>> incoming_;  // GUARDED_BY(mu_): adopted or returned
};

}  // namespace agentdraft::api
