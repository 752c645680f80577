// Shared by the fuzzers: a whole daemon in one process without sockets (store, engine,
// checkpointer, webhooks and the ApiServer's routes, on SQLite in memory), driven with raw
// HTTP requests through ApiServer::ServeStream; and a reader for the raw HTTP answers.
#pragma once

#include <functional>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include <httplib.h>

#include "common/clock.h"
#include "daemon/api/server.h"
#include "daemon/audit/checkpointer.h"
#include "daemon/engine/engine.h"
#include "daemon/store/sqlite_store.h"
#include "daemon/webhooks/webhooks.h"
#include "tests/support/string_stream.h"

namespace agentdraft::fuzz {

// Prints `what` (and `detail`) to stderr and aborts: how a fuzzer reports a finding.
[[noreturn]] void Fail(const std::string& what, const std::string& detail = "");

// An httplib::Stream over a string: reads the request bytes, collects the answer bytes (the
// tests' one, tests/support/string_stream.h).
using StringStream = testing::StringStream;

struct HttpAnswer {
  int status = 0;
  std::string body;  // de-chunked
};

// Splits the raw answers a StringStream collected. False when they are not well-formed
// HTTP/1.1 responses (status line, headers, Content-Length or chunked body).
bool ParseAnswers(const std::string& raw, std::vector<HttpAnswer>* answers);

// One daemon, as daemon/main.cc assembles it, minus the event stream and the webhook
// deliverer (nothing leaves the process). Time is a ManualClock that only Serve() moves. Its
// TCP listener is bound to a free loopback port and served (httplib writes chunked answers
// only while it is), but nothing connects to it: requests arrive through Serve().
class InProcessDaemon {
 public:
  // A fresh daemon: one owner (with a session) and two agents, priority 1 and 2.
  InProcessDaemon();
  ~InProcessDaemon();

  // Serves the raw request bytes (at most `max_requests` pipelined requests) and returns the
  // raw answer bytes. While a request waits (a tie window), moves the clock and settles it.
  std::string Serve(const std::string& raw, bool owner_socket, int max_requests = 4);

  engine::Engine& engine() { return *engine_; }
  const std::string& agent_key(int i) const { return agent_keys_.at(i); }
  const std::string& session_cookie() const { return session_cookie_; }
  const std::string& public_key_hex() const { return checkpointer_->public_key_hex(); }

 private:
  ManualClock clock_;
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<audit::Checkpointer> checkpointer_;
  std::unique_ptr<webhooks::Webhooks> webhooks_;
  std::unique_ptr<api::ApiServer> server_;
  std::future<void> serving_;  // the idle listener's accept loop
  std::vector<std::string> agent_keys_;
  std::string session_cookie_;
};

}  // namespace agentdraft::fuzz
