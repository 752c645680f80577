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

#include "daemon/api/api_error.h"
#include "daemon/api/gate_stream.h"
#include "daemon/api/tcp_listener.h"

namespace agentdraft::api {

namespace {

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

// Answers a refused peer 403 (its request head was read by the gate).
void RefusePeer(int fd, uid_t uid) {
  const std::string response = RawErrorResponse(
      {"forbidden", "uid " + std::to_string(uid) + " may not use this socket: only the daemon's user (uid " +
                        std::to_string(::getuid()) + ") and root may"});
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

UnixSocketServer::UnixSocketServer(GateLimits limits)
    : write_timeout_(limits.read_timeout),
      gate_(limits, [this](GateConnection& conn) { return ServeRequest(conn); }) {
  new_task_queue = [this] { return new GateQueue(gate_); };
}

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
  gate_.Adopt(sock, known ? cred.uid : static_cast<uid_t>(-1));
  return true;
}

bool UnixSocketServer::ServeRequest(GateConnection& conn) {
  const uid_t uid = conn.peer_uid;
  if (uid == static_cast<uid_t>(-1) || (uid != ::getuid() && uid != 0)) {
    RefusePeer(conn.fd, uid);
    return false;
  }
  GateStream stream(conn, write_timeout_, kUnixPeerAddr);
  bool connection_closed = false;
  const bool ok = ServeGuarded([&] {
    return process_request(stream, /*close_connection=*/false, connection_closed,
                           [uid](httplib::Request& req) {
                             req.remote_addr = kUnixPeerAddr;
                             req.remote_port = static_cast<int>(uid);
                           });
  });
  return ok && !connection_closed;
}

}  // namespace agentdraft::api
