#include "cli/race_demo.h"

#include <barrier>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iomanip>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <thread>

#include <CLI/CLI.hpp>

#include "cli/daemon_launcher.h"
#include "cli/table.h"
#include "common/api_client.h"
#include "common/error_codes.h"
#include "common/ids.h"
#include "common/time.h"

namespace agentdraft::cli {

namespace {

constexpr const char* kOwnerEmail = "demo@agentdraft.local";

struct Agent {
  DemoAgent spec;
  std::string id;
  std::string key;
};

struct Attempt {
  int status = 0;
  nlohmann::json body;
  double latency_ms = 0;
  std::string transport_error;
};

struct Round {
  std::string start, end;
  std::vector<Attempt> attempts;  // by agent index
  nlohmann::json audit = nlohmann::json::array();
  int winner = -1;
  int commits = 0;
};

std::string Fixed(double v, int digits) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(digits) << v;
  return s.str();
}

// Signs in as the demo owner and creates the agents. `err` gets what went wrong.
std::optional<std::vector<Agent>> Bootstrap(ApiClient& owner, int count, std::string* err, int* exit_code) {
  auto link = owner.Post("/v1/auth/magic-link", {{"email", kOwnerEmail}});
  if (!link.ok()) {
    *err = link.status().message();
    *exit_code = 8;
    return std::nullopt;
  }
  auto link_json = link->Json();
  if (link->status != 200 || !link_json.ok() || !link_json->contains("dev_token")) {
    *err = "the daemon at " + owner.options().base_url +
           " is not in dev mode, so the demo cannot sign in as its owner; run the demo with no "
           "daemon running (it starts its own) or start agentdraftd with --dev";
    *exit_code = 6;
    return std::nullopt;
  }
  auto verify = owner.Post("/v1/auth/verify", {{"token", (*link_json)["dev_token"]}});
  if (!verify.ok() || verify->status != 200 || !verify->headers.count("set-cookie")) {
    *err = "sign-in failed: " + (verify.ok() ? verify->body : verify.status().message());
    *exit_code = 6;
    return std::nullopt;
  }
  const std::string cookie = verify->headers["set-cookie"];
  owner.set_cookie(cookie.substr(0, cookie.find(';')));
  const std::string suffix = NewId("-", 4);
  std::vector<Agent> agents;
  for (const DemoAgent& spec : DemoAgents(count)) {
    Agent a{spec, "", ""};
    for (int attempt = 0; attempt < 2 && a.key.empty(); ++attempt) {
      std::string name = spec.name + (attempt == 0 ? "" : suffix);
      auto created = owner.Post("/v1/dashboard/agents", {{"name", name}, {"priority", spec.priority}});
      if (!created.ok()) {
        *err = created.status().message();
        *exit_code = 8;
        return std::nullopt;
      }
      if (created->status == 409) continue;  // a shared daemon already has this name
      auto j = created->Json();
      if (created->status != 201 || !j.ok()) {
        *err = "creating agent " + name + " failed: " + created->body;
        *exit_code = 1;
        return std::nullopt;
      }
      a.spec.name = name;
      a.id = (*j)["agent_id"];
      a.key = (*j)["plaintext_key"];
    }
    agents.push_back(a);
  }
  return agents;
}

// The first `count` free 30-minute slots from tomorrow 09:00 UTC.
std::optional<std::vector<std::pair<std::string, std::string>>> FreeSlots(ApiClient& client, int count,
                                                                          std::string* err) {
  using namespace std::chrono;
  const auto tomorrow = floor<days>(system_clock::now()) + days(1) + hours(9);
  const std::string from = FormatRfc3339(time_point_cast<Duration>(tomorrow));
  const std::string to = FormatRfc3339(time_point_cast<Duration>(tomorrow + days(30)));
  auto r = client.Get("/v1/availability?range_start=" + UrlEncode(from) + "&range_end=" + UrlEncode(to) +
                      "&duration_minutes=30&granularity_minutes=30");
  auto j = r.ok() ? r->Json() : Result<nlohmann::json>(r.status());
  if (!j.ok() || r->status != 200) {
    *err = "availability failed: " + (r.ok() ? r->body : r.status().message());
    return std::nullopt;
  }
  std::vector<std::pair<std::string, std::string>> slots;
  for (const auto& s : (*j)["slots"]) {
    if (static_cast<int>(slots.size()) == count) break;
    slots.emplace_back(s["start"], s["end"]);
  }
  if (static_cast<int>(slots.size()) < count) {
    *err = "not enough free slots in the next 30 days for " + std::to_string(count) + " rounds";
    return std::nullopt;
  }
  return slots;
}

// Fires every agent at one slot at the same moment, each on its own connection.
Round Race(std::vector<std::unique_ptr<ApiClient>>& clients, const std::string& start,
           const std::string& end, int round_index) {
  Round round;
  round.start = start;
  round.end = end;
  round.attempts.resize(clients.size());
  std::barrier go(static_cast<std::ptrdiff_t>(clients.size()));
  std::vector<std::thread> threads;
  const std::string run = NewId("", 8);
  for (size_t i = 0; i < clients.size(); ++i) {
    threads.emplace_back([&, i] {
      nlohmann::json body = {{"start", start},
                             {"end", end},
                             {"idempotency_key", "demo-" + run + "-" + std::to_string(round_index) + "-" + std::to_string(i)},
                             {"metadata", {{"title", "Demo race"}}}};
      go.arrive_and_wait();
      const auto t0 = std::chrono::steady_clock::now();
      auto r = clients[i]->Post("/v1/bookings", body);
      const auto t1 = std::chrono::steady_clock::now();
      Attempt& a = round.attempts[i];
      a.latency_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
      if (!r.ok()) {
        a.transport_error = r.status().message();
        return;
      }
      a.status = r->status;
      auto j = r->Json();
      if (j.ok()) a.body = *j;
    });
  }
  for (auto& t : threads) t.join();
  for (size_t i = 0; i < round.attempts.size(); ++i) {
    if (round.attempts[i].status == 201) {
      ++round.commits;
      round.winner = static_cast<int>(i);
    }
  }
  return round;
}

std::string Outcome(const Attempt& a) {
  if (!a.transport_error.empty()) return "error: " + a.transport_error;
  if (a.status == 201) return "201 committed";
  return std::to_string(a.status) + " " + a.body.value("reason", a.body.value("error", ""));
}

void PrintRound(std::ostream& out, const Round& round, int index, const std::vector<Agent>& agents,
                int top) {
  std::map<std::string, std::string> name_of;
  for (const Agent& a : agents) name_of[a.id] = a.spec.name;
  out << "\nround " << index + 1 << ": " << agents.size() << " agents race for " << round.start
      << " – " << round.end.substr(11) << "\n";
  std::vector<size_t> order(agents.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t x, size_t y) { return agents[x].spec.priority < agents[y].spec.priority; });
  Table t({"rank", "agent", "outcome", "latency", "told the winner is"});
  for (size_t i : order) {
    const Attempt& a = round.attempts[i];
    std::string told;
    if (a.status == 409 && a.body.contains("winning_agent_id")) {
      told = name_of[a.body["winning_agent_id"]] + " (" + a.body.value("winning_booking_id", "") + ")";
    }
    t.Add({std::to_string(agents[i].spec.priority), agents[i].spec.name, Outcome(a),
           Fixed(a.latency_ms, 1) + " ms", told});
  }
  t.Print(out);
  if (round.winner < 0) {
    out << "no agent won this round\n";
    return;
  }
  const Agent& w = agents[round.winner];
  out << "winner: " << w.spec.name << " (priority " << w.spec.priority << "), booking "
      << round.attempts[round.winner].body.value("booking_id", "") << "\n";
  out << "audit trail (GET /v1/audit?resource=" << round.attempts[round.winner].body.value("booking_id", "")
      << "):\n";
  Table audit({"seq", "kind", "actor", "hash", "check"});
  bool all_ok = true;
  for (const auto& e : round.audit) {
    const bool ok = AuditEventHashIsValid(e);
    all_ok = all_ok && ok;
    const std::string actor = name_of.count(e["actor"]) ? name_of[e["actor"]] : e["actor"].get<std::string>();
    audit.Add({std::to_string(e["seq"].get<int64_t>()), e["kind"], actor,
               e["hash"].get<std::string>().substr(0, 16) + "…", ok ? "ok" : "HASH MISMATCH"});
  }
  audit.Print(out);
  out << (all_ok ? "chain ok: every row's hash recomputed from its content and prev_hash\n"
                 : "chain BROKEN: a row's hash does not match its content\n");
  if (round.commits == 1 && round.winner == top) {
    out << "exactly one 201, from the top-ranked agent (" << w.spec.name << ") — 0 double bookings\n";
  } else {
    out << round.commits << " agents got 201 in this round\n";
  }
}

