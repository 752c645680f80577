#include "tests/history/checkers.h"

#include <algorithm>
#include <set>
#include <sstream>

namespace agentdraft::testing::history {

namespace {

bool IsClaimOp(const Op& op) {
  return op.kind == OpKind::kCommit || op.kind == OpKind::kConvert || op.kind == OpKind::kHold;
}
bool IsBookingOp(const Op& op) { return op.kind == OpKind::kCommit || op.kind == OpKind::kConvert; }

Time TimeField(const nlohmann::json& j, const char* field) {
  if (!j.is_object() || !j.contains(field) || !j[field].is_string()) return Time{};
  auto t = ParseRfc3339(j[field].get<std::string>());
  return t.ok() ? *t : Time{};
}

bool Overlaps(Time a0, Time a1, Time b0, Time b1) { return a0 < b1 && b0 < a1; }

std::string Ids(const std::string& a, const std::string& b) { return a + " and " + b; }

// The first op of the retry chain `op` belongs to (an `info` op and its retries).
const Op& ChainRoot(const std::vector<Op>& ops, const Op& op) {
  const Op* o = &op;
  while (o->retry_of >= 0 && !o->replay) o = &ops[o->retry_of];
  return *o;
}

// Ids of bookings an ok reply lists under `field` ("evicted_booking_ids", …).
std::vector<std::string> IdList(const Op& op, const char* field) {
  std::vector<std::string> out;
  if (op.outcome != Outcome::kOk || !op.response_json.is_object()) return out;
  auto it = op.response_json.find(field);
  if (it == op.response_json.end() || !it->is_array()) return out;
  for (const auto& id : *it) {
    if (id.is_string()) out.push_back(id.get<std::string>());
  }
  return out;
}

// Checks a set of intervals for overlaps; adds one violation per overlapping pair found.
void OverlapsAmong(std::vector<std::tuple<Time, Time, std::string>> spans, const std::string& where,
                   Violations* out) {
  std::sort(spans.begin(), spans.end());
  for (size_t i = 0; i < spans.size(); ++i) {
    for (size_t j = i + 1; j < spans.size() && std::get<0>(spans[j]) < std::get<1>(spans[i]); ++j) {
      out->push_back(where + ": " + Ids(std::get<2>(spans[i]), std::get<2>(spans[j])) +
                     " share a bucket ([" + FormatRfc3339(std::get<0>(spans[i])) + ", " +
                     FormatRfc3339(std::get<1>(spans[i])) + ") and [" +
                     FormatRfc3339(std::get<0>(spans[j])) + ", " +
                     FormatRfc3339(std::get<1>(spans[j])) + "))");
    }
  }
}

}  // namespace

// C1: committed bookings and unexpired holds never share a bucket, in the final state and in
// any read.
Violations CheckNoOverlap(const std::vector<Op>& ops, const FinalState& s) {
  Violations out;
  std::map<std::string, std::vector<std::tuple<Time, Time, std::string>>> by_owner;
  for (const auto& [id, c] : s.claims) {
    const bool live = (c.kind == "booking" && c.state == "COMMITTED") ||
                      (c.kind == "hold" && c.state == "HELD" && c.expires_at > s.collected_at);
    if (live) by_owner[c.owner_id].emplace_back(c.start, c.end, id);
  }
  for (auto& [owner, spans] : by_owner) OverlapsAmong(spans, "final state of " + owner, &out);
  for (const Op& op : ops) {
    if (op.kind != OpKind::kRead || op.outcome != Outcome::kOk) continue;
    std::vector<std::tuple<Time, Time, std::string>> spans;
    for (const auto& b : op.response_json.value("bookings", nlohmann::json::array())) {
      if (b.value("status", "") != "COMMITTED") continue;
      spans.emplace_back(TimeField(b, "start"), TimeField(b, "end"), b.value("booking_id", ""));
    }
    OverlapsAmong(spans, op.Describe(), &out);
  }
  return out;
}

// C2: every acknowledged booking or hold is in the final state; a booking that is not
// COMMITTED was cancelled by a cancel we sent or evicted (C8 judges the eviction).
Violations CheckNoLostAck(const std::vector<Op>& ops, const FinalState& s) {
  Violations out;
  std::set<std::string> cancel_sent;
  for (const Op& op : ops) {
    if (op.kind == OpKind::kCancel && op.outcome != Outcome::kFail) cancel_sent.insert(op.target_id);
  }
  for (const Op& op : ops) {
    const std::string id = op.CreatedId();
    if (id.empty()) continue;
    auto it = s.claims.find(id);
    if (it == s.claims.end()) {
      out.push_back(op.Describe() + ": acknowledged " + id + " is not in the final state");
      continue;
    }
    const StoredClaim& c = it->second;
    if (c.kind == "hold") continue;  // a hold may end in many legal ways (C9 judges expiry)
    if (c.state == "COMMITTED" || c.state == "EVICTED") continue;
    if (c.state == "CANCELLED" && cancel_sent.count(id)) continue;
    out.push_back(op.Describe() + ": acknowledged " + id + " is " + c.state + " with no cancel sent");
  }
  return out;
}

// C3: every booking in the final state traces to a commit whose outcome was ok or info.
Violations CheckNoPhantom(const std::vector<Op>& ops, const FinalState& s) {
  Violations out;
  std::set<std::string> created;
  std::map<std::pair<std::string, std::string>, bool> key_possible;  // (agent, key) → ok/info seen
  for (const Op& op : ops) {
    if (!IsClaimOp(op)) continue;
    const std::string id = op.CreatedId();
    if (!id.empty()) created.insert(id);
    if (op.idempotency_key.empty()) continue;
    bool& possible = key_possible[{op.agent_id, op.idempotency_key}];
    possible = possible || op.outcome == Outcome::kOk || op.outcome == Outcome::kInfo;
  }
  for (const auto& [id, c] : s.claims) {
    if (created.count(id)) continue;
    auto it = key_possible.find({c.agent_id, c.idempotency_key});
    if (it == key_possible.end()) {
      out.push_back(c.kind + " " + id + " of " + c.agent_id + " (key \"" + c.idempotency_key +
                    "\") traces to no request at all");
    } else if (!it->second) {
      out.push_back(c.kind + " " + id + " of " + c.agent_id + " (key \"" + c.idempotency_key +
                    "\") exists though every request with its key was refused");
    }
  }
  return out;
}

// C4: per (agent, key) at most one claim id across all 2xx replies; a replay of an ok request
// returns the same status and body.
Violations CheckIdempotency(const std::vector<Op>& ops, const FinalState& s) {
  Violations out;
  std::map<std::pair<std::string, std::string>, std::map<std::string, int64_t>> ids;
  for (const Op& op : ops) {
    const std::string id = op.CreatedId();
    if (id.empty() || op.idempotency_key.empty()) continue;
    ids[{op.agent_id, op.idempotency_key}].emplace(id, op.index);
  }
  for (const auto& [k, m] : ids) {
    if (m.size() <= 1) continue;
    std::string list;
    for (const auto& [id, index] : m) list += " " + id + " (op " + std::to_string(index) + ")";
    out.push_back("agent " + k.first + " key " + k.second + " got " + std::to_string(m.size()) +
                  " different ids:" + list);
  }
  // Two claims in the file with one (agent, key) is the same failure, seen from the store.
  std::map<std::pair<std::string, std::string>, std::vector<std::string>> stored;
  for (const auto& [id, c] : s.claims) {
    if (!c.idempotency_key.empty()) stored[{c.agent_id, c.idempotency_key}].push_back(id);
  }
  for (const auto& [k, list] : stored) {
    if (list.size() > 1) {
      out.push_back("agent " + k.first + " key " + k.second + " has " + std::to_string(list.size()) +
                    " claims in the final state: " + list[0] + ", " + list[1]);
    }
  }
  for (const Op& op : ops) {
    if (!op.replay || op.outcome == Outcome::kInfo) continue;
    const Op& original = ops[op.retry_of];
    if (op.status != original.status || op.response_json != original.response_json) {
      out.push_back(op.Describe() + ": replay answered " + std::to_string(op.status) + " " +
                    op.response.substr(0, 200) + " where the original (op " +
                    std::to_string(original.index) + ") answered " + std::to_string(original.status));
    }
  }
  return out;
}

// C5: retrying an `info` request with its key returns its claim or creates it, never a 409
// against itself; and every `info` chain resolves.
Violations CheckIndeterminateResolves(const std::vector<Op>& ops, const FinalState& s) {
  Violations out;
  std::map<int64_t, const Op*> last_of_chain;  // root index → last op of its chain
  for (const Op& op : ops) {
    if (!IsClaimOp(op) || op.replay) continue;
    const Op& root = ChainRoot(ops, op);
    if (root.index == op.index && op.outcome != Outcome::kInfo) continue;
    last_of_chain[root.index] = &op;  // ops are in invoke order: the last one wins
  }
  std::map<std::pair<std::string, std::string>, std::string> stored;
  for (const auto& [id, c] : s.claims) {
    if (!c.idempotency_key.empty()) stored[{c.agent_id, c.idempotency_key}] = id;
  }
  for (const auto& [root, last] : last_of_chain) {
    if (last->outcome == Outcome::kInfo || last->outcome == Outcome::kPending) {
      out.push_back(ops[root].Describe() + ": never resolved (last try " + last->Describe() + ")");
      continue;
    }
    if (last->outcome != Outcome::kFail) continue;
    auto it = stored.find({last->agent_id, last->idempotency_key});
    if (it != stored.end()) {
      out.push_back(last->Describe() + ": refused (" + last->response.substr(0, 160) +
                    ") though its own claim " + it->second + " exists with that key");
    }
  }
  return out;
}

// C6: after A's 201, an overlapping B gets 201 only as a legal eviction of A (or after A
// ended); a read issued after A's 201 contains A while A stands.
Violations CheckRealTimeOrder(const std::vector<Op>& ops, const FinalState& s) {
  Violations out;
  struct Acked {
    const Op* op;
    std::string id;
    Time start, end;
  };
  std::map<std::string, std::vector<Acked>> by_owner;
  std::map<std::string, const Op*> first_ack;  // booking id → the first ok op naming it
  for (const Op& op : ops) {
    if (!IsBookingOp(op)) continue;
    const std::string id = op.CreatedId();
    if (id.empty() || first_ack.count(id)) continue;
    first_ack[id] = &op;
    by_owner[op.owner_id].push_back({&op, id, TimeField(op.response_json, "start"),
                                     TimeField(op.response_json, "end")});
  }
  auto ended_before = [&](const std::string& id, Time t) {
    auto it = s.claims.find(id);
    return it != s.claims.end() && it->second.ended && it->second.ended_at <= t;
  };
  for (auto& [owner, acked] : by_owner) {
    for (const Acked& b : acked) {
      const Op& b_root = ChainRoot(ops, *b.op);
      auto bc = s.claims.find(b.id);
      const Time b_created = bc == s.claims.end() ? b.op->completed_wall : bc->second.created_at;
      const std::vector<std::string> evicted = IdList(*b.op, "evicted_booking_ids");
      for (const Acked& a : acked) {
        if (a.id == b.id || !Overlaps(a.start, a.end, b.start, b.end)) continue;
        if (!(a.op->completed < b_root.invoked)) continue;
        if (std::find(evicted.begin(), evicted.end(), a.id) != evicted.end()) continue;
        if (ended_before(a.id, b_created + std::chrono::milliseconds(1))) continue;
        out.push_back(b.op->Describe() + " got " + b.id + " over " + a.id + " acknowledged before it (" +
                      a.op->Describe() + "), not as an eviction");
      }
    }
  }
  // Reads: an agent's read of its bookings in a range, issued after its own A was
  // acknowledged, lists A unless A ended before the read completed.
  std::map<std::string, std::vector<Acked>> by_agent;
  for (auto& [owner, acked] : by_owner) {
    for (const Acked& a : acked) by_agent[a.op->agent_id].push_back(a);
  }
  for (const Op& r : ops) {
    if (r.kind != OpKind::kRead || r.outcome != Outcome::kOk) continue;
    const Time rs = TimeField(r.request, "range_start"), re = TimeField(r.request, "range_end");
    std::set<std::string> seen;
    for (const auto& b : r.response_json.value("bookings", nlohmann::json::array())) {
      seen.insert(b.value("booking_id", ""));
    }
    for (const Acked& a : by_agent[r.agent_id]) {
      if (!(a.op->completed < r.invoked) || !Overlaps(a.start, a.end, rs, re)) continue;
      if (seen.count(a.id) || ended_before(a.id, r.completed_wall)) continue;
      out.push_back(r.Describe() + " does not list " + a.id + " acknowledged before it (" +
                    a.op->Describe() + ")");
    }
  }
  return out;
}

// C7: the chain verifies (the export, offline, with its checkpoints), no seq gaps, every
// (audit_id, hash) in a 201 is in the final chain, and every claim has its rows.
Violations CheckAudit(const std::vector<Op>& ops, const FinalState& s) {
  Violations out;
  for (const std::string& p : s.export_problems) out.push_back("audit export: " + p);
  int64_t expected = 1;
  for (const auto& [seq, hash] : s.audit_hash) {
    if (seq != expected) {
      out.push_back("audit seq gap: row " + std::to_string(expected) + " missing before " +
                    std::to_string(seq));
    }
    expected = seq + 1;
  }
  // The export is taken before the clean stop, so the store may end with rows written after
  // it, but only the sweeper's (holds expiring on their own); anything else is a row the
  // export should have had.
  if (s.export_rows > static_cast<int64_t>(s.audit_hash.size())) {
    out.push_back("the export has " + std::to_string(s.export_rows) + " rows, the store only " +
                  std::to_string(s.audit_hash.size()));
  }
  for (size_t i = static_cast<size_t>(std::max<int64_t>(s.export_rows, 0)); i < s.audit_rows.size(); ++i) {
    if (s.audit_rows[i].first != "hold.expired") {
      out.push_back("row " + std::to_string(i + 1) + " (" + s.audit_rows[i].first + " " + s.audit_rows[i].second +
                    ") is in the store but not in the export taken before the stop");
    }
  }
  if (s.checkpoints == 0) out.push_back("no signed checkpoint in the store");
  for (const Op& op : ops) {
    if (op.outcome != Outcome::kOk || !IsClaimOp(op) || !op.response_json.contains("audit_id")) continue;
    const int64_t seq = op.response_json["audit_id"].get<int64_t>();
    const std::string hash = op.response_json.value("audit_hash", "");
    auto it = s.audit_hash.find(seq);
    if (it == s.audit_hash.end()) {
      out.push_back(op.Describe() + ": its audit row " + std::to_string(seq) + " is not in the chain");
    } else if (it->second != hash) {
      out.push_back(op.Describe() + ": audit row " + std::to_string(seq) + " has another hash than the 201 gave");
    }
  }
  std::set<std::pair<std::string, std::string>> rows(s.audit_rows.begin(), s.audit_rows.end());
  for (const auto& [id, c] : s.claims) {
    std::vector<std::string> kinds;
    if (c.kind == "booking") {
      kinds.push_back("booking.committed");
      if (c.state == "CANCELLED") kinds.push_back("booking.cancelled");
      if (c.state == "EVICTED") kinds.push_back("booking.evicted");
    } else {
      kinds.push_back("hold.created");
      if (c.state != "HELD") {
        std::string lower = c.state;
        std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
        kinds.push_back("hold." + lower);
      }
    }
    for (const std::string& k : kinds) {
      if (!rows.count({k, id})) out.push_back(c.kind + " " + id + " (" + c.state + ") has no " + k + " row");
    }
  }
  return out;
}

// C8: an evicted booking was evicted by a booking whose agent outranks its own, within its
// bump window.
Violations CheckLegalEvictions(const std::vector<Op>&, const FinalState& s) {
  Violations out;
  for (const auto& [id, v] : s.claims) {
    if (v.state != "EVICTED") continue;
    auto e = s.claims.find(v.ended_by);
    if (e == s.claims.end()) {
      out.push_back(id + " was evicted by " + v.ended_by + ", which is not in the final state");
      continue;
    }
    const StoredAgent& victim = s.agents.at(v.agent_id);
    const StoredAgent& evictor = s.agents.at(e->second.agent_id);
    if (!(evictor.priority < victim.priority)) {
      out.push_back(id + " (" + victim.name + ", priority " + std::to_string(victim.priority) +
                    ") was evicted by " + e->first + " of " + evictor.name + ", priority " +
                    std::to_string(evictor.priority));
    }
    auto w = s.bump_window.find(v.owner_id);
    if (w != s.bump_window.end() && v.ended_at - v.created_at > w->second) {
      out.push_back(id + " was evicted " +
                    std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(v.ended_at - v.created_at).count()) +
                    " ms after it was made, past the bump window");
    }
  }
  return out;
}

