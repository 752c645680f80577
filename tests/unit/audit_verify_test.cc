// Offline verification of audit exports (docs/audit.md): a synthetic export signed with a fresh
// Ed25519 key, the untouched case, one test per kind of tampering, and the real
// `agentdraft audit verify` on files.
#include "common/audit_verify.h"

#include <sodium.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/ids.h"
#include "tests/cli/run_process.h"
#include "tests/support/temp_dir.h"

namespace agentdraft {
namespace {

const std::string kTime = "2026-11-24T22:40:00.000Z";

struct KeyPair {
  unsigned char pk[crypto_sign_PUBLICKEYBYTES];
  unsigned char sk[crypto_sign_SECRETKEYBYTES];
  std::string Hex() const { return ToHex(std::string_view(reinterpret_cast<const char*>(pk), sizeof pk)); }
};

KeyPair NewKeyPair() {
  EXPECT_GE(sodium_init(), 0);
  KeyPair k;
  crypto_sign_keypair(k.pk, k.sk);
  return k;
}

// A row with seq `seq` linked after `prev_hash`, hashed as the daemon does.
nlohmann::json MakeRow(int64_t seq, const std::string& prev_hash,
                       const std::string& user_id = "usr_owner") {
  nlohmann::json row = {{"type", "row"},
                        {"seq", seq},
                        {"at", "2026-11-24T22:40:0" + std::to_string(seq % 10) + ".123Z"},
                        {"user_id", user_id},
                        {"actor", "agt_a"},
                        {"subject", "agt_a"},
                        {"kind", "booking.committed"},
                        {"resource", "bkg_" + std::to_string(seq)},
                        {"payload", {{"title", "Café"}, {"priority", seq % 3}, {"n", {1, 2, seq}}}},
                        {"prev_hash", prev_hash}};
  row["hash"] = Sha256Hex(prev_hash + CanonicalAuditRow(row));
  return row;
}

// Signs the checkpoint's text with `signer`; the `key` field says `key_hex`.
void Sign(nlohmann::json& cp, const KeyPair& signer) {
  const std::string text =
      CheckpointSignedText(cp["size"].get<int64_t>(), cp["head"].get<std::string>(),
                           cp["time"].get<std::string>(), cp["key"].get<std::string>());
  unsigned char sig[crypto_sign_BYTES];
  crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(text.data()), text.size(),
                       signer.sk);
  cp["signature"] = ToHex(std::string_view(reinterpret_cast<const char*>(sig), sizeof sig));
}

nlohmann::json MakeCheckpoint(const KeyPair& k, int64_t size, const std::string& head) {
  nlohmann::json cp = {{"type", "checkpoint"}, {"size", size}, {"head", head}, {"time", kTime},
                       {"key", k.Hex()}};
  Sign(cp, k);
  return cp;
}

// The owner statement over `own_hashes` (the owner's rows' hashes in seq order), signed with
// `k`; the digest computed here as docs/audit.md says, not with OwnerRowsDigest.
nlohmann::json MakeStatement(const KeyPair& k, int64_t size, const std::string& head,
                             const std::vector<std::string>& own_hashes) {
  std::string concatenated;
  for (const std::string& h : own_hashes) concatenated += h;
  OwnerStatement st{
      "usr_owner", size, head, static_cast<int64_t>(own_hashes.size()), Sha256Hex(concatenated),
      k.Hex(),     ""};
  const std::string text = OwnerStatementSignedText(st);
  unsigned char sig[crypto_sign_BYTES];
  crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(text.data()),
                       text.size(), k.sk);
  return {{"type", "owner_statement"},
          {"owner", st.owner},
          {"size", st.size},
          {"head", st.head},
          {"rows", st.rows},
          {"rows_digest", st.rows_digest},
          {"key", st.key},
          {"signature", ToHex(std::string_view(reinterpret_cast<const char*>(sig), sizeof sig))}};
}

// usr_owner's export of a chain it shares with usr_other: rows 1–30, every third one (3, 6, …,
// 30) usr_other's and written as a link; checkpoints at 10, 20 and 30; the owner statement last.
std::vector<std::string> MixedExport(const KeyPair& k) {
  std::vector<std::string> lines = {nlohmann::json{
      {"type", "header"},
      {"format", "agentdraft-audit-export"},
      {"version", 1},
      {"key", k.Hex()},
      {"exported_at", kTime}}.dump()};
  std::string prev(64, '0');
  std::vector<std::string> own;
  for (int64_t seq = 1; seq <= 30; ++seq) {
    const bool others = seq % 3 == 0;
    nlohmann::json row = MakeRow(seq, prev, others ? "usr_other" : "usr_owner");
    prev = row["hash"].get<std::string>();
    if (others) {
      row = {{"type", "link"}, {"seq", seq}, {"prev_hash", row["prev_hash"]}, {"hash", prev}};
    } else {
      own.push_back(prev);
    }
    lines.push_back(row.dump());
    if (seq % 10 == 0) lines.push_back(MakeCheckpoint(k, seq, prev).dump());
  }
  lines.push_back(MakeStatement(k, 30, prev, own).dump());
  return lines;
}

