// The agent endpoints: bookings, holds, counter-proposals, availability, whoami.
#include "daemon/api/request_parser.h"
#include "daemon/api/server.h"
#include "daemon/engine/views.h"

namespace agentdraft::api {

using engine::Await;
using engine::Done;

namespace {

// Reads the optional integer query parameter `name` into `out`; false (with `error` set) when
// it is malformed.
bool IntParam(const httplib::Request& req, const char* name, int64_t lo, int64_t hi, int64_t* out,
              ApiError* error) {
  if (!req.has_param(name)) return true;
  auto n = ParseIntParam(name, req.get_param_value(name), lo, hi, error);
  if (n) *out = *n;
  return n.has_value();
}

bool TimeParam(const httplib::Request& req, const char* name, std::optional<Time>* out, ApiError* error) {
  if (!req.has_param(name)) return true;
  auto t = ParseRfc3339(req.get_param_value(name));
  if (!t.ok()) {
    *error = ApiError::Validation({{name, t.status().message()}});
    return false;
  }
  *out = *t;
  return true;
}

// The query of GET /v1/bookings (the engine sets whose bookings); false with `error` set.
bool BookingQuery(const httplib::Request& req, store::ClaimQuery* q, ApiError* error) {
  int64_t limit = 100;
  if (!IntParam(req, "limit", 1, kMaxListLimit, &limit, error)) return false;
  q->limit = static_cast<int>(limit);
  if (!TimeParam(req, "range_start", &q->range_start, error)) return false;
  if (!TimeParam(req, "range_end", &q->range_end, error)) return false;
  if (!req.has_param("status")) return true;
  store::ClaimState s;
  if (!store::ParseClaimState(req.get_param_value("status"), &s) ||
      (s != store::ClaimState::kCommitted && s != store::ClaimState::kCancelled &&
       s != store::ClaimState::kEvicted)) {
    *error = ApiError::Validation({{"status", "must be COMMITTED, CANCELLED or EVICTED"}});
    return false;
  }
  q->state = s;
  return true;
}
}  // namespace

void ApiServer::PostBooking(const Request& req, const Caller& caller, Response& res) {
  PostClaim(req, caller, res, /*is_hold=*/false);
}

void ApiServer::PostHold(const Request& req, const Caller& caller, Response& res) {
  PostClaim(req, caller, res, /*is_hold=*/true);
}

void ApiServer::PostClaim(const Request& req, const Caller& caller, Response& res, bool is_hold) {
  ApiError error;
  auto body = ParseObject(req.body, &error);
  if (!body) return RespondError(res, error);
  auto r = ParseClaimRequest(*body, req.get_header_value("Idempotency-Key"), caller.owner_id,
                             engine_.options().max_claim, &error);
  if (!r) return RespondError(res, error);
  Respond(res, Await([&](Done done) {
            if (is_hold) engine_.Hold(caller, std::move(*r), std::move(done));
            else engine_.Commit(caller, std::move(*r), std::move(done));
          }));
}

void ApiServer::ReleaseHold(const Request& req, const Caller& caller, Response& res) {
  const std::string id = req.matches[1];
  Respond(res, Await([&](Done done) { engine_.Release(caller, id, std::move(done)); }));
}

void ApiServer::CancelBooking(const Request& req, const Caller& caller, Response& res) {
  const std::string id = req.matches[1];
  Respond(res, Await([&](Done done) { engine_.Cancel(caller, id, std::move(done)); }));
}

void ApiServer::GetBooking(const Request& req, const Caller& caller, Response& res) {
  auto c = engine_.GetBooking(caller, req.matches[1]);
  if (!c.ok()) return RespondError(res, ApiError::FromStatus(c.status()));
  RespondJson(res, 200, engine::BookingJson(*c, AgentPriority(c->agent_id)));
}

void ApiServer::ListBookings(const Request& req, const Caller& caller, Response& res) {
  store::ClaimQuery q;
  ApiError error;
  if (!BookingQuery(req, &q, &error)) return RespondError(res, error);
  auto claims = engine_.ListBookings(caller, std::move(q));
  if (!claims.ok()) return RespondError(res, ApiError::FromStatus(claims.status()));
  nlohmann::json list = nlohmann::json::array();
  for (const store::ClaimRecord& c : *claims) {
    list.push_back(engine::BookingJson(c, AgentPriority(c.agent_id)));
  }
  RespondJson(res, 200, {{"bookings", std::move(list)}});
}

// Counter-proposals: the losing agent proposes, the booking's agent (or the owner) accepts or
// rejects.
void ApiServer::ProposeCounter(const Request& req, const Caller& caller, Response& res) {
  ApiError error;
  auto body = ParseObject(req.body, &error);
  if (!body) return RespondError(res, error);
  auto r = ParseCounterRequest(*body, req.get_header_value("Idempotency-Key"), engine_.options().max_claim,
                               &error);
  if (!r) return RespondError(res, error);
  const std::string id = req.matches[1];
  Respond(res, Await([&](Done done) { engine_.ProposeCounter(caller, id, std::move(*r), std::move(done)); }));
}

void ApiServer::ListCounters(const Request& req, const Caller& caller, Response& res) {
  Respond(res, engine_.ListCounters(caller, req.matches[1]));
}

void ApiServer::AcceptCounter(const Request& req, const Caller& caller, Response& res) {
  ApiError error;
  auto body = ParseObject(req.body.empty() ? "{}" : req.body, &error);
  if (!body) return RespondError(res, error);
  auto index = body->find("slot_index");
  if (index == body->end() || !index->is_number_integer()) {
    return RespondError(res, ApiError::Validation({{"slot_index", "is required (an integer: the index of the "
                                                                  "proposed slot, from 0)"}}));
  }
  const int64_t slot = index->get<int64_t>();
  const int slot_index = slot < 0 || slot > 1000 ? -1 : static_cast<int>(slot);
  const std::string booking = req.matches[1], counter = req.matches[2];
  Respond(res, Await([&](Done done) {
            engine_.AcceptCounter(caller, booking, counter, slot_index, std::move(done));
          }));
}

void ApiServer::RejectCounter(const Request& req, const Caller& caller, Response& res) {
  const std::string booking = req.matches[1], counter = req.matches[2];
  Respond(res, Await([&](Done done) { engine_.RejectCounter(caller, booking, counter, std::move(done)); }));
}

void ApiServer::GetAvailability(const Request& req, const Caller& caller, Response& res) {
  std::multimap<std::string, std::string> params(req.params.begin(), req.params.end());
  ApiError error;
  auto q = ParseAvailabilityQuery(params, engine_.options().max_claim, &error);
  if (!q) return RespondError(res, error);
  Respond(res, engine_.Availability(caller, *q));
}

void ApiServer::GetMe(const Request&, const Caller& caller, Response& res) {
  auto a = engine_.directory().GetAgent(caller.agent_id);
  if (!a.ok()) return RespondError(res, {"not_found", a.status().message()});
  auto settings = engine_.directory().GetSettings(caller.owner_id);
  nlohmann::json j = {{"agent_id", a->record.id},
                      {"name", a->record.name},
                      {"priority", a->record.priority},
                      {"rank", a->rank},
                      {"scopes", a->record.scopes},
                      {"user_id", a->record.owner_id},
                      {"timezone", settings.ok() ? settings->timezone : "UTC"}};
  if (!caller.acted_by.empty()) j["acted_by"] = caller.acted_by;
  RespondJson(res, 200, j);
}

}  // namespace agentdraft::api
