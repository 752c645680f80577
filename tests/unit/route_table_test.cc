// The route table (daemon/api/route_table.h) against the server it configures: every path of
// the table, with sample ids of real objects, walked with every method, on both listeners. A
// method the table has for the path is served (never 404 or 405); any other is 405
// method_not_allowed with `Allow`; a path no row has is 404. The server runs in process
// (ApiServer::ServeStream) on an engine over SQLite in a temporary file.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <memory>
#include <ostream>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "daemon/api/route_table.h"
#include "daemon/api/server.h"
#include "daemon/store/sqlite_store.h"
#include "tests/support/fake_clock.h"
#include "tests/support/string_stream.h"
#include "tests/support/temp_dir.h"

namespace agentdraft::api {
namespace {

using namespace std::chrono_literals;

// Methods httplib parses; TRACE and CONNECT it routes nowhere.
const std::vector<std::string> kMethods = {"GET", "HEAD", "OPTIONS", "TRACE", "CONNECT",
                                           "POST", "PUT", "PATCH", "DELETE"};

using testing::StringStream;

struct Answer {
  int status = 0;
  std::string allow;    // the Allow header
  nlohmann::json body;  // null when not JSON (or a HEAD answer)
};

// Every path of the table once, in table order.
std::vector<std::string> TablePaths() {
  std::vector<std::string> paths;
  for (const Route& r : ApiServer::Routes()) {
    if (std::find(paths.begin(), paths.end(), r.path) == paths.end()) paths.emplace_back(r.path);
  }
  return paths;
}

// The methods of the rows whose pattern matches `path` (a request's path), HEAD with GET. (A
// path may match more than one pattern: /v1/dashboard/webhooks/events is also a {subscription_id}.)
std::set<std::string> TableMethods(const std::string& path) {
  std::set<std::string> methods;
  for (const Route& r : ApiServer::Routes()) {
    if (!std::regex_match(path, std::regex(PathRegex(r.path)))) continue;
    methods.emplace(r.method);
    if (r.method == "GET") methods.emplace("HEAD");
  }
  return methods;
}

struct Walk {
  std::string path;  // a pattern of the table
  bool owner_socket;
};

void PrintTo(const Walk& w, std::ostream* os) { *os << (w.owner_socket ? "socket " : "tcp ") << w.path; }

class RouteTableWalk : public ::testing::TestWithParam<Walk> {
 protected:
  void SetUp() override {
    store::SqliteStoreOptions so;
    so.path = dir_.File("agentdraft.db");
    auto opened = store::SqliteStore::Open(so);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened.value());
    engine::EngineOptions eo;
    eo.run_timer_thread = false;
    eo.key_secret = "route-table-test";
    engine_ = std::make_unique<engine::Engine>(*store_, clock_, eo);
    ASSERT_TRUE(engine_->Start().ok());
    MakeSampleObjects();
    server_ = std::make_unique<ApiServer>(*engine_, ServerOptions{});
  }
  void TearDown() override {
    server_.reset();
    engine_->Stop();
  }

  // An agent, a booking and a hold of it, a counter-proposal of a second agent, a rule: the
  // ids the walk puts into the paths (the socket's owner's, so that its requests find them).
  void MakeSampleObjects() {
    auto owner = engine_->directory().LocalOwner();
    ASSERT_TRUE(owner.ok());
    auto alpha = engine_->directory().CreateAgent(*owner, "alpha", 1, {});
    auto beta = engine_->directory().CreateAgent(*owner, "beta", 2, {});
    ASSERT_TRUE(alpha.ok() && beta.ok());
    ids_["{agent_id}"] = alpha->agent.record.id;
    auto a = engine_->directory().AuthenticateKey(alpha->plaintext_key);
    auto b = engine_->directory().AuthenticateKey(beta->plaintext_key);
    ASSERT_TRUE(a.ok() && b.ok());
    const Time day = clock_.Now() + 24h;
    ids_["{booking_id}"] = Claim(*a, day, false, "booking_id");
    ids_["{hold_id}"] = Claim(*a, day + 2h, true, "hold_id");
    engine::CounterRequest counter;
    counter.proposed = {store::Slot{day + 4h, day + 4h + 30min}};
    ids_["{counter_id}"] = Created(engine::Await([&](engine::Done d) {
      engine_->ProposeCounter(*b, ids_["{booking_id}"], std::move(counter), std::move(d));
    }), "counter_id");
    auto rule = engine_->directory().CreateRule(*owner, {{"kind", "focus"},
                                             {"start", "2026-07-01T10:00:00Z"},
                                             {"end", "2026-07-01T11:00:00Z"}});
    ASSERT_TRUE(rule.ok()) << rule.status().ToString();
    ids_["{rule_id}"] = rule->id;
    ids_["{subscription_id}"] = "sub_sample";  // webhooks are off here: 503 before any lookup
  }

  std::string Claim(const engine::Principal& p, Time start, bool hold, const char* id_field) {
    engine::ClaimRequest r;
    r.start = start;
    r.end = start + 30min;
    return Created(engine::Await([&](engine::Done d) {
      if (hold) engine_->Hold(p, std::move(r), std::move(d));
      else engine_->Commit(p, std::move(r), std::move(d));
    }), id_field);
  }

