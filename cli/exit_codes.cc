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

ExitCode ExitCodeForHttpStatus(int http_status) {
  switch (http_status) {
    case 400:
      return ExitCode::kUsage;
    case 401:
    case 403:
      return ExitCode::kAuth;
    case 404:
      return ExitCode::kNotFound;
    case 409:
      return ExitCode::kConflict;
    case 422:
      return ExitCode::kRuleViolation;
    case 429:
      return ExitCode::kRateLimited;
    default:
      return ExitCode::kError;
  }
}

}  // namespace

ExitCode ExitCodeForResponse(int http_status, std::string_view body) {
  if (http_status >= 200 && http_status < 300) return ExitCode::kOk;
  const std::string code = ErrorFields(body).first;
  if (FindErrorCode(code) != nullptr) return ExitCodeFor(code);
  return ExitCodeForHttpStatus(http_status);
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
