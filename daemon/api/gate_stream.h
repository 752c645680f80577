// GateStream: a connection handed over by the RequestGate, as the httplib Stream a worker
// serves one request from. Reads come from the bytes the gate already read (the whole request
// is there; nothing is read from the socket, so a worker never waits for a client); writes go
// to the socket, waiting up to `write_timeout` each time it is full.
//
// Thread-safety: one worker at a time, like the connection it wraps.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <string>

#include <httplib.h>

#include "daemon/api/request_gate.h"
#include "daemon/api/socket_io.h"

namespace agentdraft::api {

class GateStream final : public httplib::Stream {
 public:
  // `unix_peer`: the connection came through the owner's socket; its "address" is `unix_addr`
  // and its "port" the peer's uid.
  GateStream(GateConnection& conn, std::chrono::milliseconds write_timeout,
             const char* unix_addr = nullptr)
      : conn_(conn), write_timeout_ms_(static_cast<int>(write_timeout.count())), unix_addr_(unix_addr) {}

  bool is_readable() const override { return conn_.consumed < conn_.data.size(); }
  bool is_writable() const override { return WaitFor(conn_.fd, POLLOUT, write_timeout_ms_); }

  ssize_t read(char* ptr, size_t size) override {
    if (!is_readable()) return -1;  // the request was read whole; more is not coming here
    const size_t n = std::min(size, conn_.data.size() - conn_.consumed);
    std::copy_n(conn_.data.data() + conn_.consumed, n, ptr);
    conn_.consumed += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    for (;;) {
      const ssize_t n = ::send(conn_.fd, ptr, size, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n >= 0) return n;
      if (errno == EINTR) continue;
      // Full: wait for the peer to read, up to the timeout; any other error ends the answer.
      if ((errno != EAGAIN && errno != EWOULDBLOCK) || !is_writable()) return -1;
    }
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    if (unix_addr_ != nullptr) {
      ip = unix_addr_;
      port = static_cast<int>(conn_.peer_uid);
      return;
    }
    Address(::getpeername, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    if (unix_addr_ != nullptr) {
      ip = unix_addr_;
      port = 0;
      return;
    }
    Address(::getsockname, ip, port);
  }
  socket_t socket() const override { return conn_.fd; }

 private:
  template <typename Get>
  void Address(Get get, std::string& ip, int& port) const {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    ip.clear();
    port = 0;
    if (get(conn_.fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return;
    char text[INET6_ADDRSTRLEN] = "";
    if (addr.ss_family == AF_INET) {
      const auto& a = reinterpret_cast<const sockaddr_in&>(addr);
      ::inet_ntop(AF_INET, &a.sin_addr, text, sizeof text);
      port = ntohs(a.sin_port);
    } else if (addr.ss_family == AF_INET6) {
      const auto& a = reinterpret_cast<const sockaddr_in6&>(addr);
      ::inet_ntop(AF_INET6, &a.sin6_addr, text, sizeof text);
      port = ntohs(a.sin6_port);
    }
    ip = text;
  }

  GateConnection& conn_;
  int write_timeout_ms_;
  const char* unix_addr_;
};

}  // namespace agentdraft::api
