#include "common/error_codes.h"

#include <iterator>

namespace agentdraft {

namespace {
constexpr ErrorCodeInfo kTable[] = {
    {ErrorCode::kValidationError, "validation_error", 400, ExitCode::kUsage},
    {ErrorCode::kUnauthorized, "unauthorized", 401, ExitCode::kAuth},
    {ErrorCode::kForbidden, "forbidden", 403, ExitCode::kAuth},
    {ErrorCode::kNotFound, "not_found", 404, ExitCode::kNotFound},
    {ErrorCode::kMethodNotAllowed, "method_not_allowed", 405, ExitCode::kUsage},
    {ErrorCode::kRequestTimeout, "request_timeout", 408, ExitCode::kError},
    {ErrorCode::kOutranked, "outranked", 409, ExitCode::kConflict},
    {ErrorCode::kIdempotencyInFlight, "idempotency_in_flight", 409, ExitCode::kConflict},
    {ErrorCode::kInvalidState, "invalid_state", 409, ExitCode::kConflict},
    {ErrorCode::kNameTaken, "name_taken", 409, ExitCode::kConflict},
    {ErrorCode::kPayloadTooLarge, "payload_too_large", 413, ExitCode::kUsage},
    {ErrorCode::kUriTooLong, "uri_too_long", 414, ExitCode::kUsage},
    {ErrorCode::kRangeNotSatisfiable, "range_not_satisfiable", 416, ExitCode::kUsage},
    {ErrorCode::kExpectationFailed, "expectation_failed", 417, ExitCode::kUsage},
    {ErrorCode::kIdempotencyMismatch, "idempotency_mismatch", 422, ExitCode::kRuleViolation},
    {ErrorCode::kRuleViolation, "rule_violation", 422, ExitCode::kRuleViolation},
    {ErrorCode::kHoldLimit, "hold_limit", 422, ExitCode::kRuleViolation},
    {ErrorCode::kCounterLimit, "counter_limit", 422, ExitCode::kRuleViolation},
    {ErrorCode::kForbiddenTarget, "forbidden_target", 422, ExitCode::kRuleViolation},
    {ErrorCode::kQuotaExceeded, "quota_exceeded", 422, ExitCode::kRuleViolation},
    {ErrorCode::kRateLimited, "rate_limited", 429, ExitCode::kRateLimited},
    {ErrorCode::kTooManyStreams, "too_many_streams", 429, ExitCode::kRateLimited},
    {ErrorCode::kHeadersTooLarge, "headers_too_large", 431, ExitCode::kUsage},
    {ErrorCode::kInternal, "internal", 500, ExitCode::kError},
    {ErrorCode::kNotImplemented, "not_implemented", 501, ExitCode::kError},
    {ErrorCode::kUnavailable, "unavailable", 503, ExitCode::kError},
};
// Row i is ErrorCode i, so InfoOf is an index.
constexpr bool InEnumOrder() {
  for (size_t i = 0; i < std::size(kTable); ++i) {
    if (static_cast<size_t>(kTable[i].id) != i) return false;
  }
  return true;
}
static_assert(InEnumOrder(), "kTable's rows must follow ErrorCode's order");
static_assert(std::size(kTable) == static_cast<size_t>(ErrorCode::kUnavailable) + 1,
              "every ErrorCode needs its row");
}  // namespace

const ErrorCodeInfo* FindErrorCode(std::string_view code) {
  for (const ErrorCodeInfo& info : kTable) {
    if (info.code == code) return &info;
  }
  return nullptr;
}

int HttpStatusFor(std::string_view code) {
  const ErrorCodeInfo* info = FindErrorCode(code);
  return info ? info->http_status : 500;
}

ExitCode ExitCodeFor(std::string_view code) {
  const ErrorCodeInfo* info = FindErrorCode(code);
  return info ? info->exit_code : ExitCode::kError;
}

const ErrorCodeInfo& InfoOf(ErrorCode code) { return kTable[static_cast<size_t>(code)]; }

ErrorCode ErrorOf(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk: break;
    case StatusCode::kInvalidArgument: return ErrorCode::kValidationError;
    case StatusCode::kNotFound: return ErrorCode::kNotFound;
    case StatusCode::kConflict: return ErrorCode::kInvalidState;
    case StatusCode::kAlreadyExists: return ErrorCode::kNameTaken;
    case StatusCode::kUnauthorized: return ErrorCode::kUnauthorized;
    case StatusCode::kForbidden: return ErrorCode::kForbidden;
    case StatusCode::kUnavailable: return ErrorCode::kUnavailable;
    case StatusCode::kInternal: break;
  }
  return ErrorCode::kInternal;
}

std::string_view ErrorCodeFor(const Status& status) { return status.ok() ? "" : NameOf(ErrorOf(status)); }

}  // namespace agentdraft
