#include "daemon/store/store.h"

#include <future>

namespace agentdraft::store {

Status Store::ApplySync(Decision decision) {
  std::promise<Status> done;
  std::future<Status> result = done.get_future();
  Apply(std::move(decision), [&done](Status s) { done.set_value(std::move(s)); });
  return result.get();
}

}  // namespace agentdraft::store
