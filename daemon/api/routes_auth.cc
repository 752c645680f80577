// Signing in and out: the dev-mode magic-link sign-in, sign-out, and signing out everywhere.
#include <regex>

#include "daemon/api/request_parser.h"
#include "daemon/api/server.h"

namespace agentdraft::api {

namespace {
// Tells the browser to drop the session cookie.
constexpr char kClearSessionCookie[] = "ad_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict";
}  // namespace

void ApiServer::PostMagicLink(const Request& req, const Caller&, Response& res) {
  ApiError error;
  auto body = ParseObject(req.body, &error);
  if (!body) return RespondError(res, error);
  static const std::regex kEmail(R"([^@\s]{1,64}@[^@\s]{1,255})");
  auto email = body->find("email");
  if (email == body->end() || !email->is_string() || !std::regex_match(email->get<std::string>(), kEmail)) {
    return RespondError(res, ApiError::Validation({{"email", "is required (an email address)"}}));
  }
  if (!options_.dev_mode) {
    return RespondJson(res, 200, {{"sent", false},
                                  {"message", "agentdraftd sends no mail; start it with --dev for the "
                                              "local sign-in flow"}});
  }
  if (Status s = engine_.directory().CheckMagicLinkEmail(email->get<std::string>()); !s.ok()) {
    return RespondError(res, ApiError::FromStatus(s));
  }
  const std::string token = engine_.directory().IssueMagicToken(email->get<std::string>());
  RespondJson(res, 200, {{"sent", true}, {"dev_token", token}});
}

void ApiServer::PostVerify(const Request& req, const Caller&, Response& res) {
  ApiError error;
  auto body = ParseObject(req.body, &error);
  if (!body) return RespondError(res, error);
  auto token = body->find("token");
  if (token == body->end() || !token->is_string()) {
    return RespondError(res, ApiError::Validation({{"token", "is required"}}));
  }
  auto grant = engine_.directory().RedeemMagicToken(token->get<std::string>());
  if (!grant.ok()) return RespondError(res, ApiError::FromStatus(grant.status()));
  res.set_header("Set-Cookie", "ad_session=" + grant->cookie_value + "; Path=/; HttpOnly; SameSite=Strict");
  RespondJson(res, 200, {{"user_id", grant->owner.id}, {"email", grant->owner.email}});
}

// Signs out: the caller's session ends (its row is deleted, so a copy of the cookie fails too).
void ApiServer::PostLogout(const Request& req, const Caller&, Response& res) {
  const std::string session = SessionCookie(req);
  if (session.empty()) {
    return RespondError(res, {"unauthorized", "no session to end: send the ad_session cookie"});
  }
  if (Status s = engine_.directory().EndSession(session); !s.ok()) return RespondError(res, ApiError::FromStatus(s));
  res.set_header("Set-Cookie", kClearSessionCookie);
  RespondJson(res, 200, {{"signed_out", true}});
}

// Signs out everywhere: the owner's sessions; over the Unix socket, every owner's.
void ApiServer::RevokeSessions(const Request& req, const Caller& caller, Response& res) {
  const bool socket = req.remote_addr == kUnixPeerAddr;
  auto owners = engine_.directory().RevokeSessions(socket ? "" : caller.owner_id);
  if (!owners.ok()) return RespondError(res, ApiError::FromStatus(owners.status()));
  if (!socket) res.set_header("Set-Cookie", kClearSessionCookie);
  RespondJson(res, 200, {{"sessions_revoked", true},
                         {"owners", *owners},
                         {"scope", socket ? "every owner" : "this owner"}});
}

}  // namespace agentdraft::api
