// agentdraft rules add KIND … | list | show ID | rm ID — the owner's rules over the socket
// (/v1/dashboard/rules): business hours, focus blocks, buffers, daily caps, notice, horizon.
// A commit or hold that breaks one gets 422 rule_violation (exit 4) naming it.
#include "cli/commands/commands.h"
#include "cli/commands/output.h"
#include "cli/table.h"

namespace agentdraft::cli {
namespace {
const char* const kDays[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

// "mon-fri", "sat,sun", "tue", "weekdays", "every-day" → ["mon", …].
CliResult<nlohmann::json> ParseDays(const std::string& text) {
  if (text == "weekdays") return ParseDays("mon-fri");
  if (text == "weekends") return ParseDays("sat-sun");
  if (text == "every-day" || text == "daily") return ParseDays("mon-sun");
  auto index = [](const std::string& d) {
    for (int i = 0; i < 7; ++i) {
      if (d == kDays[i]) return i;
    }
    return -1;
  };
  bool on[7] = {};
  size_t at = 0;
  while (at <= text.size()) {
    size_t comma = text.find(',', at);
    if (comma == std::string::npos) comma = text.size();
    const std::string part = text.substr(at, comma - at);
    const size_t dash = part.find('-');
    const int from = index(part.substr(0, dash));
    const int to = dash == std::string::npos ? from : index(part.substr(dash + 1));
    if (from < 0 || to < 0 || to < from) {
      return UsageProblem("--days: \"" + text + "\" is not like mon-fri, sat,sun or tue (days: mon tue wed thu fri sat sun)");
    }
    for (int i = from; i <= to; ++i) on[i] = true;
    at = comma + 1;
  }
  nlohmann::json days = nlohmann::json::array();
  for (int i = 0; i < 7; ++i) {
    if (on[i]) days.push_back(kDays[i]);
  }
  return days;
}

CliResult<int64_t> WholeMinutes(const std::string& text, const std::string& flag) {
  auto d = ParseDuration(text);
  if (!d.ok() || *d < Duration(0) || *d % std::chrono::minutes(1) != Duration(0)) {
    return UsageProblem(flag + ": \"" + text + "\" is not a duration in whole minutes (e.g. 10m, 2h)");
  }
  return std::chrono::duration_cast<std::chrono::minutes>(*d).count();
}

// "mon-fri 09:00-17:00", "at most 4 bookings a day", … from a rule's JSON.
std::string What(const nlohmann::json& r) {
  const std::string kind = r.value("kind", "");
  auto days = [&] {
    std::string out;
    for (const auto& d : r.value("days", nlohmann::json::array())) out += (out.empty() ? "" : ",") + d.get<std::string>();
    return out;
  };
  if (kind == "business_hours" || (kind == "focus" && r.contains("days"))) {
    return days() + " " + r.value("from", "") + "-" + r.value("to", "");
  }
  if (kind == "focus") return r.value("start", "") + " to " + r.value("end", "");
  if (kind == "buffer") {
    return std::to_string(r.value("before_minutes", 0)) + "m before, " + std::to_string(r.value("after_minutes", 0)) +
           "m after every booking";
  }
  if (kind == "cap") {
    std::string who = r.contains("agent_id") && r["agent_id"].is_string() ? " for " + r["agent_id"].get<std::string>() : "";
    return r.contains("max_bookings") ? "at most " + Cell(r["max_bookings"]) + " bookings a day" + who
                                      : "at most " + Cell(r["max_minutes"]) + " booked minutes a day" + who;
  }
  if (kind == "notice") return "at least " + Cell(r["minutes"]) + " minutes' notice";
  if (kind == "horizon") return "at most " + Cell(r["days"]) + " days ahead";
  return "";
}

void PrintRules(Context& ctx, const nlohmann::json& rules) {
  Table t({{"id"}, {"kind"}, {"rule"}});
  for (const nlohmann::json& r : rules) t.AddRow({Cell(r["id"]), Cell(r["kind"]), What(r)});
  t.Print(ctx.out());
}

struct AddArgs {
  std::string days, from, to, start, end, before = "0m", after = "0m", minutes, agent, amount;
  int count = 0, horizon_days = 0;
};

ExitCode Create(Context& ctx, nlohmann::json body) {
  auto reply = ctx.Call(kOwner, "POST", "/v1/dashboard/rules", &body, "adding a " + body.value("kind", std::string("")) + " rule");
  if (!reply.ok()) return ctx.Fail(reply.error());
  return ctx.Print(*reply, [&] { PrintRules(ctx, nlohmann::json::array({reply->json})); });
}

// `rules add business-hours|focus|buffer|cap|notice|horizon`, each with its own AddArgs.
void SetupAddBusinessHours(CLI::App& add, CommandSet& set) {
  auto a = std::make_shared<AddArgs>();
  CLI::App* hours = add.add_subcommand("business-hours", "a weekly window (local time) claims must lie in");
  hours->add_option("--days", a->days, "mon-fri, sat,sun, weekdays, …")->required();
  hours->add_option("--from", a->from, "local start, HH:MM")->required();
  hours->add_option("--to", a->to, "local end, HH:MM (24:00 allowed)")->required();
  set.On(hours, [a](Context& ctx) {
    auto days = ParseDays(a->days);
    if (!days.ok()) return ctx.Fail(days.error());
    return Create(ctx, {{"kind", "business_hours"}, {"days", *days}, {"from", a->from}, {"to", a->to}});
  });
}

ExitCode RunAddFocus(Context& ctx, const AddArgs& a) {
  if (!a.days.empty()) {
    auto days = ParseDays(a.days);
    if (!days.ok()) return ctx.Fail(days.error());
    return Create(ctx, {{"kind", "focus"}, {"days", *days}, {"from", a.from}, {"to", a.to}});
  }
  if (a.start.empty() || a.end.empty()) return ctx.Fail(UsageProblem("give --start and --end, or --days, --from and --to"));
  auto start = ctx.ParseTime(kOwner, a.start, "--start");
  if (!start.ok()) return ctx.Fail(start.error());
  auto end = ctx.ParseTime(kOwner, a.end, "--end", &*start);
  if (!end.ok()) return ctx.Fail(end.error());
  return Create(ctx, {{"kind", "focus"}, {"start", FormatRfc3339(*start)}, {"end", FormatRfc3339(*end)}});
}

void SetupAddFocus(CLI::App& add, CommandSet& set) {
  auto a = std::make_shared<AddArgs>();
  CLI::App* focus = add.add_subcommand("focus", "a focus block: once (--start/--end) or weekly (--days/--from/--to)");
  focus->add_option("--start", a->start, "one-off start (RFC 3339 or friendly)");
  focus->add_option("--end", a->end, "one-off end (relative forms count from --start)");
  focus->add_option("--days", a->days, "weekly: mon-fri, tue,thu, …");
  focus->add_option("--from", a->from, "weekly: local start, HH:MM");
  focus->add_option("--to", a->to, "weekly: local end, HH:MM");
  set.On(focus, [a](Context& ctx) { return RunAddFocus(ctx, *a); });
}

void SetupAddBuffer(CLI::App& add, CommandSet& set) {
  auto a = std::make_shared<AddArgs>();
  CLI::App* buffer = add.add_subcommand("buffer", "minutes kept free before and after every booking");
  buffer->add_option("--before", a->before, "e.g. 10m")->capture_default_str();
  buffer->add_option("--after", a->after, "e.g. 5m")->capture_default_str();
  set.On(buffer, [a](Context& ctx) {
    auto before = WholeMinutes(a->before, "--before");
    if (!before.ok()) return ctx.Fail(before.error());
    auto after = WholeMinutes(a->after, "--after");
    if (!after.ok()) return ctx.Fail(after.error());
    return Create(ctx, {{"kind", "buffer"}, {"before_minutes", *before}, {"after_minutes", *after}});
  });
}

ExitCode RunAddCap(Context& ctx, const AddArgs& a) {
  nlohmann::json body = {{"kind", "cap"}};
  if ((a.count > 0) == !a.minutes.empty()) return ctx.Fail(UsageProblem("give exactly one of --count and --minutes"));
  if (a.count > 0) body["max_bookings"] = a.count;
  if (!a.minutes.empty()) {
    auto m = WholeMinutes(a.minutes, "--minutes");
    if (!m.ok()) return ctx.Fail(m.error());
    body["max_minutes"] = *m;
  }
  if (!a.agent.empty()) body["agent_id"] = a.agent;
  return Create(ctx, body);
}

void SetupAddCap(CLI::App& add, CommandSet& set) {
  auto a = std::make_shared<AddArgs>();
  CLI::App* cap = add.add_subcommand("cap", "at most N bookings (--count) or so much booked time (--minutes) a local day");
  cap->add_option("--count", a->count, "bookings a day")->check(CLI::Range(1, 1000));
  cap->add_option("--minutes", a->minutes, "booked time a day, e.g. 4h");
  cap->add_option("--agent", a->agent, "count only this agent's bookings (id or name)");
  set.On(cap, [a](Context& ctx) { return RunAddCap(ctx, *a); });
}

void SetupAddNotice(CLI::App& add, CommandSet& set) {
  auto a = std::make_shared<AddArgs>();
  CLI::App* notice = add.add_subcommand("notice", "the least notice a claim needs: a claim starts at least this far from now");
  notice->add_option("duration", a->amount, "e.g. 2h, 30m")->required();
  set.On(notice, [a](Context& ctx) {
    auto m = WholeMinutes(a->amount, "notice");
    if (!m.ok()) return ctx.Fail(m.error());
    return Create(ctx, {{"kind", "notice"}, {"minutes", *m}});
  });
}

void SetupAddHorizon(CLI::App& add, CommandSet& set) {
  auto a = std::make_shared<AddArgs>();
  CLI::App* horizon = add.add_subcommand("horizon", "the furthest ahead a claim may end, in days");
  horizon->add_option("days", a->horizon_days, "days, e.g. 30")->required()->check(CLI::Range(1, 3660));
  set.On(horizon, [a](Context& ctx) { return Create(ctx, {{"kind", "horizon"}, {"days", a->horizon_days}}); });
}

void SetupList(CLI::App& noun, CommandSet& set) {
  CLI::App* list = noun.add_subcommand("list", "the rules, oldest first");
  set.On(list, [](Context& ctx) {
    auto reply = ctx.Call(kOwner, "GET", "/v1/dashboard/rules", nullptr, "listing rules");
    if (!reply.ok()) return ctx.Fail(reply.error());
    return ctx.Print(*reply, [&] { PrintRules(ctx, reply->json["rules"]); });
  });
}

void SetupShow(CLI::App& noun, CommandSet& set) {
  auto id = std::make_shared<std::string>();
  CLI::App* show = noun.add_subcommand("show", "one rule");
  show->add_option("id", *id, "rul_…")->required();
  set.On(show, [id](Context& ctx) {
    auto reply = ctx.Call(kOwner, "GET", "/v1/dashboard/rules/" + UrlEncode(*id), nullptr, "reading rule " + *id);
    if (!reply.ok()) return ctx.Fail(reply.error());
    return ctx.Print(*reply, [&] {
      const nlohmann::json& r = reply->json;
      PrintFields(ctx.out(), {{"id", Cell(r["id"])}, {"kind", Cell(r["kind"])}, {"rule", What(r)},
                              {"created", Cell(r["created_at"])}, {"updated", Cell(r["updated_at"])}});
    });
  });
}

void SetupRm(CLI::App& noun, CommandSet& set) {
  auto id = std::make_shared<std::string>();
  CLI::App* rm = noun.add_subcommand("rm", "delete a rule");
  rm->add_option("id", *id, "rul_…")->required();
  set.On(rm, [id](Context& ctx) {
    auto reply = ctx.Call(kOwner, "DELETE", "/v1/dashboard/rules/" + UrlEncode(*id), nullptr, "deleting rule " + *id);
    if (!reply.ok()) return ctx.Fail(reply.error());
    return ctx.Print(*reply, [&] { ctx.out() << "deleted " << *id << "\n"; });
  });
}

}  // namespace

void SetupRules(CLI::App& command, CommandSet& set) {
  CLI::App& noun = *command.require_subcommand(1);
  noun.footer("A commit or hold that breaks a rule is refused: 422 rule_violation, exit 4.\n\n"
              "Examples:\n"
              "  agentdraft rules add business-hours --days mon-fri --from 09:00 --to 17:00\n"
              "  agentdraft rules add focus --days tue,thu --from 13:00 --to 15:00\n"
              "  agentdraft rules add focus --start 'tomorrow 10:00' --end 'tomorrow 12:00'\n"
              "  agentdraft rules add buffer --before 10m --after 5m\n"
              "  agentdraft rules add cap --count 4          # or --minutes 4h, --agent sales-bot\n"
              "  agentdraft rules add notice 2h\n"
              "  agentdraft rules add horizon 30\n"
              "  agentdraft rules list");
  CLI::App& add = *noun.add_subcommand("add", "add a rule")->require_subcommand(1);
  SetupAddBusinessHours(add, set);
  SetupAddFocus(add, set);
  SetupAddBuffer(add, set);
  SetupAddCap(add, set);
  SetupAddNotice(add, set);
  SetupAddHorizon(add, set);
  SetupList(noun, set);
  SetupShow(noun, set);
  SetupRm(noun, set);
}

}  // namespace agentdraft::cli