// An export held as its lines (JSON objects, or raw text for malformed lines).
class AuditVerify : public ::testing::Test {
 protected:
  // header, rows 1–10, checkpoint 10, rows 11–20, checkpoint 20, rows 21–30, checkpoint 30.
  void SetUp() override {
    key_ = NewKeyPair();
    lines_.push_back(nlohmann::json{{"type", "header"}, {"format", "agentdraft-audit-export"},
                                    {"version", 1}, {"key", key_.Hex()}, {"exported_at", kTime}}
                         .dump());
    std::string prev(64, '0');
    for (int64_t seq = 1; seq <= 30; ++seq) {
      nlohmann::json row = MakeRow(seq, prev);
      prev = row["hash"].get<std::string>();
      lines_.push_back(row.dump());
      if (seq % 10 == 0) lines_.push_back(MakeCheckpoint(key_, seq, prev).dump());
    }
  }

  std::string Text() const {
    std::string text;
    for (const std::string& l : lines_) text += l + "\n";
    return text;
  }

  AuditVerification Verify(const std::string& key_hex) const {
    std::istringstream in(Text());
    return VerifyAuditExport(in, key_hex);
  }
  AuditVerification Verify() const { return Verify(key_.Hex()); }

  // Index in lines_ of row `seq` / of the checkpoint at `size` (line number = index + 1).
  size_t RowIndex(int64_t seq) const { return Find("row", seq); }
  size_t CheckpointIndex(int64_t size) const { return Find("checkpoint", size); }
  size_t LinkIndex(int64_t seq) const { return Find("link", seq); }
  size_t StatementIndex() const { return Find("owner_statement", 30); }
  nlohmann::json At(size_t index) const { return nlohmann::json::parse(lines_[index]); }
  std::string Hash(int64_t seq) const { return At(RowIndex(seq))["hash"]; }

  size_t Find(const std::string& type, int64_t n) const {
    for (size_t i = 0; i < lines_.size(); ++i) {
      nlohmann::json j = nlohmann::json::parse(lines_[i], nullptr, false);
      if (j.is_object() && j.value("type", "") == type &&
          j.value(type == "row" || type == "link" ? "seq" : "size", -1) == n) {
        return i;
      }
    }
    ADD_FAILURE() << "no " << type << " " << n;
    return 0;
  }

  static std::string Dump(const AuditVerification& v) {
    std::string s;
    for (const AuditProblem& p : v.problems) s += "  [" + p.where + "] " + AuditProblemLine(p) + "\n";
    return s;
  }

  KeyPair key_;
  std::vector<std::string> lines_;
};

bool Contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST_F(AuditVerify, UntouchedExportVerifies) {
  const AuditVerification v = Verify();
  EXPECT_TRUE(v.ok()) << Dump(v);
  EXPECT_EQ(v.rows, 30);
  EXPECT_EQ(v.checkpoints, 3);
}

TEST_F(AuditVerify, CanonicalFormAndSignedTextAreExact) {
  const nlohmann::json row = nlohmann::json::parse(R"({
    "seq": 2, "at": "2026-06-01T14:00:00.250Z", "user_id": "usr_1", "actor": "agt_a",
    "subject": "agt_a", "kind": "booking.committed", "resource": "bkg_1", "type": "row",
    "payload": {"title": "Café", "priority": 1, "end": "2026-06-01T14:30:00Z"},
    "prev_hash": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "hash": "6db8d92045ef708fa39562212850c936485aa3afc5ee2f37d3b4e904dad1fbeb"})");
  EXPECT_EQ(CanonicalAuditRow(row),
            R"({"actor":"agt_a","at":"2026-06-01T14:00:00.250Z","kind":"booking.committed",)"
            R"("payload":{"end":"2026-06-01T14:30:00Z","priority":1,"title":"Café"},)"
            R"("resource":"bkg_1","seq":2,"subject":"agt_a","user_id":"usr_1"})");
  // The same hand-computed vector as tests/cli/audit_check_test.cc.
  EXPECT_EQ(Sha256Hex(row["prev_hash"].get<std::string>() + CanonicalAuditRow(row)), row["hash"]);
  EXPECT_EQ(CheckpointSignedText(1234, "ab", kTime, "cd"),
            "agentdraft audit checkpoint v1\nsize: 1234\nhead: ab\ntime: " + kTime + "\nkey: cd\n");
}

