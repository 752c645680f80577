// The engine's vocabulary: what callers pass in (requests, principals, options, changes) and
// what they get back (answers, views). engine.h and directory.h state what is done with them.
// Thread-safe: plain values.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error_codes.h"
#include "common/time.h"
#include "daemon/store/store.h"

namespace agentdraft::engine {

using namespace std::chrono_literals;

struct EngineOptions {
  // Defaults for owners who have not chosen their own (store::OwnerSettings).
  Duration tie_window = 20ms;
  Duration bump_window = 30s;
  Duration hold_ttl = 30s;
  int max_holds_per_agent = 20;
  // Per-agent quotas over its active claims (committed bookings and unexpired holds): how
  // many, and the sum of their metadata's bytes (compact JSON). A year of four meetings a
  // working day is about 1,000 claims; 1 MiB is 1 KiB of metadata for each, or 64 claims at
  // the 16 KiB maximum. Over either, a commit or hold is 422 quota_exceeded.
  int64_t max_active_claims_per_agent = 1000;
  int64_t max_metadata_bytes_per_agent = 1 << 20;
  Duration max_claim = 8h;
  // At most this many slots in one availability answer; the rest come with a cursor
  // (`truncated`, `next_range_start`). 31 days on the default 5-minute grid is 8,928 slots.
  int max_availability_slots = 10000;
  Duration idempotency_ttl = 24h;
  // Secret for the keyed hashes of API keys and session tokens (any length; 32 bytes random).
  std::string key_secret;
  bool run_timer_thread = true;
  // How often the timer thread marks expired holds when nothing else does.
  Duration sweep_interval = 1s;
  // agentdraftd --dev: the sessions made by the magic-link sign-in are honoured. Off, they
  // answer 401 (a daemon restarted without --dev ends every dev session).
  bool dev_mode = false;
};

// The address of the owner the Unix socket creates when there is none ("the local owner").
inline constexpr char kLocalOwnerEmail[] = "owner@localhost";

// The answer to a request: its exact JSON body and the HTTP status that goes with it. The
// engine never writes a status: an error's comes from common/error_codes.h's table, and an
// idempotent replay returns the answer it stored, byte for byte.
struct Outcome {
  int status = 0;
  std::string body;

  static Outcome Ok(const nlohmann::json& body) { return {kHttpOk, body.dump()}; }
  static Outcome Created(const nlohmann::json& body) { return {kHttpCreated, body.dump()}; }
  // {"error": name, "message": message, …extra} with the code's status.
  static Outcome Failure(ErrorCode code, std::string_view message,
                         const nlohmann::json& extra = nlohmann::json::object());
};
using Done = std::function<void(Outcome)>;

// Who is calling: an agent (API key) or the calendar's owner (session, later the socket).
struct Principal {
  enum class Kind { kAgent, kOwner };
  Kind kind = Kind::kAgent;
  std::string owner_id;
  std::string agent_id;  // kAgent only
  std::vector<std::string> scopes;
  // kAgent only: the owner's id when the owner acts as this agent (`agentdraft --as`); the
  // audit rows of its requests carry it as "acted_by".
  std::string acted_by;

  static Principal Owner(std::string owner_id) {
    Principal p;
    p.kind = Kind::kOwner;
    p.owner_id = std::move(owner_id);
    return p;
  }
  bool is_owner() const { return kind == Kind::kOwner; }
  // Owners have every scope.
  bool HasScope(std::string_view scope) const;
};

// A commit or hold, already parsed and type-checked by the API layer.
struct ClaimRequest {
  Time start;
  Time end;
  std::string idempotency_key;  // "" = none
  nlohmann::json metadata = nlohmann::json::object();
  std::string title;            // "" = none
  nlohmann::json invitee;       // null = none
  std::string hold_id;          // commit: the hold to convert ("" = any overlapping own hold)
  // Engine-internal: how often this request has been run again because the store refused
  // its step (another daemon changed the calendar first). Callers leave it 0.
  int attempt = 0;
};

// A counter-proposal, already parsed and validated by the API layer (1–5 slots, each
// end > start and at most the maximum claim length; note at most 500 characters).
struct CounterRequest {
  std::vector<store::Slot> proposed;
  std::string note;
  std::string idempotency_key;  // "" = none
  int attempt = 0;              // engine-internal, as ClaimRequest::attempt
};

struct AvailabilityQuery {
  Time range_start;
  Time range_end;
  Duration duration = 30min;
  Duration granularity = 5min;
  bool include_holds = false;  // count the caller's own holds as busy
};

// An agent as the API shows it.
struct AgentView {
  store::AgentRecord record;
  int rank = 0;  // 1 = top
};

struct CreatedAgent {
  AgentView agent;
  std::string plaintext_key;  // shown once
};

// A change to an agent (PATCH /v1/dashboard/agents/{id}); unset fields stay as they are.
struct AgentUpdate {
  std::optional<int> priority;
  std::optional<std::vector<std::string>> scopes;
};

// An owner's settings as the API shows them: what is in effect, defaults filled in.
struct SettingsView {
  std::string owner_id;
  Duration tie_window;
  Duration bump_window;
  Duration hold_ttl;
  int max_holds_per_agent = 0;
  int64_t max_active_claims_per_agent = 0;
  int64_t max_metadata_bytes_per_agent = 0;
  std::string timezone;                // IANA name; "UTC" unless chosen
  std::vector<std::string> explicit_fields;  // the ones the owner chose (others: defaults)
};

// A change to an owner's settings. For each field: nullopt = unchanged; a value inside = set;
// `reset` names fields to return to the daemon's default.
struct SettingsUpdate {
  std::optional<Duration> tie_window;
  std::optional<Duration> bump_window;
  std::optional<Duration> hold_ttl;
  std::optional<int> max_holds_per_agent;
  std::optional<int64_t> max_active_claims_per_agent;   // 1–1,000,000
  std::optional<int64_t> max_metadata_bytes_per_agent;  // 0–1 GiB
  std::optional<std::string> timezone;
  std::vector<std::string> reset;  // "tie_window_ms", "bump_window_seconds", …
};

// What `agentdraft status` shows.
struct StatusCounts {
  int agents = 0;
  int revoked_agents = 0;
  int active_bookings = 0;
  int active_holds = 0;
  int pending_commits = 0;
  int64_t audit_rows = 0;
};

struct SessionGrant {
  std::string cookie_value;
  store::OwnerRecord owner;
};

// What the daemon attaches to the engine (webhooks, the event stream, checkpoints), without
// the engine knowing them.
struct EngineHooks {
  // Called under the engine's lock just before a decision goes to the store; may add rows
  // to it (webhook deliveries for its audit rows). Must not call the engine.
  std::function<void(store::Decision&)> before_apply;
  // Called once a decision is durable with its audit rows, in seq order across calls, on the
  // store's thread (or the caller's, for administrative changes). Must not block or call the
  // engine.
  std::function<void(const std::vector<store::AuditRecord>&)> after_durable;
  // Tests: called by Availability once it has copied what it needs of the calendar and let go
  // of the engine's lock, before it computes the slots.
  std::function<void()> availability_unlocked;
};

// The ranges of the quota settings (owner settings and agentdraftd's flags).
constexpr int64_t kMaxActiveClaimsSetting = 1'000'000;
constexpr int64_t kMaxMetadataBytesSetting = int64_t{1} << 30;  // 1 GiB

// The canonical scopes an agent gets when created without a list.
const std::vector<std::string>& AllAgentScopes();

}  // namespace agentdraft::engine
