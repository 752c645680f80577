// agentdraft bookings list [--from T] [--to T] [--status S] [--limit N]
// agentdraft bookings show BOOKING_ID
// An agent sees its own bookings; the owner (over the socket) sees the whole calendar.
#include "cli/commands/commands.h"
#include "cli/commands/output.h"
#include "cli/table.h"

namespace agentdraft::cli {

namespace {
struct ListArgs {
  std::string from, to, status;
  int limit = 100;
};

void AddBookingRow(Context& ctx, Table& t, const nlohmann::json& b) {
  t.AddRow({Cell(b["booking_id"]), ctx.Local(b["start"]), ctx.Local(b["end"]), Cell(b["status"]),
            Cell(b["agent_id"]), Cell(b["agent_priority"])});
}

ExitCode RunList(Context& ctx, const ListArgs& a) {
  const auto role = Context::Role::kAgentOrOwner;
  std::string query = "?limit=" + std::to_string(a.limit);
  std::optional<Time> from;
  if (!a.from.empty()) {
    auto t = ctx.ParseTime(role, a.from, "--from");
    if (!t.ok()) return ctx.Fail(t.error());
    from = *t;
    query += "&range_start=" + UrlEncode(FormatRfc3339(*t));
  }
  if (!a.to.empty()) {
    // A relative --to counts from --from when there is one.
    auto t = ctx.ParseTime(role, a.to, "--to", from ? &*from : nullptr);
    if (!t.ok()) return ctx.Fail(t.error());
    query += "&range_end=" + UrlEncode(FormatRfc3339(*t));
  }
  if (!a.status.empty()) query += "&status=" + UrlEncode(a.status);
  if (!ctx.json()) (void)ctx.TimeZone(role);  // local times in the table
  auto reply = ctx.Call(role, "GET", "/v1/bookings" + query, nullptr, "listing bookings");
  if (!reply.ok()) return ctx.Fail(reply.error());
  return ctx.Print(*reply, [&] {
    const nlohmann::json& list = reply->json["bookings"];
    if (!list.is_array() || list.empty()) {
      ctx.out() << "no bookings\n";
      return;
    }
    Table t({{"booking"}, {"start"}, {"end"}, {"status"}, {"agent"}, {"priority", Align::kRight}});
    for (const nlohmann::json& b : list) AddBookingRow(ctx, t, b);
    t.Print(ctx.out());
  });
}

ExitCode RunShow(Context& ctx, const std::string& id) {
  const auto role = Context::Role::kAgentOrOwner;
  if (!ctx.json()) (void)ctx.TimeZone(role);
  auto reply = ctx.Call(role, "GET", "/v1/bookings/" + UrlEncode(id), nullptr, "reading " + id);
  if (!reply.ok()) return ctx.Fail(reply.error());
  const nlohmann::json& b = reply->json;
  return ctx.Print(*reply, [&] {
    std::vector<std::pair<std::string, std::string>> f = {
        {"booking", Cell(b["booking_id"])},
        {"status", Cell(b["status"])},
        {"start", ctx.Local(b["start"])},
        {"end", ctx.Local(b["end"])},
        {"agent", Cell(b["agent_id"]) + " (priority " + Cell(b["agent_priority"]) + ")"},
        {"created at", ctx.Local(b["created_at"])},
        {"frozen at", Cell(b["frozen_at"])}};
    if (b.contains("title") && !b["title"].is_null()) f.push_back({"title", Cell(b["title"])});
    if (b.contains("metadata") && !b["metadata"].empty()) f.push_back({"metadata", b["metadata"].dump()});
    PrintFields(ctx.out(), f);
  });
}
}  // namespace

void SetupBookings(CLI::App& command, CommandSet& set) {
  CLI::App* noun = command.require_subcommand(1);
  auto list = std::make_shared<ListArgs>();
  CLI::App* l = noun->add_subcommand("list", "bookings in a time range (an agent: its own)");
  l->add_option("--from", list->from, "range start (RFC 3339 or friendly, e.g. today)");
  l->add_option("--to", list->to, "range end (e.g. +7d; +N counts from --from)");
  l->add_option("--status", list->status, "COMMITTED, CANCELLED or EVICTED");
  l->add_option("--limit", list->limit, "at most this many (1–1000)")->check(CLI::Range(1, 1000));
  set.On(l, [list](Context& ctx) { return RunList(ctx, *list); });

  auto id = std::make_shared<std::string>();
  CLI::App* s = noun->add_subcommand("show", "one booking");
  s->add_option("booking_id", *id, "the booking (bkg_…)")->required();
  set.On(s, [id](Context& ctx) { return RunShow(ctx, *id); });
}

}  // namespace agentdraft::cli
