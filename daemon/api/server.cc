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

void RespondJson(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

namespace {
// Set by Guarded() when it has logged the request this worker thread is answering.
thread_local bool tls_logged_by_route = false;

void LogRequest(const httplib::Request& req, const httplib::Response& res) {
  spdlog::debug("{} {} {} -> {} ({} bytes)", req.remote_addr, req.method, req.path, res.status,
                res.body.size());
}

// Methods httplib parses but routes nowhere (it answers them 400): the route table decides.
bool UnroutableMethod(const std::string& method) { return method == "TRACE" || method == "CONNECT"; }

// The listeners' error handler: a JSON body for the errors httplib answers by itself (no
// route, a body over the limit, a malformed request), its status from the code.
void AnswerListenerError(const httplib::Request& req, httplib::Response& res) {
  if (!res.body.empty()) return;
  const int status = res.status;
  if (status == 404 || (status == 400 && UnroutableMethod(req.method))) {
    return RespondUnrouted(req, res);
  }
  std::string message = "the request could not be processed (HTTP " + std::to_string(status) + ")";
  switch (status) {
    case 413: return RespondError(res, {"payload_too_large", "request body is too large"});
    case 414: return RespondError(res, {"uri_too_long", "the request's target is too long"});
    case 416: return RespondError(res, {"range_not_satisfiable", std::move(message)});
    case 417: return RespondError(res, {"expectation_failed", std::move(message)});
    case 431: return RespondError(res, {"headers_too_large", "request headers are too large"});
    default: RespondError(res, {status >= 500 ? "internal" : "validation_error", std::move(message)});
  }
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
  RespondError(res, {"forbidden", std::move(problem)});
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
    RespondError(res, {"internal", "internal error; nothing was changed by this request"});
  });
  server.set_error_handler(AnswerListenerError);
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
        return RespondError(res, {"unavailable", "the daemon is shutting down; retry shortly"});
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

void ApiServer::Register(const Route& route) {
  // The rows live as long as the program, so the handler may keep a reference to its row.
  auto handler = Guarded([this, &route](const httplib::Request& req, httplib::Response& res) {
    engine::Principal caller;
    if (route.access != Access::kPublic) {
      auto p = RequireAccess(req, res, route.access, route.scope);
      if (!p) return;
      caller = std::move(*p);
    }
    (this->*route.handler)(req, caller, res);
  });
  const std::string pattern = PathRegex(route.path);
  for (httplib::Server* server : {static_cast<httplib::Server*>(&http_), static_cast<httplib::Server*>(&unix_)}) {
    if (route.method == "GET") server->Get(pattern, handler);
    else if (route.method == "POST") server->Post(pattern, handler);
    else if (route.method == "PUT") server->Put(pattern, handler);
    else if (route.method == "PATCH") server->Patch(pattern, handler);
    else if (route.method == "DELETE") server->Delete(pattern, handler);
  }
}

void ApiServer::RegisterRoutes() {
  for (const Route& route : Routes()) Register(route);
  // After every row (the first match serves): what no row serves is 405 or 404, from the rows.
  for (httplib::Server* server : {static_cast<httplib::Server*>(&http_), static_cast<httplib::Server*>(&unix_)}) {
    server->Get(".*", RespondUnrouted);
    server->Post(".*", RespondUnrouted);
    server->Put(".*", RespondUnrouted);
    server->Patch(".*", RespondUnrouted);
    server->Delete(".*", RespondUnrouted);
    server->Options(".*", RespondUnrouted);
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

std::optional<ApiError> ApiServer::RateLimited(const engine::Principal& p, httplib::Response& res) {
  // The owner is never limited, not even acting as one of its agents (X-Agentdraft-As).
  if (p.is_owner() || !p.acted_by.empty() || !rate_limiter_.enabled()) return std::nullopt;
  Duration retry_after{};
  if (rate_limiter_.Take(p.agent_id, engine_.clock().Now(), &retry_after)) return std::nullopt;
  const int64_t seconds = std::max<int64_t>(1, (retry_after.count() + 999999) / 1000000);
  res.set_header("Retry-After", std::to_string(seconds));
  return ApiError{"rate_limited", "too many requests from this agent; retry in " + std::to_string(seconds) + " s",
                  {{"retry_after", seconds}}};
}

std::optional<engine::Principal> ApiServer::RequireAccess(const httplib::Request& req, httplib::Response& res,
                                                          Access access, std::string_view scope) {
  auto p = Authenticate(req);
  std::optional<ApiError> refusal;
  if (!p.ok()) {
    refusal = ApiError::FromStatus(p.status());
  } else if (auto limited = RateLimited(*p, res)) {
    refusal = std::move(limited);
  } else if (!scope.empty() && !p->HasScope(scope)) {
    refusal = ApiError{"forbidden", "this key lacks the scope " + std::string(scope),
                       {{"missing_scope", std::string(scope)}}};
  } else if (access == Access::kAgent && p->is_owner()) {
    refusal = ApiError{"forbidden", "claims are made by agents: use an agent's API key"};
  } else if (access == Access::kOwner && !p->is_owner()) {
    refusal = ApiError{"forbidden", "owner endpoints need the owner's session, not an agent key"};
  }
  if (refusal) {
    RespondError(res, *refusal);
    return std::nullopt;
  }
  return std::move(p.value());
}

int ApiServer::AgentPriority(const std::string& agent_id) {
  auto a = engine_.directory().GetAgent(agent_id);
  return a.ok() ? a->record.priority : 0;
}

}  // namespace agentdraft::api
