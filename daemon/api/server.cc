#include "daemon/api/server.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <utility>
#include <regex>
#include <thread>

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

namespace {
// Set by Guarded() when it has logged the request this worker thread is answering.
thread_local bool tls_logged_by_route = false;

void LogRequest(const httplib::Request& req, const httplib::Response& res) {
  spdlog::debug("{} {} {} -> {} ({} bytes)", req.remote_addr, req.method, req.path, res.status,
                res.body.size());
}

// Paths the API serves (any method), to tell 405 from 404.
bool KnownPath(const std::string& path) {
  static const std::regex kKnown(
      R"(/healthz|/v1/bookings(/[^/]+)?|/v1/holds(/[^/]+)?|/v1/availability|/v1/agents/me|)"
      R"(/v1/audit(/checkpoint|/export)?|/v1/events|/v1/status|/v1/auth/(magic-link|verify|logout)|)"
      R"(/v1/dashboard/webhooks(/[^/]+(/deliveries)?)?|)"
      R"(/v1/dashboard/agents(/[^/]+(/keys)?)?|/v1/dashboard/settings|/v1/dashboard/sessions)");
  return std::regex_match(path, kKnown);
}

// Event streams one listener serves at once: as configured, else a quarter of the workers,
// so that streams never take the workers that requests need.
int StreamsPerListener(const ServerOptions& o) {
  return o.streams.per_listener > 0 ? o.streams.per_listener : std::max(1, o.threads / 4);
}
}  // namespace

ApiServer::ApiServer(engine::Engine& engine, ServerOptions options, ApiServices services)
    : engine_(engine), options_(std::move(options)), services_(services),
      http_(GateLimits{
          .workers = options_.threads,
          .max_connections = static_cast<size_t>(options_.max_connections),
          .max_header_bytes = options_.max_header_bytes,
          .max_body_bytes = options_.max_body_bytes,
          .read_timeout = options_.read_timeout,
          .idle_timeout = options_.idle_timeout}),
      // The owner's door: people, scripts and local agents acting as themselves.
      unix_(GateLimits{
          .workers = 64 + StreamsPerListener(options_),
          .max_connections = static_cast<size_t>(options_.max_connections),
          .max_header_bytes = options_.max_header_bytes,
          .max_body_bytes = options_.max_body_bytes,
          .read_timeout = options_.read_timeout,
          .idle_timeout = options_.idle_timeout}),
      rate_limiter_(options_.rate_per_second, options_.rate_burst),
      stream_slots_(StreamLimits{
          .per_agent = options_.streams.per_agent,
          .per_owner = options_.streams.per_owner,
          .per_listener = StreamsPerListener(options_)}),
      origin_policy_(options_.host, options_.allowed_hosts) {
  http_.set_tcp_nodelay(true);
  http_.set_socket_options([this](int sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    listen_fd_ = sock;
  });
  ConfigureListener(http_);
  ConfigureListener(unix_);
  http_.set_pre_routing_handler(
      [this](const httplib::Request& req, httplib::Response& res) { return CheckOrigin(req, res); });
  RegisterRoutes();
}

httplib::Server::HandlerResponse ApiServer::CheckOrigin(const httplib::Request& req,
                                                        httplib::Response& res) {
  const std::string host = req.get_header_value("Host");
  std::string problem = origin_policy_.HostProblem(host);
  if (problem.empty()) {
    problem = origin_policy_.OriginProblem(req.method, req.get_header_value("Origin"),
                                           req.get_header_value("Sec-Fetch-Site"), host);
  }
  if (problem.empty()) return httplib::Server::HandlerResponse::Unhandled;
  RespondError(res, "forbidden", problem);
  return httplib::Server::HandlerResponse::Handled;
}

