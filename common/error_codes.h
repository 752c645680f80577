// The one table of API error codes: each code's HTTP status and CLI exit code.
//
// The daemon answers `{"error": code, "message": …}` with HttpStatusFor(code); the CLI exits
// with ExitCodeFor(code). docs/cli.md, "Exit codes", lists them. Thread-safe: constant data.
#pragma once

#include <string_view>

#include "common/status.h"

namespace agentdraft {

enum class ExitCode : int {
  kOk = 0,
  kError = 1,
  kUsage = 2,
  kConflict = 3,       // outranked / frozen / held
  kRuleViolation = 4,  // rule_violation, idempotency_mismatch, hold_limit, quota_exceeded
  kRateLimited = 5,
  kAuth = 6,           // unauthorized / forbidden
  kNotFound = 7,
  kUnreachable = 8,    // no daemon answered
};

// Every error the daemon answers with. The one table (error_codes.cc) gives each its wire name
// ("outranked"), HTTP status and CLI exit code; nothing else writes an error's status.
enum class ErrorCode {
  kValidationError,
  kUnauthorized,
  kForbidden,
  kNotFound,
  kMethodNotAllowed,
  kRequestTimeout,
  kOutranked,
  kIdempotencyInFlight,
  kInvalidState,
  kNameTaken,
  kPayloadTooLarge,
  kUriTooLong,
  kRangeNotSatisfiable,
  kExpectationFailed,
  kIdempotencyMismatch,
  kRuleViolation,
  kHoldLimit,
  kCounterLimit,
  kForbiddenTarget,
  kQuotaExceeded,
  kRateLimited,
  kTooManyStreams,
  kHeadersTooLarge,
  kInternal,
  kNotImplemented,
  kUnavailable,
};

struct ErrorCodeInfo {
  ErrorCode id;
  std::string_view code;  // "outranked"
  int http_status;        // 409
  ExitCode exit_code;     // ExitCode::kConflict
};

// The statuses of the answers that are not errors.
inline constexpr int kHttpOk = 200;
inline constexpr int kHttpCreated = 201;

const ErrorCodeInfo& InfoOf(ErrorCode code);
inline std::string_view NameOf(ErrorCode code) { return InfoOf(code).code; }
inline int HttpStatusOf(ErrorCode code) { return InfoOf(code).http_status; }

// nullptr for a code not in the table.
const ErrorCodeInfo* FindErrorCode(std::string_view code);

// 500 / kError for unknown codes.
int HttpStatusFor(std::string_view code);
ExitCode ExitCodeFor(std::string_view code);

// The API error for a non-OK Status that crossed a module boundary without a more specific
// code: kInvalidArgument is validation_error, kNotFound not_found, kConflict (a condition on
// the current state failed) invalid_state, kAlreadyExists name_taken, kUnavailable
// unavailable, …
ErrorCode ErrorOf(const Status& status);
// NameOf(ErrorOf(status)); "" for OK.
std::string_view ErrorCodeFor(const Status& status);

}  // namespace agentdraft
