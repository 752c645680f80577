// agentdraft watch [--after SEQ] [--count N] — follows the event stream (GET /v1/events,
// server-sent events): an agent's own events (evicted, displaced, expired, …), or with the
// owner's socket every event of the calendar. Reconnects with Last-Event-ID when the stream
// drops, so no event is missed; prints one line (or, with --json, the event's JSON) per event.
#include <curl/curl.h>

#include <chrono>
#include <thread>

#include "cli/base_url.h"
#include "cli/commands/commands.h"
#include "cli/commands/output.h"

namespace agentdraft::cli {

namespace {
struct Args {
  int64_t after = -1;  // -1: from now
  int count = 0;       // 0: forever
};

struct Stream {
  Context* ctx = nullptr;
  const Args* args = nullptr;
  std::string buffer;
  std::string id, event, data;
  int64_t last_id = -1;
  int printed = 0;
  bool done = false;
  long http_status = 0;
  std::string error_body;
};

void Emit(Stream& s) {
  if (s.data.empty()) return;
  nlohmann::json e = nlohmann::json::parse(s.data, nullptr, false);
  if (!s.id.empty()) s.last_id = std::stoll(s.id);
  if (s.ctx->json()) {
    s.ctx->out() << s.data << "\n";
  } else if (!e.is_discarded()) {
    s.ctx->out() << Cell(e["seq"]) << "  " << Cell(e["at"]) << "  " << Cell(e["kind"]) << "  "
                 << Cell(e["resource"]) << "  by " << Cell(e["actor"]) << "\n";
  }
  s.ctx->out() << std::flush;
  if (s.args->count > 0 && ++s.printed >= s.args->count) s.done = true;
}

size_t OnData(char* ptr, size_t size, size_t n, void* user) {
  Stream& s = *static_cast<Stream*>(user);
  s.buffer.append(ptr, size * n);
  size_t nl;
  while ((nl = s.buffer.find('\n')) != std::string::npos) {
    std::string line = s.buffer.substr(0, nl);
    s.buffer.erase(0, nl + 1);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) {
      Emit(s);
      s.id.clear();
      s.event.clear();
      s.data.clear();
      if (s.done) return 0;  // stop the transfer
    } else if (line.rfind("id: ", 0) == 0) {
      s.id = line.substr(4);
    } else if (line.rfind("event: ", 0) == 0) {
      s.event = line.substr(7);
    } else if (line.rfind("data: ", 0) == 0) {
      s.data += line.substr(6);
    }
  }
  return size * n;
}

ExitCode Run(Context& ctx, const Args& a) {
  // The same identity rules as every other command (cli/context.h), checked with one request.
  auto status = ctx.Call(Context::Role::kAgentOrOwner, "GET", "/v1/status", nullptr, "connecting");
  if (!status.ok()) return ctx.Fail(status.error());
  const bool socket = ctx.UsesSocket(Context::Role::kAgentOrOwner);
  Stream s;
  s.ctx = &ctx;
  s.args = &a;
  s.last_id = a.after;
  for (int attempt = 0; !s.done; ++attempt) {
    CURL* curl = curl_easy_init();
    struct curl_slist* headers = nullptr;
    headers = curl_slist_append(headers, "Accept: text/event-stream");
    if (socket) {
      curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, ctx.SocketPath().c_str());
      if (!ctx.options().as.empty()) headers = curl_slist_append(headers, ("X-Agentdraft-As: " + ctx.options().as).c_str());
    } else {
      headers = curl_slist_append(headers, ("Authorization: Bearer " + ctx.options().api_key).c_str());
    }
    if (s.last_id >= 0) headers = curl_slist_append(headers, ("Last-Event-ID: " + std::to_string(s.last_id)).c_str());
    const std::string url = (socket ? std::string("http://agentdraftd") : ResolveBaseUrl(ctx.options().base_url)) + "/v1/events";
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &OnData);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
    const CURLcode rc = curl_easy_perform(curl);
    long code = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    if (s.done) break;
    if (code >= 400) {
      ApiResponse r;
      r.status = static_cast<int>(code);
      r.body = s.buffer;
      return ctx.Fail(ErrorFromResponse("watching events", r));
    }
    // The stream ended (daemon restarting, network): resume after the last event seen.
    ctx.err() << "agentdraft: the event stream ended (" << curl_easy_strerror(rc)
              << "); reconnecting after event " << s.last_id << "\n";
    s.buffer.clear();
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(2000, 200 * (attempt + 1))));
    if (s.last_id < 0) s.last_id = status->json["counts"].value("audit_rows", int64_t{0});
  }
  return ExitCode::kOk;
}
}  // namespace

void RegisterWatch(CLI::App& app, CommandSet& set) {
  auto a = std::make_shared<Args>();
  CLI::App* c = app.add_subcommand("watch", "follow events as they happen (an agent: its own; the owner: all)");
  c->add_option("--after", a->after, "start after this event id (audit seq); default: from now");
  c->add_option("-n,--count", a->count, "stop after this many events");
  c->footer("Examples:\n  agentdraft watch                    # as the agent of AGENTDRAFT_API_KEY\n"
            "  agentdraft watch --json --count 1   # wait for the next event, print it, exit");
  set.On(c, [a](Context& ctx) { return Run(ctx, *a); });
}

}  // namespace agentdraft::cli
