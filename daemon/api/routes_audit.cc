// The audit log: its rows (GET /v1/audit), checkpoint and (per-owner) export.
#include <spdlog/spdlog.h>

#include "daemon/api/request_parser.h"
#include "daemon/api/server.h"
#include "daemon/audit/checkpointer.h"
#include "daemon/engine/views.h"

namespace agentdraft::api {

// One export as it streams (docs/audit.md, "Export").
struct ExportStream {
  std::string owner_id;  // whose rows are written in full
  std::string key;       // this daemon's public key
  std::string exported_at;
  bool header_sent = false;
  int64_t after = 0;  // the last row written
  int64_t end = 0;    // the last row to write: the final checkpoint's size
  std::string head;   // the hash of row `end`
  size_t next_checkpoint = 0;
  std::vector<store::CheckpointRecord> checkpoints;  // stored ones, by size
  std::optional<store::CheckpointRecord> final_checkpoint;
  OwnerRowsDigest own_rows;  // of the rows written in full
};

namespace {
constexpr int kExportPage = 1000;

std::string CheckpointLine(const store::CheckpointRecord& c) {
  nlohmann::json j = audit::Checkpointer::Json(c, /*with_text=*/false);
  j["type"] = "checkpoint";
  return j.dump() + "\n";
}

std::string ExportHeader(const ExportStream& st) {
  return nlohmann::json{{"type", "header"},
                        {"format", "agentdraft-audit-export"},
                        {"version", 1},
                        {"key", st.key},
                        {"exported_at", st.exported_at}}
             .dump() +
         "\n";
}

// A row of the owner in full; another owner's as a link that says nothing but its place in
// the chain. Then the stored checkpoints of this size.
void AppendExportRow(ExportStream& st, const store::AuditRecord& r, std::string* out) {
  nlohmann::json j;
  if (r.owner_id == st.owner_id) {
    j = engine::AuditEventJson(r);
    j["type"] = "row";
    st.own_rows.Add(r.hash);
  } else {
    j = {{"type", "link"}, {"seq", r.seq}, {"prev_hash", r.prev_hash}, {"hash", r.hash}};
  }
  *out += j.dump() + "\n";
  st.after = r.seq;
  while (st.next_checkpoint < st.checkpoints.size() &&
         st.checkpoints[st.next_checkpoint].size == r.seq) {
    *out += CheckpointLine(st.checkpoints[st.next_checkpoint++]);
  }
}

// The next page of rows (every owner's: the chain is the daemon's). False when the store
// fails or ends before the final checkpoint's size.
bool ExportPage(engine::Engine& engine, ExportStream& st, std::string* out) {
  auto rows = engine.ListChain(st.after, kExportPage);
  if (!rows.ok() || rows->empty()) {
    spdlog::error("audit export stopped at row {}: {}", st.after,
                  rows.ok() ? "no rows" : rows.status().ToString());
    return false;
  }
  for (const store::AuditRecord& r : *rows) {
    if (r.seq > st.end) break;
    AppendExportRow(st, r, out);
  }
  return true;
}

// The checkpoint signed for the export, then the owner statement over every row written.
std::string ExportEnd(const ExportStream& st, const audit::Checkpointer& signer) {
  std::string out;
  if (st.final_checkpoint) out += CheckpointLine(*st.final_checkpoint);
  OwnerStatement statement;
  statement.owner = st.owner_id;
  statement.size = st.end;
  statement.head = st.head;
  statement.rows = st.own_rows.rows();
  statement.rows_digest = st.own_rows.Hex();
  nlohmann::json j = audit::Checkpointer::Json(signer.SignOwnerStatement(std::move(statement)));
  j["type"] = "owner_statement";
  return out + j.dump() + "\n";
}

// The stored checkpoints of this daemon's key up to the export's end (the final one apart).
void KeepExportCheckpoints(ExportStream& st, std::vector<store::CheckpointRecord> checkpoints) {
  for (auto& c : checkpoints) {
    // Only this daemon's: the export names one key. (On DynamoDB other daemons sign the
    // same chain with their own keys; their exports carry those.)
    if (c.size <= st.end && c.key_hex == st.key) st.checkpoints.push_back(std::move(c));
  }
  if (st.final_checkpoint && !st.checkpoints.empty() && st.checkpoints.back().size == st.end) {
    st.checkpoints.pop_back();
  }
}
}  // namespace

void ApiServer::ListAudit(const Request& req, const Caller& caller, Response& res) {
  store::AuditQuery q;
  if (req.has_param("resource")) q.resource = req.get_param_value("resource");
  if (req.has_param("kind")) q.kind = req.get_param_value("kind");
  ApiError error;
  std::optional<int64_t> after = 0, limit = 100;
  if (req.has_param("after")) after = ParseIntParam("after", req.get_param_value("after"), 0, INT64_MAX, &error);
  if (after && req.has_param("limit")) {
    limit = ParseIntParam("limit", req.get_param_value("limit"), 1, kMaxListLimit, &error);
  }
  if (!after || !limit) return RespondError(res, error);
  q.after_seq = *after;
  q.limit = static_cast<int>(*limit);
  auto rows = engine_.ListAudit(caller, std::move(q));
  if (!rows.ok()) return RespondError(res, ApiError::FromStatus(rows.status()));
  nlohmann::json events = nlohmann::json::array();
  for (const store::AuditRecord& r : *rows) events.push_back(engine::AuditEventJson(r));
  RespondJson(res, 200, {{"events", std::move(events)}});
}

void ApiServer::GetCheckpoint(const Request&, const Caller&, Response& res) {
  if (services_.checkpointer == nullptr) return RespondError(res, {"unavailable", "no checkpoints here"});
  // Several daemons sign one chain, each with its own key: a shared store answers with this
  // daemon's signature of the store's head (below), so `key` is always this daemon's.
  const bool shared = engine_.SharedStore();
  auto latest = shared ? Result<std::optional<store::CheckpointRecord>>(std::nullopt)
                       : services_.checkpointer->Latest();
  if (!latest.ok()) return RespondError(res, {"unavailable", latest.status().message()});
  if (!*latest) {
    // Nothing signed yet: sign the head now if there is one, so the key always has a use.
    auto signed_now = services_.checkpointer->SignHead();
    if (signed_now.ok()) {
      *latest = *signed_now;
    } else if (shared && signed_now.status().code() != StatusCode::kNotFound) {
      return RespondError(res, {"unavailable", signed_now.status().message()});
    }
  }
  RespondJson(res, 200,
              *latest ? audit::Checkpointer::Json(**latest, /*with_text=*/true)
                      : nlohmann::json{{"size", 0}, {"key", services_.checkpointer->public_key_hex()}});
}

// The chain as the owner sees it, as JSON lines (docs/audit.md): its own rows in full, other
// owners' rows as links, ending with a checkpoint signed now and the owner statement.
void ApiServer::ExportAudit(const Request&, const Caller& caller, Response& res) {
  if (services_.checkpointer == nullptr) return RespondError(res, {"unavailable", "no checkpoints here"});
  auto final_checkpoint = services_.checkpointer->SignHead();
  if (!final_checkpoint.ok() && final_checkpoint.status().code() != StatusCode::kNotFound) {
    return RespondError(res, {"unavailable", final_checkpoint.status().message()});
  }
  auto checkpoints = engine_.ListCheckpoints();
  if (!checkpoints.ok()) return RespondError(res, {"unavailable", checkpoints.status().message()});
  auto st = std::make_shared<ExportStream>();
  st->owner_id = caller.owner_id;
  st->key = services_.checkpointer->public_key_hex();
  st->exported_at = audit::Checkpointer::TimeText(engine_.clock().Now());
  st->end = final_checkpoint.ok() ? final_checkpoint->size : 0;
  st->head = final_checkpoint.ok() ? final_checkpoint->head : std::string(64, '0');
  if (final_checkpoint.ok()) st->final_checkpoint = *final_checkpoint;
  KeepExportCheckpoints(*st, std::move(*checkpoints));
  res.set_header("Content-Disposition", "attachment; filename=\"agentdraft-audit.jsonl\"");
  res.set_chunked_content_provider("application/x-ndjson", [this, st](size_t, httplib::DataSink& sink) {
    return WriteExport(*st, sink);
  });
}

// One chunk of an export: the header, then a page of rows at a time, then its end.
bool ApiServer::WriteExport(ExportStream& st, httplib::DataSink& sink) {
  std::string out;
  if (!st.header_sent) {
    out = ExportHeader(st);
    st.header_sent = true;
  }
  if (st.after < st.end) {
    if (!ExportPage(engine_, st, &out)) return false;
    return sink.write(out.data(), out.size());
  }
  out += ExportEnd(st, *services_.checkpointer);
  if (!sink.write(out.data(), out.size())) return false;
  sink.done();
  return true;
}

}  // namespace agentdraft::api
