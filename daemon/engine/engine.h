// Engine: decides who gets a slot (DESIGN.md §3), and hands every decision to the Store.
//
// The engine keeps each owner's calendar in memory (agents and their rank, active claims,
// bucket occupancy, commits waiting out the tie window) and decides under one lock. A decision
// becomes one store::Decision (bucket writes with their expected occupants, claim rows, audit
// rows, idempotency records); the answers to the requests it settles are delivered only after
// the store reports it durable. So a 201 is never sent for a booking that could be lost.
//
// Requests are asynchronous: Commit/Hold/Release/Cancel take a `Done` callback that is called
// exactly once, on the caller's, the engine's or the store's thread. A Done callback must not
// call back into the engine.
//
// Time comes only from the injected Clock. With `run_timer_thread` the engine settles tie
// windows and sweeps expired holds by itself; tests turn it off, move a FakeClock, and call
// RunDue().
//
// Thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/status.h"
#include "daemon/engine/audit_chain.h"
#include "daemon/engine/buckets.h"
#include "daemon/engine/rules.h"
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

// The answer to a request: an HTTP status and the exact JSON body.
struct Outcome {
  int status = 0;
  std::string body;
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

class Engine {
 public:
  Engine(store::Store& store, const Clock& clock, EngineOptions options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // REQUIRES: before Start().
  void SetHooks(EngineHooks hooks) { hooks_ = std::move(hooks); }
  // Loads the calendars from the store and starts the timer thread (if configured).
  Status Start();
  // Settles every waiting commit now, stops the timer thread, and waits for the store.
  void Stop();

  // --- Agent operations (DESIGN.md §3). REQUIRES: principal is an agent. ---
  void Commit(const Principal& principal, ClaimRequest request, Done done);
  void Hold(const Principal& principal, ClaimRequest request, Done done);
  void Release(const Principal& principal, const std::string& hold_id, Done done);
  // The booking's agent or the owner.
  void Cancel(const Principal& principal, const std::string& booking_id, Done done);
  // --- Counter-proposals (DESIGN.md §2, docs/design.md "Counter-proposals"). ---
  // Agent `p` offers the agent of booking `booking_id` (on p's calendar) other slots for it:
  // 201 with the counter. 404 when the booking is not on p's calendar, 400 when it is p's own,
  // 409 invalid_state when it is no longer committed, 422 counter_limit at 5 pending counters
  // of p's on it. Idempotent by key like a commit.
  void ProposeCounter(const Principal& p, const std::string& booking_id, CounterRequest r, Done done);
  // The counters on booking `booking_id`: every one for its agent and the owner, the
  // caller's own for any other agent of the calendar; 404 when the booking is not on it.
  Outcome ListCounters(const Principal& p, const std::string& booking_id);
  // The booking's agent (or the owner) takes slot `slot_index` of a pending counter: that slot
  // is judged as a commit by the booking's agent, at once (rank, holds, bump window, rules),
  // the booking itself not counting against it; if it wins, one decision makes the new
  // booking, cancels the original (ended_by the new one) and marks the counter ACCEPTED; its
  // other pending counters expire with the original. 201 {counter…, booking}; 409 outranked
  // (the counter stays pending); 409 invalid_state when the counter or booking is no longer
  // pending/committed; accepting again with the same slot answers 200 with the same result.
  void AcceptCounter(const Principal& p, const std::string& booking_id, const std::string& counter_id,
                     int slot_index, Done done);
  // The booking's agent (or the owner) declines a pending counter: 200, REJECTED. Rejecting
  // again is harmless; 409 invalid_state when it was accepted or expired.
  void RejectCounter(const Principal& p, const std::string& booking_id, const std::string& counter_id,
                     Done done);

  // Free slots from the engine's current view (committed bookings, unexpired holds, rules).
  // Copies what it needs under the lock (the busy buckets of the range, the rules, the
  // bookings near it) and computes the slots after releasing it, so a long query never delays
  // a decision. At most `max_availability_slots` slots; when there are more, the answer says
  // `truncated: true` and `next_range_start` (the first slot left out) to ask again from.
  Outcome Availability(const Principal& principal, const AvailabilityQuery& query);

  // Settles the tie-window commits whose time has come; returns when the next one is due
  // (Time::max() if none). Called by the timer thread, or by tests after moving the clock.
  Time RunDue();
  // Marks holds whose TTL has passed as expired (audit row each). Called by the timer thread.
  void SweepExpiredHolds();

  // --- Owners, agents, keys, sessions (engine_sessions.cc). ---
  // Dev-mode magic link: a one-time token for `email`, valid 15 minutes.
  std::string IssueMagicToken(const std::string& email);
  // Whether the magic link may sign in to `email`: Forbidden for kLocalOwnerEmail and for
  // every owner not made by the magic link (the Unix socket's owner above all), so that a web
  // page or a peer can never become the machine's owner; Ok otherwise (a new address makes a
  // new dev owner).
  Status CheckMagicLinkEmail(const std::string& email);
  // Redeems a magic token: finds or creates the dev owner for its email and opens a dev
  // session, valid 30 days. Unauthorized for an unknown or expired token; Forbidden as
  // CheckMagicLinkEmail.
  Result<SessionGrant> RedeemMagicToken(const std::string& token);
  Result<Principal> AuthenticateKey(std::string_view api_key);
  // The owner of the session with this cookie value. Unauthorized when it is unknown, ended,
  // past its expiry (checked on every use), revoked by RevokeSessions, or a dev session while
  // EngineOptions::dev_mode is off.
  Result<Principal> AuthenticateSession(std::string_view cookie_value);
  // Signs out: deletes the session with this cookie value, so that a copy of the cookie no
  // longer works anywhere. Ending an unknown session is no error.
  Status EndSession(std::string_view cookie_value);
  // Signs `owner_id` out everywhere: every session it has now is refused from now on; later
  // sign-ins work. One audit row (sessions.revoked) per owner. "" = every owner (the Unix
  // socket's "sign everyone out"). Returns how many owners; NotFound for an unknown owner.
  Result<int> RevokeSessions(const std::string& owner_id);
  // AlreadyExists when the name is taken; InvalidArgument for a bad name, priority or scope.
  Result<CreatedAgent> CreateAgent(const std::string& owner_id, const std::string& name,
                                   std::optional<int> priority, std::vector<std::string> scopes);
  std::vector<AgentView> ListAgents(const std::string& owner_id);
  Result<AgentView> GetAgent(const std::string& agent_id);

  // --- The owner's administration (each change is one audit row). `agent_ref` is an agent
  // id or name of `owner_id`'s; NotFound otherwise. ---
  // The calendar the Unix socket administers: the oldest owner not made by the dev sign-in,
  // created (kLocalOwnerEmail) when there is none yet.
  Result<std::string> LocalOwner();
  // The owner acting as one of its agents: a kAgent principal with every scope and acted_by.
  Result<Principal> ActAs(const Principal& owner, const std::string& agent_ref);
  Result<AgentView> FindAgent(const std::string& owner_id, const std::string& agent_ref);
  Result<AgentView> UpdateAgent(const std::string& owner_id, const std::string& agent_ref,
                                const AgentUpdate& update);
  // Sets the whole order, top first: every active (unrevoked) agent exactly once. Priorities
  // become 1, 2, 3, … in that order; revoked agents follow, in their old order.
  Result<std::vector<AgentView>> SetRankOrder(const std::string& owner_id,
                                              const std::vector<std::string>& agent_refs);
  // A new key; the old one is refused from now on. Also re-enables a revoked agent.
  Result<CreatedAgent> RotateKey(const std::string& owner_id, const std::string& agent_ref);
  // Refuses the agent's key from now on (its claims stay). Revoking twice is harmless.
  Result<AgentView> RevokeKey(const std::string& owner_id, const std::string& agent_ref);
  Result<SettingsView> GetSettings(const std::string& owner_id);
  // InvalidArgument for an out-of-range value or an unknown zone (checked by the API layer
  // too); nothing changes then.
  Result<SettingsView> UpdateSettings(const std::string& owner_id, const SettingsUpdate& update);
  Result<StatusCounts> Counts(const std::string& owner_id);
  // A change made outside the engine (a webhook subscription, say): applies `rows` together
  // with one audit row of `kind` about `resource`, atomically and durably. NotFound for an
  // unknown owner.
  Status RecordChange(const std::string& owner_id, const std::string& actor, const std::string& kind,
                      const std::string& resource, const nlohmann::json& payload,
                      store::Decision rows);

  // --- The owner's rules (rules.h; each change is one audit row: rule.created, rule.updated,
  // rule.deleted). `body` is the API's JSON. InvalidArgument for a bad rule (naming the
  // field), NotFound for an unknown owner, rule, or cap agent. ---
  Result<store::RuleRecord> CreateRule(const std::string& owner_id, const nlohmann::json& body);
  std::vector<store::RuleRecord> ListRules(const std::string& owner_id);
  Result<store::RuleRecord> GetRule(const std::string& owner_id, const std::string& rule_id);
  // Replaces the rule's fields with `body`'s (its kind may not change).
  Result<store::RuleRecord> UpdateRule(const std::string& owner_id, const std::string& rule_id,
                                       const nlohmann::json& body);
  Status DeleteRule(const std::string& owner_id, const std::string& rule_id);

  // --- Reads for the API (engine_reads.cc): what it shows beyond the calendar's decisions,
  // read from the store with the caller's visibility applied here, so the API never reaches
  // the store itself. Unavailable when the store fails. ---
  // "sqlite", "dynamodb".
  std::string StoreName() const;
  // True when other daemons share the store (their checkpoints are signed with other keys).
  bool SharedStore() const;
  // Booking `id` if `p` may see it (the owner: any of its calendar's; an agent: its own),
  // with the rule of Commit's hold_id lookup; NotFound otherwise.
  Result<store::ClaimRecord> GetBooking(const Principal& p, const std::string& id);
  // The bookings `p` may see that match `q` (its owner_id, kind and, for an agent, agent_id
  // are set here).
  Result<std::vector<store::ClaimRecord>> ListBookings(const Principal& p, store::ClaimQuery q);
  // The audit rows `p` may see that match `q` (its owner_id and, for an agent,
  // visible_to_agent are set here): an agent sees the rows it acted in or is the subject of.
  Result<std::vector<store::AuditRecord>> ListAudit(const Principal& p, store::AuditQuery q);
  // Up to `limit` rows of the whole chain (every owner's) after `after_seq`: for exports,
  // which show other owners' rows only as links.
  Result<std::vector<store::AuditRecord>> ListChain(int64_t after_seq, int limit);
  // The stored checkpoints, by size.
  Result<std::vector<store::CheckpointRecord>> ListCheckpoints();
  // `owner_id`'s webhook deliveries that match `q` (its owner_id is set here).
  Result<std::vector<store::WebhookDelivery>> ListDeliveries(const std::string& owner_id,
                                                              store::DeliveryQuery q);

  store::Store& store() { return store_; }
  const Clock& clock() const { return clock_; }
  const EngineOptions& options() const { return options_; }

 private:
  struct Pending;
  struct Calendar;
  struct Txn;
  struct Verdict;
  struct AvailabilitySnapshot;

  // Decisions (engine.cc). All REQUIRE mu_ held.
  bool IdempotencyGate(const Principal& p, const ClaimRequest& r, const std::string& fingerprint,
                       const std::optional<store::IdempotencyRecord>& stored, Outcome* early);
  void FinishEarly(const Principal& p, const ClaimRequest& r);
  void DecideNow(Calendar& cal, std::list<Pending>::iterator it);
  bool DecideCommit(Calendar& cal, Pending& pending, Txn& txn);  // true when it won
  void DecideHold(Calendar& cal, const Principal& p, const ClaimRequest& r,
                  const std::string& fingerprint, Done done, Txn& txn);
  // `moving`: a booking of `me`'s that does not count against the claim (the one a counter's
  // acceptance moves).
  Verdict Evaluate(Calendar& cal, const store::AgentRecord& me, const BucketRange& range,
                   bool is_hold, Time now, const store::ClaimRecord* moving = nullptr);
  // `retry` (null: the request as a commit or hold) runs the request again after a stale view.
  void Reject(Calendar& cal, const Principal& p, const ClaimRequest& r, bool is_hold,
              Time arrival, const Verdict& v, const std::string& fingerprint, Done done, Txn& txn,
              std::function<void(Done)> retry = nullptr);
  // Makes the booking `r` asks for, given a winning verdict: bucket writes, converted,
  // displaced, evicted and expired claims, its audit row. Returns the 201 body.
  nlohmann::json PlaceBookingLocked(Calendar& cal, const Principal& p, const ClaimRequest& r,
                                    const BucketRange& range, Time arrival, const Verdict& v, Txn& txn,
                                    store::ClaimRecord** placed);
  void InsertClaim(Calendar& cal, std::unique_ptr<store::ClaimRecord> claim, Txn& txn);
  // Adds (sign +1) or takes away (-1) `claim` from its agent's usage in `cal` (the quotas).
  static void CountUsage(Calendar& cal, const store::ClaimRecord& claim, int sign);
  // Why agent `agent_id` may not add a claim with `metadata_bytes` of metadata that frees
  // `freed` (its own holds a commit converts): 422 quota_exceeded naming the quota, its limit
  // and the current use; nullopt when it may. Holds past their expiry do not count.
  std::optional<Outcome> QuotaProblemLocked(const Calendar& cal, const std::string& agent_id,
                                            int64_t metadata_bytes,
                                            const std::vector<store::ClaimRecord*>& freed, Time now) const;
  // The agent's unexpired holds whose buckets overlap `range`: what a commit there converts.
  std::vector<store::ClaimRecord*> OwnHoldsOverlappingLocked(const Calendar& cal, const std::string& agent_id,
                                                             const BucketRange& range, Time now) const;
  // Takes `claim` out of the calendar; frees its buckets except those in `keep` (nullable:
  // free all), which the caller is about to give to a new claim.
  void RemoveClaim(Calendar& cal, store::ClaimRecord* claim, store::ClaimState state,
                   Time ended_at, const std::string& ended_by, const BucketRange* keep, Txn& txn);
  void ExpireHold(Calendar& cal, store::ClaimRecord* hold, const BucketRange* keep, Txn& txn);
  // Releases or cancels the caller's active claim, with its audit row.
  void EndByCaller(Calendar& cal, const Principal& p, store::ClaimRecord* claim,
                   store::ClaimState state, const char* audit_kind, Txn& txn);
  // Queues `outcome` for after the step is durable, with its idempotency record.
  void Answer(Txn& txn, Done done, Outcome outcome, const Principal& p, const ClaimRequest& r,
              const std::string& fingerprint, bool is_hold, std::function<void(Done)> retry = nullptr);
  // Runs a commit (or hold) again from the start; for Txn::Answer::retry.
  std::function<void(Done)> RetryOf(const Principal& p, const ClaimRequest& r, bool is_hold);
  void ReleaseAttempt(const Principal& p, const std::string& hold_id, Done done, int attempt);
  void CancelAttempt(const Principal& p, const std::string& booking_id, Done done, int attempt);
  // Counters (engine_counters.cc).
  void AcceptAttempt(const Principal& p, const std::string& booking_id, const std::string& counter_id,
                     int slot_index, Done done, int attempt);
  void RejectAttempt(const Principal& p, const std::string& booking_id, const std::string& counter_id,
                     Done done, int attempt);
  // Decides the acceptance of pending `counter` (in `open`, the pending counters of
  // `original`) on slot `slot_index` (valid). REQUIRES mu_.
  void AcceptLocked(Calendar& cal, const Principal& p, store::ClaimRecord* original,
                    std::map<std::string, store::CounterRecord>& open, store::CounterRecord counter,
                    int slot_index, Done done, std::function<void(Done)> retry);
  // Pending counters on `booking` expire (it is leaving its committed state): audit rows and
  // records into `txn`.
  void ExpireCountersLocked(Calendar& cal, const store::ClaimRecord& booking, Txn& txn);
  // A decided counter (not pending in memory) as the answer to accept/reject: the replay of
  // an identical earlier answer, or 409 invalid_state / 404.
  Outcome DecidedCounterOutcome(const Principal& p, const std::string& booking_id,
                                const std::string& counter_id, std::optional<int> slot_index);
  // Runs the requests refused by a stale view again, after the reload. Takes no mu_.
  void RunReplays();
  // Shared stores: reloads when the store's audit head has moved past ours (another daemon
  // wrote); a no-op on a store of one daemon. Also called before every owner's change
  // (agents, ranking, settings, rules, sign-in), so it is decided on the store's state rather
  // than answered 503 on a conflict. REQUIRES mu_.
  void RefreshIfStaleLocked();
  // Waits for the store's queue, then reloads the view from it (logging a failure). REQUIRES mu_.
  void ReloadLocked();
  // Release/cancel of a claim the store has active and this view does not (made at another
  // daemon moments ago): reloads; true when the claim is active now, so the attempt can run
  // again. False at once on a store of one daemon. Takes mu_.
  bool CatchUpWith(const store::ClaimRecord& stored);
  void BeginTxn(Txn& txn);
  void Submit(Txn& txn);
  void OnApplied(Status status, std::shared_ptr<Txn> txn);  // store thread; takes no mu_
  bool RunDueLocked(bool force, Time* next);  // decides at most one claim; true if it did
  // Settles every claim whose tie window has closed. Called before any new arrival is
  // judged, so a claim that arrives after a window closed never joins that window's tie, no
  // matter how late the timer thread runs: the outcome depends only on arrival times.
  void SettleDueLocked();
  bool OutranksLocked(const store::AgentRecord& a, const store::AgentRecord& b) const;
  bool IsTopRankedLocked(const store::AgentRecord& a) const;
  int RankOf(const store::AgentRecord& a) const;
  Duration TieWindow(const Calendar& cal) const;
  Duration BumpWindow(const Calendar& cal) const;
  Duration HoldTtl(const Calendar& cal) const;
  int MaxHolds(const Calendar& cal) const;
  int64_t MaxActiveClaims(const Calendar& cal) const;
  int64_t MaxMetadataBytes(const Calendar& cal) const;
  Calendar* FindCalendar(const std::string& owner_id);
  // The caller's (or, for the owner, any) active claim `id` of `kind`; nullptr if none.
  store::ClaimRecord* FindOwnActiveLocked(Calendar* cal, const Principal& p, const std::string& id,
                                          store::ClaimKind kind);
  // A claim from the store, if the caller may see it: NotFound otherwise, Unavailable when the
  // store fails. Takes no lock.
  Result<store::ClaimRecord> LookUpOwnClaim(const Principal& p, const std::string& id,
                                            store::ClaimKind kind);

  // Rules (engine_rules.cc). The first rule `start`–`end` by agent `agent_id` breaks, as the
  // 422 to answer; nullopt when it breaks none. `caps_only` re-checks caps at decision time.
  // Why a commit's `hold_id` cannot be converted (not live, or not overlapping), or nullopt.
  std::optional<Outcome> NamedHoldProblemLocked(Calendar* cal, const Principal& p, const ClaimRequest& r,
                                                Time now);
  // `moving`: a booking that does not count (a counter's acceptance moves it).
  std::optional<Outcome> RuleViolationLocked(const Calendar& cal, const std::string& agent_id, Time start,
                                             Time end, bool is_commit, Time now, bool caps_only = false,
                                             const store::ClaimRecord* moving = nullptr);
  // What the rules see of `cal`: its zone, now, and its committed bookings (but `moving`).
  void FillRuleContextLocked(const Calendar& cal, Time now, RuleContext& ctx,
                             const store::ClaimRecord* moving = nullptr) const;
  Result<Rule> ResolveRuleLocked(const std::string& owner_id, const nlohmann::json& body);
  // Availability (engine_availability.cc): what a query of `p` needs of the calendar, copied.
  // REQUIRES mu_.
  void SnapshotForAvailabilityLocked(const Principal& p, const AvailabilityQuery& q, AvailabilitySnapshot& snap);

  // Owners, agents, loading (engine_admin.cc).
  std::string KeyedHash(std::string_view secret_text) const;
  // Sessions (engine_sessions.cc). Unauthorized when `s` may not be used now: past its expiry,
  // revoked with its owner's other sessions, or a dev session without dev_mode.
  Status CheckSessionLocked(const store::SessionRecord& s);
  Status CheckMagicLinkEmailLocked(const std::string& email);
  // Applies a decision synchronously with the hooks (before_apply, after_durable).
  Status ApplySyncLocked(store::Decision d);
  // Applies an administrative decision synchronously; on failure rewinds the audit chain.
  Status ApplyAdminLocked(store::Decision d, int64_t seq_before, const std::string& hash_before);
  store::AgentRecord* FindAgentLocked(const std::string& owner_id, const std::string& agent_ref);
  // FindAgentLocked; when it finds nothing, refreshes from a shared store (the
  // agent may have been made at another daemon moments ago) and looks again. REQUIRES mu_;
  // may reload, so hold no other pointer into the view across it.
  store::AgentRecord* FindAgentCatchingUpLocked(const std::string& owner_id, const std::string& agent_ref);
  SettingsView SettingsViewLocked(const Calendar& cal) const;
  Status LoadLocked();
  Calendar& AddCalendarLocked(const store::OwnerRecord& owner);
  void TimerLoop();

  store::Store& store_;
  const Clock& clock_;
  const EngineOptions options_;
  EngineHooks hooks_;

  mutable std::mutex mu_;
  std::condition_variable timer_cv_;
  bool stopping_ = false;
  std::atomic<bool> reload_needed_{false};
  // Requests to run again once the view is reloaded (retry, done).
  std::mutex replay_mu_;
  std::vector<std::pair<std::function<void(Done)>, Done>> replays_;  // GUARDED_BY(replay_mu_)
  Time last_refresh_{};
  std::unordered_map<std::string, std::unique_ptr<Calendar>> calendars_;  // by owner id
  std::unordered_map<std::string, store::AgentRecord> agents_;            // by agent id
  std::unordered_map<std::string, std::string> agent_by_key_hash_;
  std::unordered_map<std::string, std::string> owner_by_email_;
  // Sessions seen, by token hash; each use still checks expiry and revocation. Not used on a
  // shared store (another daemon may end a session).
  std::unordered_map<std::string, store::SessionRecord> session_by_hash_;
  struct MagicToken {
    std::string email;
    Time expires_at;
  };
  std::unordered_map<std::string, MagicToken> magic_tokens_;
  AuditChain chain_;
  int64_t next_rank_order_ = 1;
  uint64_t next_pending_id_ = 1;

  // Idempotency: requests being decided, and recent answers (the store keeps all of them;
  // the recent map covers the moment between a store lookup and taking the lock). Guarded by
  // idem_mu_, never held together with mu_ in the other order (mu_ first, then idem_mu_), so
  // that store callbacks can finish requests without the engine lock.
  std::mutex idem_mu_;
  std::unordered_map<std::string, std::string> in_flight_;  // agent\nkey → fingerprint
  std::unordered_map<std::string, store::IdempotencyRecord> recent_;
  std::deque<std::pair<Time, std::string>> recent_order_;
  Time last_purge_;

  std::thread timer_;
};

// Waits for an asynchronous engine call: Await([&](Done d) { engine.Commit(p, r, d); }).
Outcome Await(const std::function<void(Done)>& call);

}  // namespace agentdraft::engine
