#include "cli/exit_codes.h"

#include <nlohmann/json.hpp>

#include "common/json_parse.h"

namespace agentdraft::cli {

namespace {

// The `error` and `message` fields of a JSON error body, or empty strings.
std::pair<std::string, std::string> ErrorFields(std::string_view body) {
  const Result<nlohmann::json> parsed = ParseJson(body, {.max_depth = kDocumentJsonDepth});
  if (!parsed.ok() || !parsed->is_object()) return {};
  const nlohmann::json& j = parsed.value();
  const auto text = [&](const char* key) {
    return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
  };
  return {text("error"), text("message")};
}

// The API error code a bare status stands for, when the body names none (a proxy's page, an
// unknown code): its exit code then comes from the one table like any other. A status not
// here is kError.
std::string_view ErrorCodeForHttpStatus(int http_status) {
  switch (http_status) {
    case 400: return "validation_error";
    case 401: return "unauthorized";
    case 403: return "forbidden";
    case 404: return "not_found";
    case 409: return "outranked";
    case 422: return "rule_violation";
    case 429: return "rate_limited";
    default: return "internal";
  }
}

}  // namespace

ExitCode ExitCodeForResponse(int http_status, std::string_view body) {
  if (http_status >= 200 && http_status < 300) return ExitCode::kOk;
  const std::string code = ErrorFields(body).first;
  if (FindErrorCode(code) != nullptr) return ExitCodeFor(code);
  return ExitCodeFor(ErrorCodeForHttpStatus(http_status));
}

CommandError ErrorFromResponse(std::string_view doing, const ApiResponse& response) {
  const auto [code, message] = ErrorFields(response.body);
  std::string text = std::string(doing) + ": " + std::to_string(response.status);
  if (!code.empty()) text += " " + code;
  if (!message.empty()) text += ": " + message;
  if (code.empty() && message.empty() && !response.body.empty()) {
    text += ": " + response.body.substr(0, 200);
  }
  return {ExitCodeForResponse(response.status, response.body), text};
}

CommandError ErrorFromTransport(const Status& status) {
  return {ExitCode::kUnreachable, status.message()};
}

}  // namespace agentdraft::cli
