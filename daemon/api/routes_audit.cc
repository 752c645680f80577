// The audit log's checkpoint and export, and the event stream (GET /v1/events).
#include <charconv>

#include <spdlog/spdlog.h>

#include "daemon/api/request_parser.h"
#include "daemon/api/server.h"
#include "daemon/audit/checkpointer.h"
#include "daemon/audit/event_hub.h"
#include "daemon/engine/views.h"

namespace agentdraft::api {

namespace {
constexpr int kExportPage = 1000;

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
}  // namespace

void ApiServer::RegisterAuditRoutes() {
  Get("/v1/audit/checkpoint", [this](const httplib::Request& req, httplib::Response& res) {
    auto p = RequireAgentOrOwner(req, res, "audit:read");
    if (!p) return;
    if (services_.checkpointer == nullptr) return RespondError(res, "unavailable", "no checkpoints here");
    // Several daemons sign one chain, each with its own key: a shared store answers with this
    // daemon's signature of the store's head (below), so `key` is always this daemon's.
    auto latest = engine_.store().Shared() ? Result<std::optional<store::CheckpointRecord>>(std::nullopt)
                                           : services_.checkpointer->Latest();
    if (!latest.ok()) return RespondError(res, "unavailable", latest.status().message());
    if (!*latest) {
      // Nothing signed yet: sign the head now if there is one, so the key always has a use.
      auto signed_now = services_.checkpointer->SignHead();
      if (signed_now.ok()) {
        *latest = *signed_now;
      } else if (engine_.store().Shared() && signed_now.status().code() != StatusCode::kNotFound) {
        return RespondError(res, "unavailable", signed_now.status().message());
      }
    }
    nlohmann::json j = *latest ? audit::Checkpointer::Json(**latest, /*with_text=*/true)
                               : nlohmann::json{{"size", 0}, {"key", services_.checkpointer->public_key_hex()}};
    Respond(res, {200, j.dump()});
  });

  // The whole chain as JSON lines (docs/audit.md), ending with a checkpoint signed now.
  Get("/v1/audit/export", [this](const httplib::Request& req, httplib::Response& res) {
    auto p = RequireOwner(req, res);
    if (!p) return;
    if (services_.checkpointer == nullptr) return RespondError(res, "unavailable", "no checkpoints here");
    auto final_checkpoint = services_.checkpointer->SignHead();
    if (!final_checkpoint.ok() && final_checkpoint.status().code() != StatusCode::kNotFound) {
      return RespondError(res, "unavailable", final_checkpoint.status().message());
    }
    auto checkpoints = engine_.store().ListCheckpoints();
    if (!checkpoints.ok()) return RespondError(res, "unavailable", checkpoints.status().message());
    struct State {
      bool header_sent = false;
      int64_t after = 0;
      int64_t end = 0;  // the last row exported
      size_t next_checkpoint = 0;
      std::vector<store::CheckpointRecord> checkpoints;
      std::optional<store::CheckpointRecord> final_checkpoint;
    };
    auto st = std::make_shared<State>();
    st->end = final_checkpoint.ok() ? final_checkpoint->size : 0;
    const std::string own_key = services_.checkpointer->public_key_hex();
    for (auto& c : *checkpoints) {
      // Only this daemon's: the export names one key. (On DynamoDB other daemons sign the
      // same chain with their own keys; their exports carry those.)
      if (c.size <= st->end && c.key_hex == own_key) st->checkpoints.push_back(c);
    }
    if (final_checkpoint.ok()) {
      if (!st->checkpoints.empty() && st->checkpoints.back().size == st->end) st->checkpoints.pop_back();
      st->final_checkpoint = *final_checkpoint;
    }
    const std::string key = services_.checkpointer->public_key_hex();
    const std::string exported_at = audit::Checkpointer::TimeText(engine_.clock().Now());
    res.set_header("Content-Disposition", "attachment; filename=\"agentdraft-audit.jsonl\"");
    res.set_chunked_content_provider(
        "application/x-ndjson", [this, st, key, exported_at](size_t, httplib::DataSink& sink) {
          std::string out;
          if (!st->header_sent) {
            out = nlohmann::json{{"type", "header"}, {"format", "agentdraft-audit-export"},
                                 {"version", 1}, {"key", key}, {"exported_at", exported_at}}
                      .dump() + "\n";
            st->header_sent = true;
          }
          if (st->after < st->end) {
            store::AuditQuery q;  // every owner: the chain is the daemon's
            q.after_seq = st->after;
            q.limit = kExportPage;
            auto rows = engine_.store().ListAudit(q);
            if (!rows.ok() || rows->empty()) {
              spdlog::error("audit export stopped at row {}: {}", st->after,
                            rows.ok() ? "no rows" : rows.status().ToString());
              return false;
            }
            for (const store::AuditRecord& r : *rows) {
              if (r.seq > st->end) break;
              nlohmann::json j = engine::AuditEventJson(r);
              j["type"] = "row";
              out += j.dump() + "\n";
              st->after = r.seq;
              while (st->next_checkpoint < st->checkpoints.size() &&
                     st->checkpoints[st->next_checkpoint].size == r.seq) {
                nlohmann::json c = audit::Checkpointer::Json(st->checkpoints[st->next_checkpoint++], false);
                c["type"] = "checkpoint";
                out += c.dump() + "\n";
              }
            }
          } else {
            if (st->final_checkpoint) {
              nlohmann::json c = audit::Checkpointer::Json(*st->final_checkpoint, false);
              c["type"] = "checkpoint";
              out += c.dump() + "\n";
            }
            if (!out.empty() && !sink.write(out.data(), out.size())) return false;
            sink.done();
            return true;
          }
          return sink.write(out.data(), out.size());
        });
  });

  // Server-sent events: the caller's events (an agent: rows it acted in or that concern its
  // claims; the owner: every row of the calendar), resumable with Last-Event-ID.
  Get("/v1/events", [this](const httplib::Request& req, httplib::Response& res) {
    auto p = RequireAgentOrOwner(req, res, "events:read");
    if (!p) return;
    if (services_.events == nullptr) return RespondError(res, "unavailable", "no event stream here");
    int64_t after = 0;
    if (!ResumePoint(req, services_.events->head(), &after)) {
      return Respond(res, ValidationError({{"Last-Event-ID", "must be an event id (a non-negative integer)"}}));
    }
    struct State {
      int64_t after;
      bool greeted = false;
      Time last_write;
    };
    auto st = std::make_shared<State>(State{after, false, engine_.clock().Now()});
    const engine::Principal who = *p;
    res.set_header("Cache-Control", "no-store");
    res.set_header("X-Accel-Buffering", "no");
    res.set_chunked_content_provider("text/event-stream", [this, st, who](size_t, httplib::DataSink& sink) {
      auto visible = [&](const store::AuditRecord& r) {
        return r.owner_id == who.owner_id &&
               (who.is_owner() || r.actor == who.agent_id || r.subject == who.agent_id);
      };
      std::string out;
      if (!st->greeted) {
        out = "retry: 2000\n: agentdraftd events after " + std::to_string(st->after) + "\n\n";
        st->greeted = true;
      }
      if (draining_) {
        sink.done();
        return true;
      }
      bool gap = false;
      std::vector<store::AuditRecord> rows =
          services_.events->WaitAfter(st->after, std::chrono::milliseconds(out.empty() ? 1000 : 0), 500, &gap);
      if (gap) {
        // Older than the hub keeps: catch up from the store.
        store::AuditQuery q;
        q.owner_id = who.owner_id;
        if (!who.is_owner()) q.visible_to_agent = who.agent_id;
        q.after_seq = st->after;
        q.limit = 500;
        auto stored = engine_.store().ListAudit(q);
        if (!stored.ok()) return false;
        rows = std::move(*stored);
        // Rows of other calendars or agents are not returned by the store; skip ahead past
        // them when nothing visible is left before the hub's rows.
        if (rows.empty()) st->after = std::max(st->after, services_.events->head());
      }
      for (const store::AuditRecord& r : rows) {
        if (visible(r)) out += SseEvent(r);
        st->after = std::max(st->after, r.seq);
      }
      const Time now = engine_.clock().Now();
      if (out.empty() && now - st->last_write >= std::chrono::seconds(15)) out = ": keep-alive\n\n";
      if (out.empty()) return true;
      st->last_write = now;
      return sink.write(out.data(), out.size());
    });
  });
}

}  // namespace agentdraft::api
