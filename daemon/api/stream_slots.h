// StreamSlots: how many event streams (GET /v1/events) may be open at once — per agent, per
// owner, and in all on each listener — so that long-lived streams can never take the workers
// that commits need, and one agent's streams cannot crowd out another's.
//
// Thread-safe.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace agentdraft::api {

struct StreamLimits {
  int per_agent = 4;   // an agent's streams (the owner's own streams count as its "agent")
  int per_owner = 32;  // the streams of one owner and all its agents
  int per_listener = 64;  // all streams on one listener (TCP, or the owner's socket)
};

class StreamSlots {
 public:
  explicit StreamSlots(StreamLimits limits) : limits_(limits) {}

  // Takes a slot for a stream of `agent_id` ("" for the owner itself) of `owner_id` on the
  // given listener. Null when a limit is reached, with `*refusal` saying which; else the slot,
  // which is given back when the last copy of the pointer goes.
  std::shared_ptr<void> TryTake(const std::string& owner_id, const std::string& agent_id,
                                bool owner_socket, std::string* refusal);

  const StreamLimits& limits() const { return limits_; }

 private:
  void Give(const std::string& owner_id, const std::string& agent_key, bool owner_socket);

  const StreamLimits limits_;
  std::mutex mu_;
  std::map<std::string, int> by_agent_;  // GUARDED_BY(mu_): owner_id + "/" + agent_id
  std::map<std::string, int> by_owner_;  // GUARDED_BY(mu_)
  int on_listener_[2] = {0, 0};          // GUARDED_BY(mu_): [TCP, owner's socket]
};

}  // namespace agentdraft::api