void ApiServer::ConfigureListener(httplib::Server& server) {
  server.set_keep_alive_max_count(1000000);
  // Whole seconds for httplib (the owner's socket); TcpServer keeps its own milliseconds.
  server.set_keep_alive_timeout(std::max<time_t>(1, (options_.idle_timeout.count() + 999) / 1000));
  server.set_read_timeout(options_.read_timeout);
  server.set_write_timeout(options_.read_timeout);
  server.set_payload_max_length(options_.max_body_bytes);
  // Routed requests are logged by Guarded() (inside the drain's in-flight count, so a stop
  // never loses the line); this logs the rest (unknown routes, oversized requests).
  server.set_logger([](const httplib::Request& req, const httplib::Response& res) {
    if (std::exchange(tls_logged_by_route, false)) return;
    LogRequest(req, res);
  });
  server.set_exception_handler([](const httplib::Request& req, httplib::Response& res,
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
  server.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
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
      case 400:
        RespondError(res, "validation_error", "the request could not be processed (HTTP 400)");
        break;
      case 431:
        RespondError(res, "headers_too_large", "request headers are too large");
        break;
      default: {
        const int status = res.status;
        RespondError(res, status >= 500 ? "internal" : "validation_error",
                     "the request could not be processed (HTTP " + std::to_string(status) + ")");
        res.status = status;
      }
    }
  });
}

Result<int> ApiServer::Bind() {
  if (!options_.socket_path.empty()) {
    if (Status s = unix_.Bind(options_.socket_path); !s.ok()) return s;
  }
  int port = options_.port == 0 ? http_.bind_to_any_port(options_.host)
                                : (http_.bind_to_port(options_.host, options_.port) ? options_.port : -1);
  if (port < 0) {
    unix_.RemoveFiles();
    return Status::Unavailable("cannot listen on " + options_.host + ":" +
                               std::to_string(options_.port) + " (in use, or not an address of this host)");
  }
  http_address_ = "http://" + options_.host + ":" + std::to_string(port);
  started_at_ = engine_.clock().Now();
  // cpp-httplib listens with a backlog of 5; a burst of agents connecting at once needs more.
  if (listen_fd_ >= 0) ::listen(listen_fd_, options_.listen_backlog);
  return port;
}

void ApiServer::Serve() {
  std::thread socket_thread;
  if (!unix_.path().empty()) socket_thread = std::thread([this] { unix_.listen_after_bind(); });
  http_.listen_after_bind();
  // The socket's connections notice a stop within 100 ms (UnixSocketServer), so this join
  // is short; TCP keep-alive connections are not waited for (see the class comment).
  if (socket_thread.joinable()) socket_thread.detach();
}

namespace {
// httplib keeps Server::process_request protected. A pointer to it, formed inside a subclass,
// is a pointer to a member of httplib::Server, so ServeStream can run a listener's request
// processing on a stream that is not a socket.
struct RequestProcessing : httplib::Server {
  static constexpr auto kProcess = &RequestProcessing::process_request;
};
}  // namespace

void ApiServer::ServeStream(httplib::Stream& stream, bool owner_socket, int max_requests) {
  httplib::Server& server = owner_socket ? static_cast<httplib::Server&>(unix_) : http_;
  for (int i = 0; i < max_requests && stream.is_readable(); ++i) {
    bool connection_closed = false;
    const bool ok = (server.*RequestProcessing::kProcess)(
        stream, /*close_connection=*/i + 1 == max_requests, connection_closed,
        [owner_socket](httplib::Request& req) {
          if (!owner_socket) return;
          req.remote_addr = kUnixPeerAddr;  // as UnixSocketServer marks an allowed peer
          req.remote_port = static_cast<int>(::getuid());
        });
    if (!ok || connection_closed) break;
  }
}

void ApiServer::Drain() {
  draining_ = true;
  http_.stop();  // closes the listening socket
  unix_.stop();
  unix_.RemoveFiles();
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
    if (spdlog::should_log(spdlog::level::debug)) {
      LogRequest(req, res);
      tls_logged_by_route = true;
    }
  };
}

void ApiServer::Route(RegisterFn method, const std::string& pattern,
                      httplib::Server::Handler handler) {
  auto guarded = Guarded(std::move(handler));
  (http_.*method)(pattern, guarded);
  (unix_.*method)(pattern, guarded);
}

void ApiServer::Get(const std::string& p, httplib::Server::Handler h) { Route(&httplib::Server::Get, p, std::move(h)); }
void ApiServer::Post(const std::string& p, httplib::Server::Handler h) { Route(&httplib::Server::Post, p, std::move(h)); }
void ApiServer::Delete(const std::string& p, httplib::Server::Handler h) { Route(&httplib::Server::Delete, p, std::move(h)); }
void ApiServer::Patch(const std::string& p, httplib::Server::Handler h) { Route(&httplib::Server::Patch, p, std::move(h)); }
void ApiServer::Put(const std::string& p, httplib::Server::Handler h) { Route(&httplib::Server::Put, p, std::move(h)); }

