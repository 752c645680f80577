// Reads for the API (engine.h, "Reads for the API"): store reads with the caller's
// visibility applied, so that daemon/api never reaches the store.
#include "daemon/engine/engine.h"

#include "daemon/engine/core.h"
#include "daemon/engine/engine_state.h"

namespace agentdraft::engine {

std::string Engine::StoreName() const { return state_->store.Name(); }

bool Engine::SharedStore() const { return state_->store.Shared(); }

Result<store::ClaimRecord> Engine::GetBooking(const Principal& p, const std::string& id) {
  return core_->LookUpOwnClaim(p, id, store::ClaimKind::kBooking);
}

Result<std::vector<store::ClaimRecord>> Engine::ListBookings(const Principal& p, store::ClaimQuery q) {
  q.owner_id = p.owner_id;
  q.kind = store::ClaimKind::kBooking;
  if (p.is_owner()) q.agent_id.reset();
  else q.agent_id = p.agent_id;
  return state_->store.ListClaims(q);
}

Result<std::vector<store::AuditRecord>> Engine::ListAudit(const Principal& p, store::AuditQuery q) {
  q.owner_id = p.owner_id;
  if (p.is_owner()) q.visible_to_agent.reset();
  else q.visible_to_agent = p.agent_id;
  return state_->store.ListAudit(q);
}

Result<std::vector<store::AuditRecord>> Engine::ListChain(int64_t after_seq, int limit) {
  store::AuditQuery q;
  q.after_seq = after_seq;
  q.limit = limit;
  return state_->store.ListAudit(q);
}

Result<std::vector<store::CheckpointRecord>> Engine::ListCheckpoints() { return state_->store.ListCheckpoints(); }

Result<std::vector<store::WebhookDelivery>> Engine::ListDeliveries(const std::string& owner_id,
                                                                    store::DeliveryQuery q) {
  q.owner_id = owner_id;
  return state_->store.ListDeliveries(q);
}

}  // namespace agentdraft::engine
