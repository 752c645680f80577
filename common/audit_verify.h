// Offline verification of an audit export (docs/audit.md, "Export" and "Offline verification").
//
// An export is one owner's view of the daemon's hash chain, as JSON lines: a header, every
// row of the chain in seq order (the owner's own rows in full, other owners' rows as links:
// seq, prev_hash and hash only), signed checkpoints after the rows they cover, and an owner
// statement that signs which rows are the owner's. VerifyAuditExport checks, with nothing but
// the daemon's Ed25519 public key, that no row was edited, dropped, inserted, reordered or
// hidden as a link and that every row is covered by a checkpoint signed with that key. It
// reports every problem, each with the row, checkpoint or line it concerns, in the wording of
// docs/audit.md's table. Independent of the daemon: it recomputes hashes and signed texts from
// what the file says. Exports made before links existed (no statement, no links) still verify.
//
// Thread-safe: pure functions (libsodium is initialized once, thread-safely).
#pragma once

#include <cstdint>
#include <istream>
#include <memory>
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

// What VerifyAuditExport found: the rows it read in full (their hashes recomputed), the links
// it read (other owners' rows: only their place in the chain is checked), the checkpoints, the
// owner the statement names ("" when the export has no statement), and every problem.
struct AuditVerification {
  int64_t rows = 0;
  int64_t links = 0;
  int checkpoints = 0;
  std::string owner;
  std::vector<AuditProblem> problems;
  bool ok() const { return problems.empty(); }
  // The rows of the chain the export holds, in full or as links.
  int64_t chain_rows() const { return rows + links; }
};

// An owner statement: the last line of an export (docs/audit.md, "Owner statement"). The daemon
// signs which rows of the chain's first `size` are the owner's, so that a verifier that sees
// other owners' rows only as links can still tell that none of the owner's rows was edited,
// hidden as a link or added.
struct OwnerStatement {
  std::string owner;        // the owner's user id
  int64_t size = 0;         // the rows covered: 1..size of the chain
  std::string head;         // the hash of row `size` (64 zeros when size is 0)
  int64_t rows = 0;         // how many of them are the owner's (in full in the export)
  std::string rows_digest;  // OwnerRowsDigest of those rows
  std::string key;          // the signer's public key (64 hex)
  std::string signature;    // Ed25519 over OwnerStatementSignedText (128 hex)
};

// The bytes an owner statement's signature covers: seven lines, each ending in "\n"
// ("agentdraft audit owner statement v1\nowner: …\nsize: …\nhead: …\nrows: …\n
// rows_digest: …\nkey: …\n"). The first line keeps it apart from a checkpoint's text.
std::string OwnerStatementSignedText(const OwnerStatement& statement);

// The digest an owner statement signs: SHA-256 over the concatenation of the owner's rows'
// `hash` fields (64 hex characters each, as written) in seq order, as 64 lower-case hex.
// Not thread-safe.
class OwnerRowsDigest {
 public:
  OwnerRowsDigest();
  ~OwnerRowsDigest();
  OwnerRowsDigest(OwnerRowsDigest&&) noexcept;
  OwnerRowsDigest& operator=(OwnerRowsDigest&&) noexcept;

  void Add(std::string_view hash_hex);
  int64_t rows() const { return rows_; }
  // The digest of the rows added so far (more may be added after).
  std::string Hex() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
  int64_t rows_ = 0;
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
