// Client-side audit row verification (docs/api.md, GET /v1/audit).
#include "cli/audit_check.h"

#include <gtest/gtest.h>

namespace agentdraft::cli {
namespace {

// A row as the daemon sends it; `hash` below was computed by hand with
//   printf '%s%s' "$(printf 'a%.0s' $(seq 64))" '<canonical>' | sha256sum
nlohmann::json HandComputedRow() {
  return nlohmann::json::parse(R"({
    "seq": 2, "at": "2026-06-01T14:00:00.250Z", "user_id": "usr_1", "actor": "agt_a",
    "subject": "agt_a", "kind": "booking.committed", "resource": "bkg_1",
    "payload": {"title": "Café", "priority": 1, "end": "2026-06-01T14:30:00Z"},
    "prev_hash": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "hash": "6db8d92045ef708fa39562212850c936485aa3afc5ee2f37d3b4e904dad1fbeb"})");
}

// A chain of `n` rows starting at `first_seq`, linked and hashed as the daemon does.
nlohmann::json Chain(int first_seq, int n) {
  nlohmann::json rows = nlohmann::json::array();
  std::string prev(64, '0');
  for (int seq = first_seq; seq < first_seq + n; ++seq) {
    nlohmann::json row = HandComputedRow();
    row["seq"] = seq;
    row["prev_hash"] = prev;
    row["hash"] = ExpectedAuditHash(row);
    prev = row["hash"];
    rows.push_back(row);
  }
  return rows;
}

TEST(AuditCheck, CanonicalFormHasTheEightKeysSortedWithoutWhitespace) {
  EXPECT_EQ(CanonicalAuditRow(HandComputedRow()),
            R"({"actor":"agt_a","at":"2026-06-01T14:00:00.250Z","kind":"booking.committed",)"
            R"("payload":{"end":"2026-06-01T14:30:00Z","priority":1,"title":"Café"},)"
            R"("resource":"bkg_1","seq":2,"subject":"agt_a","user_id":"usr_1"})");
}

TEST(AuditCheck, HashMatchesAHandComputedVector) {
  const nlohmann::json row = HandComputedRow();
  EXPECT_EQ(ExpectedAuditHash(row), row["hash"]);
  EXPECT_EQ(CheckAuditRows(nlohmann::json::array({row})), std::vector<std::string>{""});
}

TEST(AuditCheck, AlteredPayloadIsAHashMismatch) {
  nlohmann::json row = HandComputedRow();
  row["payload"]["priority"] = 2;
  EXPECT_EQ(CheckAuditRows(nlohmann::json::array({row})),
            std::vector<std::string>{"hash mismatch"});
}

TEST(AuditCheck, FieldsOutsideTheCanonicalFormDoNotCount) {
  nlohmann::json row = HandComputedRow();
  row["extra"] = "ignored";
  EXPECT_EQ(CheckAuditRows(nlohmann::json::array({row})), std::vector<std::string>{""});
}

TEST(AuditCheck, ConsecutiveRowsMustLinkByPrevHash) {
  nlohmann::json rows = Chain(7, 3);
  rows[2]["prev_hash"] = std::string(64, 'f');
  rows[2]["hash"] = ExpectedAuditHash(rows[2]);  // self-consistent, but not linked
  EXPECT_EQ(CheckAuditRows(rows),
            (std::vector<std::string>{"", "", "prev_hash is not the hash of seq 8"}));
}

TEST(AuditCheck, GapsInAFilteredViewAreNotLinkErrors) {
  nlohmann::json rows = Chain(7, 4);
  rows.erase(1);  // seq 7, 9, 10: 9's prev_hash is 8's hash, which is not in the view
  EXPECT_EQ(CheckAuditRows(rows), (std::vector<std::string>{"", "", ""}));
}

TEST(AuditCheck, MalformedRowsAreReportedNotThrown) {
  nlohmann::json missing_kind = HandComputedRow();
  missing_kind.erase("kind");
  const nlohmann::json rows = nlohmann::json::array({missing_kind, 42, HandComputedRow()});
  EXPECT_EQ(CheckAuditRows(rows), (std::vector<std::string>{"malformed row", "malformed row", ""}));
}

}  // namespace
}  // namespace agentdraft::cli
