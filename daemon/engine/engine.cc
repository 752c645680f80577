// The engine's interface (engine.h) over its parts: the shared State, the claim-deciding Core
// and the Directory.
#include "daemon/engine/engine.h"

#include <future>

#include "daemon/engine/core.h"
#include "daemon/engine/directory_impl.h"
#include "daemon/engine/engine_state.h"

namespace agentdraft::engine {

Engine::Engine(store::Store& store, const Clock& clock, EngineOptions options)
    : state_(std::make_unique<State>(store, clock, std::move(options))),
      core_(std::make_unique<Core>(*state_)),
      directory_(std::make_unique<DirectoryImpl>(*state_)) {}

Engine::~Engine() { Stop(); }

void Engine::SetHooks(EngineHooks hooks) { state_->hooks = std::move(hooks); }

Status Engine::Start() {
  {
    MutexLock lock(state_->mu);
    if (Status s = state_->LoadLocked(); !s.ok()) return s;
  }
  core_->Start();
  return Status::Ok();
}

void Engine::Stop() { core_->Stop(); }

void Engine::Commit(const Principal& p, ClaimRequest r, Done done) { core_->Commit(p, std::move(r), std::move(done)); }
void Engine::Hold(const Principal& p, ClaimRequest r, Done done) { core_->Hold(p, std::move(r), std::move(done)); }
void Engine::Release(const Principal& p, const std::string& hold_id, Done done) {
  core_->Release(p, hold_id, std::move(done));
}
void Engine::Cancel(const Principal& p, const std::string& booking_id, Done done) {
  core_->Cancel(p, booking_id, std::move(done));
}
void Engine::ProposeCounter(const Principal& p, const std::string& booking_id, CounterRequest r, Done done) {
  core_->ProposeCounter(p, booking_id, std::move(r), std::move(done));
}
Outcome Engine::ListCounters(const Principal& p, const std::string& booking_id) {
  return core_->ListCounters(p, booking_id);
}
void Engine::AcceptCounter(const Principal& p, const std::string& booking_id, const std::string& counter_id,
                           int slot_index, Done done) {
  core_->AcceptCounter(p, booking_id, counter_id, slot_index, std::move(done));
}
void Engine::RejectCounter(const Principal& p, const std::string& booking_id, const std::string& counter_id,
                           Done done) {
  core_->RejectCounter(p, booking_id, counter_id, std::move(done));
}
Outcome Engine::Availability(const Principal& p, const AvailabilityQuery& q) { return core_->Availability(p, q); }
Time Engine::RunDue() { return core_->RunDue(); }
void Engine::SweepExpiredHolds() { core_->SweepExpiredHolds(); }

Directory& Engine::directory() { return *directory_; }
const Clock& Engine::clock() const { return state_->clock; }
const EngineOptions& Engine::options() const { return state_->options; }

Outcome Await(const std::function<void(Done)>& call) {
  std::promise<Outcome> promise;
  std::future<Outcome> result = promise.get_future();
  call([&promise](Outcome o) { promise.set_value(std::move(o)); });
  return result.get();
}

}  // namespace agentdraft::engine
