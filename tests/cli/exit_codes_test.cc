// API answers → CLI exit codes (docs/cli.md, "Exit codes"), through the one table in common/error_codes.h.
#include "cli/exit_codes.h"

#include <gtest/gtest.h>

#include <sstream>

namespace agentdraft::cli {
namespace {

// "status body → exit" per line, so one failure shows the whole mapping.
std::string RenderExitCodes(const std::vector<std::pair<int, std::string>>& answers) {
  std::ostringstream out;
  for (const auto& [status, body] : answers) {
    out << status << " " << body << " → " << static_cast<int>(ExitCodeForResponse(status, body))
        << "\n";
  }
  return out.str();
}

TEST(ExitCodes, ErrorBodiesMapThroughTheErrorCodeTable) {
  EXPECT_EQ(RenderExitCodes({{201, R"({"booking_id":"bkg_1"})"},
                    {400, R"({"error":"validation_error"})"},
                    {401, R"({"error":"unauthorized"})"},
                    {403, R"({"error":"forbidden","missing_scope":"bookings:write"})"},
                    {404, R"({"error":"not_found"})"},
                    {409, R"({"error":"outranked","reason":"frozen"})"},
                    {409, R"({"error":"name_taken"})"},
                    {422, R"({"error":"hold_limit","limit":3})"},
                    {429, R"({"error":"rate_limited"})"},
                    {503, R"({"error":"unavailable"})"}}),
            "201 {\"booking_id\":\"bkg_1\"} → 0\n"
            "400 {\"error\":\"validation_error\"} → 2\n"
            "401 {\"error\":\"unauthorized\"} → 6\n"
            "403 {\"error\":\"forbidden\",\"missing_scope\":\"bookings:write\"} → 6\n"
            "404 {\"error\":\"not_found\"} → 7\n"
            "409 {\"error\":\"outranked\",\"reason\":\"frozen\"} → 3\n"
            "409 {\"error\":\"name_taken\"} → 3\n"
            "422 {\"error\":\"hold_limit\",\"limit\":3} → 4\n"
            "429 {\"error\":\"rate_limited\"} → 5\n"
            "503 {\"error\":\"unavailable\"} → 1\n");
}

TEST(ExitCodes, BodiesWithoutAKnownErrorFallBackOnTheHttpStatus) {
  EXPECT_EQ(RenderExitCodes({{401, "<html>proxy login</html>"},
                    {404, ""},
                    {429, R"({"error":"slow_down"})"},
                    {502, "Bad Gateway"},
                    {418, R"({"error":"teapot"})"}}),
            "401 <html>proxy login</html> → 6\n"
            "404  → 7\n"
            "429 {\"error\":\"slow_down\"} → 5\n"
            "502 Bad Gateway → 1\n"
            "418 {\"error\":\"teapot\"} → 1\n");
}

TEST(ExitCodes, CounterLimitIsARuleViolation) {
  EXPECT_EQ(RenderExitCodes({{422, R"({"error":"counter_limit","limit":5})"}}),
            "422 {\"error\":\"counter_limit\",\"limit\":5} → 4\n");
}

TEST(ExitCodes, ErrorFromResponseSaysWhatFailedAndWhy) {
  ApiResponse r;
  r.status = 401;
  r.body = R"({"error":"unauthorized","message":"no valid session"})";
  const CommandError e = ErrorFromResponse("creating agent exec-ea", r);
  EXPECT_EQ(e.exit_code, ExitCode::kAuth);
  EXPECT_EQ(e.message, "creating agent exec-ea: 401 unauthorized: no valid session");
}

TEST(ExitCodes, NoAnswerIsDaemonUnreachable) {
  const CommandError e =
      ErrorFromTransport(Status::Unavailable("no daemon at http://127.0.0.1:1: Couldn't connect"));
  EXPECT_EQ(e.exit_code, ExitCode::kUnreachable);
  EXPECT_EQ(e.message, "no daemon at http://127.0.0.1:1: Couldn't connect");
}

}  // namespace
}  // namespace agentdraft::cli