// C9: no hold blocks anyone after its expires_at; converting an expired hold fails.
Violations CheckHolds(const std::vector<Op>& ops, const FinalState& s) {
  Violations out;
  constexpr auto kSlack = std::chrono::milliseconds(5);  // response times are in milliseconds
  for (const Op& op : ops) {
    if (op.status == 409 && op.response_json.is_object() && op.response_json.value("reason", "") == "held") {
      const std::string hold = op.response_json.value("winning_booking_id", "");
      auto h = s.claims.find(hold);
      if (h != s.claims.end() && op.invoked_wall > h->second.expires_at + kSlack) {
        out.push_back(op.Describe() + ": blocked by hold " + hold + " which expired at " +
                      FormatRfc3339(h->second.expires_at) + ", before the request was sent");
      }
    }
    if (op.replay) continue;  // a replay answers with the original's body
    for (const std::string& hold : IdList(op, "converted_hold_ids")) {
      auto h = s.claims.find(hold);
      if (h != s.claims.end() && op.invoked_wall > h->second.expires_at + kSlack &&
          ChainRoot(ops, op).invoked_wall > h->second.expires_at + kSlack) {
        out.push_back(op.Describe() + ": converted hold " + hold + " that expired at " +
                      FormatRfc3339(h->second.expires_at));
      }
    }
  }
  for (const auto& [id, c] : s.claims) {
    if (c.kind == "hold" && c.state == "CONVERTED" && c.ended && c.ended_at > c.expires_at) {
      out.push_back("hold " + id + " was converted at " + FormatRfc3339(c.ended_at) +
                    ", after it expired at " + FormatRfc3339(c.expires_at));
    }
  }
  return out;
}

