#include "daemon/api/stream_slots.h"

namespace agentdraft::api {

std::shared_ptr<void> StreamSlots::TryTake(const std::string& owner_id, const std::string& agent_id,
                                           bool owner_socket, std::string* refusal) {
  const std::string agent_key = owner_id + "/" + agent_id;
  std::lock_guard<std::mutex> lock(mu_);
  int& agent = by_agent_[agent_key];
  int& owner = by_owner_[owner_id];
  int& listener = on_listener_[owner_socket ? 1 : 0];
  if (agent >= limits_.per_agent) {
    *refusal = (agent_id.empty() ? std::string("the owner") : "this agent") + " already has " +
               std::to_string(agent) + " event streams open (at most " +
               std::to_string(limits_.per_agent) + "); close one, or resume with Last-Event-ID";
  } else if (owner >= limits_.per_owner) {
    *refusal = "this calendar already has " + std::to_string(owner) + " event streams open (at most " +
               std::to_string(limits_.per_owner) + ")";
  } else if (listener >= limits_.per_listener) {
    *refusal = "the daemon already serves " + std::to_string(listener) + " event streams (at most " +
               std::to_string(limits_.per_listener) + "); retry later";
  } else {
    ++agent;
    ++owner;
    ++listener;
    // Non-null (the slots themselves, never deleted) so that callers can test it.
    return std::shared_ptr<void>(static_cast<void*>(this), [this, owner_id, agent_key, owner_socket](void*) {
      Give(owner_id, agent_key, owner_socket);
    });
  }
  if (agent == 0) by_agent_.erase(agent_key);
  if (owner == 0) by_owner_.erase(owner_id);
  return nullptr;
}

void StreamSlots::Give(const std::string& owner_id, const std::string& agent_key, bool owner_socket) {
  std::lock_guard<std::mutex> lock(mu_);
  if (--by_agent_[agent_key] <= 0) by_agent_.erase(agent_key);
  if (--by_owner_[owner_id] <= 0) by_owner_.erase(owner_id);
  --on_listener_[owner_socket ? 1 : 0];
}

}  // namespace agentdraft::api
