#include "daemon/api/tcp_listener.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "daemon/api/socket_io.h"

namespace agentdraft::api {

bool ServeGuarded(const std::function<bool()>& serve) {
  try {
    return serve();
  } catch (const std::exception& e) {
    spdlog::error("a request escaped its handlers with an exception ({}); its connection is closed", e.what());
  } catch (...) {
    spdlog::error("a request escaped its handlers with an exception; its connection is closed");
  }
  return false;
}

namespace {

using Clock = std::chrono::steady_clock;

// How a task runs process_and_close_socket: served, refused with a 503 (over the cap), or
// closed at once (over the cap while the refusal thread is already behind).
enum class Mode { kServe, kRefuse, kDrop };
thread_local Mode tls_mode = Mode::kServe;
thread_local bool tls_timed_out = false;

int MillisUntil(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::max<int64_t>(0, left.count()));
}

// Writes a whole JSON error response (best effort: the peer may be gone) and says
// "Connection: close".
void WriteError(int fd, int status, const char* reason, const char* code, const std::string& message,
                bool retry_after) {
  const std::string body = nlohmann::json{{"error", code}, {"message", message}}.dump();
  std::string response = "HTTP/1.1 " + std::to_string(status) + " " + reason +
                         "\r\nContent-Type: application/json\r\nContent-Length: " +
                         std::to_string(body.size()) + "\r\nConnection: close\r\n";
  if (retry_after) response += "Retry-After: 1\r\n";
  response += "\r\n" + body;
  size_t sent = 0;
  while (sent < response.size() && WaitFor(fd, POLLOUT, 1000)) {
    const ssize_t n = ::send(fd, response.data() + sent, response.size() - sent,
                             MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
}

// Closes after an early answer. The peer may still be sending (a large head, a request not
// read): closing with unread data would send a reset that can destroy the answer in flight,
// so the write side is shut first and what arrives is discarded for a moment.
void CloseGently(int fd, std::chrono::milliseconds linger) {
  ::shutdown(fd, SHUT_WR);
  const auto until = Clock::now() + linger;
  char buf[16384];
  while (WaitFor(fd, POLLIN, MillisUntil(until))) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) break;
  }
  ::close(fd);
}

enum class Head { kComplete, kTooLarge, kTimedOut, kClosed };

// Waits, up to `deadline`, for a complete request head ("\r\n\r\n") in the socket's receive
// queue without consuming it. `*head_len` is its length.
Head AwaitHead(int fd, Clock::time_point deadline, size_t max_bytes, size_t* head_len) {
  std::vector<char> buf(max_bytes + 4);
  size_t seen = 0;
  for (;;) {
    // Wake only when more than `seen` bytes are there (or on EOF / error).
    int lowat = static_cast<int>(seen + 1);
    ::setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof lowat);
    pollfd p{fd, POLLIN | POLLRDHUP, 0};
    int r;
    do {
      r = ::poll(&p, 1, MillisUntil(deadline));
    } while (r < 0 && errno == EINTR);
    if (r <= 0) return Head::kTimedOut;
    const ssize_t n = ::recv(fd, buf.data(), buf.size(), MSG_PEEK | MSG_DONTWAIT);
    // A peer that sent part of a head and then closed: peeking still shows the part, never 0.
    if ((p.revents & (POLLRDHUP | POLLHUP | POLLERR)) && n >= 0 && static_cast<size_t>(n) == seen &&
        std::string_view(buf.data(), static_cast<size_t>(n)).find("\r\n\r\n") == std::string_view::npos) {
      return Head::kClosed;
    }
    if (n == 0) return Head::kClosed;
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return Head::kClosed;
    }
    const std::string_view data(buf.data(), static_cast<size_t>(n));
    const size_t end = data.find("\r\n\r\n");
    const std::string_view head = end == std::string_view::npos ? data : data.substr(0, end + 4);
    // Header lines (the request line is httplib's: over 8 KiB it answers 414).
    const size_t first_eol = head.find("\r\n");
    for (size_t at = first_eol; at != std::string_view::npos && at + 2 < head.size();) {
      const size_t next = head.find("\r\n", at + 2);
      const size_t line_end = next == std::string_view::npos ? head.size() : next;
      if (line_end - (at + 2) > kMaxHeaderLine) return Head::kTooLarge;
      at = next;
    }
    if (end != std::string_view::npos) {
      *head_len = end + 4;
      return *head_len > max_bytes ? Head::kTooLarge : Head::kComplete;
    }
    if (static_cast<size_t>(n) >= buf.size()) return Head::kTooLarge;
    if (static_cast<size_t>(n) == seen) {
      // The kernel woke us without more data (SO_RCVLOWAT not honoured): do not spin.
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    seen = static_cast<size_t>(n);
  }
}