  static std::string Created(const engine::Outcome& o, const char* id_field) {
    EXPECT_EQ(o.status, 201) << o.body;
    auto j = nlohmann::json::parse(o.body, nullptr, /*allow_exceptions=*/false);
    return j.is_object() ? j.value(id_field, "") : "";
  }

  // The pattern with each {name} replaced by its sample id.
  std::string Sample(std::string path) {
    for (const auto& [name, id] : ids_) {
      for (size_t at = path.find(name); at != std::string::npos; at = path.find(name)) {
        path.replace(at, name.size(), id);
      }
    }
    return path;
  }

  Answer Serve(const std::string& method, const std::string& path) {
    StringStream stream(method + " " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n");
    server_->ServeStream(stream, GetParam().owner_socket, 1);
    const std::string& out = stream.output();
    Answer a;
    if (out.rfind("HTTP/1.1 ", 0) != 0) return a;
    a.status = std::stoi(out.substr(9, 3));
    const size_t head_end = out.find("\r\n\r\n");
    const std::string head = out.substr(0, head_end);
    if (size_t at = head.find("\r\nAllow: "); at != std::string::npos) {
      a.allow = head.substr(at + 9, head.find("\r\n", at + 2) - at - 9);
    }
    if (head_end != std::string::npos) {
      a.body = nlohmann::json::parse(out.substr(head_end + 4), nullptr, /*allow_exceptions=*/false);
    }
    return a;
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<ApiServer> server_;
  std::map<std::string, std::string> ids_;
};

TEST_P(RouteTableWalk, EveryMethodIsServedOrRefusedAsTheTableSays) {
  const std::string path = Sample(GetParam().path);
  const std::set<std::string> served = TableMethods(path);
  std::string allow;
  for (const std::string& m : AllowedMethods(path)) allow += (allow.empty() ? "" : ", ") + m;
  // DELETE last: it may remove the sample object the other methods look up.
  for (const std::string& method : kMethods) {
    SCOPED_TRACE(method + " " + path);
    const Answer a = Serve(method, path);
    if (served.count(method)) {
      EXPECT_NE(a.status, 404) << a.body;
      EXPECT_NE(a.status, 405) << a.body;
      EXPECT_NE(a.status, 0);
      continue;
    }
    EXPECT_EQ(a.status, 405) << a.body;
    EXPECT_EQ(a.allow, allow);
    if (method == "HEAD") continue;  // no body
    ASSERT_TRUE(a.body.is_object());
    EXPECT_EQ(a.body.value("error", ""), "method_not_allowed");
    EXPECT_FALSE(a.body.value("message", "").empty());
  }
}

TEST_P(RouteTableWalk, APathNoRowHasIsNotFoundWhateverTheMethod) {
  for (const char* path : {"/v1/nothing", "/v2/bookings", "/v1/bookings/x/y", "/healthz/x", "/"}) {
    for (const std::string& method : kMethods) {
      SCOPED_TRACE(method + " " + path);
      const Answer a = Serve(method, path);
      EXPECT_EQ(a.status, 404) << a.body;
      EXPECT_TRUE(a.allow.empty());
      if (method == "HEAD") continue;
      ASSERT_TRUE(a.body.is_object());
      EXPECT_EQ(a.body.value("error", ""), "not_found");
    }
  }
}

std::vector<Walk> Walks() {
  std::vector<Walk> walks;
  for (const std::string& path : TablePaths()) {
    walks.push_back({path, /*owner_socket=*/true});
    walks.push_back({path, /*owner_socket=*/false});
  }
  return walks;
}

std::string WalkName(const ::testing::TestParamInfo<Walk>& info) {
  std::string name = info.param.owner_socket ? "Socket" : "Tcp";
  for (char c : info.param.path) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(EveryPath, RouteTableWalk, ::testing::ValuesIn(Walks()), WalkName);

TEST(RouteTable, RowsAreWellFormedAndEachMethodAndPathIsServedOnce) {
  const std::set<std::string> methods = {"GET", "POST", "PUT", "PATCH", "DELETE"};
  std::set<std::pair<std::string, std::string>> seen;
  for (const Route& r : ApiServer::Routes()) {
    SCOPED_TRACE(std::string(r.method) + " " + std::string(r.path));
    EXPECT_TRUE(methods.count(std::string(r.method)));
    EXPECT_EQ(r.path.substr(0, 1), "/");
    EXPECT_TRUE(r.handler != nullptr);
    EXPECT_TRUE(seen.emplace(r.method, r.path).second) << "twice";
    if (r.access == Access::kPublic) {
      EXPECT_TRUE(r.scope.empty());
    }
  }
}

TEST(RouteTable, PathPatternsBecomeOneSegmentPerName) {
  EXPECT_EQ(PathRegex("/v1/bookings/{booking_id}/counters/{counter_id}/accept"),
            "/v1/bookings/([^/]+)/counters/([^/]+)/accept");
  EXPECT_EQ(PathRegex("/healthz"), "/healthz");
}

TEST(RouteTable, AllowListsTheTablesMethodsForAPath) {
  EXPECT_EQ(AllowedMethods("/v1/dashboard/rules/rul_1"),
            (std::vector<std::string>{"GET", "HEAD", "PATCH", "DELETE"}));
  EXPECT_TRUE(AllowedMethods("/v1/nothing").empty());
}

}  // namespace
}  // namespace agentdraft::api
