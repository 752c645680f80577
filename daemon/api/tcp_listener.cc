#include "daemon/api/tcp_listener.h"

#include <spdlog/spdlog.h>

#include "daemon/api/gate_stream.h"

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

TcpServer::TcpServer(GateLimits limits)
    : write_timeout_(limits.read_timeout),
      gate_(limits, [this](GateConnection& conn) { return ServeRequest(conn); }) {
  new_task_queue = [this] { return new GateQueue(gate_); };
}

bool TcpServer::process_and_close_socket(socket_t sock) {
  gate_.Adopt(sock);
  return true;
}

bool TcpServer::ServeRequest(GateConnection& conn) {
  GateStream stream(conn, write_timeout_);
  bool connection_closed = false;
  const bool ok = ServeGuarded([&] {
    return process_request(stream, /*close_connection=*/false, connection_closed,
                           [](httplib::Request&) {});
  });
  return ok && !connection_closed;
}

}  // namespace agentdraft::api