TEST_F(AuditVerify, EditedPayloadIsTheRowEdited) {
  nlohmann::json row = At(RowIndex(12));
  row["payload"]["title"] = "Cafe";
  lines_[RowIndex(12)] = row.dump();
  const AuditVerification v = Verify();
  ASSERT_EQ(v.problems.size(), 1u) << Dump(v);
  EXPECT_EQ(v.problems[0].where, "row 12");
  EXPECT_EQ(v.problems[0].message, "hash does not match the row's content: the row was edited");
  EXPECT_EQ(AuditProblemLine(v.problems[0]), "row 12: hash does not match the row's content: the row was edited");
}

TEST_F(AuditVerify, SwappedPayloadsNameBothRows) {
  nlohmann::json a = At(RowIndex(14)), b = At(RowIndex(15));
  std::swap(a["payload"], b["payload"]);
  ASSERT_NE(a["payload"], b["payload"]);
  lines_[RowIndex(14)] = a.dump();
  lines_[RowIndex(15)] = b.dump();
  const AuditVerification v = Verify();
  ASSERT_EQ(v.problems.size(), 2u) << Dump(v);
  EXPECT_EQ(v.problems[0].where, "row 14");
  EXPECT_EQ(v.problems[1].where, "row 15");
  EXPECT_EQ(v.problems[0].message, "hash does not match the row's content: the row was edited");
}

TEST_F(AuditVerify, EditedHashBreaksTheRowAndTheNextLink) {
  nlohmann::json row = At(RowIndex(12));
  row["hash"] = Sha256Hex("forged");
  lines_[RowIndex(12)] = row.dump();
  const AuditVerification v = Verify();
  ASSERT_EQ(v.problems.size(), 2u) << Dump(v);
  EXPECT_EQ(v.problems[0].where, "row 12");
  EXPECT_TRUE(Contains(v.problems[0].message, "hash does not match the row's content")) << Dump(v);
  EXPECT_EQ(v.problems[1].where, "row 13");
  EXPECT_EQ(v.problems[1].message,
            "prev_hash is not row 12's hash: a row was inserted, dropped or reordered before it");
}

TEST_F(AuditVerify, DroppedRowIsNamed) {
  lines_.erase(lines_.begin() + RowIndex(15));
  const AuditVerification v = Verify();
  ASSERT_EQ(v.problems.size(), 1u) << Dump(v);
  EXPECT_EQ(v.problems[0].where, "row 16");
  EXPECT_EQ(v.problems[0].message, "expected seq 15: row 15 is missing, or rows are out of order");
  EXPECT_EQ(v.rows, 29);
}

TEST_F(AuditVerify, DroppedRowThatACheckpointNamesIsReportedThereToo) {
  lines_.erase(lines_.begin() + RowIndex(20));
  const AuditVerification v = Verify();
  ASSERT_EQ(v.problems.size(), 2u) << Dump(v);
  EXPECT_EQ(v.problems[0].where, "checkpoint at size 20");
  EXPECT_TRUE(Contains(v.problems[0].message, "head does not match row 20's hash")) << Dump(v);
  EXPECT_EQ(v.problems[1].where, "row 21");
  EXPECT_TRUE(Contains(v.problems[1].message, "row 20 is missing")) << Dump(v);
}

TEST_F(AuditVerify, InsertedRowIsNamed) {
  // A forged row, properly chained after row 15, before the real row 16.
  nlohmann::json forged = MakeRow(16, Hash(15));
  lines_.insert(lines_.begin() + RowIndex(16), forged.dump());
  const AuditVerification v = Verify();
  ASSERT_EQ(v.problems.size(), 1u) << Dump(v);
  EXPECT_EQ(v.problems[0].where, "row 16");
  EXPECT_EQ(v.problems[0].message, "expected seq 17: row 16 is repeated, or rows are out of order");
}