nlohmann::json RoundJson(const Round& round, const std::vector<Agent>& agents) {
  nlohmann::json attempts = nlohmann::json::array();
  for (size_t i = 0; i < agents.size(); ++i) {
    const Attempt& a = round.attempts[i];
    attempts.push_back({{"agent", agents[i].spec.name},
                        {"agent_id", agents[i].id},
                        {"priority", agents[i].spec.priority},
                        {"status", a.status},
                        {"latency_ms", a.latency_ms},
                        {"response", a.body},
                        {"transport_error", a.transport_error}});
  }
  return {{"start", round.start},
          {"end", round.end},
          {"attempts", attempts},
          {"commits", round.commits},
          {"winner", round.winner >= 0 ? agents[round.winner].spec.name : ""},
          {"winning_booking_id", round.winner >= 0 ? round.attempts[round.winner].body.value("booking_id", "") : ""},
          {"audit", round.audit}};
}

}  // namespace

std::vector<DemoAgent> DemoAgents(int count) {
  static const DemoAgent kNamed[] = {{"sales-bot", 2}, {"recruit-bot", 3}, {"focus-blocker", 5},
                                     {"exec-ea", 1},   {"ops-bot", 4}};
  std::vector<DemoAgent> out;
  for (int i = 0; i < count; ++i) {
    if (i < 5 && count >= 5) {
      out.push_back(kNamed[i]);
    } else if (i < 5) {
      // Fewer than five: keep the names, rank in reverse creation order.
      out.push_back({kNamed[i].name, count - i});
    } else {
      out.push_back({"agent-" + std::to_string(i + 1), i + 1});
    }
  }
  return out;
}

