// Fuzzes the offline audit verifier (common/audit_verify.h) two ways, chosen by byte 0:
//  - even: the rest of the input is an export, verified with the public key its header names
//    (or a fixed key). It must never crash, throw or hang, whatever the bytes.
//  - odd: the rest is a list of (4-byte position, byte) edits applied to a real export that this
//    process made at start-up (an in-process daemon's commits, holds, cancels and rule changes,
//    exported by GET /v1/audit/export, with checkpoints every 4 rows). The unedited export must
//    verify. An edited one may verify only if the edits were semantically neutral: the same rows
//    (canonical form, prev_hash, hash), links (seq, prev_hash, hash), checkpoints (size, head,
//    time, key, signature; hex compared case-insensitively) and owner statement, in the same
//    order. Anything else verifying is a finding.
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/audit_verify.h"
#include "common/json_parse.h"
#include "fuzz/fuzz_support.h"

namespace {

using agentdraft::fuzz::Fail;

constexpr char kFixedKey[] = "3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29";

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string Str(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

// What a verified export vouches for: its rows and checkpoints, in order.
std::vector<std::string> Content(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    // As the verifier reads it (a line it accepted parses the same either way).
    auto parsed = agentdraft::ParseJson(line, {.max_depth = agentdraft::kDocumentJsonDepth});
    if (!parsed.ok() || !parsed->is_object()) continue;
    const nlohmann::json& j = *parsed;
    const std::string type = Str(j, "type");
    if (type == "row") {
      out.push_back("row " + agentdraft::CanonicalAuditRow(j) + " " + Lower(Str(j, "prev_hash")) + " " +
                    Lower(Str(j, "hash")));
    } else if (type == "link") {
      out.push_back("link " + (j.contains("seq") ? j["seq"].dump() : "") + " " +
                    Str(j, "prev_hash") + " " + Str(j, "hash"));
    } else if (type == "owner_statement") {
      out.push_back("owner_statement " + Str(j, "owner") + " " +
                    (j.contains("size") ? j["size"].dump() : "") + " " +
                    (j.contains("rows") ? j["rows"].dump() : "") + " " + Lower(Str(j, "head")) +
                    " " + Str(j, "rows_digest") + " " + Lower(Str(j, "key")) + " " +
                    Lower(Str(j, "signature")));
    } else if (type == "checkpoint") {
      out.push_back("checkpoint " + (j.contains("size") ? j["size"].dump() : "") + " " +
                    Lower(Str(j, "head")) + " " + Str(j, "time") + " " + Lower(Str(j, "key")) + " " +
                    Lower(Str(j, "signature")));
    }
  }
  return out;
}

struct RealExport {
  std::string text;
  std::string key;
  std::vector<std::string> content;
  agentdraft::AuditVerification verification;
};

std::string Request(const std::string& method, const std::string& path, const std::string& auth,
                    const std::string& body = "") {
  std::string r = method + " " + path + " HTTP/1.1\r\nHost: localhost\r\n" + auth;
  if (!body.empty()) {
    r += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  return r + "\r\n" + body;
}

// A real export: a daemon's decisions, exported over its own routes.
RealExport MakeExport() {
  agentdraft::fuzz::InProcessDaemon daemon;
  const std::string a1 = "Authorization: Bearer " + daemon.agent_key(0) + "\r\n";
  const std::string a2 = "Authorization: Bearer " + daemon.agent_key(1) + "\r\n";
  const char* claim = R"({"start":"2026-06-02T09:00:00Z","end":"2026-06-02T09:30:00Z","title":"Caf\u00e9 sync","metadata":{"n":1.5}})";
  std::string script;
  script += Request("POST", "/v1/holds", a2, claim);
  script += Request("POST", "/v1/bookings", a1, claim);
  script += Request("POST", "/v1/bookings", a2, claim);
  script += Request("POST", "/v1/bookings", a2,
                    R"({"start":"2026-06-02T10:00:00+02:00","end":"2026-06-02T10:45:00+02:00","idempotency_key":"k1"})");
  daemon.Serve(script, /*owner_socket=*/false, 8);
  daemon.Serve(Request("PATCH", "/v1/dashboard/settings", "", R"({"tie_window_ms":50})") +
                   Request("POST", "/v1/dashboard/rules", "",
                           R"({"kind":"notice","minutes":30})"),
               /*owner_socket=*/true, 4);
  // Over TCP with the owner's session: httplib streams the chunked export only there.
  const std::string raw = daemon.Serve(
      Request("GET", "/v1/audit/export", "Cookie: ad_session=" + daemon.session_cookie() + "\r\n"),
      /*owner_socket=*/false, 1);
  std::vector<agentdraft::fuzz::HttpAnswer> answers;
  if (!agentdraft::fuzz::ParseAnswers(raw, &answers) || answers.size() != 1 || answers[0].status != 200) {
    Fail("set-up: the export failed", raw);
  }
  RealExport e;
  e.text = answers[0].body;
  e.key = daemon.public_key_hex();
  e.content = Content(e.text);
  std::istringstream in(e.text);
  e.verification = agentdraft::VerifyAuditExport(in, e.key);
  if (!e.verification.ok() || e.verification.rows < 8 || e.verification.checkpoints < 2) {
    std::string problems;
    for (const auto& p : e.verification.problems) problems += agentdraft::AuditProblemLine(p) + "\n";
    Fail("set-up: a real export does not verify (or is too small: " +
             std::to_string(e.verification.rows) + " rows)",
         problems + e.text);
  }
  return e;
}

const RealExport& Real() {
  static const RealExport e = MakeExport();
  return e;
}

}  // namespace

// With AGENTDRAFT_FUZZ_WRITE_EXPORT=FILE, also writes the real export there (how the seed
// corpus's export was made: fuzz/corpus/fuzz_audit_verify/real_export, a 0 byte in front).
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const RealExport& real = Real();
  if (const char* path = std::getenv("AGENTDRAFT_FUZZ_WRITE_EXPORT")) {
    std::ofstream out(path, std::ios::binary);
    out << '\0' << real.text;
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 64 * 1024) return -1;
  const std::string rest(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] % 2 == 0) {
    std::string key = kFixedKey;
    const size_t eol = rest.find('\n');
    auto header = agentdraft::ParseJson(std::string_view(rest).substr(0, eol),
                                        {.max_depth = agentdraft::kDocumentJsonDepth});
    if (header.ok() && header->is_object() && agentdraft::IsPublicKeyHex(Str(*header, "key"))) {
      key = Str(*header, "key");
    }
    std::istringstream in(rest);
    const auto v = agentdraft::VerifyAuditExport(in, key);
    for (const auto& p : v.problems) (void)agentdraft::AuditProblemLine(p);
    return 0;
  }
  const RealExport& real = Real();
  std::string edited = real.text;
  for (size_t i = 0; i + 5 <= rest.size(); i += 5) {
    uint32_t pos = 0;
    std::memcpy(&pos, rest.data() + i, 4);
    edited[pos % edited.size()] = rest[i + 4];
  }
  if (edited == real.text) return 0;
  std::istringstream in(edited);
  const auto v = agentdraft::VerifyAuditExport(in, real.key);
  if (!v.ok()) return 0;
  if (Content(edited) != real.content || v.rows != real.verification.rows ||
      v.links != real.verification.links || v.checkpoints != real.verification.checkpoints) {
    std::string diff;
    for (size_t i = 0; i < edited.size(); ++i) {
      if (edited[i] != real.text[i]) {
        diff += "byte " + std::to_string(i) + ": '" + std::string(1, real.text[i]) + "' -> '" +
                std::string(1, edited[i]) + "'\n";
      }
    }
    Fail("an edited export verifies but says something else", diff + "edited export:\n" + edited);
  }
  return 0;
}