TEST_F(AuditVerify, ReorderedRowsAreNamed) {
  std::swap(lines_[RowIndex(16)], lines_[RowIndex(17)]);
  const AuditVerification v = Verify();
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.problems[0].where, "row 17") << Dump(v);
  EXPECT_EQ(v.problems[0].message, "expected seq 16: row 16 is missing, or rows are out of order");
  for (const AuditProblem& p : v.problems) {
    EXPECT_TRUE(p.where == "row 16" || p.where == "row 17" || p.where == "row 18") << Dump(v);
    EXPECT_TRUE(Contains(p.message, "out of order")) << Dump(v);
  }
  EXPECT_LE(v.problems.size(), 3u) << Dump(v);
}

TEST_F(AuditVerify, TruncatedTailBehindANewerCheckpointIsNamed) {
  // Rows 25–30 removed; the final checkpoint (size 30) kept.
  lines_.erase(lines_.begin() + RowIndex(25), lines_.begin() + CheckpointIndex(30));
  const AuditVerification v = Verify();
  ASSERT_EQ(v.problems.size(), 1u) << Dump(v);
  EXPECT_EQ(v.problems[0].where, "checkpoint at size 30");
  EXPECT_EQ(v.problems[0].message,
            "checkpoint at size 30 covers 30 rows but the log ends at row 24: rows 25\u201330 were removed");
  EXPECT_EQ(AuditProblemLine(v.problems[0]), v.problems[0].message);
}

TEST_F(AuditVerify, CheckpointReSignedWithAnotherKeyIsNamed) {
  const KeyPair other = NewKeyPair();
  for (bool claim_other_key : {false, true}) {
    lines_.clear();
    SetUp();
    nlohmann::json cp = At(CheckpointIndex(20));
    if (claim_other_key) cp["key"] = other.Hex();
    Sign(cp, other);
    lines_[CheckpointIndex(20)] = cp.dump();
    const AuditVerification v = Verify();
    ASSERT_EQ(v.problems.size(), 1u) << Dump(v);
    EXPECT_EQ(v.problems[0].where, "checkpoint at size 20");
    EXPECT_EQ(v.problems[0].message,
              "signature does not verify with the given key: the checkpoint was altered or signed by "
              "another key");
  }
}

TEST_F(AuditVerify, CheckpointHeadAlteredKeepingItsSignatureIsNamed) {
  nlohmann::json cp = At(CheckpointIndex(20));
  cp["head"] = Hash(19);
  lines_[CheckpointIndex(20)] = cp.dump();
  const AuditVerification v = Verify();
  ASSERT_EQ(v.problems.size(), 2u) << Dump(v);
  EXPECT_EQ(v.problems[0].where, "checkpoint at size 20");
  EXPECT_TRUE(Contains(v.problems[0].message, "signature does not verify")) << Dump(v);
  EXPECT_EQ(v.problems[1].where, "checkpoint at size 20");
  EXPECT_EQ(v.problems[1].message, "head does not match row 20's hash");
}

TEST_F(AuditVerify, CheckpointSizeAlteredKeepingItsSignatureIsNamed) {
  nlohmann::json cp = At(CheckpointIndex(20));
  cp["size"] = 19;
  lines_[CheckpointIndex(20)] = cp.dump();
  const AuditVerification v = Verify();
  ASSERT_EQ(v.problems.size(), 2u) << Dump(v);
  EXPECT_EQ(v.problems[0].where, "checkpoint at size 19");
  EXPECT_TRUE(Contains(v.problems[0].message, "signature does not verify")) << Dump(v);
  EXPECT_EQ(v.problems[1].message, "head does not match row 19's hash");
}

TEST_F(AuditVerify, RowsAfterTheLastCheckpointAreUnsigned) {
  std::string prev = Hash(30);
  for (int64_t seq = 31; seq <= 35; ++seq) {
    nlohmann::json row = MakeRow(seq, prev);
    prev = row["hash"].get<std::string>();
    lines_.push_back(row.dump());
  }
  const AuditVerification v = Verify();
  ASSERT_EQ(v.problems.size(), 1u) << Dump(v);
  EXPECT_EQ(v.problems[0].where, "rows 31\u201335");
  EXPECT_EQ(AuditProblemLine(v.problems[0]),
            "rows 31\u201335 follow the last checkpoint (size 30): they are not signed");
  EXPECT_EQ(v.rows, 35);
}

TEST_F(AuditVerify, MalformedLineIsNamedByItsNumber) {
  lines_[RowIndex(12)] = "{\"type\": \"row\", \"seq\": 12, \"at\":";
  const AuditVerification v = Verify();
  ASSERT_EQ(v.problems.size(), 1u) << Dump(v);
  EXPECT_EQ(v.problems[0].where, "line " + std::to_string(RowIndex(11) + 2));
  EXPECT_EQ(v.problems[0].message.rfind("is not valid JSON: parse error at line 1, column ", 0), 0u)
      << v.problems[0].message;
  EXPECT_EQ(v.rows, 29);
}

