// agentdraft audit tail [-n N] [-f] [--kind K] | audit show RESOURCE — the hash-chained audit
// log (GET /v1/audit). An agent sees rows about its own claims; the owner sees all.
#include <thread>

#include "cli/commands/commands.h"
#include "cli/commands/output.h"
#include "cli/table.h"

namespace agentdraft::cli {

namespace {
constexpr auto kRole = Context::Role::kAgentOrOwner;
constexpr int kPage = 1000;

struct TailArgs {
  int n = 20;
  bool follow = false;
  std::string kind;
  std::string interval = "500ms";
};

void PrintRows(Context& ctx, const nlohmann::json& events, bool header) {
  Table t({{"seq", Align::kRight}, {"time"}, {"kind"}, {"resource"}, {"actor"}, {"hash"}});
  for (const nlohmann::json& e : events) {
    t.AddRow({Cell(e["seq"]), Cell(e["at"]), Cell(e["kind"]), Cell(e["resource"]), Cell(e["actor"]),
              Cell(e["hash"]).substr(0, 12)});
  }
  std::string text = t.ToString();
  if (!header) text = text.substr(text.find('\n') + 1);
  ctx.out() << text << std::flush;
}

// Rows after `after` (one page), or the error.
CliResult<Reply> Page(Context& ctx, int64_t after, const std::string& kind, const std::string& resource) {
  std::string q = "/v1/audit?limit=" + std::to_string(kPage) + "&after=" + std::to_string(after);
  if (!kind.empty()) q += "&kind=" + UrlEncode(kind);
  if (!resource.empty()) q += "&resource=" + UrlEncode(resource);
  return ctx.Call(kRole, "GET", q, nullptr, "reading the audit log");
}

ExitCode RunTail(Context& ctx, const TailArgs& a) {
  auto interval = ParseDuration(a.interval);
  if (!interval.ok() || *interval < std::chrono::milliseconds(50)) {
    return ctx.Fail(UsageProblem("--interval: \"" + a.interval + "\" must be a duration of at least 50ms"));
  }
  auto status = ctx.Call(kRole, "GET", "/v1/status", nullptr, "asking the daemon");
  if (!status.ok()) return ctx.Fail(status.error());
  const int64_t head = status->json["counts"].value("audit_rows", int64_t{0});
  const bool owner = status->json["caller"].value("kind", "") == "owner";
  // The owner's rows are (nearly) every row: start n before the head. An agent's rows are a
  // subset: read them all and keep the last n.
  int64_t after = owner && a.kind.empty() ? std::max<int64_t>(0, head - a.n) : 0;
  nlohmann::json kept = nlohmann::json::array();
  for (;;) {
    auto page = Page(ctx, after, a.kind, "");
    if (!page.ok()) return ctx.Fail(page.error());
    const nlohmann::json& events = page->json["events"];
    for (const nlohmann::json& e : events) {
      kept.push_back(e);
      after = e.value("seq", after);
    }
    if (static_cast<int>(kept.size()) > a.n) kept.erase(kept.begin(), kept.end() - a.n);
    if (static_cast<int>(events.size()) < kPage) break;
  }
  if (ctx.json()) ctx.out() << nlohmann::json{{"events", kept}}.dump() << "\n" << std::flush;
  else if (kept.empty() && !a.follow) ctx.out() << "no audit rows\n";
  else PrintRows(ctx, kept, true);
  while (a.follow) {
    std::this_thread::sleep_for(*interval);
    auto page = Page(ctx, after, a.kind, "");
    if (!page.ok()) return ctx.Fail(page.error());
    const nlohmann::json& events = page->json["events"];
    if (events.empty()) continue;
    for (const nlohmann::json& e : events) after = e.value("seq", after);
    if (ctx.json()) ctx.out() << page->body << "\n" << std::flush;
    else PrintRows(ctx, events, false);
  }
  return ExitCode::kOk;
}

ExitCode RunShow(Context& ctx, const std::string& resource) {
  auto page = Page(ctx, 0, "", resource);
  if (!page.ok()) return ctx.Fail(page.error());
  return ctx.Print(*page, [&] {
    const nlohmann::json& events = page->json["events"];
    if (events.empty()) ctx.out() << "no audit rows about " << resource << " that you may see\n";
    else PrintRows(ctx, events, true);
  });
}
}  // namespace

void RegisterAudit(CLI::App& app, CommandSet& set) {
  CLI::App* noun = app.add_subcommand("audit", "the tamper-evident audit log")->require_subcommand(1);
  auto tail = std::make_shared<TailArgs>();
  CLI::App* t = noun->add_subcommand("tail", "the latest rows; -f keeps following");
  t->add_option("-n,--lines", tail->n, "how many rows (default 20)")->check(CLI::Range(1, 100000));
  t->add_flag("-f,--follow", tail->follow, "keep printing new rows as they are written");
  t->add_option("--kind", tail->kind, "only rows of this kind, e.g. booking.committed");
  t->add_option("--interval", tail->interval, "how often -f asks (default 500ms)");
  set.On(t, [tail](Context& ctx) { return RunTail(ctx, *tail); });

  auto resource = std::make_shared<std::string>();
  CLI::App* s = noun->add_subcommand("show", "every row about one resource (a race's whole trail)");
  s->add_option("resource", *resource, "bkg_…, hld_…, agt_…")->required();
  set.On(s, [resource](Context& ctx) { return RunShow(ctx, *resource); });
}

}  // namespace agentdraft::cli
