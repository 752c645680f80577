#include "daemon/api/unix_listener.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "daemon/api/socket_io.h"
#include "daemon/api/tcp_listener.h"

namespace agentdraft::api {

namespace {

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

// A connected AF_UNIX socket as an httplib Stream, with httplib's read/write timeouts.
class UnixStream final : public httplib::Stream {
 public:
  UnixStream(int fd, uid_t peer_uid, int read_timeout_ms, int write_timeout_ms)
      : fd_(fd), peer_uid_(peer_uid), read_timeout_ms_(read_timeout_ms),
        write_timeout_ms_(write_timeout_ms) {}

  // A new request starts: its head is read whole first (FrameBodylessRequest needs it). Bytes
  // already read past the last request (a pipelined one) stay.
  void BeginRequest() {
    pending_.erase(0, pending_pos_);
    pending_pos_ = 0;
    head_read_ = false;
  }
  bool has_pending() const { return pending_pos_ < pending_.size(); }

  bool is_readable() const override {
    return pending_pos_ < pending_.size() || WaitFor(fd_, POLLIN, read_timeout_ms_);
  }
  bool is_writable() const override { return WaitFor(fd_, POLLOUT, write_timeout_ms_); }
  ssize_t read(char* ptr, size_t size) override {
    if (!head_read_) ReadHead();
    if (pending_pos_ < pending_.size()) {
      const size_t n = std::min(size, pending_.size() - pending_pos_);
      std::copy_n(pending_.data() + pending_pos_, n, ptr);
      pending_pos_ += n;
      return static_cast<ssize_t>(n);
    }
    if (!WaitFor(fd_, POLLIN, read_timeout_ms_)) return -1;
    return RecvRetrying(fd_, ptr, size);
  }
  ssize_t write(const char* ptr, size_t size) override {
    if (!is_writable()) return -1;
    return SendRetrying(fd_, ptr, size);
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = kUnixPeerAddr;
    port = static_cast<int>(peer_uid_);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = kUnixPeerAddr;
    port = 0;
  }
  socket_t socket() const override { return fd_; }

 private:
  // Reads until the head's blank line (or EOF, a timeout, or 64 KiB: httplib then answers as
  // it would), and gives a head without a body length "Content-Length: 0".
  void ReadHead() {
    head_read_ = true;
    char buf[4096];
    size_t end;
    while ((end = pending_.find("\r\n\r\n")) == std::string::npos && pending_.size() < 65536 &&
           WaitFor(fd_, POLLIN, read_timeout_ms_)) {
      const ssize_t n = RecvRetrying(fd_, buf, sizeof buf);
      if (n <= 0) break;
      pending_.append(buf, static_cast<size_t>(n));
    }
    if (end == std::string::npos) return;
    std::string head = pending_.substr(0, end + 4);
    FrameBodylessRequest(head);
    pending_.replace(0, end + 4, head);
  }

  int fd_;
  uid_t peer_uid_;
  int read_timeout_ms_;
  int write_timeout_ms_;
  std::string pending_;  // read from the socket, not yet given to httplib
  size_t pending_pos_ = 0;
  bool head_read_ = false;
};

// Reads what the refused peer sent (its request head, within a second) so that it is not
// cut off mid-write, then answers 403 and closes.
void RefusePeer(int fd, uid_t uid) {
  std::string head;
  char buf[4096];
  while (head.find("\r\n\r\n") == std::string::npos && head.size() < 16384 &&
         WaitFor(fd, POLLIN, 1000)) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    head.append(buf, static_cast<size_t>(n));
  }
  const std::string body =
      nlohmann::json{{"error", "forbidden"},
                     {"message", "uid " + std::to_string(uid) +
                                     " may not use this socket: only the daemon's user (uid " +
                                     std::to_string(::getuid()) + ") and root may"}}
          .dump();
  const std::string response = "HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\n"
                               "Content-Length: " + std::to_string(body.size()) +
                               "\r\nConnection: close\r\n\r\n" + body;
  (void)::send(fd, response.data(), response.size(), MSG_NOSIGNAL);
}

sockaddr_un AddressOf(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  return addr;
}

// True when something accepts connections on `path`.
bool SomeoneListens(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un addr = AddressOf(path);
  bool live = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return live;
}

}  // namespace

