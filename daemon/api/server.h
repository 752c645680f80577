// ApiServer: the JSON API of docs/api.md over HTTP (cpp-httplib) and over a Unix socket
// (UnixSocketServer, the owner's door), in front of the Engine. Both listeners serve the same
// routes; a request that came through the socket from an allowed uid carries the owner's
// authority (or, with `X-Agentdraft-As: AGENT`, that agent's, marked in its audit rows).
//
// Handlers authenticate (agent key or owner session), parse, and hand the request to the
// engine; a handler blocks its worker thread until the engine's answer is durable, so the
// worker pool must be as large as the number of connections served at once (`threads`).
//
// Shutdown: Drain() stops accepting, answers 503 to requests that arrive on open keep-alive
// connections, and waits until every request already being handled has been answered. It
// does not wait for idle keep-alive connections (cpp-httplib 0.11 only notices a stop when
// they time out); the process exits without joining Serve().
//
// Thread-safe: Bind() then Serve() on one thread; Drain() from any other.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>

#include <httplib.h>

#include "common/status.h"
#include "daemon/api/origin_policy.h"
#include "daemon/api/rate_limiter.h"
#include "daemon/api/stream_slots.h"
#include "daemon/api/tcp_listener.h"
#include "daemon/api/unix_listener.h"
#include "daemon/engine/engine.h"

namespace agentdraft::audit {
class Checkpointer;
class EventHub;
}  // namespace agentdraft::audit
namespace agentdraft::webhooks {
class Webhooks;
}  // namespace agentdraft::webhooks

namespace agentdraft::api {

struct EventStreamState;  // routes_events.cc

// The daemon's parts beyond the engine that routes use. Each may be null (its routes then
// answer 503).
struct ApiServices {
  audit::Checkpointer* checkpointer = nullptr;
  audit::EventHub* events = nullptr;
  webhooks::Webhooks* webhooks = nullptr;
};

// The header with which the owner acts as one of its agents (agent id or name).
inline constexpr char kActAsHeader[] = "X-Agentdraft-As";

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;            // 0 = any free port
  bool dev_mode = false;      // magic-link bootstrap answers with `dev_token`
  // Names besides the loopback ones that HTTP requests may carry in Host (origin_policy.h).
  std::vector<std::string> allowed_hosts;
  int threads = 256;          // worker threads = requests served at once (per listener)
  // Connections open at once, per listener (served, idle or still sending). Beyond it the one
  // that has waited longest without a whole request is closed to make room (request_gate.h).
  int max_connections = 4096;
  int listen_backlog = 1024;
  size_t max_body_bytes = 1 << 20;   // larger: 413 payload_too_large
  size_t max_header_bytes = 16384;   // request line and headers; larger: 431 headers_too_large
  // A request (head and body) must arrive within this of its first byte (a new connection's
  // first one: of the accept); else 408 and the connection is closed.
  std::chrono::milliseconds read_timeout{10000};
  std::chrono::milliseconds idle_timeout{5000};  // keep-alive: the wait for the next request
  std::string socket_path;    // "" = no Unix socket
  // Event streams (GET /v1/events) open at once (stream_slots.h); 0 per listener = a quarter
  // of `threads`. A stream ends after `stream_lifetime` (the client resumes with Last-Event-ID).
  StreamLimits streams{.per_agent = 4, .per_owner = 32, .per_listener = 0};
  std::chrono::milliseconds stream_lifetime{std::chrono::hours(1)};
  // Per-agent token bucket: `rate_per_second` requests a second on average, bursts of up to
  // `rate_burst`. 0 = no limit (agentdraftd's flags default to 50 a second, bursts of 100). The
  // owner is never limited, not even acting as one of its agents.
  double rate_per_second = 0;
  double rate_burst = 0;
};

class ApiServer {
 public:
  ApiServer(engine::Engine& engine, ServerOptions options, ApiServices services = {});

  // Binds the TCP listener (returns the port actually bound) and, when configured, the Unix
  // socket.
  Result<int> Bind();
  // Serves both listeners until Drain(); may not return before idle connections time out.
  void Serve();
  void Drain();
  // "http://HOST:PORT" as bound (for GET /v1/status).
  const std::string& http_address() const { return http_address_; }
  // The socket path bound, or "".
  const std::string& socket_path() const { return unix_.path(); }

