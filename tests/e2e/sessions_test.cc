// Owner sessions and the browser's reach against the real daemon: sign-out and "sign out
// everywhere", the dev-mode magic link kept away from the Unix socket's owner, dev sessions
// after a restart without --dev, and the Host and Origin checks that stop DNS-rebinding and
// cross-site pages. Each refused request changes nothing.

#include <set>

#include "tests/cli/run_process.h"
#include "tests/e2e/e2e_support.h"
#include "tests/e2e/raw_connection.h"

namespace agentdraft::testing {
namespace {

using nlohmann::json;

// Sends `request` on a new connection to 127.0.0.1:port and returns everything read until
// the daemon closes it (at most 10 s).
std::string RawExchange(int port, const std::string& request) {
  RawConnection c(port);
  c.Send(request);
  bool closed = false;
  return c.ReadUntilClosed(std::chrono::milliseconds(10000), &closed);
}

class SessionsTest : public E2eTest {
 protected:
  ApiClient Socket() {
    ApiClientOptions o;
    o.base_url = "http://agentdraftd";
    o.unix_socket_path = daemon_->socket_path();
    return ApiClient(o);
  }
  // A client that sends `cookie` (a browser with the owner's session, or a stolen copy) and
  // `headers`.
  ApiClient WithCookie(const std::string& cookie, std::vector<std::string> headers = {}) {
    ApiClientOptions o;
    o.base_url = daemon_->base_url();
    o.cookie = cookie;
    o.headers = std::move(headers);
    return ApiClient(o);
  }
  int Code(Result<ApiResponse> r) { return r.ok() ? r->status : -1; }
  // The names of the owner's agents, sorted, each followed by a space.
  std::string AgentNames(ApiClient& owner) {
    auto r = owner.Get("/v1/dashboard/agents");
    if (!r.ok() || r->status != 200) return "error";
    const json body = r->Json().value();
    std::set<std::string> sorted;
    for (const json& a : body["agents"]) sorted.insert(a.value("name", ""));
    std::string names;
    for (const std::string& name : sorted) names += name + " ";
    return names;
  }
};

TEST_F(SessionsTest, SigningOutEndsTheSessionAndACopiedCookieNoLongerWorks) {
  const std::string cookie = owner_->client().options().cookie;
  ApiClient copy = WithCookie(cookie);
  ASSERT_EQ(Code(copy.Get("/v1/dashboard/agents")), 200);
  auto out = owner_->client().Post("/v1/auth/logout", json::object());
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->status, 200) << out->body;
  EXPECT_NE(out->headers["set-cookie"].find("ad_session=; Path=/; Max-Age=0"), std::string::npos)
      << out->headers["set-cookie"];
  EXPECT_EQ(Code(copy.Get("/v1/dashboard/agents")), 401);
  EXPECT_EQ(Code(owner_->client().Get("/v1/dashboard/agents")), 401);
  // Signing out needs a session.
  auto none = Client().Post("/v1/auth/logout", json::object());
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->status, 401);
  EXPECT_EQ(none->Json().value().value("error", ""), "unauthorized");
}

TEST_F(SessionsTest, SigningOutEverywhereEndsEverySessionOfThatOwnerOnly) {
  DevOwner second_browser(daemon_->base_url());  // owner@example.com again
  DevOwner other(daemon_->base_url(), "other@example.com");
  auto r = owner_->client().Delete("/v1/dashboard/sessions");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->Json().value().value("owners", 0), 1) << r->body;
  EXPECT_EQ(Code(owner_->client().Get("/v1/dashboard/agents")), 401);
  EXPECT_EQ(Code(second_browser.client().Get("/v1/dashboard/agents")), 401);
  EXPECT_EQ(Code(other.client().Get("/v1/dashboard/agents")), 200);
  DevOwner again(daemon_->base_url());
  EXPECT_EQ(Code(again.client().Get("/v1/dashboard/agents")), 200);
}

TEST_F(SessionsTest, AgentdraftSessionsRevokeSignsEveryOwnerOut) {
  DevOwner other(daemon_->base_url(), "other@example.com");
  ProcessResult revoke = RunProcess({AGENTDRAFT_CLI_PATH, "sessions", "revoke"},
                                    {{"AGENTDRAFT_SOCKET", daemon_->socket_path()}, {"AGENTDRAFT_API_KEY", ""}});
  EXPECT_EQ(revoke.exit_code, 0) << revoke.out << revoke.err;
  EXPECT_NE(revoke.out.find("signed out"), std::string::npos) << revoke.out;
  EXPECT_EQ(Code(owner_->client().Get("/v1/dashboard/agents")), 401);
  EXPECT_EQ(Code(other.client().Get("/v1/dashboard/agents")), 401);
}

TEST_F(SessionsTest, TheMagicLinkNeverSignsInToTheSocketsOwner) {
  // The fixture's owner signed in over HTTP before the socket was ever used.
  ApiClient socket = Socket();
  auto settings = socket.Get("/v1/dashboard/settings");
  ASSERT_TRUE(settings.ok());
  const std::string local = settings->Json().value().value("user_id", "");
  ASSERT_EQ(Code(socket.Post("/v1/dashboard/agents", {{"name", "machine-bot"}, {"priority", 1}})), 201);
  EXPECT_NE(local, owner_->user_id());
  EXPECT_EQ(AgentNames(owner_->client()), "");

  auto link = Client().Post("/v1/auth/magic-link", {{"email", "owner@localhost"}});
  ASSERT_TRUE(link.ok());
  EXPECT_EQ(link->status, 403) << link->body;
  EXPECT_EQ(link->Json().value().value("error", ""), "forbidden");
  EXPECT_FALSE(link->Json().value().contains("dev_token"));
  EXPECT_EQ(AgentNames(socket), "machine-bot ");
}

