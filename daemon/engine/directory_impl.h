// DirectoryImpl: the Directory (directory.h) over the engine's State (engine_state.h), which it
// shares with the claim-deciding core: owners, agents and keys, ranking, settings
// (directory_agents.cc), sessions and the magic link (directory_sessions.cc), rules
// (directory_rules.cc). Not part of the engine's interface.
#pragma once

#include <string>
#include <unordered_map>

#include "common/thread_annotations.h"
#include "daemon/engine/directory.h"
#include "daemon/engine/engine_state.h"

namespace agentdraft::engine {

class DirectoryImpl final : public Directory {
 public:
  explicit DirectoryImpl(State& state) : s_(state) {}

  std::string IssueMagicToken(const std::string& email) override EXCLUDES(s_.mu);
  Status CheckMagicLinkEmail(const std::string& email) override EXCLUDES(s_.mu);
  Result<SessionGrant> RedeemMagicToken(const std::string& token) override EXCLUDES(s_.mu);
  Result<Principal> AuthenticateKey(std::string_view api_key) override EXCLUDES(s_.mu);
  Result<Principal> AuthenticateSession(std::string_view cookie_value) override EXCLUDES(s_.mu);
  Status EndSession(std::string_view cookie_value) override EXCLUDES(s_.mu);
  Result<int> RevokeSessions(const std::string& owner_id) override EXCLUDES(s_.mu);
  Result<CreatedAgent> CreateAgent(const std::string& owner_id, const std::string& name,
                                   std::optional<int> priority, std::vector<std::string> scopes) override
      EXCLUDES(s_.mu);
  std::vector<AgentView> ListAgents(const std::string& owner_id) override EXCLUDES(s_.mu);
  Result<AgentView> GetAgent(const std::string& agent_id) override EXCLUDES(s_.mu);
  Result<std::string> LocalOwner() override EXCLUDES(s_.mu);
  Result<Principal> ActAs(const Principal& owner, const std::string& agent_ref) override EXCLUDES(s_.mu);
  Result<AgentView> FindAgent(const std::string& owner_id, const std::string& agent_ref) override
      EXCLUDES(s_.mu);
  Result<AgentView> UpdateAgent(const std::string& owner_id, const std::string& agent_ref,
                                const AgentUpdate& update) override EXCLUDES(s_.mu);
  Result<std::vector<AgentView>> SetRankOrder(const std::string& owner_id,
                                              const std::vector<std::string>& agent_refs) override
      EXCLUDES(s_.mu);
  Result<CreatedAgent> RotateKey(const std::string& owner_id, const std::string& agent_ref) override
      EXCLUDES(s_.mu);
  Result<AgentView> RevokeKey(const std::string& owner_id, const std::string& agent_ref) override
      EXCLUDES(s_.mu);
  Result<SettingsView> GetSettings(const std::string& owner_id) override EXCLUDES(s_.mu);
  Result<SettingsView> UpdateSettings(const std::string& owner_id, const SettingsUpdate& update) override
      EXCLUDES(s_.mu);
  Result<StatusCounts> Counts(const std::string& owner_id) override EXCLUDES(s_.mu);
  Status RecordChange(const std::string& owner_id, const std::string& actor, const std::string& kind,
                      const std::string& resource, const nlohmann::json& payload, store::Decision rows) override
      EXCLUDES(s_.mu);
  Result<store::RuleRecord> CreateRule(const std::string& owner_id, const nlohmann::json& body) override
      EXCLUDES(s_.mu);
  std::vector<store::RuleRecord> ListRules(const std::string& owner_id) override EXCLUDES(s_.mu);
  Result<store::RuleRecord> GetRule(const std::string& owner_id, const std::string& rule_id) override
      EXCLUDES(s_.mu);
  Result<store::RuleRecord> UpdateRule(const std::string& owner_id, const std::string& rule_id,
                                       const nlohmann::json& body) override EXCLUDES(s_.mu);
  Status DeleteRule(const std::string& owner_id, const std::string& rule_id) override EXCLUDES(s_.mu);

 private:
  // Unauthorized when `s` may not be used now: past its expiry, revoked with its owner's
  // other sessions, or a dev session without dev_mode.
  Status CheckSessionLocked(const store::SessionRecord& s) REQUIRES(s_.mu);
  Status CheckMagicLinkEmailLocked(const std::string& email) REQUIRES(s_.mu);
  SettingsView SettingsViewLocked(const Calendar& cal) const REQUIRES(s_.mu);
  Result<Rule> ResolveRuleLocked(const std::string& owner_id, const nlohmann::json& body) REQUIRES(s_.mu);

  State& s_;
  struct MagicToken {
    std::string email;
    Time expires_at;
  };
  std::unordered_map<std::string, MagicToken> magic_tokens_ GUARDED_BY(s_.mu);
};

}  // namespace agentdraft::engine
