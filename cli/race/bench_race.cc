#include "cli/race/bench_race.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <sstream>

namespace agentdraft::cli {

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * values.size()));
  return values[std::clamp<size_t>(rank, 1, values.size()) - 1];
}

BenchStats Summarize(const std::vector<BenchRound>& rounds, size_t top) {
  BenchStats s;
  s.rounds = static_cast<int>(rounds.size());
  std::vector<double> latencies;
  for (const BenchRound& r : rounds) {
    s.agents = std::max(s.agents, static_cast<int>(r.statuses.size()));
    int commits = 0;
    for (size_t i = 0; i < r.statuses.size(); ++i) {
      const int status = r.statuses[i];
      if (status == 201) {
        ++commits;
      } else if (status == 409) {
        ++s.conflicts;
      } else {
        ++s.errors;
      }
    }
    s.commits += commits;
    if (commits == 1) {
      ++s.resolved_rounds;
      if (top < r.statuses.size() && r.statuses[top] == 201) ++s.rank1_wins;
    } else if (commits == 0) {
      ++s.no_winner_rounds;
    } else {
      ++s.double_commit_rounds;
    }
    latencies.insert(latencies.end(), r.latencies_ms.begin(), r.latencies_ms.end());
  }
  s.p50_ms = Percentile(latencies, 50);
  s.p99_ms = Percentile(latencies, 99);
  s.max_ms = latencies.empty() ? 0 : *std::max_element(latencies.begin(), latencies.end());
  s.mean_ms = latencies.empty() ? 0 : std::accumulate(latencies.begin(), latencies.end(), 0.0) / latencies.size();
  return s;
}

namespace {
double Round3(double v) { return std::round(v * 1000) / 1000; }
std::string Fixed(double v, int digits) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}
std::string Percent(double rate) { return Fixed(rate * 100, rate == 1 || rate == 0 ? 0 : 2) + " %"; }
}  // namespace

nlohmann::json BenchJson(const BenchStats& s, const BenchContext& c) {
  nlohmann::json agents = nlohmann::json::array();
  for (const auto& [name, priority] : c.agents) agents.push_back({{"name", name}, {"priority", priority}});
  return {{"benchmark", "collision"},
          {"method", "every round, all agents commit one fresh 30-minute slot at the same moment, "
                     "each on its own connection with its own key"},
          {"date", c.date},
          {"base_url", c.base_url},
          {"rounds", s.rounds},
          {"agents", s.agents},
          {"team", agents},
          {"top_ranked", c.top_agent},
          {"accuracy", s.accuracy()},
          {"rank1_win_rate", s.rank1_rate()},
          {"resolved_rounds", s.resolved_rounds},
          {"rank1_wins", s.rank1_wins},
          {"double_commit_rounds", s.double_commit_rounds},
          {"no_winner_rounds", s.no_winner_rounds},
          {"commits", s.commits},
          {"conflicts", s.conflicts},
          {"errors", s.errors},
          {"latency_ms", {{"p50", Round3(s.p50_ms)}, {"p99", Round3(s.p99_ms)}, {"max", Round3(s.max_ms)},
                          {"mean", Round3(s.mean_ms)}}},
          {"seconds", Round3(c.seconds)},
          {"ok", s.perfect()}};
}

std::string BenchMarkdown(const BenchStats& s, const BenchContext& c) {
  std::ostringstream md;
  md << "# Collision benchmark, " << c.date << "\n\n"
     << s.rounds << " rounds × " << s.agents << " agents against " << c.base_url
     << ": every round, all agents commit one fresh 30-minute slot at the same moment, each on its "
        "own connection with its own key. Top-ranked: " << c.top_agent << ".\n\n"
     << "| metric | value |\n|---|---|\n"
     << "| conflict-resolution accuracy (rounds with exactly one 201) | " << Percent(s.accuracy()) << " ("
     << s.resolved_rounds << "/" << s.rounds << ") |\n"
     << "| rank-1 win rate | " << Percent(s.rank1_rate()) << " (" << s.rank1_wins << "/" << s.rounds << ") |\n"
     << "| commits (201) | " << s.commits << " |\n"
     << "| conflicts (409) | " << s.conflicts << " |\n"
     << "| errors | " << s.errors << " |\n"
     << "| double-commit rounds | " << s.double_commit_rounds << " |\n"
     << "| no-winner rounds | " << s.no_winner_rounds << " |\n"
     << "| latency p50 | " << Fixed(s.p50_ms, 2) << " ms |\n"
     << "| latency p99 | " << Fixed(s.p99_ms, 2) << " ms |\n"
     << "| latency max | " << Fixed(s.max_ms, 2) << " ms |\n"
     << "| wall time | " << Fixed(c.seconds, 1) << " s |\n\n"
     << "Agents, best rank first: ";
  for (size_t i = 0; i < c.agents.size(); ++i) {
    md << (i ? ", " : "") << c.agents[i].first << " (" << c.agents[i].second << ")";
  }
  md << ".\n";
  return md.str();
}

}  // namespace agentdraft::cli
