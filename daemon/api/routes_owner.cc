// The owner endpoints: agents, their rank and keys, settings, and the daemon's status.
#include <set>

#include "common/friendly_time.h"
#include "daemon/api/request_parser.h"
#include "daemon/api/server.h"

namespace agentdraft::api {

using engine::Outcome;

namespace {
nlohmann::json AgentJson(const engine::AgentView& a) {
  return {{"agent_id", a.record.id},
          {"name", a.record.name},
          {"priority", a.record.priority},
          {"rank", a.rank},
          {"scopes", a.record.scopes},
          {"user_id", a.record.owner_id},
          {"key_prefix", a.record.key_prefix},
          {"created_at", FormatRfc3339(a.record.created_at)},
          {"revoked_at", a.record.revoked_at ? nlohmann::json(FormatRfc3339(*a.record.revoked_at))
                                             : nlohmann::json()}};
}

nlohmann::json SettingsJson(const engine::SettingsView& v) {
  using std::chrono::duration_cast;
  return {{"user_id", v.owner_id},
          {"tie_window_ms", duration_cast<std::chrono::milliseconds>(v.tie_window).count()},
          {"bump_window_seconds", duration_cast<std::chrono::seconds>(v.bump_window).count()},
          {"hold_ttl_seconds", duration_cast<std::chrono::seconds>(v.hold_ttl).count()},
          {"max_holds_per_agent", v.max_holds_per_agent},
          {"max_active_claims_per_agent", v.max_active_claims_per_agent},
          {"max_metadata_bytes_per_agent", v.max_metadata_bytes_per_agent},
          {"timezone", v.timezone},
          {"explicit", v.explicit_fields}};
}

// Reads {name: integer} into `out` when present (null = `*reset` gets the name); false with a
// problem noted when it is not an integer in [lo, hi].
bool IntField(const nlohmann::json& body, const char* name, int64_t lo, int64_t hi,
              std::optional<int64_t>* out, std::vector<std::string>* reset,
              std::vector<FieldProblem>* problems) {
  auto it = body.find(name);
  if (it == body.end()) return true;
  if (it->is_null() && reset != nullptr) {
    reset->push_back(name);
    return true;
  }
  if (!it->is_number_integer() || it->get<int64_t>() < lo || it->get<int64_t>() > hi) {
    problems->push_back({name, "must be an integer from " + std::to_string(lo) + " to " +
                                   std::to_string(hi) + (reset ? " (or null for the default)" : "")});
    return false;
  }
  *out = it->get<int64_t>();
  return true;
}

// {name: [string, …]} into `out` when present; false with a problem noted when it is not such
// an array (null counts as absent when `null_ok`).
bool StringsField(const nlohmann::json& body, const char* name, bool null_ok,
                  std::optional<std::vector<std::string>>* out, std::vector<FieldProblem>* problems) {
  auto it = body.find(name);
  if (it == body.end() || (null_ok && it->is_null())) return true;
  std::vector<std::string> strings;
  bool ok = it->is_array();
  for (size_t i = 0; ok && i < it->size(); ++i) {
    if (!(*it)[i].is_string()) ok = false;
    else strings.push_back((*it)[i].get<std::string>());
  }
  if (!ok) {
    problems->push_back({name, "must be an array of strings"});
    return false;
  }
  *out = std::move(strings);
  return true;
}

// The body of POST /v1/dashboard/agents.
struct NewAgent {
  std::string name;
  std::optional<int> priority;
  std::vector<std::string> scopes;
};

std::optional<NewAgent> ParseNewAgent(const nlohmann::json& body, std::vector<FieldProblem>* problems) {
  NewAgent a;
  auto name = body.find("name");
  if (name == body.end() || !name->is_string()) problems->push_back({"name", "is required (a string)"});
  else a.name = name->get<std::string>();
  if (auto it = body.find("priority"); it != body.end() && !it->is_null()) {
    if (!it->is_number_integer()) problems->push_back({"priority", "must be an integer (1 = highest)"});
    else if (it->get<int64_t>() < 1 || it->get<int64_t>() > 1000000) problems->push_back({"priority", "must be from 1 to 1000000"});
    else a.priority = it->get<int>();
  }
  std::optional<std::vector<std::string>> scopes;
  StringsField(body, "scopes", /*null_ok=*/true, &scopes, problems);
  if (scopes) a.scopes = std::move(*scopes);
  if (!problems->empty()) return std::nullopt;
  return a;
}

// The body of PATCH /v1/dashboard/agents/{agent_id}.
std::optional<engine::AgentUpdate> ParseAgentUpdate(const nlohmann::json& body, std::vector<FieldProblem>* problems) {
  engine::AgentUpdate update;
  std::optional<int64_t> priority;
  IntField(body, "priority", 1, 1000000, &priority, nullptr, problems);
  if (priority) update.priority = static_cast<int>(*priority);
  StringsField(body, "scopes", /*null_ok=*/false, &update.scopes, problems);
  for (const auto& [key, value] : body.items()) {
    if (key != "priority" && key != "scopes") {
      problems->push_back({key, "is not a field that can be changed (priority, scopes)"});
    }
  }
  if (!update.priority && !update.scopes && problems->empty()) {
    problems->push_back({"priority", "give priority and/or scopes to change"});
  }
  if (!problems->empty()) return std::nullopt;
  return update;
}

// The time zone of a settings change (null: back to UTC).
void TimezoneField(const nlohmann::json& body, engine::SettingsUpdate* u, std::vector<FieldProblem>* problems) {
  auto it = body.find("timezone");
  if (it == body.end()) return;
  if (it->is_null()) {
    u->reset.push_back("timezone");
  } else if (!it->is_string() || it->get<std::string>().empty() || !IsKnownTimeZone(it->get<std::string>())) {
    // IsKnownTimeZone("") is true (the system's zone); an empty name is not a setting.
    problems->push_back({"timezone", "must be an IANA time zone name such as Europe/Berlin (or null for UTC)"});
  } else {
    u->timezone = it->get<std::string>();
  }
}

// The body of PATCH /v1/dashboard/settings.
std::optional<engine::SettingsUpdate> ParseSettingsUpdate(const nlohmann::json& body,
                                                          std::vector<FieldProblem>* problems) {
  engine::SettingsUpdate u;
  std::optional<int64_t> tie, bump, ttl, holds;
  IntField(body, "tie_window_ms", 0, 5000, &tie, &u.reset, problems);
  IntField(body, "bump_window_seconds", 0, 86400, &bump, &u.reset, problems);
  IntField(body, "hold_ttl_seconds", 1, 86400, &ttl, &u.reset, problems);
  IntField(body, "max_holds_per_agent", 1, 10000, &holds, &u.reset, problems);
  if (tie) u.tie_window = std::chrono::milliseconds(*tie);
  if (bump) u.bump_window = std::chrono::seconds(*bump);
  if (ttl) u.hold_ttl = std::chrono::seconds(*ttl);
  if (holds) u.max_holds_per_agent = static_cast<int>(*holds);
  IntField(body, "max_active_claims_per_agent", 1, engine::kMaxActiveClaimsSetting,
           &u.max_active_claims_per_agent, &u.reset, problems);
  IntField(body, "max_metadata_bytes_per_agent", 0, engine::kMaxMetadataBytesSetting,
           &u.max_metadata_bytes_per_agent, &u.reset, problems);
  TimezoneField(body, &u, problems);
  static const std::set<std::string> kFields = {"tie_window_ms", "bump_window_seconds",
                                                "hold_ttl_seconds", "max_holds_per_agent",
                                                "max_active_claims_per_agent",
                                                "max_metadata_bytes_per_agent", "timezone"};
  for (const auto& [key, value] : body.items()) {
    if (!kFields.count(key)) problems->push_back({key, "is not a setting"});
  }
  if (!problems->empty()) return std::nullopt;
  return u;
}

nlohmann::json AgentListJson(const std::vector<engine::AgentView>& agents) {
  nlohmann::json list = nlohmann::json::array();
  for (const engine::AgentView& a : agents) list.push_back(AgentJson(a));
  return {{"agents", std::move(list)}};
}
}  // namespace


void ApiServer::GetHealth(const Request&, const Caller&, Response& res) {
  RespondJson(res, 200, {{"status", "ok"}, {"store", engine_.StoreName()}});
}

void ApiServer::CreateAgent(const Request& req, const Caller& caller, Response& res) {
  ApiError error;
  auto body = ParseObject(req.body, &error);
  if (!body) return RespondError(res, error);
  std::vector<FieldProblem> problems;
  auto a = ParseNewAgent(*body, &problems);
  if (!a) return RespondError(res, ApiError::Validation(problems));
  auto created = engine_.directory().CreateAgent(caller.owner_id, a->name, a->priority, a->scopes);
  if (!created.ok()) return RespondError(res, ApiError::FromStatus(created.status(), "name/priority/scopes"));
  nlohmann::json j = AgentJson(created->agent);
  j["plaintext_key"] = created->plaintext_key;
  RespondJson(res, 201, j);
}

void ApiServer::ListAgents(const Request&, const Caller& caller, Response& res) {
  RespondJson(res, 200, AgentListJson(engine_.directory().ListAgents(caller.owner_id)));
}

void ApiServer::GetAgent(const Request& req, const Caller& caller, Response& res) {
  auto a = engine_.directory().FindAgent(caller.owner_id, req.matches[1]);
  if (!a.ok()) return RespondError(res, ApiError::FromStatus(a.status(), "agent"));
  RespondJson(res, 200, AgentJson(*a));
}

// The whole rank order in one call: {"order": [agent id or name, …]}, top first.
void ApiServer::RankAgents(const Request& req, const Caller& caller, Response& res) {
  ApiError error;
  auto body = ParseObject(req.body, &error);
  if (!body) return RespondError(res, error);
  std::vector<FieldProblem> problems;
  std::optional<std::vector<std::string>> refs;
  StringsField(*body, "order", /*null_ok=*/false, &refs, &problems);
  if (!refs || refs->empty()) {
    return RespondError(res, ApiError::Validation({{"order", "must be a non-empty array of agent ids or "
                                                             "names, top-ranked first"}}));
  }
  auto ranked = engine_.directory().SetRankOrder(caller.owner_id, *refs);
  if (!ranked.ok()) return RespondError(res, ApiError::FromStatus(ranked.status(), "order"));
  RespondJson(res, 200, AgentListJson(*ranked));
}

void ApiServer::UpdateAgent(const Request& req, const Caller& caller, Response& res) {
  ApiError error;
  auto body = ParseObject(req.body, &error);
  if (!body) return RespondError(res, error);
  std::vector<FieldProblem> problems;
  auto update = ParseAgentUpdate(*body, &problems);
  if (!update) return RespondError(res, ApiError::Validation(problems));
  auto a = engine_.directory().UpdateAgent(caller.owner_id, req.matches[1], *update);
  if (!a.ok()) return RespondError(res, ApiError::FromStatus(a.status(), "priority/scopes"));
  RespondJson(res, 200, AgentJson(*a));
}

void ApiServer::RotateKey(const Request& req, const Caller& caller, Response& res) {
  auto rotated = engine_.directory().RotateKey(caller.owner_id, req.matches[1]);
  if (!rotated.ok()) return RespondError(res, ApiError::FromStatus(rotated.status(), "agent"));
  nlohmann::json j = AgentJson(rotated->agent);
  j["plaintext_key"] = rotated->plaintext_key;
  RespondJson(res, 201, j);
}

void ApiServer::RevokeKey(const Request& req, const Caller& caller, Response& res) {
  auto a = engine_.directory().RevokeKey(caller.owner_id, req.matches[1]);
  if (!a.ok()) return RespondError(res, ApiError::FromStatus(a.status(), "agent"));
  RespondJson(res, 200, AgentJson(*a));
}

void ApiServer::GetSettings(const Request&, const Caller& caller, Response& res) {
  auto v = engine_.directory().GetSettings(caller.owner_id);
  if (!v.ok()) return RespondError(res, ApiError::FromStatus(v.status(), "settings"));
  RespondJson(res, 200, SettingsJson(*v));
}

void ApiServer::UpdateSettings(const Request& req, const Caller& caller, Response& res) {
  ApiError error;
  auto body = ParseObject(req.body, &error);
  if (!body) return RespondError(res, error);
  std::vector<FieldProblem> problems;
  auto u = ParseSettingsUpdate(*body, &problems);
  if (!u) return RespondError(res, ApiError::Validation(problems));
  auto v = engine_.directory().UpdateSettings(caller.owner_id, *u);
  if (!v.ok()) return RespondError(res, ApiError::FromStatus(v.status(), "settings"));
  RespondJson(res, 200, SettingsJson(*v));
}

// The daemon and its calendar at a glance (agentdraft status). Owner or agent.
void ApiServer::GetStatus(const Request&, const Caller& caller, Response& res) {
  auto c = engine_.directory().Counts(caller.owner_id);
  if (!c.ok()) return RespondError(res, ApiError::FromStatus(c.status(), "status"));
  RespondJson(res, 200,
              {{"status", "ok"},
               {"version", AGENTDRAFT_VERSION},
               {"store", engine_.StoreName()},
               {"user_id", caller.owner_id},
               {"caller", caller.is_owner() ? nlohmann::json{{"kind", "owner"}, {"user_id", caller.owner_id}}
                                            : nlohmann::json{{"kind", "agent"}, {"agent_id", caller.agent_id}}},
               {"uptime_seconds",
                std::chrono::duration_cast<std::chrono::seconds>(engine_.clock().Now() - started_at_).count()},
               {"http", http_address_},
               {"socket", unix_.path().empty() ? nlohmann::json() : nlohmann::json(unix_.path())},
               {"counts",
                {{"agents", c->agents},
                 {"revoked_agents", c->revoked_agents},
                 {"active_bookings", c->active_bookings},
                 {"active_holds", c->active_holds},
                 {"pending_commits", c->pending_commits},
                 {"audit_rows", c->audit_rows}}}});
}

}  // namespace agentdraft::api
