#include "cli/commands/commands.h"

namespace agentdraft::cli {

namespace {
constexpr Command kCommands[] = {
    {"commit", "book a slot as an agent (exit 3 when another claim wins it)", SetupCommit},
    {"hold", "hold a slot tentatively as an agent (it expires unless committed)", SetupHold},
    {"release", "release a hold (the agent's own, or any as the owner)", SetupRelease},
    {"cancel", "cancel a booking (the agent's own, or any as the owner)", SetupCancel},
    {"bookings", "list and show bookings", SetupBookings},
    {"counters", "propose other slots to a booking's agent, and answer proposals", SetupCounters},
    {"availability", "free slots of a given length", SetupAvailability},
    {"whoami", "who this command line speaks as", SetupWhoami},
    {"agents", "the owner's agents: rank and keys (over the socket)", SetupAgents},
    {"settings", "the owner's engine settings (over the socket)", SetupSettings},
    {"sessions", "the owners' dashboard sign-ins (over the socket)", SetupSessions},
    {"rules", "the owner's rules: business hours, focus, buffers, caps, notice, horizon (socket)", SetupRules},
    {"audit", "the tamper-evident audit log: tail, show, export, pubkey, verify", SetupAudit},
    {"race", "ranked agents racing for slots: demo, replay, record", SetupRace},
    {"status", "whether the daemon answers, its store and counts", SetupStatus},
    {"watch", "follow events as they happen (an agent: its own; the owner: all)", SetupWatch},
    {"bench", "benchmarks against a daemon: race", SetupBench},
    {"completion", "shell completion scripts", SetupCompletion},
};
}  // namespace

std::span<const Command> CommandTable() { return kCommands; }

}  // namespace agentdraft::cli