// Booked minutes per calendar in the final read equal the minutes of acknowledged commits
// that no acknowledged cancel or eviction removed (plus bookings of requests whose outcome
// stayed unknown, which may or may not have happened).
Violations CheckConservation(const std::vector<Op>& ops, const FinalState& s) {
  Violations out;
  std::map<std::string, std::pair<std::string, int64_t>> alive;  // id → (owner, minutes)
  std::set<std::string> removed;
  for (const Op& op : ops) {
    if (op.kind == OpKind::kCancel && op.outcome == Outcome::kOk) removed.insert(op.target_id);
    for (const std::string& id : IdList(op, "evicted_booking_ids")) removed.insert(id);
    if (!IsBookingOp(op)) continue;
    const std::string id = op.CreatedId();
    if (id.empty()) continue;
    const auto minutes = std::chrono::duration_cast<std::chrono::minutes>(
        TimeField(op.response_json, "end") - TimeField(op.response_json, "start")).count();
    alive[id] = {op.owner_id, minutes};
  }
  std::map<std::string, int64_t> expected, actual;
  for (const auto& [id, v] : alive) {
    if (!removed.count(id)) expected[v.first] += v.second;
  }
  for (const auto& [owner, bookings] : s.api_committed) {
    for (const auto& [id, span] : bookings) {
      const int64_t minutes = std::chrono::duration_cast<std::chrono::minutes>(span.second - span.first).count();
      actual[owner] += minutes;
      if (!alive.count(id)) expected[owner] += minutes;  // an unresolved request's booking
    }
  }
  std::set<std::string> owners;
  for (const auto& [o, m] : expected) owners.insert(o);
  for (const auto& [o, m] : actual) owners.insert(o);
  for (const std::string& o : owners) {
    if (expected[o] != actual[o]) {
      out.push_back("calendar " + o + ": " + std::to_string(actual[o]) + " booked minutes in the final read, " +
                    std::to_string(expected[o]) + " acknowledged and not removed");
    }
  }
  return out;
}

