// The records of records.h as JSON (the `d` attribute of a DynamoDB item) and back. Times are
// microseconds since the epoch, as in SQLite; optional fields are absent when unset.
#pragma once

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "daemon/store/records.h"

namespace agentdraft::store::dynamo {

nlohmann::json ToJson(const OwnerRecord& r);
nlohmann::json ToJson(const AgentRecord& r);
nlohmann::json ToJson(const ClaimRecord& r);
nlohmann::json ToJson(const AuditRecord& r);
nlohmann::json ToJson(const IdempotencyRecord& r);
nlohmann::json ToJson(const CheckpointRecord& r);
nlohmann::json ToJson(const WebhookSubscription& r);
nlohmann::json ToJson(const WebhookDelivery& r);
nlohmann::json ToJson(const RuleRecord& r);
nlohmann::json ToJson(const SessionRecord& r);
nlohmann::json ToJson(const CounterRecord& r);

// Each throws nlohmann::json::exception on a malformed object; callers turn that into a
// Status naming the item.
void FromJson(const nlohmann::json& j, OwnerRecord* r);
void FromJson(const nlohmann::json& j, AgentRecord* r);
void FromJson(const nlohmann::json& j, ClaimRecord* r);
void FromJson(const nlohmann::json& j, AuditRecord* r);
void FromJson(const nlohmann::json& j, IdempotencyRecord* r);
void FromJson(const nlohmann::json& j, CheckpointRecord* r);
void FromJson(const nlohmann::json& j, WebhookSubscription* r);
void FromJson(const nlohmann::json& j, WebhookDelivery* r);
void FromJson(const nlohmann::json& j, RuleRecord* r);
void FromJson(const nlohmann::json& j, SessionRecord* r);
void FromJson(const nlohmann::json& j, CounterRecord* r);

}  // namespace agentdraft::store::dynamo
