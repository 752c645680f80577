#include "daemon/api/server.h"

#include <sys/socket.h>

#include <regex>

#include <spdlog/spdlog.h>

#include "common/error_codes.h"
#include "daemon/engine/views.h"

namespace agentdraft::api {

void Respond(httplib::Response& res, const engine::Outcome& outcome) {
  res.status = outcome.status;
  res.set_content(outcome.body, "application/json");
}

void RespondError(httplib::Response& res, std::string_view code, std::string_view message,
                  const nlohmann::json& extra) {
  Respond(res, {HttpStatusFor(code), engine::ErrorBody(code, message, extra)});
}

ApiServer::ApiServer(engine::Engine& engine, ServerOptions options)
    : engine_(engine), options_(std::move(options)) {
  const int threads = options_.threads;
  http_.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http_.set_keep_alive_max_count(1000000);
  http_.set_keep_alive_timeout(options_.keep_alive_seconds);
  http_.set_payload_max_length(options_.max_body_bytes);
  http_.set_tcp_nodelay(true);
  http_.set_socket_options([this](int sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    listen_fd_ = sock;
  });
  RegisterRoutes();
}

Result<int> ApiServer::Bind() {
  int port = options_.port == 0 ? http_.bind_to_any_port(options_.host)
                                : (http_.bind_to_port(options_.host, options_.port) ? options_.port : -1);
  if (port < 0) {
    return Status::Unavailable("cannot listen on " + options_.host + ":" +
                               std::to_string(options_.port) + " (in use, or not an address of this host)");
  }
  // cpp-httplib listens with a backlog of 5; a burst of agents connecting at once needs more.
  if (listen_fd_ >= 0) ::listen(listen_fd_, options_.listen_backlog);
  return port;
}

void ApiServer::Serve() { http_.listen_after_bind(); }

void ApiServer::Drain() {
  draining_ = true;
  http_.stop();  // closes the listening socket
  std::unique_lock<std::mutex> lock(in_flight_mu_);
  in_flight_cv_.wait(lock, [&] { return in_flight_ == 0; });
}

httplib::Server::Handler ApiServer::Guarded(httplib::Server::Handler handler) {
  return [this, handler = std::move(handler)](const httplib::Request& req, httplib::Response& res) {
    {
      std::lock_guard<std::mutex> lock(in_flight_mu_);
      if (draining_) {
        return RespondError(res, "unavailable", "the daemon is shutting down; retry shortly");
      }
      ++in_flight_;
    }
    struct Done {
      ApiServer* server;
      ~Done() {
        std::lock_guard<std::mutex> lock(server->in_flight_mu_);
        if (--server->in_flight_ == 0) server->in_flight_cv_.notify_all();
      }
    } done{this};
    handler(req, res);
  };
}

void ApiServer::Get(const std::string& pattern, httplib::Server::Handler handler) {
  http_.Get(pattern, Guarded(std::move(handler)));
}
void ApiServer::Post(const std::string& pattern, httplib::Server::Handler handler) {
  http_.Post(pattern, Guarded(std::move(handler)));
}
void ApiServer::Delete(const std::string& pattern, httplib::Server::Handler handler) {
  http_.Delete(pattern, Guarded(std::move(handler)));
}

namespace {
// Paths the API serves (any method), to tell 405 from 404.
bool KnownPath(const std::string& path) {
  static const std::regex kKnown(
      R"(/healthz|/v1/bookings(/[^/]+)?|/v1/holds(/[^/]+)?|/v1/availability|/v1/agents/me|)"
      R"(/v1/audit|/v1/auth/(magic-link|verify)|/v1/dashboard/agents)");
  return std::regex_match(path, kKnown);
}
}  // namespace

void ApiServer::RegisterRoutes() {
  http_.set_logger([](const httplib::Request& req, const httplib::Response& res) {
    spdlog::debug("{} {} -> {}", req.method, req.path, res.status);
  });
  http_.set_exception_handler([](const httplib::Request& req, httplib::Response& res,
                                 std::exception_ptr ep) {
    std::string what = "unknown";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    spdlog::error("{} {}: unhandled exception: {}", req.method, req.path, what);
    RespondError(res, "internal", "internal error; nothing was changed by this request");
  });
  http_.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    switch (res.status) {
      case 404:
        if (KnownPath(req.path)) {
          RespondError(res, "method_not_allowed", req.method + " is not supported on " + req.path);
        } else {
          RespondError(res, "not_found", "no route " + req.method + " " + req.path);
        }
        break;
      case 413:
        RespondError(res, "payload_too_large", "request body is too large");
        break;
      case 431:
        RespondError(res, "headers_too_large", "request headers are too large");
        break;
      default:
        RespondError(res, res.status >= 500 ? "internal" : "validation_error",
                     "the request could not be processed (HTTP " + std::to_string(res.status) + ")");
        res.status = res.status;
    }
  });
  Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
    Respond(res, {200, nlohmann::json{{"status", "ok"}, {"store", engine_.store().Name()}}.dump()});
  });
  RegisterAgentRoutes();
  RegisterOwnerRoutes();
  // Methods no route uses: 405 on a known path, 404 elsewhere.
  auto unsupported = [](const httplib::Request& req, httplib::Response& res) {
    if (KnownPath(req.path)) {
      RespondError(res, "method_not_allowed", req.method + " is not supported on " + req.path);
    } else {
      RespondError(res, "not_found", "no route " + req.method + " " + req.path);
    }
  };
  http_.Put(".*", unsupported);
  http_.Patch(".*", unsupported);
}

