#include "daemon/api/request_gate.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "daemon/api/request_framing.h"
#include "daemon/api/socket_io.h"

namespace agentdraft::api {

namespace {
constexpr size_t kReadChunk = 65536;
constexpr size_t kMaxHeaderLine = 8192;  // cpp-httplib 0.11's CPPHTTPLIB_HEADER_MAX_LENGTH
constexpr auto kLinger = std::chrono::milliseconds(500);
constexpr auto kSweepEvery = std::chrono::milliseconds(50);

// A whole JSON error response that closes the connection.
// One non-blocking write, best effort: the gate thread never waits for a peer. Early answers
// are small enough for an empty socket buffer.
void SendOnce(int fd, std::string_view bytes) {
  (void)::send(fd, bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
}

// True when a header line (not the request line) of `head` is longer than httplib reads.
bool HasLongHeaderLine(std::string_view head) {
  for (size_t at = head.find("\r\n"); at != std::string_view::npos && at + 2 < head.size();) {
    const size_t next = head.find("\r\n", at + 2);
    if ((next == std::string_view::npos ? head.size() : next) - (at + 2) > kMaxHeaderLine) return true;
    at = next;
  }
  return false;
}
}  // namespace

namespace {
thread_local int tls_served_fd = -1;
}  // namespace

bool ServedPeerHasLeft() {
  if (tls_served_fd < 0) return false;
  pollfd p{tls_served_fd, POLLRDHUP, 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

struct RequestGate::Conn {
  // kIdle: no byte of the next request yet; kHead / kBody: part of it; kClosing: answered
  // early, write side shut, discarding what still arrives until EOF or the linger ends.
  enum class Phase { kIdle, kHead, kBody, kClosing };

  GateConnection io;
  Phase phase = Phase::kIdle;
  bool fresh = true;           // adopted, not yet watched
  Steady::time_point since;    // waiting since (the oldest waiting one makes room first)
  Steady::time_point deadline;
  size_t head_end = 0;
  Framing framing;
  std::unique_ptr<ChunkedScanner> chunked;
};

RequestGate::RequestGate(GateLimits limits, ServeFn serve)
    : limits_(limits), serve_(std::move(serve)) {}

RequestGate::~RequestGate() { Stop(); }

void RequestGate::Start() {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = wake_fd_;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
  loop_ = std::thread([this] { Loop(); });
  for (int i = 0; i < std::max(1, limits_.workers); ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

void RequestGate::Adopt(int fd, uid_t peer_uid) {
  std::call_once(started_, [this] { Start(); });
  if (stopping_) {
    ::close(fd);
    return;
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  auto c = std::make_unique<Conn>();
  c->io.fd = fd;
  c->io.peer_uid = peer_uid;
  c->since = Steady::now();
  c->deadline = c->since + limits_.read_timeout;  // the first request counts from the accept
  ++open_;
  {
    std::lock_guard<std::mutex> lock(mu_);
    incoming_.push_back(std::move(c));
  }
  const uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
}

void RequestGate::Stop() {
  if (stopping_.exchange(true)) return;
  std::call_once(started_, [] {});  // never started: nothing to join
  if (wake_fd_ < 0) return;
  const uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
  work_cv_.notify_all();
  if (loop_.joinable()) loop_.join();
  for (std::thread& w : workers_) w.join();
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& c : ready_) Close(c->io.fd);
  for (auto& c : incoming_) Close(c->io.fd);
  ready_.clear();
  incoming_.clear();
  ::close(epoll_fd_);
  ::close(wake_fd_);
}

void RequestGate::Loop() {
  std::vector<epoll_event> events(256);
  Steady::time_point last_sweep = Steady::now();
  while (!stopping_) {
    const int n = ::epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()),
                               static_cast<int>(kSweepEvery.count()));
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == wake_fd_) {
        uint64_t count;
        (void)!::read(wake_fd_, &count, sizeof count);
        TakeReturned();
        continue;
      }
      auto it = waiting_.find(fd);
      if (it != waiting_.end()) OnReadable(*it->second);
    }
    const auto now = Steady::now();
    if (now - last_sweep >= kSweepEvery) {
      Sweep(now);
      last_sweep = now;
    }
  }
  std::vector<int> fds;
  for (auto& [fd, c] : waiting_) fds.push_back(fd);
  for (int fd : fds) Close(fd);
}

void RequestGate::TakeReturned() {
  std::deque<std::unique_ptr<Conn>> batch;
  {
    std::lock_guard<std::mutex> lock(mu_);
    batch.swap(incoming_);
  }
  for (auto& owned : batch) {
    Conn& c = *owned;
    const int fd = c.io.fd;
    if (c.fresh) {
      MakeRoom(0);
      if (open_ > limits_.max_connections) {
        waiting_[fd] = std::move(owned);
        Watch(c);
        Answer(c, {"unavailable", "too many open connections (the daemon's --max-connections is " +
                   std::to_string(limits_.max_connections) + ", all being served); retry shortly"},
               /*retry_after=*/true);
        continue;
      }
    } else {
      c.phase = Conn::Phase::kIdle;
      c.since = Steady::now();
      c.deadline = c.since + limits_.idle_timeout;
      buffered_ += c.io.data.size();
    }
    waiting_[fd] = std::move(owned);
    Watch(c);
    if (!c.io.data.empty()) {
      c.phase = Conn::Phase::kHead;
      c.deadline = Steady::now() + limits_.read_timeout;
      Advance(c);  // a pipelined request may be whole already
    }
  }
}

void RequestGate::Watch(Conn& c) {
  c.fresh = false;
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP;
  ev.data.fd = c.io.fd;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, c.io.fd, &ev);
}

void RequestGate::OnReadable(Conn& c) {
  char buf[kReadChunk];
  const ssize_t n = ::recv(c.io.fd, buf, sizeof buf, MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) return Close(c.io.fd);  // the peer left (or failed)
  if (c.phase == Conn::Phase::kClosing) return;  // discarded
  c.io.data.append(buf, static_cast<size_t>(n));
  buffered_ += static_cast<size_t>(n);
  if (c.phase == Conn::Phase::kIdle) {
    c.phase = Conn::Phase::kHead;
    if (c.io.requests > 0) c.deadline = Steady::now() + limits_.read_timeout;
  }
  const int fd = c.io.fd;
  while (buffered_ > limits_.max_buffered_bytes) {
    // Unfinished requests hold too many bytes: the oldest give way (perhaps this one).
    auto oldest = std::min_element(waiting_.begin(), waiting_.end(), [](const auto& a, const auto& b) {
      const bool a_holds = !a.second->io.data.empty(), b_holds = !b.second->io.data.empty();
      return a_holds != b_holds ? a_holds : a.second->since < b.second->since;
    });
    if (oldest == waiting_.end() || oldest->second->io.data.empty()) break;
    const int victim = oldest->first;
    Answer(*oldest->second, {"unavailable", "the daemon is holding too many unfinished requests; retry shortly"}, true);
    if (victim == fd) return;
  }
  Advance(c);
}

// Moves `c` on as far as its bytes allow: the head checked, the body framed, and a whole
// request dispatched (after which `c` belongs to a worker and must not be touched).
void RequestGate::Advance(Conn& c) {
  std::string& data = c.io.data;
  if (c.phase == Conn::Phase::kHead) {
    // Blank lines before a request line are ignored (RFC 9112 §2.2).
    const size_t skip = data.find_first_not_of("\r\n");
    if (skip == std::string::npos) return;
    if (skip > 0) {
      data.erase(0, skip);
      buffered_ -= skip;
    }
    const size_t end = data.find("\r\n\r\n");
    const std::string_view seen(data.data(), end == std::string::npos ? data.size() : end + 4);
    if (HasLongHeaderLine(seen) || seen.size() > limits_.max_header_bytes) {
      return Answer(c, {"headers_too_large", "request headers are too large: at most " + std::to_string(limits_.max_header_bytes) +
                        " bytes in all and " + std::to_string(kMaxHeaderLine) + " per line"},
                    false);
    }
    if (end == std::string::npos || !CheckHead(c, end + 4)) return;
  }
  size_t request_end = 0;
  switch (c.framing.kind) {
    case Framing::Kind::kNone:
      request_end = c.head_end;
      break;
    case Framing::Kind::kLength:
      if (data.size() >= c.head_end + c.framing.length) request_end = c.head_end + c.framing.length;
      break;
    case Framing::Kind::kChunked:
      switch (c.chunked->Scan(std::string_view(data).substr(c.head_end))) {
        case ChunkedScanner::Result::kComplete:
          request_end = c.head_end + c.chunked->end();
          break;
        case ChunkedScanner::Result::kIncomplete:
          break;
        case ChunkedScanner::Result::kInvalid:
          return Answer(c, {"validation_error", "malformed chunked request body"}, false);
        case ChunkedScanner::Result::kTooLarge:
          return Answer(c, {"payload_too_large", "request body is too large: at most " + std::to_string(limits_.max_body_bytes) + " bytes"},
                        false);
      }
      break;
  }
  if (request_end == 0) return;
  std::string head = data.substr(0, c.head_end);
  FrameBodylessRequest(head);
  if (c.framing.expect_continue) DropExpectHeader(head);
  buffered_ = buffered_ - c.head_end + head.size();  // Dispatch() takes the new size off
  data.replace(0, c.head_end, head);
  Dispatch(c.io.fd);
}

// A whole head has arrived: frames its body, or answers a refusal. False when refused.
bool RequestGate::CheckHead(Conn& c, size_t head_end) {
  FramingError error;
  if (!ParseFraming(std::string_view(c.io.data).substr(0, head_end), limits_.max_body_bytes, &c.framing, &error)) {
    Answer(c, error, false);
    return false;
  }
  c.head_end = head_end;
  c.phase = Conn::Phase::kBody;
  if (c.framing.kind == Framing::Kind::kChunked) c.chunked = std::make_unique<ChunkedScanner>(limits_.max_body_bytes);
  const bool body_pending = c.framing.kind == Framing::Kind::kChunked ||
                            (c.framing.kind == Framing::Kind::kLength && c.io.data.size() < head_end + c.framing.length);
  if (c.framing.expect_continue && body_pending) {
    SendOnce(c.io.fd, "HTTP/1.1 100 Continue\r\n\r\n");
  }
  return true;
}

void RequestGate::Dispatch(int fd) {
  auto it = waiting_.find(fd);
  std::unique_ptr<Conn> c = std::move(it->second);
  waiting_.erase(it);
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  buffered_ -= c->io.data.size();
  c->phase = Conn::Phase::kIdle;
  c->chunked.reset();
  {
    std::lock_guard<std::mutex> lock(mu_);
    ready_.push_back(std::move(c));
  }
  work_cv_.notify_one();
}

void RequestGate::WorkerLoop() {
  for (;;) {
    std::unique_ptr<Conn> c;
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [&] { return stopping_ || !ready_.empty(); });
      if (ready_.empty()) return;  // stopping, nothing left
      c = std::move(ready_.front());
      ready_.pop_front();
    }
    ServeOne(std::move(c));
  }
}