// Issue 17: a payload nested 200,000 deep crashed the verifier (a recursive dump()).
TEST_F(AuditVerify, DeeplyNestedLineIsNamedByItsNumberNotACrash) {
  lines_[RowIndex(12)] = "{\"type\":\"row\",\"seq\":12,\"payload\":" + std::string(200000, '[') +
                         std::string(200000, ']') + "}";
  const AuditVerification v = Verify();
  ASSERT_EQ(v.problems.size(), 1u) << Dump(v);
  EXPECT_EQ(v.problems[0].where, "line " + std::to_string(RowIndex(11) + 2));
  EXPECT_EQ(v.problems[0].message,
            "nests arrays and objects deeper than 128 levels (at byte 161)");
}

TEST_F(AuditVerify, RowWithARepeatedKeyIsNamedByItsLine) {
  lines_[RowIndex(12)].insert(1, "\"seq\":99,");
  const AuditVerification v = Verify();
  ASSERT_EQ(v.problems.size(), 1u) << Dump(v);
  EXPECT_EQ(v.problems[0].message, "has the key \"seq\" twice in one object");
}

TEST_F(AuditVerify, RowWithAMissingFieldIsNamedByItsLine) {
  nlohmann::json row = At(RowIndex(5));
  row.erase("hash");
  lines_[RowIndex(5)] = row.dump();
  const AuditVerification v = Verify();
  ASSERT_EQ(v.problems.size(), 1u) << Dump(v);
  EXPECT_EQ(v.problems[0].where, "line 6");
  EXPECT_TRUE(Contains(v.problems[0].message, "malformed row")) << Dump(v);
  EXPECT_TRUE(Contains(v.problems[0].message, "\"hash\"")) << Dump(v);
}

TEST_F(AuditVerify, WithoutTheHeaderItIsNotAnExport) {
  lines_.erase(lines_.begin());
  const AuditVerification v = Verify();
  ASSERT_EQ(v.problems.size(), 1u) << Dump(v);
  EXPECT_EQ(AuditProblemLine(v.problems[0]), "line 1: not an agentdraft audit export");

  std::istringstream text("hello world\nmore\n");
  const AuditVerification t = VerifyAuditExport(text, key_.Hex());
  ASSERT_EQ(t.problems.size(), 1u) << Dump(t);
  EXPECT_EQ(AuditProblemLine(t.problems[0]), "line 1: not an agentdraft audit export");

  std::istringstream empty("");
  EXPECT_EQ(VerifyAuditExport(empty, key_.Hex()).problems.size(), 1u);
}

TEST_F(AuditVerify, FieldsOfTheWrongTypeAreProblemsNotExceptions) {
  nlohmann::json row = At(RowIndex(12));
  row["seq"] = "12";
  lines_[RowIndex(12)] = row.dump();
  nlohmann::json cp = At(CheckpointIndex(10));
  cp["head"] = 7;
  lines_[CheckpointIndex(10)] = cp.dump();
  lines_.insert(lines_.begin() + 5, R"({"type": 5})");
  lines_.insert(lines_.begin() + 5, R"([1, 2])");
  const AuditVerification v = Verify();
  ASSERT_EQ(v.problems.size(), 4u) << Dump(v);
  for (const AuditProblem& p : v.problems) EXPECT_TRUE(p.where.starts_with("line ")) << Dump(v);

  lines_[0] = R"({"type": 1, "format": ["x"]})";
  const AuditVerification odd_header = Verify();
  ASSERT_EQ(odd_header.problems.size(), 1u) << Dump(odd_header);
  EXPECT_EQ(odd_header.problems[0].message, "not an agentdraft audit export");
}

TEST_F(AuditVerify, WrongPublicKeyFailsEveryCheckpoint) {
  const AuditVerification v = Verify(NewKeyPair().Hex());
  ASSERT_EQ(v.problems.size(), 3u) << Dump(v);
  EXPECT_EQ(v.problems[0].where, "checkpoint at size 10");
  EXPECT_EQ(v.problems[1].where, "checkpoint at size 20");
  EXPECT_EQ(v.problems[2].where, "checkpoint at size 30");
  for (const AuditProblem& p : v.problems) {
    EXPECT_TRUE(Contains(p.message, "signature does not verify with the given key")) << Dump(v);
  }
}

