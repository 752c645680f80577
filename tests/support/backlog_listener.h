// For tests of outgoing connections (webhook deliveries): a loopback port that records whether
// anything connected, and this machine's own name when it resolves to loopback only.
#pragma once

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

namespace agentdraft::testing {

// A listening socket that is never accepted from: a connection attempt stays in its backlog.
class BacklogListener {
 public:
  BacklogListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len), 0);
    EXPECT_EQ(::listen(fd_, 16), 0);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~BacklogListener() { ::close(fd_); }
  BacklogListener(const BacklogListener&) = delete;
  BacklogListener& operator=(const BacklogListener&) = delete;

  int port() const { return port_; }
  // True when a connection is waiting to be accepted.
  bool Connected() const {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, 0) > 0;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// This machine's name when it resolves to loopback addresses only (/etc/hosts on most
// machines and containers), else "".
inline std::string LoopbackHostName() {
  char name[256] = {};
  in6_addr literal;
  if (::gethostname(name, sizeof name - 1) != 0 || ::inet_pton(AF_INET, name, &literal) == 1 ||
      ::inet_pton(AF_INET6, name, &literal) == 1) {
    return "";
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(name, nullptr, &hints, &found) != 0) return "";
  bool loopback_only = true;
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    if (a->ai_addr->sa_family == AF_INET) {
      const auto* v4 = reinterpret_cast<const sockaddr_in*>(a->ai_addr);
      loopback_only = loopback_only && (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
    } else {
      const auto* v6 = reinterpret_cast<const sockaddr_in6*>(a->ai_addr);
      loopback_only = loopback_only && a->ai_addr->sa_family == AF_INET6 && IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr);
    }
  }
  ::freeaddrinfo(found);
  return loopback_only ? name : "";
}

}  // namespace agentdraft::testing
