// agentdraft counters propose BOOKING_ID --slot WHEN [--slot WHEN …] [--duration 30m] [--note T]
// agentdraft counters list BOOKING_ID
// agentdraft counters accept BOOKING_ID COUNTER_ID [--slot-index N]
// agentdraft counters reject BOOKING_ID COUNTER_ID
// Counter-proposals (POST /v1/bookings/{id}/counter, …): the agent that lost a slot offers the
// winner 1–5 others; the winner accepts one (its booking moves there) or rejects.
#include "cli/commands/claim_args.h"
#include "cli/commands/commands.h"
#include "cli/commands/output.h"
#include "cli/table.h"

namespace agentdraft::cli {

namespace {

struct ProposeArgs {
  std::string booking_id;
  std::vector<std::string> slots;
  std::string duration;
  std::string note;
  std::string idempotency_key;
};

struct AnswerArgs {
  std::string booking_id, counter_id;
  int slot_index = 0;
};

std::string CounterPath(const AnswerArgs& a, const char* verb) {
  return "/v1/bookings/" + UrlEncode(a.booking_id) + "/counters/" + UrlEncode(a.counter_id) + "/" + verb;
}

std::string Slots(Context& ctx, const nlohmann::json& proposed) {
  std::string out;
  int i = 0;
  for (const nlohmann::json& s : proposed) {
    out += (out.empty() ? "" : "\n") + std::to_string(i++) + ": " + ctx.Local(s["start"]) + " → " + ctx.Local(s["end"]);
  }
  return out;
}

void PrintCounter(Context& ctx, const nlohmann::json& c) {
  std::vector<std::pair<std::string, std::string>> f = {{"counter", Cell(c["counter_id"])},
                                                        {"booking", Cell(c["booking_id"])},
                                                        {"status", Cell(c["status"])},
                                                        {"from", Cell(c["agent_id"])},
                                                        {"to", Cell(c["booking_agent_id"])},
                                                        {"slots", Slots(ctx, c["proposed"])}};
  if (c.contains("note") && !c["note"].get<std::string>().empty()) f.push_back({"note", Cell(c["note"])});
  if (c.contains("new_booking_id")) {
    f.push_back({"accepted", "slot " + Cell(c["accepted_slot"]) + " → booking " + Cell(c["new_booking_id"])});
  }
  PrintFields(ctx.out(), f);
}

ExitCode RunPropose(Context& ctx, const ProposeArgs& a) {
  if (a.slots.empty() || a.slots.size() > 5) return ctx.Fail(UsageProblem("give 1 to 5 --slot times"));
  auto length = ReadDuration(a.duration.empty() ? "30m" : a.duration);
  if (!length.ok()) return ctx.Fail(length.error());
  nlohmann::json proposed = nlohmann::json::array();
  for (const std::string& when : a.slots) {
    auto start = ctx.ParseTime(Context::Role::kAgent, when, "--slot");
    if (!start.ok()) return ctx.Fail(start.error());
    proposed.push_back({{"start", FormatRfc3339(*start)}, {"end", FormatRfc3339(*start + *length)}});
  }
  nlohmann::json body = {{"proposed", proposed}};
  if (!a.note.empty()) body["note"] = a.note;
  if (!a.idempotency_key.empty()) body["idempotency_key"] = a.idempotency_key;
  auto reply = ctx.Call(Context::Role::kAgent, "POST", "/v1/bookings/" + UrlEncode(a.booking_id) + "/counter",
                        &body, "proposing other slots for " + a.booking_id);
  if (!reply.ok()) return ctx.Fail(reply.error());
  return ctx.Print(*reply, [&] { PrintCounter(ctx, reply->json); });
}

ExitCode RunList(Context& ctx, const std::string& booking_id) {
  const auto role = Context::Role::kAgentOrOwner;
  if (!ctx.json()) (void)ctx.TimeZone(role);
  auto reply = ctx.Call(role, "GET", "/v1/bookings/" + UrlEncode(booking_id) + "/counters", nullptr,
                        "listing the counter-proposals on " + booking_id);
  if (!reply.ok()) return ctx.Fail(reply.error());
  return ctx.Print(*reply, [&] {
    const nlohmann::json& list = reply->json["counters"];
    if (!list.is_array() || list.empty()) {
      ctx.out() << "no counter-proposals\n";
      return;
    }
    Table t({{"counter"}, {"status"}, {"from"}, {"slots"}, {"note"}});
    for (const nlohmann::json& c : list) {
      std::string slots;
      for (const nlohmann::json& s : c["proposed"]) slots += (slots.empty() ? "" : ", ") + ctx.Local(s["start"]);
      t.AddRow({Cell(c["counter_id"]), Cell(c["status"]), Cell(c["agent_id"]), slots, Cell(c["note"])});
    }
    t.Print(ctx.out());
  });
}

ExitCode RunAnswer(Context& ctx, const AnswerArgs& a, bool accept) {
  const auto role = Context::Role::kAgentOrOwner;
  nlohmann::json body = accept ? nlohmann::json{{"slot_index", a.slot_index}} : nlohmann::json::object();
  auto reply = ctx.Call(role, "POST", CounterPath(a, accept ? "accept" : "reject"), &body,
                        (accept ? "accepting " : "rejecting ") + a.counter_id);
  if (!reply.ok()) return ctx.Fail(reply.error());
  return ctx.Print(*reply, [&] {
    PrintCounter(ctx, reply->json);
    if (accept && reply->json.contains("booking")) {
      const nlohmann::json& b = reply->json["booking"];
      ctx.out() << "\n";
      PrintFields(ctx.out(), {{"booking", Cell(b["booking_id"])},
                              {"when", ctx.Local(b["start"]) + " → " + ctx.Local(b["end"])},
                              {"replaces", a.booking_id + " (now CANCELLED)"}});
    }
  });
}

}  // namespace

void SetupCounters(CLI::App& command, CommandSet& set) {
  CLI::App* noun = command.require_subcommand(1);

  auto propose = std::make_shared<ProposeArgs>();
  CLI::App* p = noun->add_subcommand("propose", "offer the agent of a booking you lost to 1–5 other slots");
  p->add_option("booking_id", propose->booking_id, "the booking that won (winning_booking_id of your 409)")->required();
  p->add_option("--slot,-s", propose->slots, "a start time for a proposed slot (1–5 of them; RFC 3339 or friendly)")
      ->required();
  p->add_option("--duration,-d", propose->duration, "each slot's length: 30m, 1h, 1h30m (default 30m)");
  p->add_option("--note", propose->note, "a message for the winner (at most 500 characters)");
  p->add_option("--idempotency-key,-k", propose->idempotency_key, "makes retrying safe");
  p->footer(
      "Examples:\n"
      "  agentdraft --as sales-bot counters propose bkg_… --slot 'tomorrow 16:00' --slot 'fri 10:00' -d 45m\n"
      "  agentdraft counters propose bkg_… -s 2026-12-01T16:00:00Z --note 'our client can only do mornings'");
  set.On(p, [propose](Context& ctx) { return RunPropose(ctx, *propose); });

  auto booking = std::make_shared<std::string>();
  CLI::App* l = noun->add_subcommand("list", "the counter-proposals on a booking (another agent: its own)");
  l->add_option("booking_id", *booking, "the booking (bkg_…)")->required();
  set.On(l, [booking](Context& ctx) { return RunList(ctx, *booking); });

  for (bool accept : {true, false}) {
    auto args = std::make_shared<AnswerArgs>();
    CLI::App* c = noun->add_subcommand(
        accept ? "accept" : "reject",
        accept ? "move your booking to a proposed slot (exit 3 when that slot is taken)"
               : "decline a counter-proposal");
    c->add_option("booking_id", args->booking_id, "your booking (bkg_…)")->required();
    c->add_option("counter_id", args->counter_id, "the counter-proposal (ctr_…)")->required();
    if (accept) {
      c->add_option("--slot-index,-i", args->slot_index, "which proposed slot, from 0 (default 0)")
          ->check(CLI::Range(0, 4));
    }
    set.On(c, [args, accept](Context& ctx) { return RunAnswer(ctx, *args, accept); });
  }
}

}  // namespace agentdraft::cli
