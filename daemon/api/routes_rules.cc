// The owner's rules (/v1/dashboard/rules): business hours, focus blocks, buffers, caps,
// notice and horizon (daemon/engine/rules.h). Each change is one audit row.
#include "daemon/api/request_parser.h"
#include "daemon/api/server.h"
#include "daemon/engine/rules.h"

namespace agentdraft::api {
namespace {

// A rule the engine refused: a validation error on the field its message names ("days: …").
ApiError RuleError(const Status& s) {
  if (s.code() != StatusCode::kInvalidArgument) return ApiError::FromStatus(s);
  const std::string& m = s.message();
  const size_t colon = m.find(": ");
  if (colon == std::string::npos || colon > 40) return ApiError::Validation({{"body", m}});
  return ApiError::Validation({{m.substr(0, colon), m.substr(colon + 2)}});
}

}  // namespace

void ApiServer::CreateRule(const Request& req, const Caller& caller, Response& res) {
  ApiError error;
  auto body = ParseObject(req.body, &error);
  if (!body) return RespondError(res, error);
  auto rule = engine_.directory().CreateRule(caller.owner_id, *body);
  if (!rule.ok()) return RespondError(res, RuleError(rule.status()));
  RespondJson(res, 201, engine::RuleJson(*rule));
}

void ApiServer::ListRules(const Request&, const Caller& caller, Response& res) {
  nlohmann::json list = nlohmann::json::array();
  for (const store::RuleRecord& r : engine_.directory().ListRules(caller.owner_id)) list.push_back(engine::RuleJson(r));
  RespondJson(res, 200, {{"rules", std::move(list)}});
}

void ApiServer::GetRule(const Request& req, const Caller& caller, Response& res) {
  auto rule = engine_.directory().GetRule(caller.owner_id, req.matches[1]);
  if (!rule.ok()) return RespondError(res, RuleError(rule.status()));
  RespondJson(res, 200, engine::RuleJson(*rule));
}

void ApiServer::UpdateRule(const Request& req, const Caller& caller, Response& res) {
  ApiError error;
  auto body = ParseObject(req.body, &error);
  if (!body) return RespondError(res, error);
  auto rule = engine_.directory().UpdateRule(caller.owner_id, req.matches[1], *body);
  if (!rule.ok()) return RespondError(res, RuleError(rule.status()));
  RespondJson(res, 200, engine::RuleJson(*rule));
}

void ApiServer::DeleteRule(const Request& req, const Caller& caller, Response& res) {
  const std::string id = req.matches[1];
  Status s = engine_.directory().DeleteRule(caller.owner_id, id);
  if (!s.ok()) return RespondError(res, RuleError(s));
  RespondJson(res, 200, {{"id", id}, {"status", "DELETED"}});
}

}  // namespace agentdraft::api
