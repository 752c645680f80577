// A whole daemon in process (daemon/daemon.h): started on a temporary SQLite file and an
// ephemeral port, sent a real HTTP commit over a socket, stopped cleanly, and started again
// on the same data directory to see that the commit was kept.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "daemon/daemon.h"
#include "daemon/store/sqlite_store.h"
#include "tests/e2e/raw_connection.h"
#include "tests/support/dev_owner.h"
#include "tests/support/faulty_store.h"
#include "tests/support/temp_dir.h"

namespace agentdraft::testing {
namespace {

using namespace std::chrono_literals;

daemon::DaemonConfig ConfigIn(const TempDir& dir) {
  daemon::DaemonConfig c;
  c.data_dir = dir.File("data");
  c.server.host = "127.0.0.1";
  c.server.port = 0;  // any free port
  c.server.socket_path = dir.File("ad.sock");
  c.server.dev_mode = true;
  c.server.threads = 8;
  c.server.idle_timeout = 200ms;  // Stop() waits out idle keep-alive connections
  return c;
}

std::string BaseUrl(const daemon::Daemon& d) { return "http://127.0.0.1:" + std::to_string(d.port()); }

std::string CommitRequest(const TestAgent& agent, const std::string& key) {
  const std::string body = R"({"start":"2027-03-01T12:00:00Z","end":"2027-03-01T12:30:00Z"})";
  return "POST /v1/bookings HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + agent.key +
         "\r\nContent-Type: application/json\r\nIdempotency-Key: " + key +
         "\r\nConnection: close\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

TEST(InProcessDaemon, StartsCommitsOverHttpAndStopsCleanly) {
  TempDir dir;
  std::string booking_id;
  {
    auto started = daemon::Daemon::Start(ConfigIn(dir));
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    daemon::Daemon& d = **started;
    EXPECT_GT(d.port(), 0);
    EXPECT_EQ(d.socket_path(), dir.File("ad.sock"));
    EXPECT_NE(d.store_description().find("sqlite at " + dir.File("data") + "/agentdraft.db"), std::string::npos);

    DevOwner owner(BaseUrl(d));
    const TestAgent agent = owner.AddAgent("scheduler", 1);
    RawConnection c(d.port());
    ASSERT_TRUE(c.connected());
    ASSERT_TRUE(c.Send(CommitRequest(agent, "in-process-1")));
    const std::string answer = c.ReadResponse(5000ms);
    ASSERT_EQ(answer.rfind("HTTP/1.1 201", 0), 0u) << answer;
    booking_id = BodyOf(answer).value("booking_id", "");
    EXPECT_FALSE(booking_id.empty()) << answer;
    EXPECT_TRUE(d.Stop());  // serving had not ended by itself
    EXPECT_TRUE(d.Stop());  // a second Stop is harmless
  }  // ~Daemon: joins the listeners, releases the data directory's lock

  // The same data directory again: the lock was released and the commit is durable.
  auto again = daemon::Daemon::Start(ConfigIn(dir));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  (*again)->Stop();
  again->reset();
  store::SqliteStoreOptions so;
  so.path = dir.File("data") + "/agentdraft.db";
  auto store = store::SqliteStore::Open(so);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto claim = (*store)->GetClaim(booking_id);
  ASSERT_TRUE(claim.ok()) << claim.status().ToString();
  EXPECT_EQ(claim->state, store::ClaimState::kCommitted);
}

TEST(InProcessDaemon, ASecondDaemonOnTheSameDataDirectoryIsRefused) {
  TempDir dir;
  auto first = daemon::Daemon::Start(ConfigIn(dir));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  daemon::DaemonConfig second = ConfigIn(dir);
  second.server.socket_path = dir.File("ad2.sock");
  auto refused = daemon::Daemon::Start(second);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("another agentdraftd uses the data directory"), std::string::npos)
      << refused.status().ToString();
}

TEST(InProcessDaemon, TheStoreItOpensCanBeDecorated) {
  TempDir dir;
  bool decorated = false;
  daemon::DaemonHooks hooks;
  hooks.decorate_store = [&](std::unique_ptr<store::Store> inner) -> std::unique_ptr<store::Store> {
    decorated = true;
    StoreFaults faults;
    faults.fail_apply = [](const store::Decision& d) {
      return d.claims.empty() ? Status::Ok() : Status::Unavailable("injected: the disk is full");
    };
    return std::make_unique<FaultyStore>(std::move(inner), faults);
  };
  auto started = daemon::Daemon::Start(ConfigIn(dir), std::move(hooks));
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  EXPECT_TRUE(decorated);
  DevOwner owner(BaseUrl(**started));
  const TestAgent agent = owner.AddAgent("scheduler", 1);
  RawConnection c((*started)->port());
  ASSERT_TRUE(c.Send(CommitRequest(agent, "in-process-2")));
  const std::string answer = c.ReadResponse(5000ms);
  EXPECT_EQ(answer.rfind("HTTP/1.1 503", 0), 0u) << answer;
  EXPECT_EQ(BodyOf(answer).value("error", ""), "unavailable") << answer;
}

}  // namespace
}  // namespace agentdraft::testing
