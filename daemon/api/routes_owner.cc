// The owner endpoints: the dev-mode magic-link sign-in and agent management.
#include <regex>

#include "common/error_codes.h"
#include "daemon/api/request_parser.h"
#include "daemon/api/server.h"

namespace agentdraft::api {

using engine::Outcome;

namespace {
nlohmann::json AgentJson(const engine::AgentView& a) {
  return {{"agent_id", a.record.id},     {"name", a.record.name},
          {"priority", a.record.priority}, {"rank", a.rank},
          {"scopes", a.record.scopes},   {"user_id", a.record.owner_id},
          {"created_at", FormatRfc3339(a.record.created_at)}};
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
    const std::string token = engine_.IssueMagicToken(email->get<std::string>());
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
    auto grant = engine_.RedeemMagicToken(token->get<std::string>());
    if (!grant.ok()) return RespondError(res, ErrorCodeFor(grant.status()), grant.status().message());
    res.set_header("Set-Cookie", "ad_session=" + grant->cookie_value +
                                     "; Path=/; HttpOnly; SameSite=Strict");
    Respond(res, {200, nlohmann::json{{"user_id", grant->owner.id}, {"email", grant->owner.email}}.dump()});
  });

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
    auto created = engine_.CreateAgent(p->owner_id, name->get<std::string>(), priority, scopes);
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
    for (const engine::AgentView& a : engine_.ListAgents(p->owner_id)) list.push_back(AgentJson(a));
    Respond(res, {200, nlohmann::json{{"agents", std::move(list)}}.dump()});
  });
}

}  // namespace agentdraft::api
