#include "daemon/api/route_table.h"

#include <algorithm>
#include <regex>

#include "daemon/api/server.h"

namespace agentdraft::api {

namespace {
constexpr std::string_view kWrite = "bookings:write";
constexpr std::string_view kAvailability = "availability:read";
constexpr std::string_view kAudit = "audit:read";
constexpr std::string_view kEvents = "events:read";
using A = Access;
using S = ApiServer;
}  // namespace

// The order is the order of registration: the first row whose pattern matches serves, so a
// fixed segment (webhooks/events) comes before the {id} it would also match.
const Route ApiServer::kRouteRows[] = {
  {"GET", "/healthz", A::kPublic, "", &S::GetHealth},
  // Agents: claims, counters, availability (routes_agent.cc).
  {"POST", "/v1/bookings", A::kAgent, kWrite, &S::PostBooking},
  {"GET", "/v1/bookings", A::kAgentOrOwner, "", &S::ListBookings},
  {"GET", "/v1/bookings/{booking_id}", A::kAgentOrOwner, "", &S::GetBooking},
  {"DELETE", "/v1/bookings/{booking_id}", A::kAgentOrOwner, kWrite, &S::CancelBooking},
  {"POST", "/v1/holds", A::kAgent, kWrite, &S::PostHold},
  {"DELETE", "/v1/holds/{hold_id}", A::kAgentOrOwner, kWrite, &S::ReleaseHold},
  {"POST", "/v1/bookings/{booking_id}/counter", A::kAgent, kWrite, &S::ProposeCounter},
  {"GET", "/v1/bookings/{booking_id}/counters", A::kAgentOrOwner, "", &S::ListCounters},
  {"POST", "/v1/bookings/{booking_id}/counters/{counter_id}/accept", A::kAgentOrOwner, kWrite,
   &S::AcceptCounter},
  {"POST", "/v1/bookings/{booking_id}/counters/{counter_id}/reject", A::kAgentOrOwner, kWrite,
   &S::RejectCounter},
  {"GET", "/v1/availability", A::kAgentOrOwner, kAvailability, &S::GetAvailability},
  {"GET", "/v1/agents/me", A::kAgent, "", &S::GetMe},
  // The audit log and its events (routes_audit.cc, routes_events.cc).
  {"GET", "/v1/audit", A::kAgentOrOwner, kAudit, &S::ListAudit},
  {"GET", "/v1/audit/checkpoint", A::kAgentOrOwner, kAudit, &S::GetCheckpoint},
  {"GET", "/v1/audit/export", A::kOwner, "", &S::ExportAudit},
  {"GET", "/v1/events", A::kAgentOrOwner, kEvents, &S::OpenEventStream},
  // Signing in and out (routes_auth.cc).
  {"POST", "/v1/auth/magic-link", A::kPublic, "", &S::PostMagicLink},
  {"POST", "/v1/auth/verify", A::kPublic, "", &S::PostVerify},
  {"POST", "/v1/auth/logout", A::kPublic, "", &S::PostLogout},
  {"DELETE", "/v1/dashboard/sessions", A::kOwner, "", &S::RevokeSessions},
  // The owner's agents, settings and status (routes_owner.cc).
  {"POST", "/v1/dashboard/agents", A::kOwner, "", &S::CreateAgent},
  {"GET", "/v1/dashboard/agents", A::kOwner, "", &S::ListAgents},
  {"PATCH", "/v1/dashboard/agents", A::kOwner, "", &S::RankAgents},
  {"GET", "/v1/dashboard/agents/{agent_id}", A::kOwner, "", &S::GetAgent},
  {"PATCH", "/v1/dashboard/agents/{agent_id}", A::kOwner, "", &S::UpdateAgent},
  {"DELETE", "/v1/dashboard/agents/{agent_id}", A::kOwner, "", &S::RevokeKey},
  {"POST", "/v1/dashboard/agents/{agent_id}/keys", A::kOwner, "", &S::RotateKey},
  {"DELETE", "/v1/dashboard/agents/{agent_id}/keys", A::kOwner, "", &S::RevokeKey},
  {"GET", "/v1/dashboard/settings", A::kOwner, "", &S::GetSettings},
  {"PATCH", "/v1/dashboard/settings", A::kOwner, "", &S::UpdateSettings},
  {"GET", "/v1/status", A::kAgentOrOwner, "", &S::GetStatus},
  // Webhooks (routes_webhooks.cc).
  {"GET", "/v1/dashboard/webhooks/events", A::kOwner, "", &S::ListWebhookEventTypes},
  {"POST", "/v1/dashboard/webhooks", A::kOwner, "", &S::CreateWebhook},
  {"GET", "/v1/dashboard/webhooks", A::kOwner, "", &S::ListWebhooks},
  {"DELETE", "/v1/dashboard/webhooks/{subscription_id}", A::kOwner, "", &S::DeleteWebhook},
  {"GET", "/v1/dashboard/webhooks/{subscription_id}/deliveries", A::kOwner, "", &S::ListDeliveries},
  // Rules (routes_rules.cc).
  {"POST", "/v1/dashboard/rules", A::kOwner, "", &S::CreateRule},
  {"GET", "/v1/dashboard/rules", A::kOwner, "", &S::ListRules},
  {"GET", "/v1/dashboard/rules/{rule_id}", A::kOwner, "", &S::GetRule},
  {"PATCH", "/v1/dashboard/rules/{rule_id}", A::kOwner, "", &S::UpdateRule},
  {"DELETE", "/v1/dashboard/rules/{rule_id}", A::kOwner, "", &S::DeleteRule},
};

const std::vector<Route>& ApiServer::Routes() {
  static const std::vector<Route> kRoutes(std::begin(kRouteRows), std::end(kRouteRows));
  return kRoutes;
}

std::string_view AccessName(Access access) {
  switch (access) {
    case Access::kPublic: return "public";
    case Access::kAgent: return "agent";
    case Access::kOwner: return "owner";
    case Access::kAgentOrOwner: return "agent_or_owner";
  }
  return "public";
}

std::string PathRegex(std::string_view path) {
  std::string out;
  for (size_t i = 0; i < path.size(); ++i) {
    const size_t close = path[i] == '{' ? path.find('}', i) : std::string_view::npos;
    if (close == std::string_view::npos) {
      out += path[i];
      continue;
    }
    out += "([^/]+)";
    i = close;
  }
  return out;
}

std::vector<std::string> AllowedMethods(const std::string& path) {
  static const std::vector<std::regex> kPatterns = [] {
    std::vector<std::regex> patterns;
    for (const Route& route : ApiServer::Routes()) patterns.emplace_back(PathRegex(route.path));
    return patterns;
  }();
  std::vector<std::string> methods;
  auto add = [&methods](std::string_view m) {
    if (std::find(methods.begin(), methods.end(), m) == methods.end()) methods.emplace_back(m);
  };
  const std::vector<Route>& routes = ApiServer::Routes();
  for (size_t i = 0; i < routes.size(); ++i) {
    if (!std::regex_match(path, kPatterns[i])) continue;
    add(routes[i].method);
    if (routes[i].method == "GET") add("HEAD");
  }
  return methods;
}

void RespondUnrouted(const httplib::Request& req, httplib::Response& res) {
  const std::vector<std::string> allowed = AllowedMethods(req.path);
  if (allowed.empty()) return RespondError(res, {"not_found", "no route " + req.method + " " + req.path});
  std::string allow;
  for (const std::string& m : allowed) allow += (allow.empty() ? "" : ", ") + m;
  res.set_header("Allow", allow);
  RespondError(res, {"method_not_allowed", req.method + " is not supported on " + req.path + " (allowed: " +
                                               allow + ")"});
}

}  // namespace agentdraft::api
