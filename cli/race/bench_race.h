// `agentdraft bench race`: the public collision benchmark's method, and its report.
//
// Every round, all N agents fire POST /v1/bookings at one fresh 30-minute slot at the same
// moment, each on its own connection with its own key (cli/race/race_round.h FireRace). A round is
// resolved when exactly one agent got 201; it is a rank-1 win when that agent is the
// top-ranked one. Everything that is neither 201 nor 409 is an error.
//
// This file holds the pure part — statistics and the JSON and Markdown reports — so it can be
// tested on made-up rounds. Thread-safety: plain functions.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace agentdraft::cli {

// One round as fired: per agent (in the team's order), the HTTP status (0 = no answer) and
// the request's latency.
struct BenchRound {
  std::vector<int> statuses;
  std::vector<double> latencies_ms;
};

struct BenchStats {
  int rounds = 0;
  int agents = 0;
  int resolved_rounds = 0;       // exactly one 201
  int rank1_wins = 0;            // … from the top-ranked agent
  int double_commit_rounds = 0;  // two or more 201
  int no_winner_rounds = 0;      // no 201
  int commits = 0;               // 201 answers
  int conflicts = 0;             // 409 answers
  int errors = 0;                // anything else, including no answer
  double p50_ms = 0, p99_ms = 0, max_ms = 0, mean_ms = 0;  // over every request
  double accuracy() const { return rounds == 0 ? 0 : double(resolved_rounds) / rounds; }
  double rank1_rate() const { return rounds == 0 ? 0 : double(rank1_wins) / rounds; }
  // The benchmark's bar: every round resolved, by rank 1, and no errors.
  bool perfect() const { return rounds > 0 && rank1_wins == rounds && errors == 0; }
};

// The nearest-rank percentile (p in [0, 100]) of `values`; 0 when empty.
double Percentile(std::vector<double> values, double p);

// `top` is the index of the top-ranked agent in every round's vectors.
BenchStats Summarize(const std::vector<BenchRound>& rounds, size_t top);

struct BenchContext {
  std::string date;       // RFC 3339, when the run started
  std::string base_url;
  std::string top_agent;  // its name
  std::vector<std::pair<std::string, int>> agents;  // name, priority: best rank first
  double seconds = 0;     // wall time of the rounds
};

nlohmann::json BenchJson(const BenchStats& s, const BenchContext& c);
std::string BenchMarkdown(const BenchStats& s, const BenchContext& c);

}  // namespace agentdraft::cli
