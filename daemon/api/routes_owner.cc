// The owner endpoints: the dev-mode magic-link sign-in, sign-out and agent management.
#include <regex>
#include <set>

#include "common/friendly_time.h"

#include "common/error_codes.h"
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

// An engine failure as the API's error.
void RespondStatus(httplib::Response& res, const Status& s, const char* field) {
  if (s.code() == StatusCode::kInvalidArgument) {
    return Respond(res, ValidationError({{field, s.message()}}));
  }
  RespondError(res, ErrorCodeFor(s), s.message());
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
}  // namespace

void ApiServer::RegisterOwnerRoutes() {
  Post("/v1/auth/magic-link", [this](const httplib::Request& req, httplib::Response& res) {
    Outcome error;
    auto body = ParseObject(req.body, &error);
    if (!body) return Respond(res, error);
    static const std::regex kEmail(R"([^@\s]{1,64}@[^@\s]{1,255})");
    auto email = body->find("email");
    if (email == body->end() || !email->is_string() ||
        !std::regex_match(email->get<std::string>(), kEmail)) {
      return Respond(res, ValidationError({{"email", "is required (an email address)"}}));
    }
    if (!options_.dev_mode) {
      return Respond(res, {200, nlohmann::json{{"sent", false},
                                               {"message", "agentdraftd sends no mail; start it "
                                                           "with --dev for the local sign-in flow"}}
                                    .dump()});
    }
    if (Status s = engine_.directory().CheckMagicLinkEmail(email->get<std::string>()); !s.ok()) {
      return RespondError(res, ErrorCodeFor(s), s.message());
    }
    const std::string token = engine_.directory().IssueMagicToken(email->get<std::string>());
    Respond(res, {200, nlohmann::json{{"sent", true}, {"dev_token", token}}.dump()});
  });

  Post("/v1/auth/verify", [this](const httplib::Request& req, httplib::Response& res) {
    Outcome error;
    auto body = ParseObject(req.body, &error);
    if (!body) return Respond(res, error);
    auto token = body->find("token");
    if (token == body->end() || !token->is_string()) {
      return Respond(res, ValidationError({{"token", "is required"}}));
    }
    auto grant = engine_.directory().RedeemMagicToken(token->get<std::string>());
    if (!grant.ok()) return RespondError(res, ErrorCodeFor(grant.status()), grant.status().message());
    res.set_header("Set-Cookie", "ad_session=" + grant->cookie_value +
                                     "; Path=/; HttpOnly; SameSite=Strict");
    Respond(res, {200, nlohmann::json{{"user_id", grant->owner.id}, {"email", grant->owner.email}}.dump()});
  });
  RegisterSessionRoutes();

  Post("/v1/dashboard/agents", [this](const httplib::Request& req, httplib::Response& res) {
    auto p = RequireOwner(req, res);
    if (!p) return;
    Outcome error;
    auto body = ParseObject(req.body, &error);
    if (!body) return Respond(res, error);
    std::vector<FieldProblem> problems;
    auto name = body->find("name");
    if (name == body->end() || !name->is_string()) problems.push_back({"name", "is required (a string)"});
    std::optional<int> priority;
    if (auto it = body->find("priority"); it != body->end() && !it->is_null()) {
      if (!it->is_number_integer()) problems.push_back({"priority", "must be an integer (1 = highest)"});
      else if (it->get<int64_t>() < 1 || it->get<int64_t>() > 1000000) problems.push_back({"priority", "must be from 1 to 1000000"});
      else priority = it->get<int>();
    }
    std::vector<std::string> scopes;
    if (auto it = body->find("scopes"); it != body->end() && !it->is_null()) {
      if (!it->is_array()) {
        problems.push_back({"scopes", "must be an array of strings"});
      } else {
        for (const auto& s : *it) {
          if (!s.is_string()) problems.push_back({"scopes", "must be an array of strings"});
          else scopes.push_back(s.get<std::string>());
        }
      }
    }
    if (!problems.empty()) return Respond(res, ValidationError(problems));
    auto created = engine_.directory().CreateAgent(p->owner_id, name->get<std::string>(), priority, scopes);
    if (!created.ok()) {
      if (created.status().code() == StatusCode::kInvalidArgument) {
        return Respond(res, ValidationError({{"name/priority/scopes", created.status().message()}}));
      }
      return RespondError(res, ErrorCodeFor(created.status()), created.status().message());
    }
    nlohmann::json j = AgentJson(created->agent);
    j["plaintext_key"] = created->plaintext_key;
    Respond(res, {201, j.dump()});
  });

  Get("/v1/dashboard/agents", [this](const httplib::Request& req, httplib::Response& res) {
    auto p = RequireOwner(req, res);
    if (!p) return;
    nlohmann::json list = nlohmann::json::array();
    for (const engine::AgentView& a : engine_.directory().ListAgents(p->owner_id)) list.push_back(AgentJson(a));
    Respond(res, {200, nlohmann::json{{"agents", std::move(list)}}.dump()});
  });

  Get(R"(/v1/dashboard/agents/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
    auto p = RequireOwner(req, res);
    if (!p) return;
    auto a = engine_.directory().FindAgent(p->owner_id, req.matches[1]);
    if (!a.ok()) return RespondStatus(res, a.status(), "agent");
    Respond(res, {200, AgentJson(*a).dump()});
  });

  // The whole rank order in one call: {"order": [agent id or name, …]}, top first.
  Patch("/v1/dashboard/agents", [this](const httplib::Request& req, httplib::Response& res) {
    auto p = RequireOwner(req, res);
    if (!p) return;
    Outcome error;
    auto body = ParseObject(req.body, &error);
    if (!body) return Respond(res, error);
    auto order = body->find("order");
    std::vector<std::string> refs;
    bool ok = order != body->end() && order->is_array() && !order->empty();
    if (ok) {
      for (const auto& x : *order) {
        if (!x.is_string()) ok = false;
        else refs.push_back(x.get<std::string>());
      }
    }
    if (!ok) {
      return Respond(res, ValidationError({{"order", "must be a non-empty array of agent ids or "
                                                     "names, top-ranked first"}}));
    }
    auto ranked = engine_.directory().SetRankOrder(p->owner_id, refs);
    if (!ranked.ok()) return RespondStatus(res, ranked.status(), "order");
    nlohmann::json list = nlohmann::json::array();
    for (const engine::AgentView& a : *ranked) list.push_back(AgentJson(a));
    Respond(res, {200, nlohmann::json{{"agents", std::move(list)}}.dump()});
  });

  Patch(R"(/v1/dashboard/agents/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
    auto p = RequireOwner(req, res);
    if (!p) return;
    Outcome error;
    auto body = ParseObject(req.body, &error);
    if (!body) return Respond(res, error);
    std::vector<FieldProblem> problems;
    engine::AgentUpdate update;
    std::optional<int64_t> priority;
    IntField(*body, "priority", 1, 1000000, &priority, nullptr, &problems);
    if (priority) update.priority = static_cast<int>(*priority);
    if (auto it = body->find("scopes"); it != body->end()) {
      std::vector<std::string> scopes;
      bool ok = it->is_array();
      if (ok) {
        for (const auto& x : *it) {
          if (!x.is_string()) ok = false;
          else scopes.push_back(x.get<std::string>());
        }
      }
      if (!ok) problems.push_back({"scopes", "must be an array of strings"});
      else update.scopes = std::move(scopes);
    }
    for (const auto& [key, value] : body->items()) {
      if (key != "priority" && key != "scopes") {
        problems.push_back({key, "is not a field that can be changed (priority, scopes)"});
      }
    }
    if (!update.priority && !update.scopes && problems.empty()) {
      problems.push_back({"priority", "give priority and/or scopes to change"});
    }
    if (!problems.empty()) return Respond(res, ValidationError(problems));
    auto a = engine_.directory().UpdateAgent(p->owner_id, req.matches[1], update);
    if (!a.ok()) return RespondStatus(res, a.status(), "priority/scopes");
    Respond(res, {200, AgentJson(*a).dump()});
  });

  Post(R"(/v1/dashboard/agents/([^/]+)/keys)", [this](const httplib::Request& req, httplib::Response& res) {
    auto p = RequireOwner(req, res);
    if (!p) return;
    auto rotated = engine_.directory().RotateKey(p->owner_id, req.matches[1]);
    if (!rotated.ok()) return RespondStatus(res, rotated.status(), "agent");
    nlohmann::json j = AgentJson(rotated->agent);
    j["plaintext_key"] = rotated->plaintext_key;
    Respond(res, {201, j.dump()});
  });

  auto revoke = [this](const httplib::Request& req, httplib::Response& res) {
    auto p = RequireOwner(req, res);
    if (!p) return;
    auto a = engine_.directory().RevokeKey(p->owner_id, req.matches[1]);
    if (!a.ok()) return RespondStatus(res, a.status(), "agent");
    Respond(res, {200, AgentJson(*a).dump()});
  };
  Delete(R"(/v1/dashboard/agents/([^/]+)/keys)", revoke);
  Delete(R"(/v1/dashboard/agents/([^/]+))", revoke);

  Get("/v1/dashboard/settings", [this](const httplib::Request& req, httplib::Response& res) {
    auto p = RequireOwner(req, res);
    if (!p) return;
    auto v = engine_.directory().GetSettings(p->owner_id);
    if (!v.ok()) return RespondStatus(res, v.status(), "settings");
    Respond(res, {200, SettingsJson(*v).dump()});
  });

  Patch("/v1/dashboard/settings", [this](const httplib::Request& req, httplib::Response& res) {
    auto p = RequireOwner(req, res);
    if (!p) return;
    Outcome error;
    auto body = ParseObject(req.body, &error);
    if (!body) return Respond(res, error);
    std::vector<FieldProblem> problems;
    engine::SettingsUpdate u;
    std::optional<int64_t> tie, bump, ttl, holds, claims, metadata_bytes;
    IntField(*body, "tie_window_ms", 0, 5000, &tie, &u.reset, &problems);
    IntField(*body, "bump_window_seconds", 0, 86400, &bump, &u.reset, &problems);
    IntField(*body, "hold_ttl_seconds", 1, 86400, &ttl, &u.reset, &problems);
    IntField(*body, "max_holds_per_agent", 1, 10000, &holds, &u.reset, &problems);
    if (tie) u.tie_window = std::chrono::milliseconds(*tie);
    if (bump) u.bump_window = std::chrono::seconds(*bump);
    if (ttl) u.hold_ttl = std::chrono::seconds(*ttl);
    if (holds) u.max_holds_per_agent = static_cast<int>(*holds);
    IntField(*body, "max_active_claims_per_agent", 1, engine::kMaxActiveClaimsSetting, &claims, &u.reset, &problems);
    IntField(*body, "max_metadata_bytes_per_agent", 0, engine::kMaxMetadataBytesSetting, &metadata_bytes, &u.reset,
             &problems);
    u.max_active_claims_per_agent = claims;
    u.max_metadata_bytes_per_agent = metadata_bytes;
    if (auto it = body->find("timezone"); it != body->end()) {
      if (it->is_null()) u.reset.push_back("timezone");
      // IsKnownTimeZone("") is true (the system's zone); an empty name is not a setting.
      else if (!it->is_string() || it->get<std::string>().empty() ||
               !IsKnownTimeZone(it->get<std::string>())) {
        problems.push_back({"timezone", "must be an IANA time zone name such as Europe/Berlin "
                                        "(or null for UTC)"});
      } else {
        u.timezone = it->get<std::string>();
      }
    }
    static const std::set<std::string> kFields = {"tie_window_ms", "bump_window_seconds",
                                                  "hold_ttl_seconds", "max_holds_per_agent",
                                                  "max_active_claims_per_agent",
                                                  "max_metadata_bytes_per_agent", "timezone"};
    for (const auto& [key, value] : body->items()) {
      if (!kFields.count(key)) problems.push_back({key, "is not a setting"});
    }
    if (!problems.empty()) return Respond(res, ValidationError(problems));
    auto v = engine_.directory().UpdateSettings(p->owner_id, u);
    if (!v.ok()) return RespondStatus(res, v.status(), "settings");
    Respond(res, {200, SettingsJson(*v).dump()});
  });

  // The daemon and its calendar at a glance (agentdraft status). Owner or agent.
  Get("/v1/status", [this](const httplib::Request& req, httplib::Response& res) {
    auto p = RequireAgentOrOwner(req, res, nullptr);
    if (!p) return;
    auto c = engine_.directory().Counts(p->owner_id);
    if (!c.ok()) return RespondStatus(res, c.status(), "status");
    nlohmann::json j = {
        {"status", "ok"},
        {"version", AGENTDRAFT_VERSION},
        {"store", engine_.store().Name()},
        {"user_id", p->owner_id},
        {"caller", p->is_owner() ? nlohmann::json{{"kind", "owner"}, {"user_id", p->owner_id}}
                                 : nlohmann::json{{"kind", "agent"}, {"agent_id", p->agent_id}}},
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
          {"audit_rows", c->audit_rows}}}};
    Respond(res, {200, j.dump()});
  });
}

