#include "cli/audit_check.h"

#include "common/ids.h"

namespace agentdraft::cli {

namespace {

constexpr const char* kCanonicalKeys[] = {"actor",    "at",  "kind",    "payload",
                                          "resource", "seq", "subject", "user_id"};

bool WellFormed(const nlohmann::json& e) {
  if (!e.is_object()) return false;
  for (const char* key : kCanonicalKeys) {
    if (!e.contains(key)) return false;
  }
  return e["seq"].is_number_integer() && e["hash"].is_string() && e["prev_hash"].is_string();
}

}  // namespace

std::string CanonicalAuditRow(const nlohmann::json& event) {
  nlohmann::json canonical = nlohmann::json::object();
  for (const char* key : kCanonicalKeys) canonical[key] = event.at(key);
  return canonical.dump();  // std::map-backed objects: keys sorted at every level
}

std::string ExpectedAuditHash(const nlohmann::json& event) {
  return Sha256Hex(event.at("prev_hash").get<std::string>() + CanonicalAuditRow(event));
}

std::vector<std::string> CheckAuditRows(const nlohmann::json& events) {
  std::vector<std::string> verdicts;
  if (!events.is_array()) return {"malformed row"};
  const nlohmann::json* previous = nullptr;
  for (const nlohmann::json& e : events) {
    if (!WellFormed(e)) {
      verdicts.push_back("malformed row");
      previous = nullptr;
      continue;
    }
    std::string verdict;
    if (ExpectedAuditHash(e) != e["hash"].get<std::string>()) {
      verdict = "hash mismatch";
    } else if (previous != nullptr &&
               (*previous)["seq"].get<int64_t>() + 1 == e["seq"].get<int64_t>() &&
               (*previous)["hash"] != e["prev_hash"]) {
      verdict =
          "prev_hash is not the hash of seq " + std::to_string((*previous)["seq"].get<int64_t>());
    }
    verdicts.push_back(verdict);
    previous = &e;
  }
  return verdicts;
}

}  // namespace agentdraft::cli
