// The agent endpoints: bookings, holds, availability, whoami, audit.
#include <charconv>

#include "daemon/api/request_parser.h"
#include "daemon/api/server.h"
#include "daemon/engine/views.h"

namespace agentdraft::api {

using engine::Await;
using engine::Done;
using engine::Outcome;

namespace {
constexpr const char* kWrite = "bookings:write";
constexpr const char* kRead = "availability:read";
constexpr int kMaxListLimit = 1000;

// Reads an optional integer query parameter, decimal digits only (REQUIRES: lo >= 0); false
// (with `res` written) when malformed.
bool IntParam(const httplib::Request& req, httplib::Response& res, const char* name,
              int64_t lo, int64_t hi, int64_t* out) {
  if (!req.has_param(name)) return true;
  const std::string v = req.get_param_value(name);
  int64_t n = 0;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || v[0] < '0' || v[0] > '9' || ec != std::errc() ||
      ptr != v.data() + v.size() || n < lo || n > hi) {
    Respond(res, ValidationError({{name, "must be an integer from " + std::to_string(lo) + " to " +
                                             std::to_string(hi)}}));
    return false;
  }
  *out = n;
  return true;
}

bool TimeParam(const httplib::Request& req, httplib::Response& res, const char* name,
               std::optional<Time>* out) {
  if (!req.has_param(name)) return true;
  auto t = ParseRfc3339(req.get_param_value(name));
  if (!t.ok()) {
    Respond(res, ValidationError({{name, t.status().message()}}));
    return false;
  }
  *out = *t;
  return true;
}
}  // namespace

