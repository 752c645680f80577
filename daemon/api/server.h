// ApiServer: the JSON API of docs/api.md over HTTP (cpp-httplib), in front of the Engine.
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
#include "daemon/engine/engine.h"

namespace agentdraft::api {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;            // 0 = any free port
  bool dev_mode = false;      // magic-link bootstrap answers with `dev_token`
  int threads = 256;          // worker threads = connections served at once
  int listen_backlog = 1024;
  size_t max_body_bytes = 1 << 20;
  int keep_alive_seconds = 5;
};

class ApiServer {
 public:
  ApiServer(engine::Engine& engine, ServerOptions options);

  // Binds the listening socket; returns the port actually bound.
  Result<int> Bind();
  // Serves until Drain(); may not return before idle connections time out.
  void Serve();
  void Drain();

 private:
  // Route registration with the in-flight guard that Drain() relies on.
  void Get(const std::string& pattern, httplib::Server::Handler handler);
  void Post(const std::string& pattern, httplib::Server::Handler handler);
  void Delete(const std::string& pattern, httplib::Server::Handler handler);
  httplib::Server::Handler Guarded(httplib::Server::Handler handler);

  void RegisterRoutes();
  void RegisterAgentRoutes();
  void RegisterOwnerRoutes();

  // Authenticates the caller: Bearer key (agent) or ad_session cookie (owner).
  Result<engine::Principal> Authenticate(const httplib::Request& req);
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
  httplib::Server http_;
  std::atomic<int> listen_fd_{-1};
  std::atomic<bool> draining_{false};
  std::mutex in_flight_mu_;
  std::condition_variable in_flight_cv_;
  int in_flight_ = 0;  // GUARDED_BY(in_flight_mu_)
};

// Writes an engine Outcome as the response.
void Respond(httplib::Response& res, const engine::Outcome& outcome);
// Writes {"error", "message"} with the status of `code` (common/error_codes.h).
void RespondError(httplib::Response& res, std::string_view code, std::string_view message,
                  const nlohmann::json& extra = nlohmann::json::object());

}  // namespace agentdraft::api
