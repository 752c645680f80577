// UnixSocketServer: cpp-httplib's Server on an AF_UNIX socket, for the calendar's owner.
//
// The packaged cpp-httplib (0.11) only listens on TCP. This subclass owns its listening socket:
// Bind() creates the socket file itself and hands the descriptor to httplib's accept loop
// (listen_after_bind()). Each accepted connection goes to a RequestGate (request_gate.h), as
// on TCP: idle or slow connections hold no worker; whole requests are served here, through
// httplib's protected request processing, after the peer credentials (SO_PEERCRED) are checked.
//
//  - The socket's directory is created 0700 (and tightened to 0700 if it exists and is ours),
//    the socket file is 0600.
//  - A peer whose uid is neither the daemon's nor root gets one 403 answer and is closed; its
//    request never reaches a handler.
//  - Requests from an allowed peer carry req.remote_addr == kUnixPeerAddr, which no TCP peer
//    can have (httplib fills remote_addr from getpeername), and REMOTE_PORT = the peer's uid.
//  - Only one daemon serves a path: Bind() takes an flock on "<path>.lock" for the process's
//    lifetime. A socket file left by a killed daemon (lock free, nobody accepting) is
//    replaced; a live one is never touched.
//
// Thread-safety: as httplib::Server (Bind, then listen_after_bind on one thread; stop() from
// any thread).
#pragma once

#include <string>

#include <httplib.h>

#include "common/paths.h"
#include "common/status.h"
#include "daemon/api/request_gate.h"

namespace agentdraft::api {

inline constexpr char kUnixPeerAddr[] = "unix";

// Longest path a sockaddr_un holds (sun_path is 108 bytes with its NUL).
inline constexpr size_t kMaxSocketPath = 107;

class UnixSocketServer : public httplib::Server {
 public:
  explicit UnixSocketServer(GateLimits limits);
  ~UnixSocketServer() override;

  // Creates the directory and the socket; FailedPrecondition-style Unavailable with a message
  // that says what to do when another daemon serves `path` or the path cannot be used.
  Status Bind(const std::string& path);
  const std::string& path() const { return path_; }

  // Removes the socket file if this server created it (the empty lock file stays).
  void RemoveFiles();

 private:
  bool process_and_close_socket(socket_t sock) override;
  bool ServeRequest(GateConnection& conn);

  const std::chrono::milliseconds write_timeout_;
  RequestGate gate_;
  std::string path_;
  int lock_fd_ = -1;
};

using agentdraft::DefaultSocketPath;  // common/paths.h

}  // namespace agentdraft::api
