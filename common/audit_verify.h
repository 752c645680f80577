// Offline verification of an audit export (docs/audit.md, "Export" and "Offline verification").
//
// An export is JSON lines: a header, every row of the hash chain in seq order, and signed
// checkpoints after the rows they cover. VerifyAuditExport checks, with nothing but the
// daemon's Ed25519 public key, that no row was edited, dropped, inserted or reordered and that
// every row is covered by a checkpoint signed with that key. It reports every problem, each
// with the row, checkpoint or line it concerns, in the wording of docs/audit.md's table.
// Independent of the daemon: it recomputes hashes and signed texts from what the file says.
//
// Thread-safe: pure functions (libsodium is initialized once, thread-safely).
#pragma once

#include <cstdint>
#include <istream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace agentdraft {

// One thing wrong with an export. `where` names what it concerns: "row 56", "rows 121–125",
// "checkpoint at size 120", "line 1", "public key". `message` says what is wrong; for a few
// checks it already starts with `where` (docs/audit.md: "checkpoint at size 150 covers 150 rows
// but …", "rows 121–125 follow the last checkpoint …"). AuditProblemLine joins the two.
struct AuditProblem {
  std::string where;
  std::string message;
};

// What VerifyAuditExport found: the rows and checkpoints it read, and every problem.
struct AuditVerification {
  int64_t rows = 0;
  int checkpoints = 0;
  std::vector<AuditProblem> problems;
  bool ok() const { return problems.empty(); }
};

// Verifies an export (the JSON-lines text) against `public_key_hex` (64 hex characters, the
// Ed25519 public key). Never throws: unreadable input becomes problems.
AuditVerification VerifyAuditExport(std::istream& jsonl, const std::string& public_key_hex);

// The canonical form of a row: the object with exactly the keys actor, at, kind, payload,
// resource, seq, subject, user_id (sorted at every level), dump()ed without whitespace. A
// missing key is written as null (VerifyAuditExport rejects such rows before hashing them).
// Never throws.
std::string CanonicalAuditRow(const nlohmann::json& row);

// The bytes a checkpoint's signature covers: its first five text lines, each ending in "\n"
// ("agentdraft audit checkpoint v1\nsize: …\nhead: …\ntime: …\nkey: …\n").
std::string CheckpointSignedText(int64_t size, const std::string& head, const std::string& time,
                                 const std::string& key_hex);

// True when `text` is 64 hex characters (either case): the form of an Ed25519 public key.
bool IsPublicKeyHex(std::string_view text);

// "<where>: <message>", or just the message when it already starts with `where` — the line
// `agentdraft audit verify` prints, e.g. "row 56: hash does not match the row's content: …".
std::string AuditProblemLine(const AuditProblem& problem);

}  // namespace agentdraft