namespace {
// Tells the browser to drop the session cookie.
constexpr char kClearSessionCookie[] = "ad_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict";
}  // namespace

void ApiServer::RegisterSessionRoutes() {
  // Signs out: the caller's session ends (its row is deleted, so a copy of the cookie fails too).
  Post("/v1/auth/logout", [this](const httplib::Request& req, httplib::Response& res) {
    const std::string session = SessionCookie(req);
    if (session.empty()) {
      return RespondError(res, "unauthorized", "no session to end: send the ad_session cookie");
    }
    if (Status s = engine_.directory().EndSession(session); !s.ok()) {
      return RespondError(res, ErrorCodeFor(s), s.message());
    }
    res.set_header("Set-Cookie", kClearSessionCookie);
    Respond(res, {200, nlohmann::json{{"signed_out", true}}.dump()});
  });

  // Signs out everywhere: the owner's sessions; over the Unix socket, every owner's.
  Delete("/v1/dashboard/sessions", [this](const httplib::Request& req, httplib::Response& res) {
    auto p = RequireOwner(req, res);
    if (!p) return;
    const bool socket = req.remote_addr == kUnixPeerAddr;
    auto owners = engine_.directory().RevokeSessions(socket ? "" : p->owner_id);
    if (!owners.ok()) return RespondError(res, ErrorCodeFor(owners.status()), owners.status().message());
    if (!socket) res.set_header("Set-Cookie", kClearSessionCookie);
    Respond(res, {200, nlohmann::json{{"sessions_revoked", true},
                                      {"owners", *owners},
                                      {"scope", socket ? "every owner" : "this owner"}}
                           .dump()});
  });
}

}  // namespace agentdraft::api
