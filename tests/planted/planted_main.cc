// agentdraftd_planted: agentdraftd with one classic bug planted (planted.h), for the negative
// controls of the history harness. Built for the tests only; never installed or packaged.
// AGENTDRAFT_PLANT=<name> picks the bug; without it this is agentdraftd.
#include <cstdlib>
#include <memory>
#include <string>

#include <spdlog/spdlog.h>

#include "daemon/config.h"
#include "daemon/daemon.h"
#include "tests/planted/planted.h"

using namespace agentdraft;

int main(int argc, char** argv) {
  return daemon::RunMain(argc, argv, [](daemon::DaemonConfig& config, daemon::DaemonHooks& hooks) -> Status {
    const char* name = std::getenv("AGENTDRAFT_PLANT");
    if (name == nullptr || *name == '\0') return Status::Ok();
    auto bug = planted::FromName(name);
    if (!bug) return Status::InvalidArgument(std::string("agentdraftd_planted: no bug named ") + name);
    spdlog::warn("negative control: {} planted", name);
    if (*bug == planted::Bug::kSyncNormal) config.store.sqlite_sync = false;
    hooks.decorate_store = [bug = *bug](std::unique_ptr<store::Store> inner) -> std::unique_ptr<store::Store> {
      return std::make_unique<testing::FaultyStore>(std::move(inner), planted::FaultsOf(bug));
    };
    return Status::Ok();
  });
}
