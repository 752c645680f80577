#include "cli/commands/claim_args.h"

#include "cli/commands/output.h"
#include "common/json_parse.h"

namespace agentdraft::cli {

void AddClaimArgs(CLI::App* command, ClaimArgs& args) {
  command->add_option("start", args.when,
                      "when it starts: RFC 3339, or +4h, 16:00, \"tomorrow 16:00\", \"mon 9:30\" "
                      "(in the owner's time zone)")
      ->required()
      ->expected(1, 3);
  command->add_option("--duration,-d", args.duration, "how long: 30m, 1h, 1h30m (default 30m)");
  command->add_option("--end", args.end, "when it ends, instead of --duration");
  command->add_option("--idempotency-key,-k", args.idempotency_key,
                      "a key that makes retrying safe: the same request with the same key is "
                      "decided once");
  command->add_option("--metadata", args.metadata, "a JSON object stored with the claim");
}

CliResult<Duration> ReadDuration(const std::string& text) {
  // "1h30m" is friendlier than ParseDuration's single unit: add the parts up.
  Duration total{0};
  size_t i = 0;
  bool ok = !text.empty();
  while (ok && i < text.size()) {
    size_t j = i;
    while (j < text.size() && (std::isdigit(static_cast<unsigned char>(text[j])) || text[j] == '.')) ++j;
    size_t k = j;
    while (k < text.size() && std::isalpha(static_cast<unsigned char>(text[k]))) ++k;
    auto part = ParseDuration(text.substr(i, k - i));
    if (j == i || k == j || !part.ok()) ok = false;
    else total += *part;
    i = k;
  }
  if (!ok || total <= Duration(0)) {
    return UsageProblem("--duration: cannot read \"" + text + "\" (e.g. 30m, 1h, 1h30m)");
  }
  return total;
}

CliResult<nlohmann::json> BuildClaimBody(Context& ctx, const ClaimArgs& args, std::string* summary) {
  if (!args.duration.empty() && !args.end.empty()) {
    return UsageProblem("give --duration or --end, not both");
  }
  const std::string when = JoinWords(args.when);
  auto start = ctx.ParseTime(Context::Role::kAgent, when, "start");
  if (!start.ok()) return start.error();
  Time end;
  if (!args.end.empty()) {
    auto e = ctx.ParseTime(Context::Role::kAgent, args.end, "--end");
    if (!e.ok()) return e.error();
    end = *e;
  } else {
    auto total = ReadDuration(args.duration.empty() ? "30m" : args.duration);
    if (!total.ok()) return total.error();
    end = *start + *total;
  }
  if (end <= *start) return UsageProblem("the end must be after the start");
  nlohmann::json body = {{"start", FormatRfc3339(*start)}, {"end", FormatRfc3339(end)}};
  if (!args.idempotency_key.empty()) body["idempotency_key"] = args.idempotency_key;
  if (!args.metadata.empty()) {
    // One level below the body, so the daemon's depth limit for the whole body holds.
    Result<nlohmann::json> m = ParseJson(args.metadata, {.max_depth = kRequestJsonDepth - 1});
    if (!m.ok()) return UsageProblem("--metadata " + m.status().message());
    if (!m->is_object()) return UsageProblem("--metadata must be a JSON object, e.g. '{\"deal\":\"42\"}'");
    body["metadata"] = std::move(*m);
  }
  if (!args.title.empty()) body["title"] = args.title;
  if (!args.invitee_name.empty() || !args.invitee_email.empty()) {
    body["invitee"] = {{"name", args.invitee_name}, {"email", args.invitee_email}};
  }
  if (!args.hold_id.empty()) body["hold_id"] = args.hold_id;
  const int64_t minutes = std::chrono::duration_cast<std::chrono::minutes>(end - *start).count();
  // "Wed 2026-11-25 16:00 → 16:30 CET (30m)" when it ends on the day it starts.
  const std::string from = ctx.Local(*start), to = ctx.Local(end);
  const size_t day = from.find(' ', 4);  // after "Wed 2026-11-25"
  if (day != std::string::npos && from.compare(0, day, to, 0, day) == 0 && to.size() > day + 1) {
    *summary = from.substr(0, from.rfind(' ')) + " → " + to.substr(day + 1);
  } else {
    *summary = from + " → " + to;
  }
  *summary += " (" + Minutes(minutes) + ")";
  return body;
}

ExitCode RunClaim(Context& ctx, const ClaimArgs& args, bool hold) {
  std::string summary;
  auto body = BuildClaimBody(ctx, args, &summary);
  if (!body.ok()) return ctx.Fail(body.error());
  auto reply = ctx.Call(Context::Role::kAgent, "POST", hold ? "/v1/holds" : "/v1/bookings", &*body,
                        (hold ? "holding " : "committing ") + summary);
  if (!reply.ok()) {
    CommandError e = reply.error();
    if (e.exit_code == ExitCode::kConflict) {
      e.message += "\n  a free slot: agentdraft availability --from '" + JoinWords(args.when) +
                   "' --duration " + (args.duration.empty() ? "30m" : args.duration);
    }
    return ctx.Fail(e);
  }
  const nlohmann::json& j = reply->json;
  return ctx.Print(*reply, [&] {
    const std::string agent = Cell(j["agent_id"]) + " (priority " + Cell(j["agent_priority"]) + ")";
    if (hold) {
      PrintFields(ctx.out(), {{"hold", Cell(j["hold_id"])},
                              {"status", Cell(j["status"])},
                              {"when", summary},
                              {"expires at", ctx.Local(j["expires_at"])},
                              {"agent", agent}});
    } else {
      PrintFields(ctx.out(), {{"booking", Cell(j["booking_id"])},
                              {"status", Cell(j["status"])},
                              {"when", summary},
                              {"agent", agent},
                              {"frozen at", Cell(j["frozen_at"])},
                              {"audit", "#" + Cell(j["audit_id"]) + " " + Cell(j["audit_hash"]).substr(0, 16)}});
    }
  });
}

}  // namespace agentdraft::cli
