// Blocking socket I/O that both listeners' streams share (tcp_listener.cc, unix_listener.cc):
// poll for readiness, and recv/send that retry when a signal interrupts them.
#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <cerrno>
#include <cstddef>

namespace agentdraft::api {

// Waits until `fd` has `events` (POLLIN, POLLOUT), up to `timeout_ms`.
inline bool WaitFor(int fd, short events, int timeout_ms) {
  pollfd p{fd, events, 0};
  int r;
  do {
    r = ::poll(&p, 1, timeout_ms);
  } while (r < 0 && errno == EINTR);
  return r > 0;
}

inline ssize_t RecvRetrying(int fd, char* ptr, size_t size) {
  ssize_t n;
  do {
    n = ::recv(fd, ptr, size, 0);
  } while (n < 0 && errno == EINTR);
  return n;
}

// MSG_NOSIGNAL: a peer that left is an error here, not a SIGPIPE for the daemon.
inline ssize_t SendRetrying(int fd, const char* ptr, size_t size) {
  ssize_t n;
  do {
    n = ::send(fd, ptr, size, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  return n;
}

}  // namespace agentdraft::api