bool AuditEventHashIsValid(const nlohmann::json& e) {
  if (!e.is_object() || !e.contains("hash") || !e.contains("prev_hash")) return false;
  nlohmann::json canonical = {{"actor", e["actor"]},       {"at", e["at"]},
                              {"kind", e["kind"]},         {"payload", e["payload"]},
                              {"resource", e["resource"]}, {"seq", e["seq"]},
                              {"subject", e["subject"]},   {"user_id", e["user_id"]}};
  return Sha256Hex(e["prev_hash"].get<std::string>() + canonical.dump()) == e["hash"];
}

CLI::App* SetupRaceDemo(CLI::App& race, RaceDemoOptions& options) {
  CLI::App* demo = race.add_subcommand(
      "demo",
      "Race ranked agents for one slot and show who wins.\n"
      "Starts a private daemon when none answers.\n\n"
      "Examples:\n"
      "  agentdraft race demo\n"
      "  agentdraft race demo --agents 8 --rounds 3\n"
      "  agentdraft race demo --json | jq '.rounds[0].winner'");
  demo->add_option("--agents", options.agents, "agents racing (2–64)")->check(CLI::Range(2, 64));
  demo->add_option("--rounds", options.rounds, "rounds, each on a fresh slot")->check(CLI::Range(1, 1000));
  demo->add_option("--base-url", options.base_url, "daemon URL (default $AGENTDRAFT_BASE_URL or http://127.0.0.1:8080)");
  demo->add_flag("--json", options.json, "print one JSON document instead of tables");
  return demo;
}

