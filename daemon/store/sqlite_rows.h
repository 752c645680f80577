// Conversions between rows of the SQLite schema and the records of records.h.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "daemon/store/records.h"
#include "daemon/store/sqlite_connection.h"

namespace agentdraft::store {

inline std::optional<int64_t> OptMicros(const std::optional<Time>& t) {
  return t ? std::optional<int64_t>(ToMicros(*t)) : std::nullopt;
}

std::string SettingsToJson(const OwnerSettings& s);
OwnerSettings SettingsFromJson(const std::string& json);
// A counter's proposed slots as [[start_us, end_us], …] and back.
std::string SlotsToJson(const std::vector<Slot>& slots);
std::vector<Slot> SlotsFromJson(const std::string& json);

// Column lists for SELECTs, in the order the *FromRow functions read them.
extern const char* const kOwnerColumns;
extern const char* const kAgentColumns;
extern const char* const kClaimColumns;
extern const char* const kAuditColumns;
extern const char* const kCounterColumns;

OwnerRecord OwnerFromRow(const Stmt& s);
AgentRecord AgentFromRow(const Stmt& s);
ClaimRecord ClaimFromRow(const Stmt& s);
AuditRecord AuditFromRow(const Stmt& s);
CounterRecord CounterFromRow(const Stmt& s);

}  // namespace agentdraft::store
