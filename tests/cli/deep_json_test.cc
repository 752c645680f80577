// Deeply nested JSON given to the real `agentdraft` (issue 17): an audit export line nested
// 200,000 deep crashed `audit verify` (a recursive dump(), exit 139), and --metadata nested
// 60,000 deep was sent on to the daemon, which it crashed. Each is now a clear error with an
// ordinary exit code.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "tests/cli/cli_test_support.h"
#include "tests/cli/run_process.h"
#include "tests/support/temp_dir.h"

namespace agentdraft::testing {
namespace {

std::string Deep(int depth) { return std::string(depth, '[') + std::string(depth, ']'); }

TEST(DeepJson, AuditVerifyReportsADeepLineAndDoesNotCrash) {
  TempDir dir;
  const std::string file = dir.File("audit.jsonl");
  {
    std::ofstream out(file);
    out << R"({"type":"header","format":"agentdraft-audit-export","version":1})" << "\n"
        << R"({"type":"row","seq":1,"at":"2026-06-01T14:00:00Z","user_id":"usr_1","actor":"agt_a",)"
        << R"("subject":"agt_a","kind":"booking.committed","resource":"bkg_1","payload":{"x":)"
        << Deep(200000) << R"(},"prev_hash":")" << std::string(64, '0') << R"(","hash":")"
        << std::string(64, 'a') << "\"}\n";
  }
  ProcessResult r = RunProcess({AGENTDRAFT_CLI_PATH, "audit", "verify", file, "--pubkey", std::string(64, 'b')},
                               {{"NO_COLOR", "1"}});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("line 2: nests arrays and objects deeper than 128 levels"), std::string::npos)
      << r.err;
}

TEST_F(CliTest, DeepMetadataFlagIsAUsageError) {
  const std::string key = AddAgent("deep", 1);
  ProcessResult r = AsAgent(key, {"commit", "2027-03-01T09:00:00Z", "--metadata", "{\"a\":" + Deep(60000) + "}"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("--metadata nests arrays and objects deeper than 63 levels"), std::string::npos) << r.err;
  ProcessResult twice = AsAgent(key, {"commit", "2027-03-01T09:00:00Z", "--metadata", R"({"a":1,"a":2})"});
  EXPECT_EQ(twice.exit_code, 2) << twice.out << twice.err;
  EXPECT_NE(twice.err.find("--metadata has the key \"a\" twice"), std::string::npos) << twice.err;
}

}  // namespace
}  // namespace agentdraft::testing
