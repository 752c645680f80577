// Context: what every `agentdraft` command shares — the global flags, the way to the daemon,
// the owner's time zone, and how answers are printed.
//
// Who the CLI speaks as (docs/cli.md, "Identity"):
//  - an agent: AGENTDRAFT_API_KEY (or --api-key) over HTTP to --base-url /
//    AGENTDRAFT_BASE_URL (default http://127.0.0.1:8080);
//  - the owner: the Unix socket (--socket, AGENTDRAFT_SOCKET, else the daemon's default path),
//    which needs no key; with --as AGENT the owner acts as that agent (audited as such).
// Agent commands (commit, hold, whoami) need an agent: a key, or --as. Commands that an owner
// may also run (release, cancel, bookings, availability, audit, status) use the key when there
// is one and the socket otherwise. Owner commands (agents, settings) always use the socket.
//
// Output: with --json a command prints the API's JSON body exactly as received (error bodies
// too), one document per line; otherwise a short table on stdout. Errors go to stderr as
// "agentdraft: <what went wrong>[: <what to do>]", and the exit code follows docs/cli.md, "Exit codes".
//
// Not thread-safe (one per process).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/exit_codes.h"
#include "common/api_client.h"
#include "common/time.h"

namespace agentdraft::cli {

struct GlobalOptions {
  bool json = false;
  std::string base_url;  // --base-url (else $AGENTDRAFT_BASE_URL, else the default)
  std::string socket;    // --socket (else $AGENTDRAFT_SOCKET, else the default path)
  std::string api_key;   // --api-key (else $AGENTDRAFT_API_KEY)
  std::string as;        // --as AGENT (owner only, over the socket)
  std::string tz;        // --tz (else $AGENTDRAFT_TZ, else the owner's setting)
};

// A 2xx answer: the body as received and parsed.
struct Reply {
  int status = 0;
  std::string body;
  nlohmann::json json;
};

class Context {
 public:
  enum class Role {
    kAgent,         // needs an agent identity: a key, or --as over the socket
    kAgentOrOwner,  // the key when given; else the socket (as the owner, or --as)
    kOwner,         // the socket
  };

  Context(GlobalOptions options, std::ostream& out, std::ostream& err);

  const GlobalOptions& options() const { return options_; }
  std::ostream& out() { return out_; }
  std::ostream& err() { return err_; }
  bool json() const { return options_.json; }

  // The socket path the owner's commands use.
  std::string SocketPath() const;
  // True when requests go over the socket for `role` (no key given, or an owner command).
  bool UsesSocket(Role role) const;

  // Sends one request as `role`. A 2xx answer is returned; anything else becomes a
  // CommandError that says what `doing` was ("committing 16:00–16:30") and what the daemon
  // answered, with its exit code. In --json mode an error body is printed to stdout too.
  CliResult<Reply> Call(Role role, const char* method, const std::string& path,
                        const nlohmann::json* body, const std::string& doing,
                        const std::vector<std::string>& headers = {});

  // As Call without a request body, for an answer that is not one JSON document (the JSON
  // lines of GET /v1/audit/export): returns the 2xx body exactly as received.
  CliResult<std::string> CallRaw(Role role, const char* method, const std::string& path,
                                 const std::string& doing);

  // The time zone for friendly times: --tz, $AGENTDRAFT_TZ, else the owner's setting (asked
  // of the daemon once, only when a friendly form needs it).
  CliResult<std::string> TimeZone(Role role);
  // Parses a time argument (RFC 3339 or a friendly form, docs/cli.md). Exit 2 when bad.
  // Relative forms ("+3d") count from `base` when given, else from now.
  CliResult<Time> ParseTime(Role role, const std::string& text, const std::string& flag,
                            const Time* base = nullptr);
  // "Tue 2026-11-24 16:00 CET" in the zone already known (--tz, or asked by TimeZone());
  // RFC 3339 otherwise: formatting never costs a request.
  std::string Local(Time t);
  std::string Local(const nlohmann::json& rfc3339);  // "-" when not a string

  // Prints `reply` per --json, else runs `human`. Returns kOk.
  ExitCode Print(const Reply& reply, const std::function<void()>& human);

  // Prints the error to stderr; returns its exit code.
  ExitCode Fail(const CommandError& error);

  // The client requests as `role` go through (for streams; Call and CallRaw use it too).
  CliResult<ApiClient*> ClientFor(Role role);

 private:
  // One request; the 2xx answer, or the CommandError (transport or non-2xx; in --json mode an
  // error body is printed to stdout).
  CliResult<ApiResponse> Send(Role role, const char* method, const std::string& path,
                              const std::string* body, const std::string& doing,
                              const std::vector<std::string>& headers,
                              std::chrono::milliseconds timeout);

  GlobalOptions options_;
  std::ostream& out_;
  std::ostream& err_;
  std::unique_ptr<ApiClient> http_;
  std::unique_ptr<ApiClient> socket_;
  std::optional<std::string> tz_;
};

// The role the owner-only commands pass to Context::Call.
inline constexpr Context::Role kOwner = Context::Role::kOwner;

// Usage error (exit 2) with `message`.
CommandError UsageProblem(std::string message);

}  // namespace agentdraft::cli
