#include "common/error_codes.h"

namespace agentdraft {

namespace {
constexpr ErrorCodeInfo kTable[] = {
    {"validation_error", 400, ExitCode::kUsage},
    {"unauthorized", 401, ExitCode::kAuth},
    {"forbidden", 403, ExitCode::kAuth},
    {"not_found", 404, ExitCode::kNotFound},
    {"method_not_allowed", 405, ExitCode::kUsage},
    {"outranked", 409, ExitCode::kConflict},
    {"idempotency_in_flight", 409, ExitCode::kConflict},
    {"invalid_state", 409, ExitCode::kConflict},
    {"name_taken", 409, ExitCode::kConflict},
    {"request_timeout", 408, ExitCode::kError},
    {"payload_too_large", 413, ExitCode::kUsage},
    {"idempotency_mismatch", 422, ExitCode::kRuleViolation},
    {"rule_violation", 422, ExitCode::kRuleViolation},
    {"hold_limit", 422, ExitCode::kRuleViolation},
    {"forbidden_target", 422, ExitCode::kRuleViolation},
    {"quota_exceeded", 422, ExitCode::kRuleViolation},
    {"rate_limited", 429, ExitCode::kRateLimited},
    {"too_many_streams", 429, ExitCode::kRateLimited},
    {"headers_too_large", 431, ExitCode::kUsage},
    {"uri_too_long", 414, ExitCode::kUsage},
    {"range_not_satisfiable", 416, ExitCode::kUsage},
    {"expectation_failed", 417, ExitCode::kUsage},
    {"internal", 500, ExitCode::kError},
    {"not_implemented", 501, ExitCode::kError},
    {"unavailable", 503, ExitCode::kError},
};
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

std::string_view ErrorCodeFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk: return "";
    case StatusCode::kInvalidArgument: return "validation_error";
    case StatusCode::kNotFound: return "not_found";
    case StatusCode::kConflict: return "outranked";
    case StatusCode::kAlreadyExists: return "name_taken";
    case StatusCode::kUnauthorized: return "unauthorized";
    case StatusCode::kForbidden: return "forbidden";
    case StatusCode::kUnavailable: return "unavailable";
    case StatusCode::kInternal: return "internal";
  }
  return "internal";
}

}  // namespace agentdraft