void ResetLowWater(int fd) {
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &one, sizeof one);
}

std::string IpOf(const sockaddr_storage& addr, int* port) {
  char ip[INET6_ADDRSTRLEN] = "";
  if (addr.ss_family == AF_INET) {
    const auto& a = reinterpret_cast<const sockaddr_in&>(addr);
    ::inet_ntop(AF_INET, &a.sin_addr, ip, sizeof ip);
    *port = ntohs(a.sin_port);
  } else if (addr.ss_family == AF_INET6) {
    const auto& a = reinterpret_cast<const sockaddr_in6&>(addr);
    ::inet_ntop(AF_INET6, &a.sin6_addr, ip, sizeof ip);
    *port = ntohs(a.sin6_port);
  }
  return ip;
}

// A TCP connection as an httplib Stream: the checked head is served from memory, the rest
// from the socket, and no read succeeds after the request's deadline.
class DeadlineStream final : public httplib::Stream {
 public:
  DeadlineStream(int fd, std::chrono::milliseconds write_timeout)
      : fd_(fd), write_timeout_ms_(static_cast<int>(write_timeout.count())) {}

  // Starts a request: `head` was consumed from the socket; reads must end by `deadline`.
  void Begin(std::string head, Clock::time_point deadline) {
    head_ = std::move(head);
    head_pos_ = 0;
    deadline_ = deadline;
    tls_timed_out = false;
  }

  bool is_readable() const override {
    return head_pos_ < head_.size() || WaitFor(fd_, POLLIN, MillisUntil(deadline_));
  }
  bool is_writable() const override { return WaitFor(fd_, POLLOUT, write_timeout_ms_); }
  ssize_t read(char* ptr, size_t size) override {
    if (head_pos_ < head_.size()) {
      const size_t n = std::min(size, head_.size() - head_pos_);
      std::copy_n(head_.data() + head_pos_, n, ptr);
      head_pos_ += n;
      return static_cast<ssize_t>(n);
    }
    if (!is_readable()) {
      timed_out_ = tls_timed_out = true;
      return -1;
    }
    return RecvRetrying(fd_, ptr, size);
  }
  ssize_t write(const char* ptr, size_t size) override {
    if (!is_writable()) return -1;
    return SendRetrying(fd_, ptr, size);
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    port = 0;
    ip = ::getpeername(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0 ? IpOf(addr, &port) : "";
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    port = 0;
    ip = ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0 ? IpOf(addr, &port) : "";
  }
  socket_t socket() const override { return fd_; }

  // True when a read failed because the deadline passed (the body did not arrive in time).
  bool timed_out() const { return timed_out_; }

 private:
  int fd_;
  int write_timeout_ms_;
  std::string head_;
  size_t head_pos_ = 0;
  Clock::time_point deadline_;
  bool timed_out_ = false;
};

}  // namespace

// Counts connections and sends those over the cap to the refusal thread.
class TcpServer::CappedQueue final : public httplib::TaskQueue {
 public:
  CappedQueue(TcpServer& server) : server_(server), pool_(server.limits_.threads) {
    refuser_ = std::thread([this] { RefuseLoop(); });
  }

  void enqueue(std::function<void()> fn) override {
    if (server_.open_.fetch_add(1) < server_.limits_.max_connections) {
      pool_.enqueue([this, fn = std::move(fn)] {
        fn();
        --server_.open_;
      });
      return;
    }
    --server_.open_;
    {
      std::lock_guard<std::mutex> lock(mu_);
      // A refusal takes a moment (CloseGently); a flood beyond what the thread keeps up
      // with is closed without an answer rather than queued.
      if (refusals_.size() < kMaxPendingRefusals) {
        refusals_.push_back(std::move(fn));
        cv_.notify_one();
        return;
      }
    }
    tls_mode = Mode::kDrop;
    fn();
    tls_mode = Mode::kServe;
  }

