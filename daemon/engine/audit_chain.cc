#include "daemon/engine/audit_chain.h"

#include "common/ids.h"

namespace agentdraft::engine {

const std::string& AuditChain::ZeroHash() {
  static const std::string kZero(64, '0');
  return kZero;
}

void AuditChain::Reset(int64_t head_seq, std::string head_hash) {
  head_seq_ = head_seq;
  head_hash_ = head_hash.empty() ? ZeroHash() : std::move(head_hash);
}

namespace {
std::string CanonicalWith(const store::AuditRecord& row, const nlohmann::json& payload) {
  nlohmann::json j = {
      {"actor", row.actor},       {"at", FormatRfc3339(row.at)},
      {"kind", row.kind},         {"payload", payload},
      {"resource", row.resource}, {"seq", row.seq},
      {"subject", row.subject},   {"user_id", row.owner_id},
  };
  return j.dump();
}
}  // namespace

std::string AuditChain::Canonical(const store::AuditRecord& row) {
  return CanonicalWith(row, nlohmann::json::parse(row.payload_json));
}

bool AuditChain::Verify(const store::AuditRecord& row) {
  return row.hash == Sha256Hex(row.prev_hash + Canonical(row));
}

store::AuditRecord AuditChain::Append(Time at, const std::string& owner_id,
                                      const std::string& actor, const std::string& subject,
                                      const std::string& kind, const std::string& resource,
                                      const nlohmann::json& payload) {
  store::AuditRecord row;
  row.seq = head_seq_ + 1;
  // Stored times are microseconds but the wire shows milliseconds: hash what the wire shows.
  row.at = FromMicros(ToMicros(at) / 1000 * 1000);
  row.owner_id = owner_id;
  row.actor = actor;
  row.subject = subject;
  row.kind = kind;
  row.resource = resource;
  row.payload_json = payload.dump();
  row.prev_hash = head_hash_;
  row.hash = Sha256Hex(row.prev_hash + CanonicalWith(row, payload));
  head_seq_ = row.seq;
  head_hash_ = row.hash;
  return row;
}

}  // namespace agentdraft::engine
