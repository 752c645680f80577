// Socket helpers the listeners share (request_gate.cc, gate_stream.h): poll for readiness,
// and the framing fix for requests without a body length.
#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstddef>
#include <string>

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

// RFC 9112 §6.3: a request with neither Content-Length nor Transfer-Encoding has no body.
// httplib would read a POST's body until the peer closes (so `curl -X POST` without -d waited
// out the read timeout); such a head gets an explicit "Content-Length: 0" instead.
inline void FrameBodylessRequest(std::string& head) {
  std::string lower = head;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower.find("\r\ncontent-length:") != std::string::npos ||
      lower.find("\r\ntransfer-encoding:") != std::string::npos) {
    return;
  }
  head.insert(head.size() - 2, "Content-Length: 0\r\n");  // before the blank line
}

}  // namespace agentdraft::api
