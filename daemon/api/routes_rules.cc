// The owner's rules (/v1/dashboard/rules): business hours, focus blocks, buffers, caps,
// notice and horizon (daemon/engine/rules.h). Each change is one audit row.
#include "common/error_codes.h"
#include "daemon/api/request_parser.h"
#include "daemon/api/server.h"
#include "daemon/engine/rules.h"

namespace agentdraft::api {
namespace {

// A rule the engine refused: a validation error on the field its message names ("days: …").
void RespondRuleError(httplib::Response& res, const Status& s) {
  if (s.code() != StatusCode::kInvalidArgument) return RespondError(res, ErrorCodeFor(s), s.message());
  const std::string& m = s.message();
  const size_t colon = m.find(": ");
  if (colon == std::string::npos || colon > 40) return Respond(res, ValidationError({{"body", m}}));
  Respond(res, ValidationError({{m.substr(0, colon), m.substr(colon + 2)}}));
}

}  // namespace

void ApiServer::RegisterRuleRoutes() {
  Post("/v1/dashboard/rules", [this](const httplib::Request& req, httplib::Response& res) {
    auto p = RequireOwner(req, res);
    if (!p) return;
    engine::Outcome error;
    auto body = ParseObject(req.body, &error);
    if (!body) return Respond(res, error);
    auto rule = engine_.directory().CreateRule(p->owner_id, *body);
    if (!rule.ok()) return RespondRuleError(res, rule.status());
    Respond(res, {201, engine::RuleJson(*rule).dump()});
  });

  Get("/v1/dashboard/rules", [this](const httplib::Request& req, httplib::Response& res) {
    auto p = RequireOwner(req, res);
    if (!p) return;
    nlohmann::json list = nlohmann::json::array();
    for (const store::RuleRecord& r : engine_.directory().ListRules(p->owner_id)) list.push_back(engine::RuleJson(r));
    Respond(res, {200, nlohmann::json{{"rules", std::move(list)}}.dump()});
  });

  Get(R"(/v1/dashboard/rules/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
    auto p = RequireOwner(req, res);
    if (!p) return;
    auto rule = engine_.directory().GetRule(p->owner_id, req.matches[1]);
    if (!rule.ok()) return RespondRuleError(res, rule.status());
    Respond(res, {200, engine::RuleJson(*rule).dump()});
  });

  Patch(R"(/v1/dashboard/rules/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
    auto p = RequireOwner(req, res);
    if (!p) return;
    engine::Outcome error;
    auto body = ParseObject(req.body, &error);
    if (!body) return Respond(res, error);
    auto rule = engine_.directory().UpdateRule(p->owner_id, req.matches[1], *body);
    if (!rule.ok()) return RespondRuleError(res, rule.status());
    Respond(res, {200, engine::RuleJson(*rule).dump()});
  });

  Delete(R"(/v1/dashboard/rules/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
    auto p = RequireOwner(req, res);
    if (!p) return;
    const std::string id = req.matches[1];
    Status s = engine_.directory().DeleteRule(p->owner_id, id);
    if (!s.ok()) return RespondRuleError(res, s);
    Respond(res, {200, nlohmann::json{{"id", id}, {"status", "DELETED"}}.dump()});
  });
}

}  // namespace agentdraft::api
