// RequestParser: turns JSON bodies and query strings into engine requests, collecting every
// problem as {field, problem} for the 400 `validation_error` (docs/api.md).
// Thread-safe: pure functions.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "daemon/api/api_error.h"
#include "daemon/engine/engine.h"

namespace agentdraft::api {

// The most rows one page of a list (bookings, audit) may ask for with ?limit=.
inline constexpr int kMaxListLimit = 1000;

// Parses `body` as a JSON object with ParseJson (common/json_parse.h): at most
// kRequestJsonDepth levels of arrays and objects, no key twice in one object. On failure sets
// `error` (400 validation_error, field "body", naming the problem and where) and returns nullopt.
std::optional<nlohmann::json> ParseObject(const std::string& body, ApiError* error);

// A query parameter's integer: decimal digits only, from `lo` to `hi` (REQUIRES: lo >= 0). On
// failure sets `error` (field `name`) and returns nullopt.
std::optional<int64_t> ParseIntParam(const char* name, const std::string& value, int64_t lo, int64_t hi,
                                     ApiError* error);

// The body of POST /v1/bookings or /v1/holds. `header_key` is the Idempotency-Key header
// ("" if absent). On failure sets `error` and returns nullopt.
std::optional<engine::ClaimRequest> ParseClaimRequest(const nlohmann::json& body,
                                                      const std::string& header_key,
                                                      const std::string& owner_id,
                                                      Duration max_claim, ApiError* error);

// The body of POST /v1/bookings/{id}/counter: `proposed` (1–5 {start, end}, each a valid
// interval of at most `max_claim`), optional `note` (≤ 500 characters) and idempotency key.
std::optional<engine::CounterRequest> ParseCounterRequest(const nlohmann::json& body,
                                                          const std::string& header_key,
                                                          Duration max_claim, ApiError* error);

// The query of GET /v1/availability (`params` as decoded key → value). `duration_minutes` and
// `granularity_minutes` are whole numbers in decimal digits only: "0x10", "+16", " 16", "16abc",
// "1e1" and "1.5" are refused.
std::optional<engine::AvailabilityQuery> ParseAvailabilityQuery(
    const std::multimap<std::string, std::string>& params, Duration max_claim,
    ApiError* error);

}  // namespace agentdraft::api