void RequestGate::ServeOne(std::unique_ptr<Conn> c) {
  GateConnection& io = c->io;
  io.consumed = 0;
  tls_served_fd = io.fd;
  const bool keep = serve_(io) && !stopping_;
  tls_served_fd = -1;
  io.data.erase(0, std::min(io.consumed, io.data.size()));
  ++io.requests;
  if (!keep) {
    ::shutdown(io.fd, SHUT_RDWR);
    ::close(io.fd);
    --open_;
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  c->framing = Framing{};
  incoming_.push_back(std::move(c));
  const uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
}

void RequestGate::Sweep(Steady::time_point now) {
  std::vector<int> expired;
  for (auto& [fd, c] : waiting_) {
    if (c->deadline <= now) expired.push_back(fd);
  }
  for (int fd : expired) {
    Conn& c = *waiting_.at(fd);
    if (c.phase == Conn::Phase::kClosing || (c.phase == Conn::Phase::kIdle && c.io.requests > 0)) {
      Close(fd);  // linger over, or an idle keep-alive connection
    } else {
      Answer(c, {"request_timeout", "the request did not arrive within the read timeout (" +
                 std::to_string(limits_.read_timeout.count()) + " ms)"},
             false);
    }
  }
}

// Closes waiting connections, oldest first, until `needed` more fit under max_connections.
// Only connections that have not delivered a request give way; served ones are never cut.
void RequestGate::MakeRoom(size_t needed) {
  // Connections already closing go first, then the one that has waited longest.
  const auto gives_way_first = [](const auto& a, const auto& b) {
    const bool a_closing = a.second->phase == Conn::Phase::kClosing;
    const bool b_closing = b.second->phase == Conn::Phase::kClosing;
    return a_closing != b_closing ? a_closing : a.second->since < b.second->since;
  };
  while (open_ + needed > limits_.max_connections && !waiting_.empty()) {
    Conn* oldest = std::min_element(waiting_.begin(), waiting_.end(), gives_way_first)->second.get();
    // Told why, unless it is an idle keep-alive connection (nothing asked, nothing owed). A new
    // connection whose first bytes the gate has not read yet is told too.
    const bool idle_keep_alive = oldest->phase == Conn::Phase::kIdle && oldest->io.requests > 0;
    if (oldest->phase != Conn::Phase::kClosing && !idle_keep_alive) {
      SendOnce(oldest->io.fd, RawErrorResponse({"unavailable", "closed to make room for new connections; retry"},
                                                /*retry_after=*/true));
    }
    Close(oldest->io.fd);
  }
}

// Answers early (best effort, one non-blocking write: the answer is small) and lets the
// connection linger, reading and discarding, so that closing does not reset it before the
// peer has read the answer.
void RequestGate::Answer(Conn& c, const ApiError& error, bool retry_after) {
  SendOnce(c.io.fd, RawErrorResponse(error, retry_after));
  ::shutdown(c.io.fd, SHUT_WR);
  buffered_ -= c.io.data.size();
  c.io.data.clear();
  c.io.data.shrink_to_fit();
  c.phase = Conn::Phase::kClosing;
  c.deadline = Steady::now() + kLinger;
}

void RequestGate::Close(int fd) {
  auto it = waiting_.find(fd);
  if (it != waiting_.end()) {
    if (it->second->phase != Conn::Phase::kClosing) buffered_ -= it->second->io.data.size();
    waiting_.erase(it);
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  }
  ::close(fd);
  --open_;
}

}  // namespace agentdraft::api