// --- Authentication --------------------------------------------------------------------

Result<engine::Principal> ApiServer::Authenticate(const httplib::Request& req) {
  const std::string auth = req.get_header_value("Authorization");
  if (!auth.empty()) {
    static const std::string kBearer = "Bearer ";
    if (auth.compare(0, kBearer.size(), kBearer) != 0 || auth.size() == kBearer.size()) {
      return Status::Unauthorized("Authorization must be \"Bearer avs_live_…\"");
    }
    return engine_.AuthenticateKey(std::string_view(auth).substr(kBearer.size()));
  }
  const std::string cookies = req.get_header_value("Cookie");
  static const std::regex kSession(R"((?:^|;\s*)ad_session=([^;\s]+))");
  std::smatch m;
  if (std::regex_search(cookies, m, kSession)) return engine_.AuthenticateSession(m[1].str());
  return Status::Unauthorized(
      "missing credentials: send \"Authorization: Bearer avs_live_…\" (an agent's key)");
}

std::optional<engine::Principal> ApiServer::RequireAgentOrOwner(const httplib::Request& req,
                                                                httplib::Response& res,
                                                                const char* scope) {
  auto p = Authenticate(req);
  if (!p.ok()) {
    RespondError(res, ErrorCodeFor(p.status()), p.status().message());
    return std::nullopt;
  }
  if (scope != nullptr && !p->HasScope(scope)) {
    RespondError(res, "forbidden", std::string("this key lacks the scope ") + scope,
                 {{"missing_scope", scope}});
    return std::nullopt;
  }
  return std::move(p.value());
}

std::optional<engine::Principal> ApiServer::RequireAgent(const httplib::Request& req,
                                                         httplib::Response& res,
                                                         const char* scope) {
  auto p = RequireAgentOrOwner(req, res, scope);
  if (p && p->is_owner()) {
    RespondError(res, "forbidden", "claims are made by agents: use an agent's API key");
    return std::nullopt;
  }
  return p;
}

std::optional<engine::Principal> ApiServer::RequireOwner(const httplib::Request& req,
                                                         httplib::Response& res) {
  auto p = RequireAgentOrOwner(req, res, nullptr);
  if (p && !p->is_owner()) {
    RespondError(res, "forbidden", "owner endpoints need the owner's session, not an agent key");
    return std::nullopt;
  }
  return p;
}

int ApiServer::AgentPriority(const std::string& agent_id) {
  auto a = engine_.GetAgent(agent_id);
  return a.ok() ? a->record.priority : 0;
}

}  // namespace agentdraft::api
