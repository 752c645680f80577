// Security and abuse against the real daemon: isolation between agents and between owners,
// scopes and revoked keys, and the HTTP limits (body, headers, read timeout, connection cap,
// rate limit). After each abusive request the calendar and the audit log are unchanged.
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "tests/cli/run_process.h"
#include "tests/e2e/e2e_support.h"
#include "tests/e2e/raw_connection.h"

namespace agentdraft::testing {
namespace {

using std::chrono::milliseconds;

class SecurityTest : public E2eTest {
 protected:
  void SetUp() override {}  // each test starts its daemon with the flags it needs

  // Everything the daemon holds that an abusive request could change.
  std::string State() {
    auto bookings = owner_->client().Get("/v1/bookings?limit=1000");
    auto audit = owner_->client().Get("/v1/audit?limit=1000");
    EXPECT_TRUE(bookings.ok() && audit.ok());
    return bookings->body + "\n" + audit->body;
  }
  int port() { return PortOf(daemon_->base_url()); }
  // A normal request, answered in time.
  void ExpectServed(const char* when) {
    ApiClient c = Client();
    c.set_timeout(milliseconds(3000));
    auto r = c.Get("/healthz");
    ASSERT_TRUE(r.ok()) << when << ": " << r.status().ToString();
    EXPECT_EQ(r->status, 200) << when;
  }
  // Polls (up to `within`) until a normal request is served.
  bool ServedWithin(milliseconds within) {
    for (const auto until = SteadyClock::now() + within; SteadyClock::now() < until;) {
      auto r = Client().Get("/healthz");
      if (r.ok() && r->status == 200) return true;
      std::this_thread::sleep_for(milliseconds(50));
    }
    return false;
  }
};

void ExpectError(const Result<ApiResponse>& r, int status, const std::string& code, const char* what) {
  ASSERT_TRUE(r.ok()) << what << ": " << r.status().ToString();
  EXPECT_EQ(r->status, status) << what << ": " << r->body;
  EXPECT_EQ(r->ErrorCode(), code) << what << ": " << r->body;
  auto j = r->Json();
  ASSERT_TRUE(j.ok()) << what;
  EXPECT_FALSE(j->value("message", "").empty()) << what;
}

TEST_F(SecurityTest, AnAgentCannotReadCancelReleaseOrConvertAnotherAgentsObjects) {
  StartDaemon();
  // B outranks A: A could not take B's slots by rank either.
  TestAgent b = owner_->AddAgent("b", 1), a = owner_->AddAgent("a", 2);
  ApiClient ca = Client(a.key), cb = Client(b.key);
  const std::string booking = cb.Post("/v1/bookings", Claim(0, 30))->Json().value()["booking_id"];
  const std::string hold = cb.Post("/v1/holds", Claim(60, 90))->Json().value()["hold_id"];
  const std::string before = State();

  ExpectError(ca.Get("/v1/bookings/" + booking), 404, "not_found", "read B's booking");
  ExpectError(ca.Delete("/v1/bookings/" + booking), 404, "not_found", "cancel B's booking");
  ExpectError(ca.Delete("/v1/holds/" + hold), 404, "not_found", "release B's hold");
  nlohmann::json convert = Claim(60, 90);
  convert["hold_id"] = hold;
  // A foreign hold_id is not A's to convert: refused (the hold keeps the slot), nothing written.
  auto converted = ca.Post("/v1/bookings", convert);
  ASSERT_TRUE(converted.ok());
  EXPECT_TRUE(converted->status == 404 || converted->status == 409) << converted->body;
  auto listed = ca.Get("/v1/bookings");
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->Json().value()["bookings"].size(), 0u) << listed->body;
  // The refused claim may be audited; the calendar is what must not change.
  EXPECT_EQ(State().substr(0, State().find('\n')), before.substr(0, before.find('\n')));
  // B still owns both.
  EXPECT_EQ(cb.Get("/v1/bookings/" + booking)->status, 200);
}

TEST_F(SecurityTest, AnOwnerCannotSeeAnotherOwnersCalendarAgentsOrObjects) {
  StartDaemon();
  TestAgent a = owner_->AddAgent("a", 1);
  ApiClient ca = Client(a.key);
  const std::string booking = ca.Post("/v1/bookings", Claim(0, 30))->Json().value()["booking_id"];
  const std::string hold = ca.Post("/v1/holds", Claim(60, 90))->Json().value()["hold_id"];
  DevOwner other(daemon_->base_url(), "someone-else@example.com");
  ASSERT_NE(other.user_id(), owner_->user_id());
  TestAgent x = other.AddAgent("x", 1);
  ApiClient cx = Client(x.key);
  const std::string before = State();

  ApiClient& o2 = other.client();
  ExpectError(o2.Get("/v1/bookings/" + booking), 404, "not_found", "other owner reads the booking");
  ExpectError(o2.Delete("/v1/bookings/" + booking), 404, "not_found", "other owner cancels it");
  ExpectError(o2.Delete("/v1/holds/" + hold), 404, "not_found", "other owner releases the hold");
  ExpectError(o2.Get("/v1/dashboard/agents/" + a.id), 404, "not_found", "other owner reads the agent");
  ExpectError(o2.Patch("/v1/dashboard/agents/" + a.id, {{"priority", 5}}), 404, "not_found",
              "other owner re-ranks the agent");
  ExpectError(o2.Delete("/v1/dashboard/agents/" + a.id + "/keys"), 404, "not_found",
              "other owner revokes the agent");
  ExpectError(cx.Get("/v1/bookings/" + booking), 404, "not_found", "other owner's agent reads it");
  ExpectError(cx.Delete("/v1/bookings/" + booking), 404, "not_found", "other owner's agent cancels it");
  auto theirs = o2.Get("/v1/bookings");
  ASSERT_TRUE(theirs.ok());
  EXPECT_EQ(theirs->Json().value()["bookings"].size(), 0u) << theirs->body;
  auto agents = o2.Get("/v1/dashboard/agents");
  ASSERT_TRUE(agents.ok());
  EXPECT_EQ(agents->body.find(a.id), std::string::npos) << agents->body;
  // Separate calendars: the other owner's agent books the very same slot.
  EXPECT_EQ(cx.Post("/v1/bookings", Claim(0, 30))->status, 201);
  auto mine = owner_->client().Get("/v1/bookings?limit=1000");
  EXPECT_EQ(mine->Json().value()["bookings"].size(), 1u);
  EXPECT_EQ(owner_->client().Get("/v1/bookings/" + booking)->Json().value()["status"], "COMMITTED");
  EXPECT_EQ(State(), before) << "the other owner's requests changed the first owner's calendar";
}

TEST_F(SecurityTest, AKeyWithoutTheScopeIsForbiddenAndARevokedKeyIsRefused) {
  StartDaemon();
  auto created = owner_->client().Post("/v1/dashboard/agents",
                                       {{"name", "reader"}, {"priority", 1}, {"scopes", {"availability:read"}}});
  ASSERT_EQ(created->status, 201) << created->body;
  ApiClient reader = Client(created->Json().value()["plaintext_key"]);
  TestAgent w = owner_->AddAgent("writer", 2);
  ApiClient writer = Client(w.key);
  ASSERT_EQ(writer.Post("/v1/bookings", Claim(0, 30))->status, 201);
  const std::string before = State();

  auto r = reader.Post("/v1/bookings", Claim(60, 90));
  ExpectError(r, 403, "forbidden", "commit without bookings:write");
  EXPECT_EQ(r->Json().value().value("missing_scope", ""), "bookings:write");
  ExpectError(reader.Post("/v1/holds", Claim(60, 90)), 403, "forbidden", "hold without bookings:write");
  ExpectError(reader.Get("/v1/audit"), 403, "forbidden", "audit without audit:read");
  EXPECT_EQ(reader.Get("/v1/availability?range_start=" + At(0) + "&range_end=" + At(600) +
                       "&duration_minutes=30")->status, 200);

  ASSERT_EQ(owner_->client().Delete("/v1/dashboard/agents/" + w.id + "/keys")->status, 200);
  const std::string revoked = State();
  ExpectError(writer.Post("/v1/bookings", Claim(120, 150)), 401, "unauthorized", "revoked key commits");
  ExpectError(writer.Get("/v1/bookings"), 401, "unauthorized", "revoked key reads");
  EXPECT_EQ(State(), revoked);
  EXPECT_NE(before, revoked);  // the revocation itself is audited
}

TEST_F(SecurityTest, OversizedBodiesAndHeadersAreRefusedWithJsonAndChangeNothing) {
  StartDaemon({"--dev", "--max-body-bytes", "65536", "--max-header-bytes", "8192"});
  TestAgent a = owner_->AddAgent("a", 1);
  ApiClient ca = Client(a.key);
  const std::string before = State();

  nlohmann::json big = Claim(0, 30);
  big["metadata"] = {{"pad", std::string(70000, 'x')}};
  ExpectError(ca.Post("/v1/bookings", big), 413, "payload_too_large", "70 kB body");
  ExpectError(ca.PostRaw("/v1/bookings", Claim(0, 30).dump(), {"X-Pad: " + std::string(9000, 'h')}), 431,
              "headers_too_large", "one 9 kB header");
  std::vector<std::string> many;
  for (int i = 0; i < 20; ++i) many.push_back("X-Pad-" + std::to_string(i) + ": " + std::string(500, 'h'));
  ExpectError(ca.PostRaw("/v1/bookings", Claim(0, 30).dump(), many), 431, "headers_too_large",
              "20 headers of 500 bytes");
  // The same over a raw connection: the answer says to close, and the daemon closes.
  RawConnection raw(port());
  ASSERT_TRUE(raw.connected());
  raw.Send("GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Pad: " + std::string(9000, 'h') + "\r\n\r\n");
  bool closed = false;
  const std::string answer = raw.ReadUntilClosed(milliseconds(5000), &closed);
  EXPECT_EQ(answer.rfind("HTTP/1.1 431", 0), 0u) << answer;
  EXPECT_EQ(BodyOf(answer).value("error", ""), "headers_too_large");
  EXPECT_TRUE(closed);
  EXPECT_EQ(State(), before);
  // Just under the limits is fine.
  big.erase("metadata");
  big["padding"] = std::string(60000, 'x');  // unknown fields are ignored
  EXPECT_EQ(ca.Post("/v1/bookings", big)->status, 201);
}

// RFC 9112 §6.3: a request with neither Content-Length nor Transfer-Encoding has no body, so
// `curl -X POST …/reject` (no -d) is answered at once instead of waiting out the read timeout.
TEST_F(SecurityTest, APostWithoutContentLengthHasAnEmptyBodyAndIsAnsweredAtOnce) {
  StartDaemon({"--dev", "--read-timeout", "60s"});
  TestAgent a = owner_->AddAgent("a", 1);
  RawConnection raw(port());
  ASSERT_TRUE(raw.connected());
  raw.Send("POST /v1/bookings/bkg_nosuch/counters/ctr_nosuch/reject HTTP/1.1\r\nHost: localhost\r\n"
           "Authorization: Bearer " + a.key + "\r\nConnection: close\r\n\r\n");
  bool closed = false;
  const std::string answer = raw.ReadUntilClosed(milliseconds(30000), &closed);
  EXPECT_EQ(answer.rfind("HTTP/1.1 404", 0), 0u) << answer;  // not a 408 after 60 s
  EXPECT_EQ(BodyOf(answer).value("error", ""), "not_found");
  // An empty POST body where JSON is expected is a 400 naming it, not a wait either.
  RawConnection commit(port());
  commit.Send("POST /v1/bookings HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + a.key +
              "\r\nConnection: close\r\n\r\n");
  const std::string refused = commit.ReadUntilClosed(milliseconds(30000), &closed);
  EXPECT_EQ(refused.rfind("HTTP/1.1 400", 0), 0u) << refused;
  EXPECT_EQ(BodyOf(refused).value("error", ""), "validation_error");
}

TEST_F(SecurityTest, SlowClientsAreCutAfterTheReadTimeoutAndDoNotBlockOthers) {
  StartDaemon({"--dev", "--read-timeout", "1s", "--threads", "16", "--max-connections", "16"});
  TestAgent a = owner_->AddAgent("a", 1);
  const std::string before = State();
  const auto start = SteadyClock::now();
  // Half a request each, then silence; and one that trickles a header byte every 100 ms.
  std::vector<std::unique_ptr<RawConnection>> stalled;
  for (int i = 0; i < 6; ++i) {
    stalled.push_back(std::make_unique<RawConnection>(port()));
    ASSERT_TRUE(stalled.back()->connected());
    stalled.back()->Send("POST /v1/bookings HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + a.key +
                         "\r\nContent-Length: 200\r\n\r\n{\"start\":");
  }
  auto headless = std::make_unique<RawConnection>(port());
  headless->Send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n");
  RawConnection trickler(port());
  trickler.Send("GET /healthz HTTP/1.1\r\nX-Slow: ");
  // While they stall, others are served promptly.
  for (int i = 0; i < 5; ++i) ExpectServed("while slow clients stall");
  EXPECT_LT(SteadyClock::now() - start, milliseconds(900)) << "normal requests waited for the stalled ones";
  bool trickler_closed = false;
  for (int i = 0; i < 40 && !trickler_closed; ++i) {
    // Pacing the trickle by wall time, not testing time with it.
    trickler.Send("a");
    trickler.ReadUntilClosed(milliseconds(100), &trickler_closed);
  }
  EXPECT_TRUE(trickler_closed) << "a trickling client kept its connection past the read timeout";
  const auto trickle_cut = SteadyClock::now() - start;
  EXPECT_GE(trickle_cut, milliseconds(900));
  EXPECT_LT(trickle_cut, milliseconds(3000));
  // Each stalled connection is answered 408 (or its body 408) and closed after the timeout.
  for (auto& c : stalled) {
    bool closed = false;
    const std::string answer = c->ReadUntilClosed(milliseconds(5000), &closed);
    EXPECT_TRUE(closed);
    EXPECT_EQ(answer.rfind("HTTP/1.1 408", 0), 0u) << answer;
    EXPECT_EQ(BodyOf(answer).value("error", ""), "request_timeout") << answer;
  }
  bool closed = false;
  const std::string answer = headless->ReadUntilClosed(milliseconds(5000), &closed);
  EXPECT_TRUE(closed);
  EXPECT_EQ(answer.rfind("HTTP/1.1 408", 0), 0u) << answer;
  EXPECT_LT(SteadyClock::now() - start, milliseconds(4000));
  EXPECT_EQ(State(), before);
  ExpectServed("after the slow clients were cut");
}

TEST_F(SecurityTest, WhenEveryConnectionIsBeingServedANewOneGetsA503AndIsClosed) {
  StartDaemon({"--dev", "--threads", "8", "--max-connections", "4", "--max-streams", "4",
               "--idle-timeout", "100ms"});
  TestAgent a = owner_->AddAgent("a", 1);
  const std::string before = State();
  // Four event streams: each connection is being served for as long as it is open. (Idle
  // connections left from the set-up make room for them.)
  std::vector<std::unique_ptr<RawConnection>> streams;
  for (int attempt = 0; streams.size() < 4 && attempt < 100; ++attempt) {
    auto c = std::make_unique<RawConnection>(port());
    c->Send("GET /v1/events HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + a.key + "\r\n\r\n");
    bool closed = false;
    if (c->ReadUntilClosed(milliseconds(200), &closed).rfind("HTTP/1.1 200", 0) == 0 && !closed) {
      streams.push_back(std::move(c));
    }
  }
  ASSERT_EQ(streams.size(), 4u);
  RawConnection extra(port());
  extra.Send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n");
  bool closed = false;
  const std::string answer = extra.ReadUntilClosed(milliseconds(2000), &closed);
  EXPECT_TRUE(closed) << "the refused connection was left open";
  EXPECT_EQ(answer.rfind("HTTP/1.1 503", 0), 0u) << answer;
  EXPECT_NE(answer.find("Retry-After: 1\r\n"), std::string::npos) << answer;
  EXPECT_EQ(BodyOf(answer).value("error", ""), "unavailable") << answer;
  // A refusal is quick: no waiting for a worker.
  const auto t = SteadyClock::now();
  auto refused = Client(a.key).Post("/v1/bookings", Claim(0, 30));
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->status, 503);
  EXPECT_EQ(refused->headers["retry-after"], "1");
  EXPECT_LT(SteadyClock::now() - t, milliseconds(1000));
  streams.clear();  // the clients go away: their streams end within a turn (a second)
  EXPECT_TRUE(ServedWithin(milliseconds(5000)));
  std::string after;
  for (const auto until = SteadyClock::now() + milliseconds(5000); SteadyClock::now() < until;) {
    if ((after = State()).find("\"unavailable\"") == std::string::npos) break;  // all streams ended
  }
  EXPECT_EQ(after, before);
}

TEST_F(SecurityTest, RateLimitAnswers429WithRetryAfterAndWritesNothing) {
  StartDaemon({"--dev", "--rate-limit", "0.5", "--rate-burst", "3"});
  TestAgent a = owner_->AddAgent("a", 1);
  ApiClient ca = Client(a.key);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(ca.Post("/v1/bookings", Claim(i * 30, i * 30 + 30))->status, 201) << "burst " << i;
  }
  const std::string before = State();
  auto r = ca.Post("/v1/bookings", Claim(300, 330));
  ExpectError(r, 429, "rate_limited", "the fourth request");
  const int retry_after = r->Json().value().value("retry_after", 0);
  EXPECT_GE(retry_after, 1);
  EXPECT_LE(retry_after, 2);
  EXPECT_EQ(r->headers["retry-after"], std::to_string(retry_after));
  EXPECT_EQ(State(), before);
  // The owner is not limited; another agent has its own bucket.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(owner_->client().Get("/v1/bookings")->status, 200);
  TestAgent b = owner_->AddAgent("b", 2);
  EXPECT_EQ(Client(b.key).Get("/v1/bookings")->status, 200);
}

