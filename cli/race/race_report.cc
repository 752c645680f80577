#include "cli/race/race_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <numeric>

#include "cli/table.h"
#include "cli/terminal.h"

namespace agentdraft::cli {

namespace {

std::string Milliseconds(double ms) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f ms", ms);
  return text;
}

// Agent ids (and the owner's user id) → names, for the "told" column and audit actors.
std::map<std::string, std::string> NamesById(const std::vector<DemoAgent>& agents,
                                             const std::string& user_id) {
  std::map<std::string, std::string> names;
  for (const DemoAgent& a : agents) names[a.agent_id] = a.name;
  if (!user_id.empty()) names[user_id] = "owner";
  return names;
}

std::string NameOf(const std::map<std::string, std::string>& names, const std::string& id) {
  auto it = names.find(id);
  return it != names.end() ? it->second : id;
}

Color OutcomeColor(const Shot& shot) {
  if (shot.status == 201) return Color::kGreen;
  if (shot.status == 409) return Color::kYellow;
  return Color::kRed;
}

void PrintShots(std::ostream& out, const RaceRound& round, const std::vector<DemoAgent>& agents,
                const std::map<std::string, std::string>& names, bool color) {
  Table table({{"rank", Align::kRight},
               {"agent"},
               {"outcome"},
               {"latency", Align::kRight},
               {"winner named in the 409"}});
  for (size_t i : ByRank(agents)) {
    const Shot& shot = round.shots[i];
    const std::string told = StringField(shot.json, "winning_agent_id");
    table.AddRow({std::to_string(agents[i].priority), agents[i].name,
                  Paint(Outcome(shot), OutcomeColor(shot), color), Milliseconds(shot.latency_ms),
                  told.empty() ? "" : NameOf(names, told)});
  }
  table.Print(out, "  ");
}

void PrintAudit(std::ostream& out, const RaceRound& round, const RoundVerdict& verdict,
                const std::map<std::string, std::string>& names, bool color) {
  const nlohmann::json& events = round.evidence.audit_events;
  out << "  audit trail (GET /v1/audit?resource=" << verdict.winning_booking << "):\n";
  Table table({{"seq", Align::kRight}, {"kind"}, {"actor"}, {"hash"}, {"check"}});
  for (size_t i = 0; i < verdict.audit_checks.size(); ++i) {
    const nlohmann::json& e = events[i];
    const std::string& check = verdict.audit_checks[i];
    table.AddRow({e.contains("seq") ? e["seq"].dump() : "?", StringField(e, "kind"),
                  NameOf(names, StringField(e, "actor")), StringField(e, "hash").substr(0, 12),
                  check.empty() ? "ok" : Paint(check, Color::kRed, color)});
  }
  table.Print(out, "    ");
  if (verdict.chain_ok) {
    out << "  chain ok: " << events.size()
        << " rows, each hash recomputed from prev_hash and the row's canonical JSON\n";
  }
}

void PrintVerdict(std::ostream& out, const RaceRound& round, const RoundVerdict& verdict,
                  const std::vector<DemoAgent>& agents, bool color) {
  if (verdict.ok()) {
    const int doubles = std::max(0, round.evidence.committed_in_slot - 1);
    out << "  "
        << Paint("exactly one 201, from the top-ranked agent (" + agents[verdict.winner].name +
                     ") — " + std::to_string(doubles) + " double bookings",
                 Color::kGreen, color)
        << "\n";
    return;
  }
  for (const std::string& problem : verdict.problems) {
    out << "  " << Paint("✗ " + problem, Color::kRed, color) << "\n";
  }
}

nlohmann::json RowChecksJson(const std::vector<std::string>& checks) {
  nlohmann::json out = nlohmann::json::array();
  for (const std::string& c : checks) out.push_back(c.empty() ? "ok" : c);
  return out;
}

}  // namespace

std::string Outcome(const Shot& shot) {
  if (shot.status == 0) return "no answer";
  if (shot.status == 201) return "201 committed";
  std::string reason = StringField(shot.json, "reason");
  if (reason.empty()) reason = StringField(shot.json, "error");
  return std::to_string(shot.status) + (reason.empty() ? "" : " " + reason);
}

std::string DescribeSlot(const Slot& slot) {
  if (slot.start.size() < 16 || slot.end.size() < 16) return slot.start + " – " + slot.end;
  const bool same_day = slot.start.compare(0, 10, slot.end, 0, 10) == 0;
  return slot.start.substr(0, 10) + " " + slot.start.substr(11, 5) + "–" +
         (same_day ? "" : slot.end.substr(0, 10) + " ") + slot.end.substr(11, 5) + " UTC";
}

std::vector<size_t> ByRank(const std::vector<DemoAgent>& agents) {
  std::vector<size_t> order(agents.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t x, size_t y) { return agents[x].priority < agents[y].priority; });
  return order;
}

void PrintRound(std::ostream& out, const RaceRound& round, const RoundVerdict& verdict,
                const std::vector<DemoAgent>& agents, const std::string& user_id, int rounds,
                bool color) {
  const auto names = NamesById(agents, user_id);
  out << "\n"
      << Paint("round " + std::to_string(round.number) + " of " + std::to_string(rounds) +
                   " · slot " + DescribeSlot(round.slot),
               Color::kBold, color)
      << "\n";
  PrintShots(out, round, agents, names, color);
  if (verdict.winner >= 0) {
    const DemoAgent& w = agents[verdict.winner];
    out << "  winner: " << w.name << " (rank " << w.priority << "), booking "
        << verdict.winning_booking << "\n";
    PrintAudit(out, round, verdict, names, color);
  }
  PrintVerdict(out, round, verdict, agents, color);
}

nlohmann::json RoundJson(const RaceRound& round, const RoundVerdict& verdict,
                         const std::vector<DemoAgent>& agents) {
  nlohmann::json attempts = nlohmann::json::array();
  for (size_t i : ByRank(agents)) {
    const Shot& s = round.shots[i];
    nlohmann::json a = {{"agent", agents[i].name},
                        {"agent_id", agents[i].agent_id},
                        {"priority", agents[i].priority},
                        {"status", s.status},
                        {"latency_ms", std::round(s.latency_ms * 1000) / 1000},
                        {"response", s.json.is_null() ? nlohmann::json(s.body) : s.json}};
    if (!s.transport_error.empty()) a["error"] = s.transport_error;
    attempts.push_back(a);
  }
  nlohmann::json winner = nullptr;
  if (verdict.winner >= 0) {
    winner = {{"agent", agents[verdict.winner].name},
              {"agent_id", agents[verdict.winner].agent_id},
              {"booking_id", verdict.winning_booking}};
  }
  return {{"round", round.number},
          {"slot", {{"start", round.slot.start}, {"end", round.slot.end}}},
          {"attempts", attempts},
          {"commits", verdict.commits},
          {"winner", winner},
          {"top_ranked_won",
           verdict.winner >= 0 && static_cast<size_t>(verdict.winner) == TopRanked(agents)},
          {"committed_bookings_in_slot", round.evidence.committed_in_slot},
          {"audit",
           {{"resource", verdict.winning_booking},
            {"events", round.evidence.audit_events},
            {"row_checks", RowChecksJson(verdict.audit_checks)},
            {"chain_ok", verdict.chain_ok}}},
          {"ok", verdict.ok()},
          {"problems", verdict.problems}};
}

}  // namespace agentdraft::cli