  void shutdown() override {
    pool_.shutdown();
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
      cv_.notify_one();
    }
    refuser_.join();
  }

 private:
  static constexpr size_t kMaxPendingRefusals = 256;

  void RefuseLoop() {
    tls_mode = Mode::kRefuse;
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] { return stopping_ || !refusals_.empty(); });
      if (refusals_.empty()) return;  // stopping, nothing left
      auto fn = std::move(refusals_.front());
      refusals_.pop_front();
      lock.unlock();
      fn();
      lock.lock();
    }
  }

  TcpServer& server_;
  httplib::ThreadPool pool_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> refusals_;  // GUARDED_BY(mu_)
  bool stopping_ = false;                       // GUARDED_BY(mu_)
  std::thread refuser_;
};

bool TcpServer::RequestTimedOut() { return tls_timed_out; }

TcpServer::TcpServer(ConnectionLimits limits) : limits_(limits) {
  new_task_queue = [this] { return new CappedQueue(*this); };
}

bool TcpServer::process_and_close_socket(socket_t sock) {
  using std::chrono::milliseconds;
  if (tls_mode == Mode::kDrop) {
    ::close(sock);
    return false;
  }
  if (tls_mode == Mode::kRefuse) {
    WriteError(sock, 503, "Service Unavailable", "unavailable",
               "too many open connections (the daemon's --max-connections is " +
                   std::to_string(limits_.max_connections) + "); retry shortly",
               /*retry_after=*/true);
    CloseGently(sock, milliseconds(100));
    return false;
  }

  DeadlineStream stream(sock, limits_.read_timeout);
  bool ok = true;
  Clock::time_point deadline = Clock::now() + limits_.read_timeout;  // the first request's
  for (size_t left = keep_alive_max_count_; left > 0; --left) {
    if (left != keep_alive_max_count_) {
      // Between requests: wait for the next one in short slices, so that stop() ends idle
      // connections fast; its deadline counts from its first byte.
      bool readable = false;
      for (auto idle_until = Clock::now() + limits_.idle_timeout;
           Clock::now() < idle_until && svr_sock_ != INVALID_SOCKET;) {
        if ((readable = WaitFor(sock, POLLIN, std::min(100, MillisUntil(idle_until))))) break;
      }
      if (!readable) break;
      deadline = Clock::now() + limits_.read_timeout;
    }
    size_t head_len = 0;
    const Head head = AwaitHead(sock, deadline, limits_.max_header_bytes, &head_len);
    ResetLowWater(sock);
    if (head == Head::kClosed) break;
    if (head == Head::kTooLarge) {
      WriteError(sock, 431, "Request Header Fields Too Large", "headers_too_large",
                 "request headers are too large: at most " +
                     std::to_string(limits_.max_header_bytes) + " bytes in all and " +
                     std::to_string(kMaxHeaderLine) + " per line",
                 false);
      CloseGently(sock, milliseconds(500));
      return false;
    }
    if (head == Head::kTimedOut) {
      WriteError(sock, 408, "Request Timeout", "request_timeout",
                 "the request did not arrive within the read timeout (" +
                     std::to_string(limits_.read_timeout.count()) + " ms)",
                 false);
      CloseGently(sock, milliseconds(100));
      return false;
    }
    std::string bytes(head_len, '\0');
    size_t got = 0;
    while (got < head_len) {
      const ssize_t n = ::recv(sock, bytes.data() + got, head_len - got, MSG_DONTWAIT);
      if (n <= 0 && !(n < 0 && errno == EINTR)) break;
      got += static_cast<size_t>(std::max<ssize_t>(0, n));
    }
    if (got < head_len) break;  // cannot happen: the bytes were peeked
    FrameBodylessRequest(bytes);
    stream.Begin(std::move(bytes), deadline);
    bool connection_closed = false;
    ok = ServeGuarded([&] {
      return process_request(stream, /*close_connection=*/left == 1, connection_closed,
                             [](httplib::Request&) {});
    });
    if (!ok || connection_closed || stream.timed_out()) break;
  }
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return ok;
}

}  // namespace agentdraft::api
