#include "daemon/api/api_error.h"

#include "common/error_codes.h"
#include "daemon/engine/views.h"

namespace agentdraft::api {

namespace {
// The reason phrase of the statuses common/error_codes.cc uses.
const char* ReasonPhrase(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    default: return status >= 500 ? "Internal Server Error" : "Bad Request";
  }
}
}  // namespace

ApiError ApiError::Validation(const std::vector<FieldProblem>& problems) {
  nlohmann::json details = nlohmann::json::array();
  std::string message;
  for (const FieldProblem& p : problems) {
    details.push_back({{"field", p.field}, {"problem", p.problem}});
    message += (message.empty() ? "" : "; ") + p.field + ": " + p.problem;
  }
  return {"validation_error", std::move(message), {{"details", std::move(details)}}};
}

ApiError ApiError::FromStatus(const Status& status) {
  return {std::string(ErrorCodeFor(status)), status.message()};
}

ApiError ApiError::FromStatus(const Status& status, std::string_view field) {
  if (status.code() == StatusCode::kInvalidArgument) {
    return Validation({{std::string(field), status.message()}});
  }
  return FromStatus(status);
}

int ApiError::http_status() const { return HttpStatusFor(code); }

std::string ApiError::Body() const { return engine::ErrorBody(code, message, extra); }

void RespondError(httplib::Response& res, const ApiError& error) {
  res.status = error.http_status();
  res.set_content(error.Body(), "application/json");
}

std::string RawErrorResponse(const ApiError& error, bool retry_after) {
  const int status = error.http_status();
  const std::string body = error.Body();
  std::string response = "HTTP/1.1 " + std::to_string(status) + " " + ReasonPhrase(status) +
                         "\r\nContent-Type: application/json\r\nContent-Length: " +
                         std::to_string(body.size()) + "\r\nConnection: close\r\n";
  if (retry_after) response += "Retry-After: 1\r\n";
  return response + "\r\n" + body;
}

}  // namespace agentdraft::api
