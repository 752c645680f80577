// A raw connection to the daemon (TCP or the owner's Unix socket), for requests no HTTP
// client would send: half-sent heads, trickled bytes, conflicting framing.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace agentdraft::testing {

class RawConnection {
 public:
  using Clock = std::chrono::steady_clock;

  RawConnection(const std::string& ip, int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET, ip.c_str(), &addr.sin_addr);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  explicit RawConnection(int port) : RawConnection("127.0.0.1", port) {}
  // The owner's Unix socket at `path`.
  explicit RawConnection(const std::string& path) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.data(), std::min(path.size(), sizeof addr.sun_path - 1));
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawConnection() { ::close(fd_); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return connected_; }
  bool Send(std::string_view data) {
    return ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(data.size());
  }
  // Reads until the peer closes or `timeout` passes. `*closed` tells which.
  std::string ReadUntilClosed(std::chrono::milliseconds timeout, bool* closed) {
    return ReadUntil(timeout, closed, [](const std::string&) { return false; });
  }
  // Reads until `got` holds a whole response with a Content-Length body (or the peer closes,
  // or `timeout` passes).
  std::string ReadResponse(std::chrono::milliseconds timeout) {
    bool closed = false;
    return ReadUntil(timeout, &closed, [](const std::string& got) {
      const size_t end = got.find("\r\n\r\n");
      if (end == std::string::npos) return false;
      std::string lower = got.substr(0, end);
      std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
      const size_t cl = lower.find("content-length:");
      return cl != std::string::npos && got.size() >= end + 4 + std::stoul(lower.substr(cl + 15));
    });
  }

 private:
  template <typename Done>
  std::string ReadUntil(std::chrono::milliseconds timeout, bool* closed, Done done) {
    std::string got;
    *closed = false;
    const auto until = Clock::now() + timeout;
    char buf[4096];
    while (Clock::now() < until && !done(got)) {
      pollfd p{fd_, POLLIN, 0};
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
      if (::poll(&p, 1, static_cast<int>(std::max<int64_t>(1, left))) <= 0) continue;
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        *closed = true;
        break;
      }
      got.append(buf, static_cast<size_t>(n));
    }
    return got;
  }

  int fd_ = -1;
  bool connected_ = false;
};

// The port of "http://HOST:PORT".
inline int PortOf(const std::string& base_url) { return std::stoi(base_url.substr(base_url.rfind(':') + 1)); }

// The JSON body of a raw HTTP response (null if it has none).
inline nlohmann::json BodyOf(const std::string& response) {
  const size_t at = response.find("\r\n\r\n");
  if (at == std::string::npos) return nullptr;
  return nlohmann::json::parse(response.substr(at + 4), nullptr, /*allow_exceptions=*/false);
}

}  // namespace agentdraft::testing
