// agentdraft race demo | replay | record: ranked agents race for one slot (cli/race/race_demo.h);
// race scenarios replayed on a virtual clock and recorded from the audit log (race_replay.cc,
// race_record.cc).
#include "cli/base_url.h"
#include "cli/commands/commands.h"
#include "cli/race/race_demo.h"

namespace agentdraft::cli {

void SetupRace(CLI::App& command, CommandSet& set) {
  CLI::App* noun = command.require_subcommand(1);
  auto options = std::make_shared<RaceDemoOptions>();
  CLI::App* demo = SetupRaceDemo(*noun, *options);
  set.On(demo, [options](Context& ctx) {
    RaceDemoOptions o = *options;
    o.json = o.json || ctx.json();
    if (o.base_url.empty()) o.base_url = ctx.options().base_url;
    ApiClientOptions client_options;
    client_options.base_url = ResolveBaseUrl(o.base_url);
    ApiClient client(client_options);
    return RunRaceDemo(o, client, ctx.out(), ctx.err());
  });
  SetupRaceReplay(*noun, set);
  SetupRaceRecord(*noun, set);
}

}  // namespace agentdraft::cli