int RunRaceDemo(const RaceDemoOptions& options, std::ostream& out, std::ostream& err) {
  std::string base = options.base_url;
  if (base.empty()) {
    const char* env = std::getenv("AGENTDRAFT_BASE_URL");
    base = env && *env ? env : "http://127.0.0.1:8080";
  }
  std::unique_ptr<DaemonLauncher> daemon;
  {
    ApiClient probe({base, "", "", "", std::chrono::milliseconds(2000), std::chrono::milliseconds(500)});
    auto health = probe.Get("/healthz");
    if (!health.ok() || health->status != 200) {
      auto started = DaemonLauncher::Start({});
      if (!started.ok()) {
        err << "agentdraft: no daemon at " << base << ", and starting one failed: "
            << started.status().message() << "\n";
        return static_cast<int>(ExitCode::kUnreachable);
      }
      daemon = std::move(started.value());
      if (options.json) {
        err << "no daemon at " << base << "; started a private one on a temporary SQLite store ("
            << daemon->base_url() << ")\n";
      } else {
        out << "no daemon at " << base << "; started a private one on a temporary SQLite store\n";
      }
      base = daemon->base_url();
    }
  }
  ApiClient owner({base});
  std::string problem;
  int code = 1;
  auto agents = Bootstrap(owner, options.agents, &problem, &code);
  if (!agents) {
    err << "agentdraft: " << problem << "\n";
    return code;
  }
  std::vector<std::unique_ptr<ApiClient>> clients;
  for (const Agent& a : *agents) {
    ApiClientOptions o;
    o.base_url = base;
    o.api_key = a.key;
    clients.push_back(std::make_unique<ApiClient>(o));
    (void)clients.back()->Get("/v1/agents/me");  // open the connection before the race
  }
  auto slots = FreeSlots(*clients.front(), options.rounds, &problem);
  if (!slots) {
    err << "agentdraft: " << problem << "\n";
    return 1;
  }
  int top = 0;
  for (size_t i = 0; i < agents->size(); ++i) {
    if ((*agents)[i].spec.priority < (*agents)[top].spec.priority) top = static_cast<int>(i);
  }
  if (!options.json) {
    out << "agentdraft race demo: " << agents->size() << " ranked agents, " << options.rounds
        << (options.rounds == 1 ? " round" : " rounds") << ", daemon " << base << "\n";
  }
  nlohmann::json rounds = nlohmann::json::array();
  int good_rounds = 0;
  for (int r = 0; r < options.rounds; ++r) {
    Round round = Race(clients, (*slots)[r].first, (*slots)[r].second, r);
    if (round.winner >= 0) {
      auto audit = owner.Get("/v1/audit?resource=" + round.attempts[round.winner].body.value("booking_id", ""));
      if (audit.ok() && audit->status == 200) {
        auto j = audit->Json();
        if (j.ok()) round.audit = (*j)["events"];
      }
    }
    if (round.commits == 1 && round.winner == top) ++good_rounds;
    if (options.json) rounds.push_back(RoundJson(round, *agents));
    else PrintRound(out, round, r, *agents, top);
  }
  const bool ok = good_rounds == options.rounds;
  if (options.json) {
    out << nlohmann::json{{"base_url", base}, {"rounds", rounds}, {"ok", ok}}.dump(2) << "\n";
  } else if (options.rounds > 1) {
    out << "\n" << good_rounds << " of " << options.rounds
        << " rounds: exactly one 201, from the top-ranked agent\n";
  }
  return ok ? 0 : 1;
}

}  // namespace agentdraft::cli
