// The owner's webhook subscriptions and their deliveries (/v1/dashboard/webhooks).
#include "common/error_codes.h"
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
}  // namespace

void ApiServer::RegisterWebhookRoutes() {
  auto available = [this](httplib::Response& res) {
    if (services_.webhooks != nullptr) return true;
    RespondError(res, "unavailable", "webhooks are not enabled on this daemon");
    return false;
  };

  Get("/v1/dashboard/webhooks/events", [this, available](const httplib::Request& req, httplib::Response& res) {
    if (!RequireOwner(req, res) || !available(res)) return;
    Respond(res, {200, nlohmann::json{{"event_types", webhooks::Webhooks::EventTypes()}}.dump()});
  });

  Post("/v1/dashboard/webhooks", [this, available](const httplib::Request& req, httplib::Response& res) {
    auto p = RequireOwner(req, res);
    if (!p || !available(res)) return;
    engine::Outcome error;
    auto body = ParseObject(req.body, &error);
    if (!body) return Respond(res, error);
    std::vector<FieldProblem> problems;
    auto field = [&](const char* name) -> std::string {
      auto it = body->find(name);
      if (it == body->end() || !it->is_string()) {
        problems.push_back({name, "is required (a string)"});
        return "";
      }
      return it->get<std::string>();
    };
    const std::string event_type = field("event_type"), url = field("url");
    if (!problems.empty()) return Respond(res, ValidationError(problems));
    auto sub = services_.webhooks->Create(p->owner_id, event_type, url);
    if (!sub.ok()) {
      if (sub.status().code() == StatusCode::kInvalidArgument) {
        return Respond(res, ValidationError({{"event_type/url", sub.status().message()}}));
      }
      if (sub.status().code() == StatusCode::kForbidden) {  // the target policy refused the URL
        return RespondError(res, "forbidden_target", sub.status().message());
      }
      return RespondError(res, ErrorCodeFor(sub.status()), sub.status().message());
    }
    Respond(res, {201, SubscriptionJson(*sub, /*with_secret=*/true).dump()});
  });

  Get("/v1/dashboard/webhooks", [this, available](const httplib::Request& req, httplib::Response& res) {
    auto p = RequireOwner(req, res);
    if (!p || !available(res)) return;
    nlohmann::json list = nlohmann::json::array();
    for (const auto& s : services_.webhooks->List(p->owner_id)) list.push_back(SubscriptionJson(s, false));
    Respond(res, {200, nlohmann::json{{"subscriptions", std::move(list)}}.dump()});
  });

  Delete(R"(/v1/dashboard/webhooks/([^/]+))", [this, available](const httplib::Request& req, httplib::Response& res) {
    auto p = RequireOwner(req, res);
    if (!p || !available(res)) return;
    const std::string id = req.matches[1];
    Status s = services_.webhooks->Delete(p->owner_id, id);
    if (!s.ok()) return RespondError(res, ErrorCodeFor(s), s.message());
    Respond(res, {200, nlohmann::json{{"subscription_id", id}, {"status", "DELETED"}}.dump()});
  });

  Get(R"(/v1/dashboard/webhooks/([^/]+)/deliveries)", [this, available](const httplib::Request& req, httplib::Response& res) {
    auto p = RequireOwner(req, res);
    if (!p || !available(res)) return;
    const std::string id = req.matches[1];
    store::DeliveryQuery q;
    q.subscription_id = id;
    q.owner_id = p->owner_id;
    q.limit = 1000;
    if (req.has_param("status")) {
      store::DeliveryState state;
      if (!store::ParseDeliveryState(req.get_param_value("status"), &state)) {
        return Respond(res, ValidationError({{"status", "must be pending, delivered or failed"}}));
      }
      q.state = state;
    }
    auto list = engine_.store().ListDeliveries(q);
    if (!list.ok()) return RespondError(res, "unavailable", list.status().message());
    nlohmann::json out = nlohmann::json::array();
    for (const auto& d : *list) out.push_back(DeliveryJson(d));
    Respond(res, {200, nlohmann::json{{"deliveries", std::move(out)}}.dump()});
  });
}

}  // namespace agentdraft::api
