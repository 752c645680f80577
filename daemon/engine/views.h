// Views: the JSON the API shows for claims, audit rows and errors (docs/api.md).
// Thread-safe: pure functions.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "daemon/store/records.h"

namespace agentdraft::engine {

// A booking as in the 201 of POST /v1/bookings (without the audit fields, which the caller
// adds when it has them).
nlohmann::json BookingJson(const store::ClaimRecord& booking, int agent_priority);
// A hold as in the 201 of POST /v1/holds.
nlohmann::json HoldJson(const store::ClaimRecord& hold, int agent_priority);
// A counter-proposal as in the 201 of POST /v1/bookings/{id}/counter.
nlohmann::json CounterJson(const store::CounterRecord& counter);
// One row of GET /v1/audit.
nlohmann::json AuditEventJson(const store::AuditRecord& row);

// {"error": code, "message": message, …extra}, serialized.
std::string ErrorBody(std::string_view code, std::string_view message,
                      const nlohmann::json& extra = nlohmann::json::object());

}  // namespace agentdraft::engine
