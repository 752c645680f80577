// Client-side check of audit rows as GET /v1/audit returns them (docs/api.md, "GET /v1/audit").
//
// A row's hash is the lower-case hex SHA-256 of its prev_hash (hex text) followed by its
// canonical form: the JSON object with exactly the keys actor, at, kind, payload, resource,
// seq, subject, user_id, keys sorted at every level, no whitespace. The client recomputes it
// from what it received, so a row altered in the store or on the way no longer matches.
// Thread-safe: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace agentdraft::cli {

// The canonical text of `event`. REQUIRES: event is an object with the eight keys.
std::string CanonicalAuditRow(const nlohmann::json& event);

// What `event["hash"]` should be: Sha256Hex(prev_hash + CanonicalAuditRow(event)).
std::string ExpectedAuditHash(const nlohmann::json& event);

// One verdict per row of `events` (a JSON array in seq order, possibly a filtered view of the
// chain): "" when the row checks out, else what is wrong — "malformed row", "hash mismatch",
// or "prev_hash is not the hash of seq N" (checked only where rows N and N+1 are both present).
std::vector<std::string> CheckAuditRows(const nlohmann::json& events);

}  // namespace agentdraft::cli