  // Answers the HTTP requests read from `stream`, one after another (at most `max_requests`),
  // exactly as the TCP listener would, or with `owner_socket` as the Unix socket does for the
  // daemon's own user; no socket is involved. For the fuzzers (fuzz/) and in-process tests.
  // httplib streams chunked answers (the audit export) only while that listener is bound, so
  // those need Bind() first, and the TCP side.
  void ServeStream(httplib::Stream& stream, bool owner_socket, int max_requests);

 private:
  // Route registration with the in-flight guard that Drain() relies on.
  void Get(const std::string& pattern, httplib::Server::Handler handler);
  void Post(const std::string& pattern, httplib::Server::Handler handler);
  void Delete(const std::string& pattern, httplib::Server::Handler handler);
  void Patch(const std::string& pattern, httplib::Server::Handler handler);
  void Put(const std::string& pattern, httplib::Server::Handler handler);
  httplib::Server::Handler Guarded(httplib::Server::Handler handler);
  // Registers the guarded handler on both listeners (TCP and the owner's socket).
  using RegisterFn = httplib::Server& (httplib::Server::*)(const std::string&, httplib::Server::Handler);
  void Route(RegisterFn method, const std::string& pattern, httplib::Server::Handler handler);

  void ConfigureListener(httplib::Server& server);
  // Refuses, on the TCP listener, a foreign Host and a cross-origin state-changing request
  // (OriginPolicy) with 403 forbidden before any route runs.
  httplib::Server::HandlerResponse CheckOrigin(const httplib::Request& req, httplib::Response& res);
  void RegisterRoutes();
  void RegisterAgentRoutes();
  void RegisterOwnerRoutes();
  void RegisterSessionRoutes();  // sign-out, sign out everywhere (routes_owner.cc)
  void RegisterAuditRoutes();
  void RegisterEventRoutes();
  void OpenEventStream(const httplib::Request& req, httplib::Response& res);
  bool WriteEvents(EventStreamState& st, httplib::DataSink& sink);
  bool StillAuthorized(const EventStreamState& st);
  Result<std::vector<store::AuditRecord>> NextVisibleRows(EventStreamState& st,
                                                          std::chrono::milliseconds wait);
  void RegisterWebhookRoutes();
  void RegisterRuleRoutes();

  // Authenticates the caller: Bearer key (agent), ad_session cookie (owner), or the Unix
  // socket (owner); an owner may act as an agent with `X-Agentdraft-As`. Applies the agent's
  // rate limit.
  Result<engine::Principal> Authenticate(const httplib::Request& req);
  Result<engine::Principal> AuthenticateCredentials(const httplib::Request& req);
  // Authenticates and checks `scope` (agents only; owners have every scope). On failure
  // writes the error response and returns nullopt.
  std::optional<engine::Principal> RequireAgentOrOwner(const httplib::Request& req,
                                                       httplib::Response& res,
                                                       const char* scope);
  std::optional<engine::Principal> RequireAgent(const httplib::Request& req,
                                                httplib::Response& res, const char* scope);
  std::optional<engine::Principal> RequireOwner(const httplib::Request& req,
                                                httplib::Response& res);
  int AgentPriority(const std::string& agent_id);

  engine::Engine& engine_;
  const ServerOptions options_;
  const ApiServices services_;
  TcpServer http_;
  UnixSocketServer unix_;
  std::string http_address_;
  Time started_at_;
  RateLimiter rate_limiter_;
  StreamSlots stream_slots_;
  const OriginPolicy origin_policy_;
  std::atomic<int> listen_fd_{-1};
  std::atomic<bool> draining_{false};
  std::mutex in_flight_mu_;
  std::condition_variable in_flight_cv_;
  int in_flight_ = 0;  // GUARDED_BY(in_flight_mu_)
};

// The value of the request's ad_session cookie (the owner's session), "" when none.
std::string SessionCookie(const httplib::Request& req);

// Writes an engine Outcome as the response.
void Respond(httplib::Response& res, const engine::Outcome& outcome);
// Writes {"error", "message"} with the status of `code` (common/error_codes.h).
void RespondError(httplib::Response& res, std::string_view code, std::string_view message,
                  const nlohmann::json& extra = nlohmann::json::object());

}  // namespace agentdraft::api