Violations CheckStoreAgreement(const std::vector<Op>&, const FinalState& s) {
  Violations out = s.api_problems;
  if (s.store == "sqlite" && s.integrity != "ok") out.push_back("PRAGMA integrity_check: " + s.integrity);
  std::map<std::string, std::map<std::string, std::pair<Time, Time>>> file;
  for (const auto& [id, c] : s.claims) {
    if (c.kind == "booking" && c.state == "COMMITTED") file[c.owner_id][id] = {c.start, c.end};
  }
  for (const auto& [owner, api] : s.api_committed) {
    const auto& f = file[owner];
    for (const auto& [id, span] : api) {
      auto it = f.find(id);
      if (it == f.end()) out.push_back("the API lists " + id + " as COMMITTED; the file does not");
      else if (it->second != span) out.push_back(id + ": the API and the file disagree on its times");
    }
    for (const auto& [id, span] : f) {
      if (!api.count(id)) out.push_back("the file has " + id + " COMMITTED; the API does not list it");
    }
  }
  return out;
}

std::vector<std::pair<std::string, Violations>> CheckAll(const std::vector<Op>& ops, const FinalState& s) {
  return {{"C1", CheckNoOverlap(ops, s)},
          {"C2", CheckNoLostAck(ops, s)},
          {"C3", CheckNoPhantom(ops, s)},
          {"C4", CheckIdempotency(ops, s)},
          {"C5", CheckIndeterminateResolves(ops, s)},
          {"C6", CheckRealTimeOrder(ops, s)},
          {"C7", CheckAudit(ops, s)},
          {"C8", CheckLegalEvictions(ops, s)},
          {"C9", CheckHolds(ops, s)},
          {"conservation", CheckConservation(ops, s)},
          {"store", CheckStoreAgreement(ops, s)}};
}

std::string Report(const std::vector<std::pair<std::string, Violations>>& results, int examples) {
  std::ostringstream s;
  for (const auto& [name, v] : results) s << name << "=" << v.size() << " ";
  for (const auto& [name, v] : results) {
    for (int i = 0; i < examples && i < static_cast<int>(v.size()); ++i) {
      s << "\n  " << name << ": " << v[i];
    }
  }
  return s.str();
}

size_t CountOf(const std::vector<std::pair<std::string, Violations>>& results, const std::string& name) {
  for (const auto& [n, v] : results) {
    if (n == name) return v.size();
  }
  return 0;
}

}  // namespace agentdraft::testing::history