TEST_F(SecurityTest, RateLimitIsOnByDefaultButNeverForTheOwner) {
  StartDaemon();
  // The socket's owner, so that it can act as its agent over the socket below.
  auto socket_owner = DevOwner::OverSocket(daemon_->socket_path(), daemon_->base_url());
  TestAgent a = socket_owner->AddAgent("a", 1);
  ApiClient ca = Client(a.key);
  // 50 a second, bursts of 100: sent back to back, the first 100 pass and a 429 follows long
  // before 3,000 requests (which would take a minute to earn).
  int served = 0;
  Result<ApiResponse> r = Status::Internal("no request");
  for (int i = 0; i < 3000; ++i) {
    r = ca.Get("/v1/agents/me");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    if (r->status != 200) break;
    ++served;
  }
  ASSERT_EQ(r->status, 429) << "no 429 after " << served << " requests";
  EXPECT_GE(served, 100);
  const nlohmann::json body = r->Json().value();
  EXPECT_EQ(body["error"], "rate_limited");
  const int retry_after = body.value("retry_after", 0);
  EXPECT_GE(retry_after, 1);
  EXPECT_EQ(r->headers["retry-after"], std::to_string(retry_after));
  // While a's bucket is empty: the owner over its socket, acting as a over it, and an owner
  // over HTTP with its session are never limited.
  ApiClientOptions so;
  so.base_url = "http://agentdraftd";
  so.unix_socket_path = daemon_->socket_path();
  ApiClient owner(so);
  so.headers = {"X-Agentdraft-As: " + a.id};
  ApiClient as_a(so);
  for (int i = 0; i < 300; ++i) {
    ASSERT_EQ(owner.Get("/v1/bookings")->status, 200) << i;
    ASSERT_EQ(as_a.Get("/v1/agents/me")->status, 200) << i;
    ASSERT_EQ(owner_->client().Get("/v1/bookings")->status, 200) << i;
  }
}

// Non-loopback IPv4 addresses of this host.
std::vector<std::string> OtherAddresses() {
  std::vector<std::string> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET) continue;
    char ip[INET_ADDRSTRLEN];
    ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr, ip, sizeof ip);
    if (std::string(ip).rfind("127.", 0) != 0) out.push_back(ip);
  }
  ::freeifaddrs(list);
  return out;
}

TEST_F(SecurityTest, HttpIsBoundToLoopbackByDefault) {
  ProcessResult help = RunProcess({AGENTDRAFTD_PATH, "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--http TEXT=127.0.0.1:8080"), std::string::npos) << help.out;
  StartDaemon();
  EXPECT_NE(daemon_->ready_line().find("http=http://127.0.0.1:"), std::string::npos) << daemon_->ready_line();
  auto status = owner_->client().Get("/v1/status");
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->Json().value().value("http", "").rfind("http://127.0.0.1:", 0), 0u) << status->body;
  for (const std::string& ip : OtherAddresses()) {
    RawConnection c(ip, port());
    EXPECT_FALSE(c.connected()) << "reachable on " << ip;
  }
}

}  // namespace
}  // namespace agentdraft::testing
