// ApiError: the one shape of an error answer (docs/api.md "Errors"):
// {"error": code, "message": message, …extra}, sent with the HTTP status HttpStatusFor(code)
// from common/error_codes.h, the one table of codes. Every error the API layer writes is an
// ApiError written by RespondError; no handler picks a status for an error itself. (Answers the
// engine decided, engine::Outcome, are relayed as the engine wrote them: server.h Respond.)
//
// Thread-safe: values and pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "common/status.h"

namespace agentdraft::api {

// One problem of a request, for the 400 validation_error's `details`.
struct FieldProblem {
  std::string field;
  std::string problem;
};

struct ApiError {
  std::string code;     // a code of common/error_codes.cc's table
  std::string message;  // for people
  nlohmann::json extra = nlohmann::json::object();  // more fields of the body

  // 400 validation_error listing `problems` as `details: [{field, problem}]`.
  static ApiError Validation(const std::vector<FieldProblem>& problems);
  // A Status that crossed into the API, coded by ErrorCodeFor(), with its message.
  // REQUIRES: !status.ok().
  static ApiError FromStatus(const Status& status);
  // The same, but an InvalidArgument is a validation error on `field` (with `details`).
  static ApiError FromStatus(const Status& status, std::string_view field);

  int http_status() const;
  // The body as sent (bytes that are not UTF-8 replaced).
  std::string Body() const;
};

// Writes `error` as the response: its status and JSON body.
void RespondError(httplib::Response& res, const ApiError& error);

// `error` as a whole HTTP/1.1 response that closes the connection (with `Retry-After: 1`
// when `retry_after`): for the listeners' front ends, which answer before httplib has a request.
std::string RawErrorResponse(const ApiError& error, bool retry_after = false);

}  // namespace agentdraft::api
