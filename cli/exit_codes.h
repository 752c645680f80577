// How a command's failures become exit codes (docs/cli.md, "Exit codes").
//
// The mapping itself is the one table in common/error_codes.h (API error code → exit code);
// this file applies it to what the CLI actually sees: an HTTP answer (with or without a JSON
// error body) or no answer at all. CommandError carries the message for stderr along with the
// exit code, and CliResult<T> is a value or a CommandError. Thread-safe: values only.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "common/api_client.h"
#include "common/error_codes.h"
#include "common/status.h"

namespace agentdraft::cli {

// Why a command stops: what to print and which code to exit with.
struct CommandError {
  ExitCode exit_code = ExitCode::kError;
  std::string message;
};

// A value, or the CommandError that prevented it.
template <typename T>
class [[nodiscard]] CliResult {
 public:
  CliResult(T value) : v_(std::move(value)) {}             // NOLINT: implicit by design
  CliResult(CommandError error) : v_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(v_); }
  const CommandError& error() const { return std::get<CommandError>(v_); }
  T& value() { return std::get<T>(v_); }
  T* operator->() { return &value(); }
  T& operator*() { return value(); }

 private:
  std::variant<T, CommandError> v_;
};

// The exit code for an HTTP answer. 2xx is kOk. Otherwise the body's `error` code decides
// (ExitCodeFor); a body without a known one (a proxy's HTML page, say) is read as the API code
// its status stands for — 400 validation_error, 401 unauthorized, 403 forbidden, 404
// not_found, 409 outranked, 422 rule_violation, 429 rate_limited, anything else internal —
// and that code's row decides. Every exit code comes from the table.
ExitCode ExitCodeForResponse(int http_status, std::string_view body);

// "<doing>: <status> <error>: <message>" for a non-2xx answer, with its exit code.
// E.g. ErrorFromResponse("creating agent exec-ea", r) → {kAuth, "creating agent exec-ea:
// 401 unauthorized: no valid session"}.
CommandError ErrorFromResponse(std::string_view doing, const ApiResponse& response);

// A request that got no HTTP answer (ApiClient's Unavailable): kUnreachable.
CommandError ErrorFromTransport(const Status& status);

}  // namespace agentdraft::cli
