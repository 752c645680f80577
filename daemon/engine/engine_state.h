// The engine's state: every calendar in memory, the agents and their keys, the owners, the
// audit chain, and the one lock that guards them. The claim-deciding core (core.h) and the
// directory (directory_impl.h) share one State, so their changes are ordered by one lock.
// Not part of the engine's interface.
#pragma once

#include <atomic>
#include <list>
#include <map>
#include <memory>
#include <unordered_map>
#include <unordered_set>

#include "common/clock.h"
#include "common/thread_annotations.h"
#include "daemon/engine/audit_chain.h"
#include "daemon/engine/buckets.h"
#include "daemon/engine/rules.h"
#include "daemon/engine/types.h"
#include "daemon/store/store.h"

namespace agentdraft::engine {

// A commit waiting out its tie window.
struct Pending {
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
struct Calendar {
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
struct Txn {
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
struct Verdict {
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

// Outcome::Failure: the error answers of the engine's files.
Outcome Error(ErrorCode code, std::string_view message, const nlohmann::json& extra = nlohmann::json::object());
Outcome TooManyReplays();
// 404 for NotFound, else 503.
Outcome LookupError(const Status& s);
// The payload of a row about a request, marked when the owner made it as the agent.
nlohmann::json ActedBy(const Principal& p, nlohmann::json payload);

// What the core and the directory share, under `mu`.
class State {
 public:
  State(store::Store& store, const Clock& clock, EngineOptions options)
      : store(store), clock(clock), options(std::move(options)) {}

  store::Store& store;
  const Clock& clock;
  const EngineOptions options;
  EngineHooks hooks;  // set before Start, then read only

  mutable Mutex mu;
  std::unordered_map<std::string, std::unique_ptr<Calendar>> calendars GUARDED_BY(mu);  // by owner id
  std::unordered_map<std::string, store::AgentRecord> agents GUARDED_BY(mu);            // by agent id
  std::unordered_map<std::string, std::string> agent_by_key_hash GUARDED_BY(mu);
  std::unordered_map<std::string, std::string> owner_by_email GUARDED_BY(mu);
  // Sessions seen, by token hash; each use still checks expiry and revocation. Not used on a
  // shared store (another daemon may end a session).
  std::unordered_map<std::string, store::SessionRecord> session_by_hash GUARDED_BY(mu);
  AuditChain chain GUARDED_BY(mu);
  // The view is stale (the store refused a change made on it): the core's timer reloads it.
  std::atomic<bool> reload_needed{false};
  std::condition_variable_any wake_timer;
  // The core's part of every load, under mu (Core::SettleBlockedLocked).
  std::function<void()> after_load;
  int64_t next_rank_order GUARDED_BY(mu) = 1;

  // Loads every calendar from the store (keeping the commits still waiting out their tie
  // window).
  Status LoadLocked() REQUIRES(mu);
  // Waits for the store's queue, then reloads the view from it (logging a failure).
  void ReloadLocked() REQUIRES(mu);
  // Shared stores: reloads when the store's audit head has moved past ours (another daemon
  // wrote); a no-op on a store of one daemon. Called before every owner's change (agents,
  // ranking, settings, rules, sign-in), so it is decided on the store's state rather than
  // answered 503 on a conflict.
  void RefreshIfStaleLocked() REQUIRES(mu);
  Calendar& AddCalendarLocked(const store::OwnerRecord& owner) REQUIRES(mu);
  Calendar* FindCalendarLocked(const std::string& owner_id) REQUIRES(mu);

  // Applies a decision synchronously with the hooks (before_apply, after_durable).
  Status ApplySyncLocked(store::Decision d) REQUIRES(mu);
  // Applies an administrative decision synchronously; on failure rewinds the audit chain.
  Status ApplyAdminLocked(store::Decision d, int64_t seq_before, const std::string& hash_before) REQUIRES(mu);

  store::AgentRecord* FindAgentLocked(const std::string& owner_id, const std::string& agent_ref) REQUIRES(mu);
  // FindAgentLocked; when it finds nothing, refreshes from a shared store (the agent may have
  // been made at another daemon moments ago) and looks again. May reload, so hold no other
  // pointer into the view across it.
  store::AgentRecord* FindAgentCatchingUpLocked(const std::string& owner_id, const std::string& agent_ref)
      REQUIRES(mu);

  // Ranking: priority, then the order of ranking, then id.
  static bool Outranks(const store::AgentRecord& a, const store::AgentRecord& b);
  bool IsTopRankedLocked(const store::AgentRecord& a) const REQUIRES(mu);
  int RankOfLocked(const store::AgentRecord& a) const REQUIRES(mu);

  // The owner's settings in effect (its own, else the daemon's defaults).
  Duration TieWindow(const Calendar& cal) const;
  Duration BumpWindow(const Calendar& cal) const;
  Duration HoldTtl(const Calendar& cal) const;
  int MaxHolds(const Calendar& cal) const;
  int64_t MaxActiveClaims(const Calendar& cal) const;
  int64_t MaxMetadataBytes(const Calendar& cal) const;

  // Adds (sign +1) or takes away (-1) `claim` from its agent's usage in `cal` (the quotas).
  static void CountUsage(Calendar& cal, const store::ClaimRecord& claim, int sign);
  // The keyed hash of an API key or session token (EngineOptions::key_secret).
  std::string KeyedHash(std::string_view secret_text) const;
};

}  // namespace agentdraft::engine