TEST_F(AuditVerify, MalformedPublicKeyIsAProblemNotACrash) {
  const AuditVerification v = Verify("not-a-key");
  ASSERT_EQ(v.problems.size(), 1u) << Dump(v);
  EXPECT_EQ(v.problems[0].where, "public key");
  EXPECT_FALSE(IsPublicKeyHex("abc"));
  EXPECT_TRUE(IsPublicKeyHex(key_.Hex()));
}

TEST_F(AuditVerify, AnExportOfOneOwnerWithItsStatementVerifies) {
  std::vector<std::string> hashes;
  for (int64_t seq = 1; seq <= 30; ++seq) hashes.push_back(Hash(seq));
  lines_.push_back(MakeStatement(key_, 30, Hash(30), hashes).dump());
  const AuditVerification v = Verify();
  EXPECT_TRUE(v.ok()) << Dump(v);
  EXPECT_EQ(v.rows, 30);
  EXPECT_EQ(v.links, 0);
  EXPECT_EQ(v.owner, "usr_owner");
}

TEST_F(AuditVerify, OwnerStatementSignedTextIsExact) {
  const OwnerStatement st{"usr_1", 120, "ab", 12, "cd", "ef", "not signed"};
  EXPECT_EQ(OwnerStatementSignedText(st),
            "agentdraft audit owner statement v1\nowner: usr_1\nsize: 120\nhead: ab\nrows: 12\n"
            "rows_digest: cd\nkey: ef\n");
  OwnerRowsDigest digest;
  EXPECT_EQ(digest.Hex(), Sha256Hex(""));
  digest.Add(Hash(1));
  digest.Add(Hash(2));
  EXPECT_EQ(digest.rows(), 2);
  EXPECT_EQ(digest.Hex(), Sha256Hex(Hash(1) + Hash(2)));
}

// usr_owner's export of a chain shared with another owner (MixedExport).
class AuditVerifyMixed : public AuditVerify {
 protected:
  void SetUp() override {
    key_ = NewKeyPair();
    lines_ = MixedExport(key_);
  }
  std::string LinkHash(int64_t seq) const { return At(LinkIndex(seq))["hash"]; }
};

TEST_F(AuditVerifyMixed, UntouchedExportVerifiesRowsInFullAndLinks) {
  const AuditVerification v = Verify();
  EXPECT_TRUE(v.ok()) << Dump(v);
  EXPECT_EQ(v.rows, 20);
  EXPECT_EQ(v.links, 10);
  EXPECT_EQ(v.checkpoints, 3);
  EXPECT_EQ(v.owner, "usr_owner");
}

TEST_F(AuditVerifyMixed, OwnRowEditedBeforeALinkWithItsHashRecomputedIsCaught) {
  // Row 8 edited and re-hashed, link 9 re-pointed at it: the chain still links, the
  // checkpoints still hold; only the statement's digest tells.
  nlohmann::json row = At(RowIndex(8));
  row["payload"]["title"] = "Cafe";
  row["hash"] = Sha256Hex(row["prev_hash"].get<std::string>() + CanonicalAuditRow(row));
  lines_[RowIndex(8)] = row.dump();
  nlohmann::json link = At(LinkIndex(9));
  link["prev_hash"] = row["hash"];
  lines_[LinkIndex(9)] = link.dump();
  const AuditVerification v = Verify();
  ASSERT_EQ(v.problems.size(), 1u) << Dump(v);
  EXPECT_EQ(v.problems[0].where, "owner statement");
  EXPECT_EQ(v.problems[0].message,
            "the export holds 20 rows in full, the statement signs 20 rows of usr_owner with other "
            "hashes: "
            "a row of the owner was edited, hidden as a link, or added");
}

TEST_F(AuditVerifyMixed, OwnRowTurnedIntoALinkIsCaught) {
  const nlohmann::json row = At(RowIndex(5));
  lines_[RowIndex(5)] = nlohmann::json{
      {"type", "link"},
      {"seq", 5},
      {"prev_hash", row["prev_hash"]},
      {"hash", row["hash"]}}.dump();
  const AuditVerification v = Verify();
  ASSERT_EQ(v.problems.size(), 1u) << Dump(v);
  EXPECT_EQ(AuditProblemLine(v.problems[0]),
            "owner statement: the export holds 19 rows in full, the statement signs 20 rows of "
            "usr_owner: a "
            "row of the owner was edited, hidden as a link, or added");
  EXPECT_EQ(v.rows, 19);
  EXPECT_EQ(v.links, 11);
}

