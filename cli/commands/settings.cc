// agentdraft settings get | set NAME=VALUE… — the owner's engine settings, over the socket
// (/v1/dashboard/settings). Names: tie-window, bump-window, hold-ttl (durations), max-holds,
// max-claims, max-metadata-bytes, timezone, or the API's names; the value `default` returns a setting to the daemon's default.
#include "cli/commands/commands.h"
#include "cli/commands/output.h"

namespace agentdraft::cli {

namespace {

void PrintSettings(Context& ctx, const nlohmann::json& j) {
  std::vector<std::string> chosen = j.value("explicit", std::vector<std::string>{});
  auto mark = [&](const char* field, std::string value) {
    bool set = std::find(chosen.begin(), chosen.end(), field) != chosen.end();
    return value + (set ? "" : "  (default)");
  };
  PrintFields(ctx.out(), {{"tie-window", mark("tie_window_ms", Cell(j["tie_window_ms"]) + "ms")},
                          {"bump-window", mark("bump_window_seconds", Cell(j["bump_window_seconds"]) + "s")},
                          {"hold-ttl", mark("hold_ttl_seconds", Cell(j["hold_ttl_seconds"]) + "s")},
                          {"max-holds", mark("max_holds_per_agent", Cell(j["max_holds_per_agent"]))},
                          {"max-claims", mark("max_active_claims_per_agent", Cell(j["max_active_claims_per_agent"]))},
                          {"max-metadata-bytes",
                           mark("max_metadata_bytes_per_agent", Cell(j["max_metadata_bytes_per_agent"]))},
                          {"timezone", mark("timezone", Cell(j["timezone"]))}});
}

// One NAME=VALUE into the PATCH body.
std::optional<CommandError> AddSetting(const std::string& assignment, nlohmann::json& body) {
  const size_t eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) {
    return UsageProblem("\"" + assignment + "\": write NAME=VALUE, e.g. tie-window=50ms");
  }
  std::string name = assignment.substr(0, eq);
  const std::string value = assignment.substr(eq + 1);
  std::replace(name.begin(), name.end(), '_', '-');
  struct Known {
    const char* name;
    const char* field;
    Duration unit;  // 0 = not a duration
  };
  using namespace std::chrono_literals;
  static const Known kKnown[] = {
      {"tie-window", "tie_window_ms", 1ms},  {"tie-window-ms", "tie_window_ms", 0s},
      {"bump-window", "bump_window_seconds", 1s}, {"bump-window-seconds", "bump_window_seconds", 0s},
      {"hold-ttl", "hold_ttl_seconds", 1s},  {"hold-ttl-seconds", "hold_ttl_seconds", 0s},
      {"max-holds", "max_holds_per_agent", 0s}, {"max-holds-per-agent", "max_holds_per_agent", 0s},
      {"max-claims", "max_active_claims_per_agent", 0s},
      {"max-active-claims-per-agent", "max_active_claims_per_agent", 0s},
      {"max-metadata-bytes", "max_metadata_bytes_per_agent", 0s},
      {"max-metadata-bytes-per-agent", "max_metadata_bytes_per_agent", 0s},
      {"timezone", "timezone", 0s},          {"tz", "timezone", 0s}};
  const Known* k = nullptr;
  for (const Known& x : kKnown) {
    if (name == x.name) k = &x;
  }
  if (k == nullptr) {
    return UsageProblem("unknown setting \"" + name +
                        "\" (tie-window, bump-window, hold-ttl, max-holds, max-claims, max-metadata-bytes, timezone)");
  }
  if (value == "default") {
    body[k->field] = nullptr;
  } else if (std::string(k->field) == "timezone") {
    body[k->field] = value;
  } else if (k->unit != Duration(0)) {
    auto d = ParseDuration(value);
    if (!d.ok() || *d % k->unit != Duration(0)) {
      return UsageProblem(name + ": \"" + value + "\" is not a duration in whole " +
                          (k->unit == Duration(1ms) ? "milliseconds" : "seconds") + " (e.g. " +
                          (k->unit == Duration(1ms) ? "50ms" : "30s, 2m") + ")");
    }
    body[k->field] = *d / k->unit;
  } else {
    try {
      size_t used = 0;
      const long long n = std::stoll(value, &used);
      if (used != value.size()) throw std::invalid_argument(value);
      body[k->field] = n;
    } catch (const std::exception&) {
      return UsageProblem(name + ": \"" + value + "\" is not a whole number");
    }
  }
  return std::nullopt;
}
}  // namespace

void SetupSettings(CLI::App& command, CommandSet& set) {
  CLI::App* noun = command.require_subcommand(1);
  CLI::App* g = noun->add_subcommand("get", "show the settings in effect");
  set.On(g, [](Context& ctx) {
    auto reply = ctx.Call(kOwner, "GET", "/v1/dashboard/settings", nullptr, "reading settings");
    if (!reply.ok()) return ctx.Fail(reply.error());
    return ctx.Print(*reply, [&] { PrintSettings(ctx, reply->json); });
  });

  auto assignments = std::make_shared<std::vector<std::string>>();
  CLI::App* s = noun->add_subcommand("set", "change settings: NAME=VALUE …");
  s->add_option("assignments", *assignments, "tie-window=50ms bump-window=1m hold-ttl=45s max-holds=10 "
                                             "timezone=Europe/Berlin (VALUE `default` resets)")
      ->required();
  set.On(s, [assignments](Context& ctx) {
    nlohmann::json body = nlohmann::json::object();
    for (const std::string& a : *assignments) {
      if (auto problem = AddSetting(a, body)) return ctx.Fail(*problem);
    }
    auto reply = ctx.Call(kOwner, "PATCH", "/v1/dashboard/settings", &body, "changing settings");
    if (!reply.ok()) return ctx.Fail(reply.error());
    return ctx.Print(*reply, [&] { PrintSettings(ctx, reply->json); });
  });
}

}  // namespace agentdraft::cli