TEST_F(SessionsTest, ADevSessionIsRefusedAfterARestartWithoutDev) {
  const std::string cookie = owner_->client().options().cookie;
  ASSERT_EQ(daemon_->Stop(), 0);
  DaemonProcess plain(dir_.File("data"), {});
  ASSERT_TRUE(plain.Start().ok()) << plain.Log();
  ApiClientOptions o;
  o.base_url = plain.base_url();
  o.cookie = cookie;
  auto r = ApiClient(o).Get("/v1/dashboard/agents");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 401) << r->body;
  EXPECT_EQ(plain.Stop(), 0) << plain.Log();
}

TEST_F(SessionsTest, AForeignHostIsRefusedAndLoopbackNamesPass) {
  const int port = PortOf(daemon_->base_url());
  const std::string p = std::to_string(port);
  for (const std::string& host : {"localhost:" + p, "127.0.0.1:" + p, "[::1]:" + p, std::string("LOCALHOST")}) {
    SCOPED_TRACE(host);
    EXPECT_EQ(Code(WithCookie("", {"Host: " + host}).Get("/healthz")), 200);
  }
  auto evil = WithCookie(owner_->client().options().cookie, {"Host: evil.example:" + p})
                  .Post("/v1/dashboard/agents", {{"name", "rebound"}});
  ASSERT_TRUE(evil.ok());
  EXPECT_EQ(evil->status, 403) << evil->body;
  EXPECT_EQ(evil->Json().value().value("error", ""), "forbidden");
  EXPECT_NE(evil->Json().value().value("message", "").find("--allowed-host evil.example"), std::string::npos);
  EXPECT_EQ(AgentNames(owner_->client()), "");
  // HTTP/1.0 without Host: no browser sends that; it passes.
  const std::string old = RawExchange(port, "GET /healthz HTTP/1.0\r\n\r\n");
  EXPECT_EQ(old.rfind("HTTP/1.1 200", 0), 0u) << old;
  // Over the Unix socket, no browser: any Host.
  ApiClientOptions so;
  so.base_url = "http://evil.example";
  so.unix_socket_path = daemon_->socket_path();
  EXPECT_EQ(Code(ApiClient(so).Get("/v1/dashboard/settings")), 200);
}

TEST_F(SessionsTest, AnAllowedHostNamePasses) {
  ASSERT_EQ(daemon_->Stop(), 0);
  daemon_ = std::make_unique<DaemonProcess>(dir_.File("data2"),
                                            std::vector<std::string>{"--dev", "--allowed-host", "calendar.internal"});
  ASSERT_TRUE(daemon_->Start().ok()) << daemon_->Log();
  EXPECT_EQ(Code(WithCookie("", {"Host: calendar.internal"}).Get("/healthz")), 200);
  EXPECT_EQ(Code(WithCookie("", {"Host: evil.example"}).Get("/healthz")), 403);
}

TEST_F(SessionsTest, ACrossOriginChangeWithTheCookieIsRefusedAndChangesNothing) {
  const std::string cookie = owner_->client().options().cookie;
  const std::string own = "Origin: " + daemon_->base_url();
  for (const std::vector<std::string>& headers :
       {std::vector<std::string>{"Origin: http://evil.example"}, {"Origin: null"},
        {"Origin: http://localhost:1"}, {"Sec-Fetch-Site: cross-site"}, {"Sec-Fetch-Site: same-site"}}) {
    SCOPED_TRACE(headers[0]);
    auto r = WithCookie(cookie, headers).Post("/v1/dashboard/agents", {{"name", "forged"}});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, 403) << r->body;
    EXPECT_NE(r->Json().value().value("message", "").find("cross-origin request refused"), std::string::npos)
        << r->body;
  }
  EXPECT_EQ(AgentNames(owner_->client()), "");
  // A read from a foreign page is not refused here (the browser keeps the answer from it).
  EXPECT_EQ(Code(WithCookie(cookie, {"Origin: http://evil.example"}).Get("/v1/dashboard/agents")), 200);
  // The daemon's own origin, and same-origin fetch metadata, pass.
  EXPECT_EQ(Code(WithCookie(cookie, {own}).Post("/v1/dashboard/agents", {{"name", "mine"}})), 201);
  EXPECT_EQ(Code(WithCookie(cookie, {"Sec-Fetch-Site: same-origin"})
                       .Post("/v1/dashboard/agents", {{"name", "mine2"}})),
            201);
  // An agent's client sends no Origin: its key works as before.
  TestAgent bot = owner_->AddAgent("bot", 1);
  EXPECT_EQ(Code(owner_->AgentClient(bot).Post("/v1/bookings", Claim(0, 30))), 201);
  EXPECT_EQ(AgentNames(owner_->client()), "bot mine mine2 ");
}

}  // namespace
}  // namespace agentdraft::testing
