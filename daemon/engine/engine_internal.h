// Private state of the Engine, shared by engine.cc (decisions) and engine_admin.cc (owners,
// agents, keys). Not part of the engine's interface.
#pragma once

#include <map>

#include "daemon/engine/engine.h"
#include "daemon/engine/rules.h"

namespace agentdraft::engine {

// A commit waiting out its tie window.
struct Engine::Pending {
  uint64_t id = 0;
  Principal principal;
  ClaimRequest request;
  std::string fingerprint;
  BucketRange range;
  Time arrival;
  Time deadline;
  Done done;
};

// What an agent's active claims use, for the quotas (EngineOptions::max_active_claims_per_agent).
// Holds past their expiry that the sweeper has not marked yet still count here; the quota
// check leaves them out.
struct AgentUsage {
  int64_t claims = 0;
  int64_t metadata_bytes = 0;
};

// The bytes a claim's metadata counts against its agent's quota: its compact JSON, or 0 for
// none ("{}").
int64_t MetadataBytes(const std::string& metadata_json);

// One owner's calendar in memory: every active claim and the bucket each occupies.
struct Engine::Calendar {
  store::OwnerRecord owner;
  std::unordered_map<std::string, std::unique_ptr<store::ClaimRecord>> active;  // by id
  std::unordered_map<int64_t, store::ClaimRecord*> occupancy;                   // bucket → claim
  std::unordered_map<std::string, std::unordered_set<std::string>> holds_by_agent;
  std::unordered_map<std::string, AgentUsage> usage_by_agent;  // of `active`, by agent id
  std::list<Pending> pending;
  std::vector<store::RuleRecord> rule_records;  // the owner's rules, in creation order
  std::vector<Rule> rules;                      // the same, parsed
  // Pending counter-proposals, by booking id, then counter id. Only committed bookings have
  // them: a booking leaving that state takes its counters with it (ExpireCountersLocked).
  std::unordered_map<std::string, std::map<std::string, store::CounterRecord>> open_counters;
};

// What one engine step writes, and the answers to send once it is durable.
struct Engine::Txn {
  struct Answer {
    Done done;
    Outcome outcome;
    std::string idem_map_key;  // "" when the request had no idempotency key
    std::string fingerprint;
    // Runs the request again from the start (on a fresh view) with this Done, when the store
    // refuses the step because another daemon changed the calendar first; null when the
    // request is not retried (it is answered 503 then).
    std::function<void(Done)> retry;
  };
  store::Decision decision;
  std::vector<store::AuditRecord> audit;  // a copy, for EngineHooks::after_durable
  std::vector<Answer> answers;
  int64_t chain_seq_before = 0;
  std::string chain_hash_before;
};

// How a claim fares against the calendar's current occupants.
struct Engine::Verdict {
  const store::ClaimRecord* blocker = nullptr;  // first claim that keeps the slot
  std::string reason;                           // outranked / frozen / held / overlaps_own / booked
  std::vector<store::ClaimRecord*> convert;     // own holds (commit)
  std::vector<store::ClaimRecord*> displace;    // others' holds
  std::vector<store::ClaimRecord*> evict;       // others' bookings inside the bump window
  std::vector<store::ClaimRecord*> expired;     // holds past their TTL
};

std::string IdemMapKey(const std::string& agent_id, const std::string& key);

// --- Shared by the engine's files (defined in engine.cc). ---

// How often a request is run again because the store refused its step (another daemon
// changed the calendar first) before it is answered 503.
constexpr int kMaxReplays = 16;

Outcome Error(int status, std::string_view code, std::string_view message,
              const nlohmann::json& extra = nlohmann::json::object());
Outcome TooManyReplays();
// 404 for NotFound, else 503.
Outcome LookupError(const Status& s);
// The payload of a row about a request, marked when the owner made it as the agent.
nlohmann::json ActedBy(const Principal& p, nlohmann::json payload);

}  // namespace agentdraft::engine
