// The owner's webhook subscriptions and their deliveries (/v1/dashboard/webhooks).
#include "daemon/api/request_parser.h"
#include "daemon/api/server.h"
#include "daemon/webhooks/webhooks.h"

namespace agentdraft::api {

namespace {
nlohmann::json SubscriptionJson(const store::WebhookSubscription& s, bool with_secret) {
  nlohmann::json j = {{"subscription_id", s.id}, {"event_type", s.event_type}, {"url", s.url},
                      {"user_id", s.owner_id},      {"created_at", FormatRfc3339(s.created_at)}};
  if (with_secret) j["secret"] = s.secret;
  else j["secret_prefix"] = s.secret.substr(0, 12);
  return j;
}

nlohmann::json DeliveryJson(const store::WebhookDelivery& d) {
  auto opt = [](const std::optional<Time>& t) { return t ? nlohmann::json(FormatRfc3339(*t)) : nlohmann::json(); };
  return {{"delivery_id", d.id},
          {"subscription_id", d.subscription_id},
          {"audit_seq", d.audit_seq},
          {"event_type", d.event_type},
          {"status", store::DeliveryStateName(d.state)},
          {"attempts", d.attempts},
          {"created_at", FormatRfc3339(d.created_at)},
          {"next_attempt_at", d.state == store::DeliveryState::kPending
                                  ? nlohmann::json(FormatRfc3339(d.next_attempt_at))
                                  : nlohmann::json()},
          {"finished_at", opt(d.finished_at)},
          {"last_status", d.last_status},
          {"last_error", d.last_error}};
}

ApiError WebhooksOff() { return {"unavailable", "webhooks are not enabled on this daemon"}; }

// The string field `name` of `body`; "" with a problem noted when it is missing or not a string.
std::string StringField(const nlohmann::json& body, const char* name, std::vector<FieldProblem>* problems) {
  auto it = body.find(name);
  if (it != body.end() && it->is_string()) return it->get<std::string>();
  problems->push_back({name, "is required (a string)"});
  return "";
}

// Why Webhooks::Create refused a subscription, as the API's error.
ApiError SubscriptionError(const Status& s) {
  if (s.code() == StatusCode::kInvalidArgument) return ApiError::Validation({{"event_type/url", s.message()}});
  // The target policy refused the URL.
  if (s.code() == StatusCode::kForbidden) return {"forbidden_target", s.message()};
  return ApiError::FromStatus(s);
}
}  // namespace

void ApiServer::ListWebhookEventTypes(const Request&, const Caller&, Response& res) {
  if (services_.webhooks == nullptr) return RespondError(res, WebhooksOff());
  RespondJson(res, 200, {{"event_types", webhooks::Webhooks::EventTypes()}});
}

void ApiServer::CreateWebhook(const Request& req, const Caller& caller, Response& res) {
  if (services_.webhooks == nullptr) return RespondError(res, WebhooksOff());
  ApiError error;
  auto body = ParseObject(req.body, &error);
  if (!body) return RespondError(res, error);
  std::vector<FieldProblem> problems;
  const std::string event_type = StringField(*body, "event_type", &problems);
  const std::string url = StringField(*body, "url", &problems);
  if (!problems.empty()) return RespondError(res, ApiError::Validation(problems));
  auto sub = services_.webhooks->Create(caller.owner_id, event_type, url);
  if (!sub.ok()) return RespondError(res, SubscriptionError(sub.status()));
  RespondJson(res, 201, SubscriptionJson(*sub, /*with_secret=*/true));
}

void ApiServer::ListWebhooks(const Request&, const Caller& caller, Response& res) {
  if (services_.webhooks == nullptr) return RespondError(res, WebhooksOff());
  nlohmann::json list = nlohmann::json::array();
  for (const auto& s : services_.webhooks->List(caller.owner_id)) list.push_back(SubscriptionJson(s, false));
  RespondJson(res, 200, {{"subscriptions", std::move(list)}});
}

void ApiServer::DeleteWebhook(const Request& req, const Caller& caller, Response& res) {
  if (services_.webhooks == nullptr) return RespondError(res, WebhooksOff());
  const std::string id = req.matches[1];
  Status s = services_.webhooks->Delete(caller.owner_id, id);
  if (!s.ok()) return RespondError(res, ApiError::FromStatus(s));
  RespondJson(res, 200, {{"subscription_id", id}, {"status", "DELETED"}});
}

void ApiServer::ListDeliveries(const Request& req, const Caller& caller, Response& res) {
  if (services_.webhooks == nullptr) return RespondError(res, WebhooksOff());
  store::DeliveryQuery q;
  q.subscription_id = req.matches[1];
  q.limit = 1000;
  if (req.has_param("status")) {
    store::DeliveryState state;
    if (!store::ParseDeliveryState(req.get_param_value("status"), &state)) {
      return RespondError(res, ApiError::Validation({{"status", "must be pending, delivered or failed"}}));
    }
    q.state = state;
  }
  auto list = engine_.ListDeliveries(caller.owner_id, std::move(q));
  if (!list.ok()) return RespondError(res, {"unavailable", list.status().message()});
  nlohmann::json out = nlohmann::json::array();
  for (const auto& d : *list) out.push_back(DeliveryJson(d));
  RespondJson(res, 200, {{"deliveries", std::move(out)}});
}

}  // namespace agentdraft::api
