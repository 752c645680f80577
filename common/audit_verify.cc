#include "common/audit_verify.h"

#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <exception>
#include <limits>
#include <map>
#include <utility>

#include "common/ids.h"
#include "common/json_parse.h"

namespace agentdraft {

namespace {

constexpr const char* kCanonicalKeys[] = {"actor",    "at",  "kind",    "payload",
                                          "resource", "seq", "subject", "user_id"};
constexpr const char* kFormat = "agentdraft-audit-export";
constexpr int kVersion = 1;
constexpr const char* kDash = "\u2013";  // "–", as docs/audit.md writes ranges
constexpr int64_t kAfterEverything = std::numeric_limits<int64_t>::max();

void EnsureSodiumForVerify() {
  static const bool ok = sodium_init() >= 0;
  (void)ok;  // sodium_init only fails without a usable CSPRNG; verification needs none
}

bool IsHex(std::string_view text, size_t length) {
  if (text.size() != length) return false;
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
}

bool IsLowerHex(std::string_view text, size_t length) {
  return text.size() == length && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// Decodes exactly `n` bytes of hex into `out`; false when `hex` is not that.
bool FromHex(std::string_view hex, unsigned char* out, size_t n) {
  if (!IsHex(hex, 2 * n)) return false;
  size_t written = 0;
  return sodium_hex2bin(out, n, hex.data(), hex.size(), nullptr, &written, nullptr) == 0 &&
         written == n;
}

// j[key] when it is a string, else "" (json::value would throw on another type).
std::string StringField(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

std::string Row(int64_t seq) { return "row " + std::to_string(seq); }
std::string Rows(int64_t first, int64_t last) {
  return first == last ? Row(first) : "rows " + std::to_string(first) + kDash + std::to_string(last);
}
std::string Line(int line) { return "line " + std::to_string(line); }
std::string AtSize(int64_t size) { return "checkpoint at size " + std::to_string(size); }
constexpr const char* kStatement = "owner statement";

// True when the detached Ed25519 `signature_hex` over `text` verifies with `key`.
bool SignatureVerifies(const std::string& signature_hex, const std::string& text,
                       const unsigned char* key) {
  unsigned char signature[crypto_sign_BYTES];
  return FromHex(signature_hex, signature, sizeof signature) &&
         crypto_sign_verify_detached(signature, reinterpret_cast<const unsigned char*>(text.data()),
                                     text.size(), key) == 0;
}

// A checkpoint line as read (well-formed: every field of the right type).
struct Checkpoint {
  int line = 0;
  int64_t size = 0;
  std::string head, time, key, signature;
};

// Reads an export line by line, then checks the checkpoints against every row it read.
class Verifier {
 public:
  explicit Verifier(const std::string& public_key_hex) {
    key_ok_ = FromHex(public_key_hex, key_, sizeof key_);
    if (!key_ok_) {
      Problem(0, "public key", "not an Ed25519 public key (64 hex characters)");
    }
  }

  // Returns false when reading should stop (the input is not an export at all).
  bool Read(int line, const std::string& text) {
    // Bounded depth: CanonicalAuditRow's dump() recurses once per level.
    Result<nlohmann::json> parsed = ParseJson(text, {.max_depth = kDocumentJsonDepth});
    const nlohmann::json j = parsed.ok() ? std::move(*parsed)
                                         : nlohmann::json(nlohmann::json::value_t::discarded);
    if (!seen_first_) {
      seen_first_ = true;
      if (StringField(j, "type") == "header" && StringField(j, "format") == kFormat) {
        const nlohmann::json& version = j.contains("version") ? j["version"] : nlohmann::json();
        if (!version.is_number_integer() || version.get<int64_t>() != kVersion) {
          Problem(line, Line(line),
                  "unsupported export version " + version.dump() + " (this agentdraft reads version " +
                      std::to_string(kVersion) + ")");
        }
        return true;
      }
      Problem(line, Line(line), "not an agentdraft audit export");
      const std::string type = StringField(j, "type");
      if (type != "row" && type != "link" && type != "checkpoint") return false;
    }
    if (!parsed.ok()) return Unreadable(line, parsed.status().message());
    if (!j.is_object() || !j.contains("type") || !j["type"].is_string()) {
      return Unreadable(line, "not a row or a checkpoint (no \"type\")");
    }
    const std::string type = j["type"].get<std::string>();
    if (type == "row") ReadRow(line, j);
    else if (type == "link") ReadLink(line, j);
    else if (type == "checkpoint") ReadCheckpoint(line, j);
    else if (type == "owner_statement") ReadStatement(line, j);
    else if (type == "header") Problem(line, Line(line), "a second header");
    else return Unreadable(line, "unknown type \"" + type + "\"");
    return true;
  }

  void NoInput() {
    if (!seen_first_) Problem(1, Line(1), "not an agentdraft audit export (the file is empty)");
  }

  AuditVerification Finish() {
    for (const Checkpoint& c : checkpoints_) CheckCheckpoint(c);
    CheckUnsignedTail();
    CheckStatement();
    std::stable_sort(problems_.begin(), problems_.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    AuditVerification v;
    v.rows = rows_;
    v.links = links_;
    if (!statements_.empty()) v.owner = statements_.front().second.owner;
    v.checkpoints = static_cast<int>(checkpoints_.size());
    for (auto& [order, problem] : problems_) v.problems.push_back(std::move(problem));
    return v;
  }

 private:
  // Problems are reported in the order of the lines they concern.
  void Problem(int64_t order, std::string where, std::string message) {
    problems_.emplace_back(order, AuditProblem{std::move(where), std::move(message)});
  }

  // A line whose content is unknown: the next row is not compared with whatever it was.
  bool Unreadable(int line, std::string message) {
    Problem(line, Line(line), std::move(message));
    have_previous_ = false;
    compare_ = false;
    return true;
  }

  void ReadRow(int line, const nlohmann::json& j) {
    for (const char* key : kCanonicalKeys) {
      if (!j.contains(key)) {
        Unreadable(line, std::string("malformed row: no \"") + key + "\"");
        return;
      }
    }
    if (!j["seq"].is_number_integer()) {
      Unreadable(line, "malformed row: \"seq\" is not an integer");
      return;
    }
    for (const char* key : {"prev_hash", "hash"}) {
      if (!j.contains(key) || !j[key].is_string()) {
        Unreadable(line, std::string("malformed row: no \"") + key + "\" string");
        return;
      }
    }
    ++rows_;
    const int64_t seq = j["seq"].get<int64_t>();
    const std::string prev_hash = j["prev_hash"].get<std::string>();
    const std::string hash = j["hash"].get<std::string>();
    const bool in_order = CheckSeq(line, seq);
    // Content: the row's own prev_hash and fields must give its hash.
    if (Sha256Hex(prev_hash + CanonicalAuditRow(j)) != hash) {
      Problem(line, Row(seq), "hash does not match the row's content: the row was edited");
    }
    CheckPrevHash(line, seq, prev_hash, in_order);
    Advance(seq, hash);
    own_rows_.Add(hash);
  }

  // Another owner's row: only its place in the chain can be checked (the owner statement
  // vouches that it is not one of the owner's).
  void ReadLink(int line, const nlohmann::json& j) {
    if (!j.contains("seq") || !j["seq"].is_number_integer()) {
      Unreadable(line, "malformed link: no \"seq\" integer");
      return;
    }
    for (const char* key : {"prev_hash", "hash"}) {
      if (!j.contains(key) || !j[key].is_string() || !IsLowerHex(j[key].get<std::string>(), 64)) {
        Unreadable(line, std::string("malformed link: \"") + key + "\" is not 64 lower-case hex");
        return;
      }
    }
    ++links_;
    const int64_t seq = j["seq"].get<int64_t>();
    const std::string hash = j["hash"].get<std::string>();
    CheckPrevHash(line, seq, j["prev_hash"].get<std::string>(), CheckSeq(line, seq));
    Advance(seq, hash);
  }

  // Order: against the previous row as written, so one misplaced row costs one or two
  // problems. False when `seq` is out of place (which already explains a prev_hash that does
  // not link).
  bool CheckSeq(int line, int64_t seq) {
    const int64_t expected = have_previous_ ? previous_seq_ + 1 : 1;
    if (!compare_ || seq == expected) return true;
    const std::string why = seq > expected ? Rows(expected, seq - 1) +
                                                 (seq - 1 > expected ? " are" : " is") + " missing"
                                           : Row(seq) + " is repeated";
    Problem(line, Row(seq),
            "expected seq " + std::to_string(expected) + ": " + why + ", or rows are out of order");
    return false;
  }

  // Link: prev_hash is the previous row's hash as written (64 zeros before the first).
  void CheckPrevHash(int line, int64_t seq, const std::string& prev_hash, bool in_order) {
    if (!compare_ || !in_order) return;
    const std::string& want = have_previous_ ? previous_hash_ : ZeroHash();
    if (prev_hash == want) return;
    Problem(line, Row(seq),
            (have_previous_ ? "prev_hash is not " + Row(previous_seq_) + "'s hash"
                            : std::string("prev_hash is not 64 zeros, the start of the chain")) +
                ": a row was inserted, dropped or reordered before it");
  }

  void Advance(int64_t seq, const std::string& hash) {
    compare_ = true;
    have_previous_ = true;
    previous_seq_ = seq;
    previous_hash_ = hash;
    hashes_.emplace(seq, hash);  // the first row with a seq is the one a checkpoint names
    max_seq_ = std::max(max_seq_, seq);
  }

  void ReadCheckpoint(int line, const nlohmann::json& j) {
    if (!j.contains("size") || !j["size"].is_number_integer() || j["size"].get<int64_t>() < 0) {
      Problem(line, Line(line), "malformed checkpoint: no \"size\" (a row count)");
      return;
    }
    Checkpoint c;
    c.line = line;
    c.size = j["size"].get<int64_t>();
    for (auto [key, field] : {std::pair{"head", &c.head}, std::pair{"time", &c.time},
                              std::pair{"key", &c.key}, std::pair{"signature", &c.signature}}) {
      if (!j.contains(key) || !j[key].is_string()) {
        Problem(line, Line(line), std::string("malformed checkpoint: no \"") + key + "\" string");
        return;
      }
      *field = j[key].get<std::string>();
    }
    checkpoints_.push_back(std::move(c));
  }

  void CheckCheckpoint(const Checkpoint& c) {
    const std::string where = AtSize(c.size);
    if (key_ok_ && !SignatureVerifies(c.signature,
                                      CheckpointSignedText(c.size, c.head, c.time, c.key), key_)) {
      Problem(
          c.line, where,
          "signature does not verify with the given key: the checkpoint was altered or signed by "
          "another key");
    }
    if (c.size == 0) return;  // covers no row: nothing to compare the head with
    if (c.size > max_seq_) {
      Problem(c.line, where,
              where + " covers " + std::to_string(c.size) + " rows but the log ends at row " +
                  std::to_string(max_seq_) + ": " + Rows(max_seq_ + 1, c.size) +
                  (c.size - max_seq_ > 1 ? " were" : " was") + " removed");
      return;
    }
    auto it = hashes_.find(c.size);
    if (it == hashes_.end()) {
      Problem(c.line, where,
              "head does not match " + Row(c.size) + "'s hash: " + Row(c.size) +
                  " is not in the export");
    } else if (it->second != c.head) {
      Problem(c.line, where, "head does not match " + Row(c.size) + "'s hash");
    }
  }

  void ReadStatement(int line, const nlohmann::json& j) {
    OwnerStatement s;
    for (auto [key, field] : {std::pair{"size", &s.size}, std::pair{"rows", &s.rows}}) {
      if (!j.contains(key) || !j[key].is_number_integer() || j[key].get<int64_t>() < 0) {
        Problem(line, Line(line),
                std::string("malformed owner statement: no \"") + key + "\" (a row count)");
        return;
      }
      *field = j[key].get<int64_t>();
    }
    for (auto [key, field] : {std::pair{"owner", &s.owner}, std::pair{"head", &s.head},
                              std::pair{"rows_digest", &s.rows_digest}, std::pair{"key", &s.key},
                              std::pair{"signature", &s.signature}}) {
      if (!j.contains(key) || !j[key].is_string()) {
        Problem(line, Line(line),
                std::string("malformed owner statement: no \"") + key + "\" string");
        return;
      }
      *field = j[key].get<std::string>();
    }
    if (!statements_.empty()) Problem(line, Line(line), "a second owner statement");
    statements_.emplace_back(line, std::move(s));
  }

  // The statement vouches for which rows are the owner's: without it, links could hide the
  // owner's rows, and a row just before a link could be edited with its hash recomputed.
  void CheckStatement() {
    if (statements_.empty()) {
      if (links_ > 0) {
        Problem(kAfterEverything, kStatement,
                "the export has " + std::to_string(links_) +
                    " other owners' rows as links but no owner statement: rows hidden as links or "
                    "edited before a link would go unseen");
      }
      return;
    }
    const auto& [line, s] = statements_.front();
    if (key_ok_ && !SignatureVerifies(s.signature, OwnerStatementSignedText(s), key_)) {
      Problem(
          line, kStatement,
          "signature does not verify with the given key: the statement was altered or signed by "
          "another key");
    }
    if (s.size != max_seq_) {
      Problem(line, kStatement,
              "covers rows 1" + std::string(kDash) + std::to_string(s.size) +
                  " but the log ends at row " + std::to_string(max_seq_));
    } else if (s.size > 0 && hashes_[s.size] != s.head) {
      Problem(line, kStatement, "head does not match " + Row(s.size) + "'s hash");
    }
    if (s.rows != rows_ || s.rows_digest != own_rows_.Hex()) {
      Problem(line, kStatement,
              "the export holds " + std::to_string(rows_) + " rows in full, the statement signs " +
                  std::to_string(s.rows) + " rows of " + s.owner +
                  (s.rows == rows_ ? " with other hashes" : "") +
                  ": a row of the owner was edited, hidden as a link, or added");
    }
  }

  void CheckUnsignedTail() {
    int64_t covered = -1;
    for (const Checkpoint& c : checkpoints_) covered = std::max(covered, c.size);
    if (max_seq_ <= std::max<int64_t>(covered, 0)) return;
    const int64_t first = std::max<int64_t>(covered, 0) + 1;
    const std::string where = Rows(first, max_seq_);
    const bool one = first == max_seq_;
    if (covered < 0) {
      Problem(kAfterEverything, where,
              where + (one ? " is" : " are") + " not covered by any checkpoint: " +
                  (one ? "it is" : "they are") + " not signed");
    } else {
      Problem(kAfterEverything, where,
              where + (one ? " follows" : " follow") + " the last checkpoint (size " +
                  std::to_string(covered) + "): " + (one ? "it is" : "they are") + " not signed");
    }
  }

  static const std::string& ZeroHash() {
    static const std::string kZero(64, '0');
    return kZero;
  }

  bool key_ok_ = false;
  unsigned char key_[crypto_sign_PUBLICKEYBYTES] = {};
  bool seen_first_ = false;
  int64_t rows_ = 0;
  int64_t links_ = 0;
  OwnerRowsDigest own_rows_;                                // of the rows read in full
  std::vector<std::pair<int, OwnerStatement>> statements_;  // with their line numbers
  bool compare_ = true;         // false right after an unreadable line
  bool have_previous_ = false;  // false before the first row
  int64_t previous_seq_ = 0;
  std::string previous_hash_;
  std::map<int64_t, std::string> hashes_;
  int64_t max_seq_ = 0;
  std::vector<Checkpoint> checkpoints_;
  std::vector<std::pair<int64_t, AuditProblem>> problems_;
};

}  // namespace

std::string CanonicalAuditRow(const nlohmann::json& row) {
  try {
    nlohmann::json canonical = nlohmann::json::object();
    for (const char* key : kCanonicalKeys) {
      canonical[key] = row.is_object() && row.contains(key) ? row[key] : nlohmann::json();
    }
    // std::map-backed objects: keys sorted at every level. Strings parsed from text are valid
    // UTF-8; "replace" only keeps a hand-built invalid string from throwing.
    return canonical.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } catch (const std::exception&) {
    return "";
  }
}

std::string CheckpointSignedText(int64_t size, const std::string& head, const std::string& time,
                                 const std::string& key_hex) {
  return "agentdraft audit checkpoint v1\nsize: " + std::to_string(size) + "\nhead: " + head +
         "\ntime: " + time + "\nkey: " + key_hex + "\n";
}

std::string OwnerStatementSignedText(const OwnerStatement& s) {
  return "agentdraft audit owner statement v1\nowner: " + s.owner +
         "\nsize: " + std::to_string(s.size) + "\nhead: " + s.head +
         "\nrows: " + std::to_string(s.rows) + "\nrows_digest: " + s.rows_digest +
         "\nkey: " + s.key + "\n";
}

struct OwnerRowsDigest::State {
  crypto_hash_sha256_state sha;
};

OwnerRowsDigest::OwnerRowsDigest() : state_(std::make_unique<State>()) {
  EnsureSodiumForVerify();
  crypto_hash_sha256_init(&state_->sha);
}
OwnerRowsDigest::~OwnerRowsDigest() = default;
OwnerRowsDigest::OwnerRowsDigest(OwnerRowsDigest&&) noexcept = default;
OwnerRowsDigest& OwnerRowsDigest::operator=(OwnerRowsDigest&&) noexcept = default;

void OwnerRowsDigest::Add(std::string_view hash_hex) {
  crypto_hash_sha256_update(&state_->sha, reinterpret_cast<const unsigned char*>(hash_hex.data()),
                            hash_hex.size());
  ++rows_;
}

std::string OwnerRowsDigest::Hex() const {
  crypto_hash_sha256_state copy = state_->sha;
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&copy, digest);
  return ToHex(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

bool IsPublicKeyHex(std::string_view text) { return IsHex(text, 2 * crypto_sign_PUBLICKEYBYTES); }

std::string AuditProblemLine(const AuditProblem& problem) {
  if (problem.where.empty() || problem.message.starts_with(problem.where)) return problem.message;
  return problem.where + ": " + problem.message;
}

AuditVerification VerifyAuditExport(std::istream& jsonl, const std::string& public_key_hex) {
  try {
    EnsureSodiumForVerify();
    Verifier verifier(public_key_hex);
    std::string text;
    int line = 0;
    while (std::getline(jsonl, text)) {
      ++line;
      if (!text.empty() && text.back() == '\r') text.pop_back();
      if (std::all_of(text.begin(), text.end(),
                      [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; })) {
        continue;
      }
      if (!verifier.Read(line, text)) break;
    }
    verifier.NoInput();
    return verifier.Finish();
  } catch (const std::exception& e) {
    AuditVerification v;
    v.problems.push_back({"export", std::string("could not be read: ") + e.what()});
    return v;
  }
}

}  // namespace agentdraft