UnixSocketServer::~UnixSocketServer() {
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

Status UnixSocketServer::Bind(const std::string& path) {
  if (path.empty() || path.size() > kMaxSocketPath) {
    return Status::InvalidArgument("socket path must be 1 to " + std::to_string(kMaxSocketPath) +
                                   " bytes long: " + path);
  }
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(path).parent_path();
  if (!dir.empty()) {
    std::error_code ec;
    const bool created = fs::create_directories(dir, ec);
    if (ec) return Status::Unavailable("cannot create " + dir.string() + ": " + ec.message());
    // A directory made here is the daemon's own: 0700. One that existed (a test's temporary
    // directory, /run/agentdraft from an earlier start) is left as it is: the socket file's
    // 0600 and the peer check guard it either way.
    if (created && ::chmod(dir.c_str(), 0700) != 0) {
      return Status::Unavailable(Errno("cannot chmod 0700 " + dir.string()));
    }
  }

  // One daemon per path: the lock outlives nothing but the process holding it.
  const std::string lock_path = path + ".lock";
  lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd_ < 0) return Status::Unavailable(Errno("cannot open " + lock_path));
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0 || SomeoneListens(path)) {
    ::close(lock_fd_);
    lock_fd_ = -1;
    return Status::Unavailable("another agentdraftd is serving " + path +
                               "; stop it first, or give this one --socket PATH");
  }
  struct stat st{};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return Status::Unavailable(path + " exists and is not a socket; remove it or choose "
                                        "another --socket");
    }
    if (::unlink(path.c_str()) != 0) return Status::Unavailable(Errno("cannot remove stale " + path));
  }

  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::Unavailable(Errno("socket"));
  sockaddr_un addr = AddressOf(path);
  // Created 0600 from the start: no moment in which another user could connect.
  const mode_t old_mask = ::umask(0177);
  const int bound = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::umask(old_mask);
  if (bound != 0 || ::chmod(path.c_str(), 0600) != 0 || ::listen(fd, 1024) != 0) {
    Status s = Status::Unavailable(Errno("cannot listen on " + path));
    ::close(fd);
    return s;
  }
  path_ = path;
  svr_sock_ = fd;
  return Status::Ok();
}

void UnixSocketServer::RemoveFiles() {
  if (path_.empty()) return;
  // The lock file stays: unlinking it would let a starting daemon lock a fresh file while
  // this one still holds the old.
  ::unlink(path_.c_str());
}

bool UnixSocketServer::process_and_close_socket(socket_t sock) {
  ucred cred{};
  socklen_t len = sizeof cred;
  const bool known = ::getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0;
  if (!known || (cred.uid != ::getuid() && cred.uid != 0)) {
    RefusePeer(sock, known ? cred.uid : static_cast<uid_t>(-1));
    ::shutdown(sock, SHUT_RDWR);
    ::close(sock);
    return false;
  }
  const int read_ms = static_cast<int>(read_timeout_sec_ * 1000 + read_timeout_usec_ / 1000);
  const int write_ms = static_cast<int>(write_timeout_sec_ * 1000 + write_timeout_usec_ / 1000);
  UnixStream stream(sock, cred.uid, read_ms, write_ms);
  bool ok = true;
  for (size_t left = keep_alive_max_count_; left > 0; --left) {
    // Wait for the next request in short slices, so that stop() ends idle connections fast.
    bool readable = false;
    for (time_t waited_ms = 0; waited_ms < keep_alive_timeout_sec_ * 1000; waited_ms += 100) {
      if (svr_sock_ == INVALID_SOCKET) break;
      if ((readable = stream.has_pending() || WaitFor(sock, POLLIN, 100))) break;
    }
    if (!readable) break;
    bool connection_closed = false;
    stream.BeginRequest();
    ok = ServeGuarded([&] {
      return process_request(stream, /*close_connection=*/left == 1, connection_closed,
                             [&cred](httplib::Request& req) {
                               req.remote_addr = kUnixPeerAddr;
                               req.remote_port = static_cast<int>(cred.uid);
                             });
    });
    if (!ok || connection_closed) break;
  }
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return ok;
}

}  // namespace agentdraft::api
