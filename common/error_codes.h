// The one table of API error codes: each code's HTTP status and CLI exit code.
//
// The daemon answers `{"error": code, "message": …}` with HttpStatusFor(code); the CLI exits
// with ExitCodeFor(code). DESIGN.md §6 fixes the exit codes. Thread-safe: constant data.
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

struct ErrorCodeInfo {
  std::string_view code;  // "outranked"
  int http_status;        // 409
  ExitCode exit_code;     // ExitCode::kConflict
};

// nullptr for a code not in the table.
const ErrorCodeInfo* FindErrorCode(std::string_view code);

// 500 / kError for unknown codes.
int HttpStatusFor(std::string_view code);
ExitCode ExitCodeFor(std::string_view code);

// The API error code for a non-OK Status that crossed a module boundary without a more
// specific code ("validation_error", "not_found", "unavailable", …).
std::string_view ErrorCodeFor(const Status& status);

}  // namespace agentdraft