TEST_F(AuditVerifyMixed, WithoutTheStatementLinksDoNotVerify) {
  lines_.erase(lines_.begin() + StatementIndex());
  const AuditVerification v = Verify();
  ASSERT_EQ(v.problems.size(), 1u) << Dump(v);
  EXPECT_EQ(
      AuditProblemLine(v.problems[0]),
      "owner statement: the export has 10 other owners' rows as links but no owner statement: rows "
      "hidden as links or edited before a link would go unseen");
  EXPECT_EQ(v.owner, "");
}

TEST_F(AuditVerifyMixed, EditedLinkHashIsNamed) {
  nlohmann::json link = At(LinkIndex(9));
  link["hash"] = Sha256Hex("forged");
  lines_[LinkIndex(9)] = link.dump();
  const AuditVerification v = Verify();
  ASSERT_EQ(v.problems.size(), 1u) << Dump(v);
  EXPECT_EQ(
      AuditProblemLine(v.problems[0]),
      "row 10: prev_hash is not row 9's hash: a row was inserted, dropped or reordered before it");
}

TEST_F(AuditVerifyMixed, EditedHashOfTheLastLinkBreaksTheCheckpointAndTheStatement) {
  nlohmann::json link = At(LinkIndex(30));
  link["hash"] = Sha256Hex("forged");
  lines_[LinkIndex(30)] = link.dump();
  const AuditVerification v = Verify();
  ASSERT_EQ(v.problems.size(), 2u) << Dump(v);
  EXPECT_EQ(AuditProblemLine(v.problems[0]),
            "checkpoint at size 30: head does not match row 30's hash");
  EXPECT_EQ(AuditProblemLine(v.problems[1]), "owner statement: head does not match row 30's hash");
}

TEST_F(AuditVerifyMixed, DroppedLinkIsNamed) {
  lines_.erase(lines_.begin() + LinkIndex(9));
  const AuditVerification v = Verify();
  ASSERT_EQ(v.problems.size(), 1u) << Dump(v);
  EXPECT_EQ(AuditProblemLine(v.problems[0]),
            "row 10: expected seq 9: row 9 is missing, or rows are out of order");
}

TEST_F(AuditVerifyMixed, StatementAlteredOrSignedByAnotherKeyIsNamed) {
  nlohmann::json st = At(StatementIndex());
  st["rows"] = 19;
  lines_[StatementIndex()] = st.dump();
  const AuditVerification altered = Verify();
  ASSERT_EQ(altered.problems.size(), 2u) << Dump(altered);
  EXPECT_EQ(
      AuditProblemLine(altered.problems[0]),
      "owner statement: signature does not verify with the given key: the statement was altered or "
      "signed by another key");

  SetUp();
  std::vector<std::string> own;
  for (int64_t seq = 1; seq <= 30; ++seq) {
    if (seq % 3 != 0) own.push_back(Hash(seq));
  }
  lines_[StatementIndex()] = MakeStatement(NewKeyPair(), 30, LinkHash(30), own).dump();
  const AuditVerification other_key = Verify();
  ASSERT_EQ(other_key.problems.size(), 1u) << Dump(other_key);
  EXPECT_EQ(other_key.problems[0].message, altered.problems[0].message);
}

TEST_F(AuditVerifyMixed, StatementThatStopsShortOfTheLogIsNamed) {
  // Rows appended after the statement's size: it cannot vouch for them.
  std::string prev = LinkHash(30);
  nlohmann::json row = MakeRow(31, prev);
  lines_.insert(lines_.begin() + StatementIndex(), row.dump());
  lines_.insert(lines_.begin() + StatementIndex(), MakeCheckpoint(key_, 31, row["hash"]).dump());
  const AuditVerification v = Verify();
  ASSERT_GE(v.problems.size(), 1u) << Dump(v);
  EXPECT_EQ(AuditProblemLine(v.problems[0]),
            "owner statement: covers rows 1\u201330 but the log ends at row 31");
}

TEST_F(AuditVerifyMixed, MalformedLinkOrSecondStatementIsNamedByItsLine) {
  nlohmann::json link = At(LinkIndex(9));
  link["hash"] = "not hex";
  lines_[LinkIndex(9)] = link.dump();
  lines_.push_back(lines_[StatementIndex()]);
  const AuditVerification v = Verify();
  ASSERT_EQ(v.problems.size(), 2u) << Dump(v);
  EXPECT_EQ(AuditProblemLine(v.problems[0]),
            "line " + std::to_string(LinkIndex(9) + 1) +
                ": malformed link: \"hash\" is not 64 lower-case hex");
  EXPECT_EQ(AuditProblemLine(v.problems[1]),
            "line " + std::to_string(lines_.size()) + ": a second owner statement");
}

