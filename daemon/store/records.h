// The rows agentdraft keeps, as plain values. Every store (SQLite, later DynamoDB) keeps
// exactly these; daemon/store/store.h says how they are read and written.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/time.h"

namespace agentdraft::store {

// Per-owner engine settings. An unset field falls back to the daemon's default
// (agentdraftd --tie-window etc.).
struct OwnerSettings {
  std::optional<Duration> tie_window;   // 0–5 s
  std::optional<Duration> bump_window;
  std::optional<Duration> hold_ttl;
  std::optional<int> max_holds_per_agent;
  std::optional<std::string> timezone;  // IANA name
  // Per-agent quotas over the agent's active claims (committed bookings, unexpired holds).
  std::optional<int64_t> max_active_claims_per_agent;
  std::optional<int64_t> max_metadata_bytes_per_agent;  // sum of their metadata JSON's bytes
};

struct OwnerRecord {
  std::string id;     // "usr_…"
  std::string email;  // unique
  Time created_at;
  OwnerSettings settings;
  // Made by the dev-mode magic-link sign-in (agentdraftd --dev). Such an owner is never the
  // one the Unix socket speaks for, and only such an owner can be signed in to by a magic link.
  bool dev = false;
  // Sessions created at or before this time are void ("sign out everywhere"); nullopt: none.
  std::optional<Time> sessions_revoked_at;
};

struct AgentRecord {
  std::string id;        // "agt_…"
  std::string owner_id;
  std::string name;      // unique per owner
  int priority = 0;      // 1 = highest
  int64_t rank_order = 0;  // tiebreak at equal priority: lower stands earlier
  std::vector<std::string> scopes;
  std::string key_prefix;  // first characters of the key, for lookup; not secret
  std::string key_hash;    // keyed BLAKE2b of the whole key, hex
  Time created_at;
  std::optional<Time> revoked_at;
};

enum class ClaimKind { kBooking, kHold };

enum class ClaimState {
  // bookings
  kCommitted, kCancelled, kEvicted,
  // holds
  kHeld, kReleased, kExpired, kDisplaced, kConverted,
};

// "COMMITTED", "HELD", … (the wire form) and back; false if unknown.
const char* ClaimStateName(ClaimState s);
bool ParseClaimState(const std::string& name, ClaimState* out);
// True for kCommitted and kHeld: the claim occupies its buckets (a held claim only until
// expires_at).
bool IsActive(ClaimState s);

struct ClaimRecord {
  std::string id;  // "bkg_…" or "hld_…"
  std::string owner_id;
  std::string agent_id;
  ClaimKind kind = ClaimKind::kBooking;
  ClaimState state = ClaimState::kCommitted;
  Time start, end;     // [start, end)
  Time created_at;
  Time expires_at;     // holds: end of the TTL; bookings: unused (epoch)
  Time frozen_at;      // bookings: created_at + bump window; holds: unused (epoch)
  std::optional<Time> ended_at;  // when it left its active state
  std::string ended_by;          // the claim (bkg_/hld_) or agent that ended it, or ""
  std::string metadata_json = "{}";  // the request's metadata object
  std::string title;                 // "" if none
  std::string invitee_json;          // "" if none, else {"name":…,"email":…}
  std::string idempotency_key;       // "" if none
};

// One row of the hash-chained audit log (docs/design.md, "The audit chain").
struct AuditRecord {
  int64_t seq = 0;        // 1, 2, 3, … without gaps
  Time at;                // when the change took effect
  std::string owner_id;
  std::string actor;      // agent or owner id that caused it
  std::string subject;    // the agent whose claim it concerns ("" if none)
  std::string kind;       // "booking.committed", …
  std::string resource;   // "bkg_…", "hld_…", "agt_…"
  std::string payload_json;  // canonical JSON
  std::string prev_hash;     // hex; 64 zeros for seq 1
  std::string hash;          // hex SHA-256(prev_hash ‖ canonical row)
};

// The stored answer to an idempotent request, replayed byte for byte.
struct IdempotencyRecord {
  std::string agent_id;
  std::string key;
  std::string fingerprint;  // hex hash of the canonical request
  int http_status = 0;
  std::string response_body;
  Time created_at;
};

// A signed checkpoint of the audit chain (docs/audit.md).
struct CheckpointRecord {
  int64_t size = 0;        // rows covered: 1..size
  std::string head;        // hash of row `size`
  Time at;                 // when it was signed (milliseconds)
  std::string key_hex;     // Ed25519 public key
  std::string signature_hex;
};

// A webhook subscription: events of `event_type` ("booking.evicted", or "*" for all) of one
// owner's calendar are POSTed to `url`, signed with `secret`.
struct WebhookSubscription {
  std::string id;  // "sub_…"
  std::string owner_id;
  std::string event_type;
  std::string url;
  std::string secret;  // "whsec_…": the HMAC key
  Time created_at;
  std::optional<Time> deleted_at;
};

// One of an owner's rules (docs/design.md, "Rules"): the kind and its settings as canonical JSON; the
// engine (daemon/engine/rules.h) parses and enforces them.
struct RuleRecord {
  std::string id;  // "rul_…"
  std::string owner_id;
  std::string kind;       // business_hours, focus, buffer, cap, notice, horizon
  std::string spec_json;  // the rule's fields, as the API shows them (without id and kind)
  Time created_at;
  Time updated_at;
  std::optional<Time> deleted_at;
};

// A counter-proposal (docs/design.md, "Counter-proposals"): an agent that lost a slot to booking `booking_id` offers
// its agent (the winner) 1–5 other slots for it. The winner accepts one (its booking moves
// there: a new booking, the original cancelled, in one decision) or rejects; when the
// booking ends any other way first, its pending counters expire.
enum class CounterState { kPending, kAccepted, kRejected, kExpired };
const char* CounterStateName(CounterState s);  // "PENDING", "ACCEPTED", "REJECTED", "EXPIRED"
bool ParseCounterState(const std::string& name, CounterState* out);

struct Slot {
  Time start, end;  // [start, end)
  bool operator==(const Slot&) const = default;
};

struct CounterRecord {
  std::string id;  // "ctr_…"
  std::string owner_id;
  std::string booking_id;        // the booking the proposer lost to
  std::string booking_agent_id;  // that booking's agent: the one who accepts or rejects
  std::string agent_id;          // the proposer
  std::vector<Slot> proposed;    // 1–5, in the proposer's order
  std::string note;              // "" if none; at most 500 characters
  CounterState state = CounterState::kPending;
  Time created_at;
  std::optional<Time> ended_at;  // when it left PENDING
  std::optional<int> accepted_slot;  // ACCEPTED: the index into `proposed`
  std::string new_booking_id;        // ACCEPTED: the booking made on that slot
};

enum class DeliveryState { kPending, kDelivered, kFailed };
const char* DeliveryStateName(DeliveryState s);  // "pending", "delivered", "failed"
bool ParseDeliveryState(const std::string& name, DeliveryState* out);

// One event for one subscription, persisted with the audit row it carries (so before its
// first attempt) and updated after each attempt.
struct WebhookDelivery {
  std::string id;  // "dlv_…", sent as X-Agentdraft-Delivery; repeated on retries
  std::string subscription_id;
  std::string owner_id;
  int64_t audit_seq = 0;
  std::string event_type;  // the audit row's kind
  std::string body;        // the JSON POSTed
  DeliveryState state = DeliveryState::kPending;
  int attempts = 0;
  Time created_at;
  Time next_attempt_at;
  std::optional<Time> finished_at;  // delivered, or given up
  int last_status = 0;              // the receiver's last HTTP status (0: none)
  std::string last_error;
};

struct SessionRecord {
  std::string token_hash;  // hex SHA-256 of the cookie value
  std::string owner_id;
  Time created_at;
  Time expires_at;
  bool dev = false;  // made by the dev-mode sign-in: refused by a daemon started without --dev
};

}  // namespace agentdraft::store