void ApiServer::RegisterAgentRoutes() {
  auto claim = [this](bool is_hold) {
    return [this, is_hold](const httplib::Request& req, httplib::Response& res) {
      auto p = RequireAgent(req, res, kWrite);
      if (!p) return;
      Outcome error;
      auto body = ParseObject(req.body, &error);
      if (!body) return Respond(res, error);
      auto r = ParseClaimRequest(*body, req.get_header_value("Idempotency-Key"), p->owner_id,
                                 engine_.options().max_claim, &error);
      if (!r) return Respond(res, error);
      Respond(res, Await([&](Done done) {
                if (is_hold) engine_.Hold(*p, std::move(*r), std::move(done));
                else engine_.Commit(*p, std::move(*r), std::move(done));
              }));
    };
  };
  Post("/v1/bookings", claim(false));
  Post("/v1/holds", claim(true));

  Delete(R"(/v1/holds/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
    auto p = RequireAgentOrOwner(req, res, kWrite);
    if (!p) return;
    const std::string id = req.matches[1];
    Respond(res, Await([&](Done done) { engine_.Release(*p, id, std::move(done)); }));
  });

  Delete(R"(/v1/bookings/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
    auto p = RequireAgentOrOwner(req, res, kWrite);
    if (!p) return;
    const std::string id = req.matches[1];
    Respond(res, Await([&](Done done) { engine_.Cancel(*p, id, std::move(done)); }));
  });

  Get(R"(/v1/bookings/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
    auto p = RequireAgentOrOwner(req, res, nullptr);
    if (!p) return;
    const std::string id = req.matches[1];
    auto c = engine_.store().GetClaim(id);
    if (!c.ok() && c.status().code() != StatusCode::kNotFound) {
      return RespondError(res, "unavailable", c.status().message());
    }
    if (!c.ok() || c->kind != store::ClaimKind::kBooking || c->owner_id != p->owner_id ||
        (!p->is_owner() && c->agent_id != p->agent_id)) {
      return RespondError(res, "not_found", "no booking " + id + " of yours");
    }
    Respond(res, {200, engine::BookingJson(*c, AgentPriority(c->agent_id)).dump()});
  });

  Get("/v1/bookings", [this](const httplib::Request& req, httplib::Response& res) {
    auto p = RequireAgentOrOwner(req, res, nullptr);
    if (!p) return;
    store::ClaimQuery q;
    q.owner_id = p->owner_id;
    q.kind = store::ClaimKind::kBooking;
    if (!p->is_owner()) q.agent_id = p->agent_id;
    int64_t limit = 100;
    if (!IntParam(req, res, "limit", 1, kMaxListLimit, &limit)) return;
    q.limit = static_cast<int>(limit);
    if (!TimeParam(req, res, "range_start", &q.range_start)) return;
    if (!TimeParam(req, res, "range_end", &q.range_end)) return;
    if (req.has_param("status")) {
      store::ClaimState s;
      if (!store::ParseClaimState(req.get_param_value("status"), &s) ||
          (s != store::ClaimState::kCommitted && s != store::ClaimState::kCancelled &&
           s != store::ClaimState::kEvicted)) {
        return Respond(res, ValidationError({{"status", "must be COMMITTED, CANCELLED or EVICTED"}}));
      }
      q.state = s;
    }
    auto claims = engine_.store().ListClaims(q);
    if (!claims.ok()) return RespondError(res, "unavailable", claims.status().message());
    nlohmann::json list = nlohmann::json::array();
    for (const store::ClaimRecord& c : *claims) {
      list.push_back(engine::BookingJson(c, AgentPriority(c.agent_id)));
    }
    Respond(res, {200, nlohmann::json{{"bookings", std::move(list)}}.dump()});
  });

  // Counter-proposals: the losing agent proposes, the booking's agent (or the owner) accepts
  // or rejects.
  Post(R"(/v1/bookings/([^/]+)/counter)", [this](const httplib::Request& req, httplib::Response& res) {
    auto p = RequireAgent(req, res, kWrite);
    if (!p) return;
    Outcome error;
    auto body = ParseObject(req.body, &error);
    if (!body) return Respond(res, error);
    auto r = ParseCounterRequest(*body, req.get_header_value("Idempotency-Key"), engine_.options().max_claim, &error);
    if (!r) return Respond(res, error);
    const std::string id = req.matches[1];
    Respond(res, Await([&](Done done) { engine_.ProposeCounter(*p, id, std::move(*r), std::move(done)); }));
  });

  Get(R"(/v1/bookings/([^/]+)/counters)", [this](const httplib::Request& req, httplib::Response& res) {
    auto p = RequireAgentOrOwner(req, res, nullptr);
    if (!p) return;
    Respond(res, engine_.ListCounters(*p, req.matches[1]));
  });

  Post(R"(/v1/bookings/([^/]+)/counters/([^/]+)/accept)", [this](const httplib::Request& req, httplib::Response& res) {
    auto p = RequireAgentOrOwner(req, res, kWrite);
    if (!p) return;
    Outcome error;
    auto body = ParseObject(req.body.empty() ? "{}" : req.body, &error);
    if (!body) return Respond(res, error);
    auto index = body->find("slot_index");
    if (index == body->end() || !index->is_number_integer()) {
      return Respond(res, ValidationError({{"slot_index", "is required (an integer: the index of the proposed slot, from 0)"}}));
    }
    const int64_t slot = index->get<int64_t>();
    const int slot_index = slot < 0 || slot > 1000 ? -1 : static_cast<int>(slot);
    const std::string booking = req.matches[1], counter = req.matches[2];
    Respond(res, Await([&](Done done) { engine_.AcceptCounter(*p, booking, counter, slot_index, std::move(done)); }));
  });

  Post(R"(/v1/bookings/([^/]+)/counters/([^/]+)/reject)", [this](const httplib::Request& req, httplib::Response& res) {
    auto p = RequireAgentOrOwner(req, res, kWrite);
    if (!p) return;
    const std::string booking = req.matches[1], counter = req.matches[2];
    Respond(res, Await([&](Done done) { engine_.RejectCounter(*p, booking, counter, std::move(done)); }));
  });

  Get("/v1/availability", [this](const httplib::Request& req, httplib::Response& res) {
    auto p = RequireAgentOrOwner(req, res, kRead);
    if (!p) return;
    std::multimap<std::string, std::string> params(req.params.begin(), req.params.end());
    Outcome error;
    auto q = ParseAvailabilityQuery(params, engine_.options().max_claim, &error);
    if (!q) return Respond(res, error);
    Respond(res, engine_.Availability(*p, *q));
  });

  Get("/v1/agents/me", [this](const httplib::Request& req, httplib::Response& res) {
    auto p = RequireAgent(req, res, nullptr);
    if (!p) return;
    auto a = engine_.directory().GetAgent(p->agent_id);
    if (!a.ok()) return RespondError(res, "not_found", a.status().message());
    auto settings = engine_.directory().GetSettings(p->owner_id);
    nlohmann::json j = {{"agent_id", a->record.id},
                        {"name", a->record.name},
                        {"priority", a->record.priority},
                        {"rank", a->rank},
                        {"scopes", a->record.scopes},
                        {"user_id", a->record.owner_id},
                        {"timezone", settings.ok() ? settings->timezone : "UTC"}};
    if (!p->acted_by.empty()) j["acted_by"] = p->acted_by;
    Respond(res, {200, j.dump()});
  });

  Get("/v1/audit", [this](const httplib::Request& req, httplib::Response& res) {
    auto p = RequireAgentOrOwner(req, res, "audit:read");
    if (!p) return;
    store::AuditQuery q;
    q.owner_id = p->owner_id;
    if (!p->is_owner()) q.visible_to_agent = p->agent_id;
    if (req.has_param("resource")) q.resource = req.get_param_value("resource");
    if (req.has_param("kind")) q.kind = req.get_param_value("kind");
    int64_t limit = 100;
    if (!IntParam(req, res, "after", 0, INT64_MAX, &q.after_seq)) return;
    if (!IntParam(req, res, "limit", 1, kMaxListLimit, &limit)) return;
    q.limit = static_cast<int>(limit);
    auto rows = engine_.store().ListAudit(q);
    if (!rows.ok()) return RespondError(res, "unavailable", rows.status().message());
    nlohmann::json events = nlohmann::json::array();
    for (const store::AuditRecord& r : *rows) events.push_back(engine::AuditEventJson(r));
    Respond(res, {200, nlohmann::json{{"events", std::move(events)}}.dump()});
  });
}

}  // namespace agentdraft::api
