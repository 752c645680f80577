// Directory: the calendars' owners and what they administer: agents, their ranking and keys,
// sessions and sign-in, settings, rules. The claim-deciding core (engine.h) reads the same
// state under the same lock, so a change here and a decision there are ordered.
//
// Every change is one audit row, durable before the call returns. Functions that take an
// `agent_ref` accept an agent id or name of `owner_id`'s and return NotFound otherwise.
//
// Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "daemon/engine/types.h"
#include "daemon/store/store.h"

namespace agentdraft::engine {

class Directory {
 public:
  virtual ~Directory() = default;

  // --- Owners, agents, keys, sessions. ---
  // Dev-mode magic link: a one-time token for `email`, valid 15 minutes.
  virtual std::string IssueMagicToken(const std::string& email) = 0;
  // Whether the magic link may sign in to `email`: Forbidden for kLocalOwnerEmail and for
  // every owner not made by the magic link (the Unix socket's owner above all), so that a web
  // page or a peer can never become the machine's owner; Ok otherwise (a new address makes a
  // new dev owner).
  virtual Status CheckMagicLinkEmail(const std::string& email) = 0;
  // Redeems a magic token: finds or creates the dev owner for its email and opens a dev
  // session, valid 30 days. Unauthorized for an unknown or expired token; Forbidden as
  // CheckMagicLinkEmail.
  virtual Result<SessionGrant> RedeemMagicToken(const std::string& token) = 0;
  virtual Result<Principal> AuthenticateKey(std::string_view api_key) = 0;
  // The owner of the session with this cookie value. Unauthorized when it is unknown, ended,
  // past its expiry (checked on every use), revoked by RevokeSessions, or a dev session while
  // EngineOptions::dev_mode is off.
  virtual Result<Principal> AuthenticateSession(std::string_view cookie_value) = 0;
  // Signs out: deletes the session with this cookie value, so that a copy of the cookie no
  // longer works anywhere. Ending an unknown session is no error.
  virtual Status EndSession(std::string_view cookie_value) = 0;
  // Signs `owner_id` out everywhere: every session it has now is refused from now on; later
  // sign-ins work. One audit row (sessions.revoked) per owner. "" = every owner (the Unix
  // socket's "sign everyone out"). Returns how many owners; NotFound for an unknown owner.
  virtual Result<int> RevokeSessions(const std::string& owner_id) = 0;
  // AlreadyExists when the name is taken; InvalidArgument for a bad name, priority or scope.
  virtual Result<CreatedAgent> CreateAgent(const std::string& owner_id, const std::string& name,
                                   std::optional<int> priority, std::vector<std::string> scopes) = 0;
  virtual std::vector<AgentView> ListAgents(const std::string& owner_id) = 0;
  virtual Result<AgentView> GetAgent(const std::string& agent_id) = 0;

  // --- The owner's administration (each change is one audit row). `agent_ref` is an agent
  // id or name of `owner_id`'s; NotFound otherwise. ---
  // The calendar the Unix socket administers: the oldest owner not made by the dev sign-in,
  // created (kLocalOwnerEmail) when there is none yet.
  virtual Result<std::string> LocalOwner() = 0;
  // The owner acting as one of its agents: a kAgent principal with every scope and acted_by.
  virtual Result<Principal> ActAs(const Principal& owner, const std::string& agent_ref) = 0;
  virtual Result<AgentView> FindAgent(const std::string& owner_id, const std::string& agent_ref) = 0;
  virtual Result<AgentView> UpdateAgent(const std::string& owner_id, const std::string& agent_ref,
                                const AgentUpdate& update) = 0;
  // Sets the whole order, top first: every active (unrevoked) agent exactly once. Priorities
  // become 1, 2, 3, … in that order; revoked agents follow, in their old order.
  virtual Result<std::vector<AgentView>> SetRankOrder(const std::string& owner_id,
                                              const std::vector<std::string>& agent_refs) = 0;
  // A new key; the old one is refused from now on. Also re-enables a revoked agent.
  virtual Result<CreatedAgent> RotateKey(const std::string& owner_id, const std::string& agent_ref) = 0;
  // Refuses the agent's key from now on (its claims stay). Revoking twice is harmless.
  virtual Result<AgentView> RevokeKey(const std::string& owner_id, const std::string& agent_ref) = 0;
  virtual Result<SettingsView> GetSettings(const std::string& owner_id) = 0;
  // InvalidArgument for an out-of-range value or an unknown zone (checked by the API layer
  // too); nothing changes then.
  virtual Result<SettingsView> UpdateSettings(const std::string& owner_id, const SettingsUpdate& update) = 0;
  virtual Result<StatusCounts> Counts(const std::string& owner_id) = 0;
  // A change made outside the engine (a webhook subscription, say): applies `rows` together
  // with one audit row of `kind` about `resource`, atomically and durably. NotFound for an
  // unknown owner.
  virtual Status RecordChange(const std::string& owner_id, const std::string& actor, const std::string& kind,
                      const std::string& resource, const nlohmann::json& payload,
                      store::Decision rows) = 0;

  // --- The owner's rules (rules.h; each change is one audit row: rule.created, rule.updated,
  // rule.deleted). `body` is the API's JSON. InvalidArgument for a bad rule (naming the
  // field), NotFound for an unknown owner, rule, or cap agent. ---
  virtual Result<store::RuleRecord> CreateRule(const std::string& owner_id, const nlohmann::json& body) = 0;
  virtual std::vector<store::RuleRecord> ListRules(const std::string& owner_id) = 0;
  virtual Result<store::RuleRecord> GetRule(const std::string& owner_id, const std::string& rule_id) = 0;
  // Replaces the rule's fields with `body`'s (its kind may not change).
  virtual Result<store::RuleRecord> UpdateRule(const std::string& owner_id, const std::string& rule_id,
                                       const nlohmann::json& body) = 0;
  virtual Status DeleteRule(const std::string& owner_id, const std::string& rule_id) = 0;
};

}  // namespace agentdraft::engine
