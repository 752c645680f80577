// agentdraft watch [--after SEQ] [--count N] — follows the event stream (GET /v1/events,
// server-sent events): an agent's own events (evicted, displaced, expired, …), or with the
// owner's socket every event of the calendar. Reconnects with Last-Event-ID when the stream
// drops, so no event is missed; prints one line (or, with --json, the event's JSON) per event.
#include <chrono>
#include <thread>

#include "cli/commands/commands.h"
#include "cli/commands/output.h"
#include "common/json_parse.h"

namespace agentdraft::cli {

namespace {
struct Args {
  int64_t after = -1;  // -1: from now
  int count = 0;       // 0: forever
};

constexpr char kGreeting[] = ": agentdraftd events after ";

// Splits the stream into events ("id:", "event:", "data:" lines, ended by a blank line).
struct Stream {
  Context* ctx = nullptr;
  const Args* args = nullptr;
  std::string buffer;
  std::string id, data;
  int64_t last_id = -1;
  int printed = 0;

  // Takes the next piece of the stream; false when enough events were printed.
  bool Feed(std::string_view piece) {
    buffer.append(piece);
    size_t nl;
    while ((nl = buffer.find('\n')) != std::string::npos) {
      std::string line = buffer.substr(0, nl);
      buffer.erase(0, nl + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.rfind("id: ", 0) == 0) id = line.substr(4);
      // The daemon's greeting names where the stream starts: resume from there if it drops
      // before the first event.
      else if (line.rfind(kGreeting, 0) == 0 && last_id < 0) last_id = std::stoll(line.substr(sizeof kGreeting - 1));
      else if (line.rfind("data: ", 0) == 0) data += line.substr(6);
      else if (line.empty() && !data.empty() && !Emit()) return false;
    }
    return true;
  }

  bool Emit() {
    if (!id.empty()) last_id = std::stoll(id);
    Result<nlohmann::json> parsed = ParseJson(data, {.max_depth = kDocumentJsonDepth});
    if (ctx->json()) {
      ctx->out() << data << "\n";
    } else if (parsed.ok()) {
      nlohmann::json& e = *parsed;
      ctx->out() << Cell(e["seq"]) << "  " << Cell(e["at"]) << "  " << Cell(e["kind"]) << "  "
                 << Cell(e["resource"]) << "  by " << Cell(e["actor"]) << "\n";
    }
    ctx->out() << std::flush;
    id.clear();
    data.clear();
    return args->count == 0 || ++printed < args->count;
  }
};

ExitCode Run(Context& ctx, const Args& a) {
  const auto role = Context::Role::kAgentOrOwner;
  auto client = ctx.ClientFor(role);
  if (!client.ok()) return ctx.Fail(client.error());
  Stream s;
  s.ctx = &ctx;
  s.args = &a;
  s.last_id = a.after;
  for (int attempt = 0;; ++attempt) {
    std::vector<std::string> headers = {"Accept: text/event-stream"};
    if (s.last_id >= 0) headers.push_back("Last-Event-ID: " + std::to_string(s.last_id));
    bool stopped = false;
    auto r = (*client)->GetStream("/v1/events", headers, [&](std::string_view piece) {
      return !(stopped = !s.Feed(piece));
    });
    if (stopped) return ExitCode::kOk;
    if (r.ok() && (r->status < 200 || r->status >= 300)) {
      return ctx.Fail(ErrorFromResponse("watching events", *r));
    }
    if (!r.ok() && attempt == 0 && s.last_id < 0) return ctx.Fail(ErrorFromTransport(r.status()));
    // The stream ended (the daemon restarting, the network): resume after the last event.
    ctx.err() << "agentdraft: the event stream ended (" << (r.ok() ? "closed" : r.status().message())
              << "); reconnecting" << (s.last_id >= 0 ? " after event " + std::to_string(s.last_id) : "")
              << "\n";
    s.buffer.clear();
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(2000, 200 * (attempt + 1))));
  }
}
}  // namespace

void SetupWatch(CLI::App& command, CommandSet& set) {
  auto a = std::make_shared<Args>();
  CLI::App* c = &command;
  c->add_option("--after", a->after, "start after this event id (audit seq); default: from now");
  c->add_option("-n,--count", a->count, "stop after this many events");
  c->footer("Examples:\n  agentdraft watch                    # as the agent of AGENTDRAFT_API_KEY\n"
            "  agentdraft watch --json --count 1   # wait for the next event, print it, exit");
  set.On(c, [a](Context& ctx) { return Run(ctx, *a); });
}

}  // namespace agentdraft::cli