// --- the real `agentdraft audit verify` ---

class AuditVerifyCli : public AuditVerify {
 protected:
  std::string WriteFile(const std::string& name, const std::string& text) {
    const std::string path = dir_.File(name);
    std::ofstream(path) << text;
    return path;
  }
  testing::ProcessResult Run(std::vector<std::string> args) {
    args.insert(args.begin(), AGENTDRAFT_CLI_PATH);
    // No daemon anywhere: verify must not need one.
    return testing::RunProcess(args, {{"AGENTDRAFT_SOCKET", dir_.File("no-daemon.sock")},
                                      {"AGENTDRAFT_BASE_URL", "http://127.0.0.1:1"}});
  }
  testing::TempDir dir_;
};

TEST_F(AuditVerifyCli, VerifiedExportExitsZero) {
  const std::string file = WriteFile("export.jsonl", Text());
  const testing::ProcessResult r = Run({"audit", "verify", file, "--pubkey", key_.Hex()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "ok: 30 rows verified in full, 0 links checked, 3 checkpoints, chain and signatures "
            "verified\n");
  // The key from a file (first line, trimmed).
  const std::string key_file = WriteFile("audit.pub", "  " + key_.Hex() + "  \nignored\n");
  EXPECT_EQ(Run({"audit", "verify", file, "--pubkey", key_file}).exit_code, 0);
}

TEST_F(AuditVerifyCli, TamperedExportExitsOneNamingTheRow) {
  nlohmann::json row = At(RowIndex(12));
  row["payload"]["priority"] = 99;
  lines_[RowIndex(12)] = row.dump();
  const std::string file = WriteFile("export.jsonl", Text());
  const testing::ProcessResult r = Run({"audit", "verify", file, "--pubkey", key_.Hex()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.err, "row 12: hash does not match the row's content: the row was edited\n")) << r.err;
  EXPECT_EQ(r.out, "");

  const testing::ProcessResult j = Run({"--json", "audit", "verify", file, "--pubkey", key_.Hex()});
  EXPECT_EQ(j.exit_code, 1);
  const nlohmann::json body = nlohmann::json::parse(j.out, nullptr, false);
  ASSERT_TRUE(body.is_object()) << j.out;
  EXPECT_EQ(body["ok"], false);
  EXPECT_EQ(body["rows"], 30);
  EXPECT_EQ(body["links"], 0);
  EXPECT_EQ(body["checkpoints"], 3);
  EXPECT_TRUE(body["owner"].is_null()) << j.out;
  ASSERT_EQ(body["problems"].size(), 1u);
  EXPECT_EQ(body["problems"][0]["where"], "row 12");
}

TEST_F(AuditVerifyCli, AnExportWithLinksSaysWhatWasVerifiedInFullAndWhatAsLinks) {
  lines_ = MixedExport(key_);
  const std::string file = WriteFile("mixed.jsonl", Text());
  const testing::ProcessResult r = Run({"audit", "verify", file, "--pubkey", key_.Hex()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "ok: 20 rows of usr_owner verified in full, 10 links checked, 3 checkpoints and the "
            "owner statement, "
            "chain and signatures verified\n");
  const testing::ProcessResult j = Run({"--json", "audit", "verify", file, "--pubkey", key_.Hex()});
  EXPECT_EQ(j.exit_code, 0) << j.err;
  const nlohmann::json body = nlohmann::json::parse(j.out, nullptr, false);
  ASSERT_TRUE(body.is_object()) << j.out;
  EXPECT_EQ(body["rows"], 20);
  EXPECT_EQ(body["links"], 10);
  EXPECT_EQ(body["owner"], "usr_owner");
}

TEST_F(AuditVerifyCli, MissingFileOrMalformedKeyExitsTwo) {
  EXPECT_EQ(Run({"audit", "verify", dir_.File("nope.jsonl"), "--pubkey", key_.Hex()}).exit_code, 2);
  const std::string file = WriteFile("export.jsonl", Text());
  EXPECT_EQ(Run({"audit", "verify", file, "--pubkey", "abc123"}).exit_code, 2);
  EXPECT_EQ(Run({"audit", "verify", file, "--pubkey", WriteFile("bad.pub", "zz\n")}).exit_code, 2);
  EXPECT_EQ(Run({"audit", "verify", file}).exit_code, 2);  // --pubkey is required
}

}  // namespace
}  // namespace agentdraft
