// AuditChain: assigns sequence numbers and hashes to audit rows (docs/design.md, "The audit chain").
//
// hash = hex SHA-256(prev_hash ‖ canonical row), where the canonical row is the JSON object
// {actor, at, kind, payload, resource, seq, subject, user_id} with sorted keys and no
// whitespace (docs/api.md gives the exact form). The chain head advances as rows are made;
// the engine hands rows to the store in the same order, so the stored chain has no gaps.
//
// Not thread-safe: the engine calls it under its lock.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "daemon/store/records.h"

namespace agentdraft::engine {

class AuditChain {
 public:
  static const std::string& ZeroHash();  // 64 '0'

  void Reset(int64_t head_seq, std::string head_hash);

  // Builds the next row and advances the head.
  store::AuditRecord Append(Time at, const std::string& owner_id, const std::string& actor,
                            const std::string& subject, const std::string& kind,
                            const std::string& resource, const nlohmann::json& payload);

  int64_t head_seq() const { return head_seq_; }
  const std::string& head_hash() const { return head_hash_; }

  // The canonical text of a row (what its hash covers, after prev_hash).
  static std::string Canonical(const store::AuditRecord& row);
  // True when row.hash matches prev_hash and the row's canonical form.
  static bool Verify(const store::AuditRecord& row);

 private:
  int64_t head_seq_ = 0;
  std::string head_hash_ = ZeroHash();
};

}  // namespace agentdraft::engine
