// ApiServer: the JSON API of docs/api.md over HTTP (cpp-httplib) and over a Unix socket
// (UnixSocketServer, the owner's door), in front of the Engine. Both listeners serve the same
// routes; a request that came through the socket from an allowed uid carries the owner's
// authority (or, with `X-Agentdraft-As: AGENT`, that agent's, marked in its audit rows).
//
// Routes are the rows of the route table (route_table.h): each row's caller and scope are
// checked (agent key, owner session or the socket's owner) before its handler runs; handlers
// parse and hand the request to the engine, and answer errors only as ApiErrors (api_error.h).
// A handler blocks its worker thread until the engine's answer is durable, so the worker pool
// must be as large as the number of connections served at once (`threads`).
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
#include "daemon/api/api_error.h"
#include "daemon/api/origin_policy.h"
#include "daemon/api/rate_limiter.h"
#include "daemon/api/route_table.h"
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
struct ExportStream;      // routes_audit.cc

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
  // The socket path bound, or "".
  const std::string& socket_path() const { return unix_.path(); }

  // Answers the HTTP requests read from `stream`, one after another (at most `max_requests`),
  // exactly as the TCP listener would, or with `owner_socket` as the Unix socket does for the
  // daemon's own user; no socket is involved. For the fuzzers (fuzz/) and in-process tests.
  // httplib streams chunked answers (the audit export) only while that listener is bound, so
  // those need Bind() first, and the TCP side.
  void ServeStream(httplib::Stream& stream, bool owner_socket, int max_requests);

  // Every route, in the order of registration (route_table.h).
  static const std::vector<Route>& Routes();

 private:
  static const Route kRouteRows[];  // route_table.cc: the rows Routes() returns

  // Registers `route` on both listeners (TCP and the owner's socket): its access and scope
  // checks, then its handler, inside the in-flight guard that Drain() relies on.
  void Register(const Route& route);
  httplib::Server::Handler Guarded(httplib::Server::Handler handler);

  void ConfigureListener(httplib::Server& server);
  // Refuses, on the TCP listener, a foreign Host and a cross-origin state-changing request
  // (OriginPolicy) with 403 forbidden before any route runs.
  httplib::Server::HandlerResponse CheckOrigin(const httplib::Request& req, httplib::Response& res);
  void RegisterRoutes();

  // Route handlers (the rows of Routes() name them), by file.
  using Request = httplib::Request;
  using Response = httplib::Response;
  using Caller = engine::Principal;
  // routes_agent.cc
  void PostBooking(const Request& req, const Caller& caller, Response& res);
  void PostHold(const Request& req, const Caller& caller, Response& res);
  void PostClaim(const Request& req, const Caller& caller, Response& res, bool is_hold);
  void ListBookings(const Request& req, const Caller& caller, Response& res);
  void GetBooking(const Request& req, const Caller& caller, Response& res);
  void CancelBooking(const Request& req, const Caller& caller, Response& res);
  void ReleaseHold(const Request& req, const Caller& caller, Response& res);
  void ProposeCounter(const Request& req, const Caller& caller, Response& res);
  void ListCounters(const Request& req, const Caller& caller, Response& res);
  void AcceptCounter(const Request& req, const Caller& caller, Response& res);
  void RejectCounter(const Request& req, const Caller& caller, Response& res);
  void GetAvailability(const Request& req, const Caller& caller, Response& res);
  void GetMe(const Request& req, const Caller& caller, Response& res);
  // routes_audit.cc
  void ListAudit(const Request& req, const Caller& caller, Response& res);
  void GetCheckpoint(const Request& req, const Caller& caller, Response& res);
  void ExportAudit(const Request& req, const Caller& caller, Response& res);
  bool WriteExport(ExportStream& st, httplib::DataSink& sink);
  // routes_events.cc
  void OpenEventStream(const Request& req, const Caller& caller, Response& res);
  bool WriteEvents(EventStreamState& st, httplib::DataSink& sink);
  bool StillAuthorized(const EventStreamState& st);
  Result<std::vector<store::AuditRecord>> NextVisibleRows(EventStreamState& st,
                                                          std::chrono::milliseconds wait);
  // routes_auth.cc
  void PostMagicLink(const Request& req, const Caller& caller, Response& res);
  void PostVerify(const Request& req, const Caller& caller, Response& res);
  void PostLogout(const Request& req, const Caller& caller, Response& res);
  void RevokeSessions(const Request& req, const Caller& caller, Response& res);
  // routes_owner.cc
  void GetHealth(const Request& req, const Caller& caller, Response& res);
  void CreateAgent(const Request& req, const Caller& caller, Response& res);
  void ListAgents(const Request& req, const Caller& caller, Response& res);
  void RankAgents(const Request& req, const Caller& caller, Response& res);
  void GetAgent(const Request& req, const Caller& caller, Response& res);
  void UpdateAgent(const Request& req, const Caller& caller, Response& res);
  void RotateKey(const Request& req, const Caller& caller, Response& res);
  void RevokeKey(const Request& req, const Caller& caller, Response& res);
  void GetSettings(const Request& req, const Caller& caller, Response& res);
  void UpdateSettings(const Request& req, const Caller& caller, Response& res);
  void GetStatus(const Request& req, const Caller& caller, Response& res);
  // routes_webhooks.cc
  void ListWebhookEventTypes(const Request& req, const Caller& caller, Response& res);
  void CreateWebhook(const Request& req, const Caller& caller, Response& res);
  void ListWebhooks(const Request& req, const Caller& caller, Response& res);
  void DeleteWebhook(const Request& req, const Caller& caller, Response& res);
  void ListDeliveries(const Request& req, const Caller& caller, Response& res);
  // routes_rules.cc
  void CreateRule(const Request& req, const Caller& caller, Response& res);
  void ListRules(const Request& req, const Caller& caller, Response& res);
  void GetRule(const Request& req, const Caller& caller, Response& res);
  void UpdateRule(const Request& req, const Caller& caller, Response& res);
  void DeleteRule(const Request& req, const Caller& caller, Response& res);

  // Authenticates the caller: Bearer key (agent), ad_session cookie (owner), or the Unix
  // socket (owner); an owner may act as an agent with `X-Agentdraft-As`. Applies the agent's
  // rate limit.
  Result<engine::Principal> Authenticate(const httplib::Request& req);
  Result<engine::Principal> AuthenticateCredentials(const httplib::Request& req);
  // Authenticates, applies the agent's rate limit, checks `scope` (agents only; owners have
  // every scope) and that the caller is one `access` admits. On failure writes the error
  // response and returns nullopt. REQUIRES: access != kPublic.
  std::optional<engine::Principal> RequireAccess(const httplib::Request& req, httplib::Response& res,
                                                 Access access, std::string_view scope);
  // The rate limit's answer when the agent has used up its requests; nullopt otherwise.
  std::optional<ApiError> RateLimited(const engine::Principal& p, httplib::Response& res);
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

// Relays the engine's answer (success or error) as it decided it.
void Respond(httplib::Response& res, const engine::Outcome& outcome);
// Writes a successful answer: `status` (2xx) and `body`. Errors go through RespondError
// (api_error.h).
void RespondJson(httplib::Response& res, int status, const nlohmann::json& body);

}  // namespace agentdraft::api
