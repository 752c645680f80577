// The event stream (GET /v1/events): the caller's audit rows as server-sent events. Streams
// are capped (StreamSlots), live at most --stream-lifetime (the client resumes with
// Last-Event-ID), and end as soon as the caller's credentials no longer hold (a revoked key,
// an expired or ended session), before any further event is written.
#include <charconv>

#include "daemon/api/request_gate.h"
#include "daemon/api/request_parser.h"
#include "daemon/api/server.h"
#include "daemon/audit/event_hub.h"
#include "daemon/engine/views.h"

namespace agentdraft::api {

struct EventStreamState {
  int64_t after = 0;
  bool greeted = false;
  Time started;
  Time last_write;
  engine::Principal who;
  httplib::Request credentials;  // the headers and peer the stream was opened with
  std::shared_ptr<void> slot;    // held for the stream's life
};

namespace {

// The seq an event stream resumes after: Last-Event-ID, else ?after=, else the current head.
bool ResumePoint(const httplib::Request& req, int64_t head, int64_t* after) {
  std::string text = req.get_header_value("Last-Event-ID");
  if (text.empty() && req.has_param("after")) text = req.get_param_value("after");
  if (text.empty()) {
    *after = head;
    return true;
  }
  if (text[0] < '0' || text[0] > '9') return false;  // decimal digits only: no "-0", "+1"
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *after);
  return ec == std::errc() && ptr == text.data() + text.size() && *after >= 0;
}

std::string SseEvent(const store::AuditRecord& r) {
  return "id: " + std::to_string(r.seq) + "\nevent: " + r.kind + "\ndata: " +
         engine::AuditEventJson(r).dump() + "\n\n";
}

bool VisibleTo(const engine::Principal& who, const store::AuditRecord& r) {
  return r.owner_id == who.owner_id &&
         (who.is_owner() || r.actor == who.agent_id || r.subject == who.agent_id);
}

}  // namespace

void ApiServer::OpenEventStream(const Request& req, const Caller& caller, Response& res) {
  if (services_.events == nullptr) return RespondError(res, {"unavailable", "no event stream here"});
  auto st = std::make_shared<EventStreamState>();
  if (!ResumePoint(req, services_.events->head(), &st->after)) {
    return RespondError(res, ApiError::Validation({{"Last-Event-ID", "must be an event id (a non-negative integer)"}}));
  }
  std::string refusal;
  st->slot = stream_slots_.TryTake(caller.owner_id, caller.is_owner() ? "" : caller.agent_id,
                                   req.remote_addr == kUnixPeerAddr, &refusal);
  if (!st->slot) return RespondError(res, {"too_many_streams", std::move(refusal)});
  st->started = st->last_write = engine_.clock().Now();
  st->who = caller;
  st->credentials.headers = req.headers;
  st->credentials.remote_addr = req.remote_addr;
  st->credentials.remote_port = req.remote_port;
  res.set_header("Cache-Control", "no-store");
  res.set_header("X-Accel-Buffering", "no");
  res.set_chunked_content_provider("text/event-stream", [this, st](size_t, httplib::DataSink& sink) {
    return WriteEvents(*st, sink);
  });
}

// True while the stream's credentials still name the same caller.
bool ApiServer::StillAuthorized(const EventStreamState& st) {
  auto p = Authenticate(st.credentials);
  return p.ok() && p->owner_id == st.who.owner_id && p->agent_id == st.who.agent_id &&
         p->kind == st.who.kind;
}

// One turn of a stream: waits up to a second for rows, writes the visible ones. False ends
// the stream with an error (the peer left); sink.done() ends it cleanly.
bool ApiServer::WriteEvents(EventStreamState& st, httplib::DataSink& sink) {
  std::string out;
  if (!st.greeted) {
    out = "retry: 2000\n: agentdraftd events after " + std::to_string(st.after) + "\n\n";
    st.greeted = true;
  }
  if (ServedPeerHasLeft()) return false;  // nobody reads it: give the worker and slot back
  const Time now = engine_.clock().Now();
  const bool expired = now - st.started >= options_.stream_lifetime;
  if (draining_ || expired || !StillAuthorized(st)) {
    if (expired) out += ": this stream's lifetime is over; reconnect with Last-Event-ID\n\n";
    if (!out.empty() && !sink.write(out.data(), out.size())) return false;
    sink.done();
    return true;
  }
  auto rows = NextVisibleRows(st, out.empty() ? std::chrono::milliseconds(1000) : std::chrono::milliseconds(0));
  if (!rows.ok()) return false;
  // The credentials may have been revoked while waiting (that revocation is among the rows):
  // nothing more is written to a caller that no longer holds them.
  if (!rows->empty() && !StillAuthorized(st)) {
    sink.done();
    return true;
  }
  for (const store::AuditRecord& r : *rows) out += SseEvent(r);
  if (out.empty() && now - st.last_write >= std::chrono::seconds(15)) out = ": keep-alive\n\n";
  if (out.empty()) return true;
  st.last_write = now;
  return sink.write(out.data(), out.size());
}

// The rows after st.after that the caller may see (waiting up to `wait` for some), advancing
// st.after past every row looked at.
Result<std::vector<store::AuditRecord>> ApiServer::NextVisibleRows(EventStreamState& st,
                                                                  std::chrono::milliseconds wait) {
  bool gap = false;
  std::vector<store::AuditRecord> rows = services_.events->WaitAfter(st.after, wait, 500, &gap);
  if (gap) {
    // Older than the hub keeps: catch up from the store.
    store::AuditQuery q;
    q.after_seq = st.after;
    q.limit = 500;
    auto stored = engine_.ListAudit(st.who, std::move(q));
    if (!stored.ok()) return stored.status();
    rows = std::move(*stored);
    // Rows of other calendars or agents are not returned by the store; skip ahead past
    // them when nothing visible is left before the hub's rows.
    if (rows.empty()) st.after = std::max(st.after, services_.events->head());
  }
  std::vector<store::AuditRecord> visible;
  for (store::AuditRecord& r : rows) {
    st.after = std::max(st.after, r.seq);
    if (VisibleTo(st.who, r)) visible.push_back(std::move(r));
  }
  return visible;
}

}  // namespace agentdraft::api
