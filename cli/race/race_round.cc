#include "cli/race/race_round.h"

#include <barrier>
#include <chrono>
#include <thread>

#include "cli/audit_check.h"

namespace agentdraft::cli {

namespace {

using std::chrono::days;
using std::chrono::hours;

std::string Query(const Slot& slot) {
  return "range_start=" + UrlEncode(slot.start) + "&range_end=" + UrlEncode(slot.end);
}

Shot ToShot(const Result<ApiResponse>& r, double latency_ms) {
  Shot shot;
  shot.latency_ms = latency_ms;
  if (!r.ok()) {
    shot.transport_error = r.status().message();
    return shot;
  }
  shot.status = r->status;
  shot.body = r->body;
  Result<nlohmann::json> j = r->Json();
  if (j.ok()) shot.json = *j;
  return shot;
}

// One agent's part of the race, on its own thread.
Shot Fire(ApiClient& client, const Slot& slot, const std::string& key, std::barrier<>& start_line) {
  const nlohmann::json body = {{"start", slot.start},
                               {"end", slot.end},
                               {"idempotency_key", key},
                               {"metadata", {{"title", "Demo race"}}}};
  (void)client.Get("/v1/agents/me");  // opens (or re-opens) the connection before the start
  start_line.arrive_and_wait();
  const auto t0 = std::chrono::steady_clock::now();
  Result<ApiResponse> r = client.Post("/v1/bookings", body);
  const auto t1 = std::chrono::steady_clock::now();
  return ToShot(r, std::chrono::duration<double, std::milli>(t1 - t0).count());
}

// Problems with the losers' answers: each should be 409 outranked naming the winner.
void JudgeLosers(const RaceRound& round, const std::vector<DemoAgent>& agents,
                 const RoundVerdict& v, std::vector<std::string>& problems) {
  for (size_t i = 0; i < round.shots.size(); ++i) {
    const Shot& s = round.shots[i];
    if (s.status == 201) continue;
    if (s.status == 0) {
      problems.push_back(agents[i].name + " got no answer: " + s.transport_error);
    } else if (s.status != 409 || StringField(s.json, "error") != "outranked") {
      const std::string error = StringField(s.json, "error");
      problems.push_back(agents[i].name + " got " + std::to_string(s.status) +
                         (error.empty() ? "" : " " + error) + " instead of 409 outranked");
    } else if (v.commits == 1 && StringField(s.json, "winning_agent_id") != agents[v.winner].agent_id) {
      problems.push_back(agents[i].name + " was told the winner is " +
                         StringField(s.json, "winning_agent_id") + ", not " + agents[v.winner].name);
    }
  }
}

// Problems with the audit trail: rows that fail the check, or not 1 commit + N-1 rejections.
void JudgeAudit(const RaceRound& round, RoundVerdict& v, std::vector<std::string>& problems) {
  const nlohmann::json& events = round.evidence.audit_events;
  v.audit_checks = CheckAuditRows(events);
  v.chain_ok = !v.audit_checks.empty();
  size_t committed = 0, rejected = 0, losers = 0;
  for (const Shot& s : round.shots) losers += s.status == 409;
  for (size_t i = 0; i < v.audit_checks.size(); ++i) {
    if (!v.audit_checks[i].empty()) {
      v.chain_ok = false;
      problems.push_back("audit row " + std::to_string(i + 1) + ": " + v.audit_checks[i]);
      continue;
    }
    committed += StringField(events[i], "kind") == "booking.committed";
    rejected += StringField(events[i], "kind") == "booking.rejected";
  }
  if (committed != 1 || rejected != losers) {
    problems.push_back("the audit trail has " + std::to_string(committed) +
                       " booking.committed and " + std::to_string(rejected) +
                       " booking.rejected rows; expected 1 and " + std::to_string(losers));
  }
}

}  // namespace

int WinningShot(const std::vector<Shot>& shots, const std::vector<DemoAgent>& agents) {
  int best = -1;
  for (size_t i = 0; i < shots.size(); ++i) {
    if (shots[i].status == 201 && (best < 0 || agents[i].priority < agents[best].priority)) {
      best = static_cast<int>(i);
    }
  }
  return best;
}

CliResult<std::vector<Slot>> FindFreeSlots(ApiClient& agent, Time now, int count) {
  constexpr int kWindows = 24;  // 30 days each: about two years ahead
  std::vector<Slot> slots;
  Time from = std::chrono::floor<days>(now) + days(1) + hours(9);
  Time free_from = from;
  for (int w = 0; w < kWindows; ++w, from += days(30)) {
    const Slot range{FormatRfc3339(from), FormatRfc3339(from + days(30))};
    Result<ApiResponse> r =
        agent.Get("/v1/availability?" + Query(range) + "&duration_minutes=30&granularity_minutes=30");
    if (!r.ok()) return ErrorFromTransport(r.status());
    Result<nlohmann::json> j = r->Json();
    if (r->status != 200 || !j.ok() || !(*j)["slots"].is_array()) {
      return ErrorFromResponse("asking for free slots", *r);
    }
    for (const nlohmann::json& s : (*j)["slots"]) {
      Result<Time> start = ParseRfc3339(StringField(s, "start"));
      Result<Time> end = ParseRfc3339(StringField(s, "end"));
      if (!start.ok() || !end.ok() || *start < free_from) continue;  // keep slots disjoint
      slots.push_back({StringField(s, "start"), StringField(s, "end")});
      free_from = *end;
      if (static_cast<int>(slots.size()) == count) return slots;
    }
  }
  return CommandError{ExitCode::kError, "only " + std::to_string(slots.size()) + " free 30-minute slots in the next " +
                                            std::to_string(kWindows * 30) + " days; " + std::to_string(count) +
                                            " rounds need " + std::to_string(count)};
}

std::vector<Shot> FireRace(std::vector<ApiClient>& clients, const Slot& slot,
                           const std::string& key_prefix) {
  std::vector<Shot> shots(clients.size());
  std::barrier<> start_line(static_cast<std::ptrdiff_t>(clients.size()));
  std::vector<std::thread> threads;
  for (size_t i = 0; i < clients.size(); ++i) {
    threads.emplace_back(
        [&, i] { shots[i] = Fire(clients[i], slot, key_prefix + std::to_string(i), start_line); });
  }
  for (std::thread& t : threads) t.join();
  return shots;
}

CliResult<Evidence> ReadEvidence(ApiClient& owner, const std::string& winning_booking,
                                 const Slot& slot) {
  Evidence evidence;
  Result<ApiResponse> audit =
      owner.Get("/v1/audit?limit=1000&resource=" + UrlEncode(winning_booking));
  if (!audit.ok()) return ErrorFromTransport(audit.status());
  Result<nlohmann::json> audit_json = audit->Json();
  if (audit->status != 200 || !audit_json.ok() || !(*audit_json)["events"].is_array()) {
    return ErrorFromResponse("reading the audit trail", *audit);
  }
  evidence.audit_events = (*audit_json)["events"];
  Result<ApiResponse> bookings =
      owner.Get("/v1/bookings?status=COMMITTED&limit=1000&" + Query(slot));
  if (!bookings.ok()) return ErrorFromTransport(bookings.status());
  Result<nlohmann::json> bookings_json = bookings->Json();
  if (bookings->status != 200 || !bookings_json.ok() || !(*bookings_json)["bookings"].is_array()) {
    return ErrorFromResponse("reading the slot's bookings", *bookings);
  }
  evidence.committed_in_slot = static_cast<int>((*bookings_json)["bookings"].size());
  return evidence;
}

RoundVerdict JudgeRound(const RaceRound& round, const std::vector<DemoAgent>& agents) {
  RoundVerdict v;
  std::vector<std::string>& problems = v.problems;
  for (const Shot& shot : round.shots) v.commits += shot.status == 201;
  v.winner = WinningShot(round.shots, agents);
  if (v.winner >= 0) v.winning_booking = StringField(round.shots[v.winner].json, "booking_id");
  const DemoAgent& top = agents[TopRanked(agents)];
  if (v.commits == 0) problems.push_back("no agent got a 201");
  if (v.commits > 1)
    problems.push_back(std::to_string(v.commits) + " agents got a 201 for one slot");
  if (v.commits == 1 && agents[v.winner].name != top.name) {
    problems.push_back("the 201 went to " + agents[v.winner].name + " (priority " +
                       std::to_string(agents[v.winner].priority) + "), not to the top-ranked " +
                       top.name);
  }
  JudgeLosers(round, agents, v, problems);
  if (round.evidence.committed_in_slot == 0 && v.commits > 0) {
    problems.push_back("GET /v1/bookings shows no committed booking in the slot");
  }
  if (round.evidence.committed_in_slot > 1) {
    problems.push_back("the daemon holds " + std::to_string(round.evidence.committed_in_slot) +
                       " committed bookings in the slot (a double booking)");
  }
  if (v.winner >= 0) JudgeAudit(round, v, problems);
  return v;
}

std::string StringField(const nlohmann::json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

}  // namespace agentdraft::cli
