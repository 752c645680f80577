// Error answers whose message quotes bytes that are not UTF-8. Found by fuzz/http_request_fuzzer.cc:
// nlohmann::json threw while writing such a message, so a 404 for "GET /%9F" threw out of
// httplib's request processing (in the daemon: std::terminate on the worker thread, one request
// killed agentdraftd), and a time value cut mid-character in a 400's message became a 500.
// Requests go through ApiServer::ServeStream: the routes, error handler and engine of the daemon,
// without a socket.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "daemon/api/server.h"
#include "daemon/engine/views.h"
#include "daemon/store/sqlite_store.h"
#include "tests/support/fake_clock.h"
#include "tests/support/string_stream.h"

namespace agentdraft::api {
namespace {

using testing::StringStream;

struct ErrorAnswer {
  int status = 0;
  nlohmann::json body;
};

class ApiErrorBodyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::SqliteStoreOptions so;
    so.path = ":memory:";
    auto opened = store::SqliteStore::Open(so);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened.value());
    engine::EngineOptions eo;
    eo.run_timer_thread = false;
    eo.key_secret = "error-body-test";
    engine_ = std::make_unique<engine::Engine>(*store_, clock_, eo);
    ASSERT_TRUE(engine_->Start().ok());
    auto grant = engine_->directory().RedeemMagicToken(engine_->directory().IssueMagicToken("owner@example.com"));
    ASSERT_TRUE(grant.ok());
    auto agent = engine_->directory().CreateAgent(grant->owner.id, "scheduler", 1, {});
    ASSERT_TRUE(agent.ok());
    key_ = agent->plaintext_key;
    server_ = std::make_unique<ApiServer>(*engine_, ServerOptions{});
  }
  void TearDown() override {
    server_.reset();
    engine_->Stop();
  }

  // Serves one raw request; the answer's status and JSON body (null if not JSON).
  ErrorAnswer Serve(const std::string& raw) {
    StringStream stream(raw);
    server_->ServeStream(stream, /*owner_socket=*/false, 1);
    const std::string& out = stream.output();
    ErrorAnswer a;
    if (out.rfind("HTTP/1.1 ", 0) != 0) return a;
    a.status = std::stoi(out.substr(9, 3));
    const size_t body = out.find("\r\n\r\n");
    if (body != std::string::npos) {
      a.body = nlohmann::json::parse(out.substr(body + 4), nullptr, /*allow_exceptions=*/false);
    }
    return a;
  }

  testing::FakeClock clock_;
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<ApiServer> server_;
  std::string key_;
};

TEST_F(ApiErrorBodyTest, UnknownPathThatIsNotUtf8IsA404) {
  for (const char* path : {"/%9F", "/\x9f\x9f", "/v1/bookings/x/%C3"}) {
    ErrorAnswer a;
    ASSERT_NO_THROW(a = Serve(std::string("GET ") + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n")) << path;
    EXPECT_EQ(a.status, 404) << path;
    ASSERT_TRUE(a.body.is_object()) << path;
    EXPECT_EQ(a.body.value("error", ""), "not_found") << path;
    EXPECT_NE(a.body.value("message", "").find("no route GET"), std::string::npos) << path;
  }
}

TEST_F(ApiErrorBodyTest, TimeCutMidCharacterInTheMessageIsA400) {
  // The parser quotes the first 64 bytes of a bad time: here that ends inside an "é".
  std::string start = "a";
  for (int i = 0; i < 40; ++i) start += "\xC3\xA9";
  const std::string body = nlohmann::json{{"start", start}, {"end", "2026-06-02T10:00:00Z"}}.dump();
  const ErrorAnswer a = Serve("POST /v1/bookings HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + key_ +
                         "\r\nContent-Type: application/json\r\nContent-Length: " +
                         std::to_string(body.size()) + "\r\n\r\n" + body);
  EXPECT_EQ(a.status, 400);
  ASSERT_TRUE(a.body.is_object());
  EXPECT_EQ(a.body.value("error", ""), "validation_error");
}

TEST(ErrorBody, ReplacesBytesThatAreNotUtf8) {
  const std::string body = engine::ErrorBody("not_found", "no route GET /\x9f");
  const auto j = nlohmann::json::parse(body);
  EXPECT_EQ(j.at("error"), "not_found");
  EXPECT_EQ(j.at("message"), "no route GET /\xEF\xBF\xBD");  // U+FFFD
}

}  // namespace
}  // namespace agentdraft::api