void ApiServer::RegisterRoutes() {
  Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
    Respond(res, {200, nlohmann::json{{"status", "ok"}, {"store", engine_.store().Name()}}.dump()});
  });
  RegisterAgentRoutes();
  RegisterOwnerRoutes();
  RegisterAuditRoutes();
  RegisterEventRoutes();
  RegisterWebhookRoutes();
  RegisterRuleRoutes();
  // Methods no route uses: 405 on a known path, 404 elsewhere.
  auto unsupported = [](const httplib::Request& req, httplib::Response& res) {
    if (KnownPath(req.path)) {
      RespondError(res, "method_not_allowed", req.method + " is not supported on " + req.path);
    } else {
      RespondError(res, "not_found", "no route " + req.method + " " + req.path);
    }
  };
  for (httplib::Server* server : {static_cast<httplib::Server*>(&http_),
                                  static_cast<httplib::Server*>(&unix_)}) {
    server->Put(".*", unsupported);
    server->Patch(".*", unsupported);
  }
}

// --- Authentication --------------------------------------------------------------------

std::string SessionCookie(const httplib::Request& req) {
  const std::string cookies = req.get_header_value("Cookie");
  static const std::regex kSession(R"((?:^|;\s*)ad_session=([^;\s]+))");
  std::smatch m;
  return std::regex_search(cookies, m, kSession) ? m[1].str() : "";
}

Result<engine::Principal> ApiServer::AuthenticateCredentials(const httplib::Request& req) {
  const std::string auth = req.get_header_value("Authorization");
  if (!auth.empty()) {
    static const std::string kBearer = "Bearer ";
    if (auth.compare(0, kBearer.size(), kBearer) != 0 || auth.size() == kBearer.size()) {
      return Status::Unauthorized("Authorization must be \"Bearer avs_live_…\"");
    }
    return engine_.directory().AuthenticateKey(std::string_view(auth).substr(kBearer.size()));
  }
  if (req.remote_addr == kUnixPeerAddr) {
    // UnixSocketServer only lets the daemon's own user and root this far.
    auto owner = engine_.directory().LocalOwner();
    if (!owner.ok()) return owner.status();
    return engine::Principal::Owner(*owner);
  }
  if (const std::string session = SessionCookie(req); !session.empty()) {
    return engine_.directory().AuthenticateSession(session);
  }
  return Status::Unauthorized(
      "missing credentials: send \"Authorization: Bearer avs_live_…\" (an agent's key)");
}

Result<engine::Principal> ApiServer::Authenticate(const httplib::Request& req) {
  auto p = AuthenticateCredentials(req);
  if (!p.ok()) return p;
  const std::string as = req.get_header_value(kActAsHeader);
  if (as.empty()) return p;
  if (!p->is_owner()) {
    return Status::Forbidden(std::string(kActAsHeader) + " is for the owner; an agent acts as itself");
  }
  return engine_.directory().ActAs(*p, as);
}

std::optional<engine::Principal> ApiServer::RequireAgentOrOwner(const httplib::Request& req,
                                                                httplib::Response& res,
                                                                const char* scope) {
  auto p = Authenticate(req);
  if (!p.ok()) {
    RespondError(res, ErrorCodeFor(p.status()), p.status().message());
    return std::nullopt;
  }
  Duration retry_after{};
  // The owner is never limited, not even acting as one of its agents (X-Agentdraft-As).
  if (!p->is_owner() && p->acted_by.empty() && rate_limiter_.enabled() &&
      !rate_limiter_.Take(p->agent_id, engine_.clock().Now(), &retry_after)) {
    const int64_t seconds = std::max<int64_t>(1, (retry_after.count() + 999999) / 1000000);
    res.set_header("Retry-After", std::to_string(seconds));
    RespondError(res, "rate_limited",
                 "too many requests from this agent; retry in " + std::to_string(seconds) + " s",
                 {{"retry_after", seconds}});
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
  auto a = engine_.directory().GetAgent(agent_id);
  return a.ok() ? a->record.priority : 0;
}

}  // namespace agentdraft::api
