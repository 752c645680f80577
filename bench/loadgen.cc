// agentdraft-loadgen: load against agentdraftd over HTTP, many keep-alive connections, each
// its own agent with its own key.
//
//   --mode commit: uncontended commits; every connection books its own disjoint 30-minute
//                  slots as fast as it can for --duration. Reports commits/s and latency.
//   --mode race:   --rounds rounds; in each, --agents agents fire at one fresh slot at once.
//                  Reports latency, rounds with exactly one 201, rank-1 win rate.
//
// The daemon must run with --dev (the load generator signs in through the dev magic link).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "common/status.h"
#include "common/time.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string base_url = "http://127.0.0.1:8080";
  std::string mode = "commit";
  int connections = 8;
  std::string duration = "10s";
  int agents = 5;
  int rounds = 500;
  bool json = false;
  std::string layout = "adjacent";
  std::string rules_file;  // JSON array of rule bodies, added before the load
};

struct Agent {
  std::string id;
  std::string key;
  int priority = 0;
};

// A minimal keep-alive HTTP/1.1 connection for the measured requests: each request leaves in
// one send(), each response is read by its Content-Length. (cpp-httplib's client writes
// headers and body separately, which costs the server an extra wakeup per request and would
// make the benchmark measure the client.)
class RawConnection {
 public:
  explicit RawConnection(const std::string& base_url) {
    const size_t colon = base_url.rfind(':');
    host_ = base_url.substr(base_url.find("//") + 2, colon - base_url.find("//") - 2);
    port_ = std::stoi(base_url.substr(colon + 1));
  }
  ~RawConnection() {
    if (fd_ >= 0) close(fd_);
  }
  // Returns the HTTP status, or -1 on a transport error (the connection is then reopened).
  int Post(const std::string& path, const std::string& key, const std::string& body) {
    if (fd_ < 0 && !Open()) return -1;
    std::string req = "POST " + path + " HTTP/1.1\r\nHost: " + host_ +
                      "\r\nAuthorization: Bearer " + key +
                      "\r\nContent-Type: application/json\r\nContent-Length: " +
                      std::to_string(body.size()) + "\r\n\r\n" + body;
    if (send(fd_, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) return Fail();
    std::string in;
    char buf[4096];
    size_t header_end = std::string::npos;
    size_t need = 0;
    while (true) {
      ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return Fail();
      in.append(buf, n);
      if (header_end == std::string::npos) {
        header_end = in.find("\r\n\r\n");
        if (header_end == std::string::npos) continue;
        const size_t cl = in.find("Content-Length: ");
        need = header_end + 4 + (cl < header_end ? std::stoul(in.substr(cl + 16)) : 0);
      }
      if (in.size() >= need) break;
    }
    return std::atoi(in.c_str() + 9);  // "HTTP/1.1 201 …"
  }

 private:
  bool Open() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port_));
    inet_pton(AF_INET, host_ == "localhost" ? "127.0.0.1" : host_.c_str(), &addr.sin_addr);
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      close(fd_);
      fd_ = -1;
      return false;
    }
    return true;
  }
  int Fail() {
    close(fd_);
    fd_ = -1;
    return -1;
  }
  std::string host_;
  int port_ = 0;
  int fd_ = -1;
};

std::unique_ptr<httplib::Client> Connect(const std::string& base_url) {
  auto c = std::make_unique<httplib::Client>(base_url);
  c->set_keep_alive(true);
  c->set_tcp_nodelay(true);
  c->set_read_timeout(30, 0);
  return c;
}

// Signs in as a fresh owner, adds the rules in `rules_file` (if any) and creates `n` agents
// with priorities 1..n.
std::vector<Agent> Bootstrap(const std::string& base_url, int n, const std::string& rules_file) {
  auto c = Connect(base_url);
  const std::string email = "loadgen-" + std::to_string(std::random_device{}()) + "@bench.local";
  auto link = c->Post("/v1/auth/magic-link", nlohmann::json{{"email", email}}.dump(), "application/json");
  if (!link || link->status != 200) throw std::runtime_error("magic-link failed: is the daemon up with --dev?");
  auto token = nlohmann::json::parse(link->body).value("dev_token", "");
  if (token.empty()) throw std::runtime_error("the daemon is not in --dev mode");
  auto verify = c->Post("/v1/auth/verify", nlohmann::json{{"token", token}}.dump(), "application/json");
  if (!verify || verify->status != 200) throw std::runtime_error("verify failed");
  std::string cookie = verify->get_header_value("Set-Cookie");
  cookie = cookie.substr(0, cookie.find(';'));
  if (!rules_file.empty()) {
    std::ifstream in(rules_file);
    nlohmann::json rules = nlohmann::json::parse(in, nullptr, false);
    if (!rules.is_array()) throw std::runtime_error(rules_file + ": not a JSON array of rules");
    for (const nlohmann::json& rule : rules) {
      auto r = c->Post("/v1/dashboard/rules", {{"Cookie", cookie}}, rule.dump(), "application/json");
      if (!r || r->status != 201) throw std::runtime_error("adding rule " + rule.dump() + " failed: " + (r ? r->body : ""));
    }
  }
  std::vector<Agent> agents;
  for (int i = 1; i <= n; ++i) {
    auto r = c->Post("/v1/dashboard/agents", {{"Cookie", cookie}},
                     nlohmann::json{{"name", "bench-" + std::to_string(i)}, {"priority", i}}.dump(),
                     "application/json");
    if (!r || r->status != 201) throw std::runtime_error("creating an agent failed");
    auto j = nlohmann::json::parse(r->body);
    agents.push_back({j["agent_id"], j["plaintext_key"], i});
  }
  return agents;
}

double Percentile(std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * v.size()))];
}

// 30-minute slot `index` from a random base far in the future, so runs never collide.
std::pair<std::string, std::string> SlotTimes(int64_t base_slot, int64_t index) {
  using namespace std::chrono;
  const int64_t start_s = 1893456000LL + (base_slot + index) * 1800;  // from 2030-01-01
  auto at = [](int64_t s) { return agentdraft::FormatRfc3339(agentdraft::FromMicros(s * 1000000)); };
  return {at(start_s), at(start_s + 1800)};
}

std::string Body(const std::pair<std::string, std::string>& slot, const std::string& key) {
  return nlohmann::json{{"start", slot.first}, {"end", slot.second}, {"idempotency_key", key}}.dump();
}

nlohmann::json RunCommit(const Options& o, const std::vector<Agent>& agents) {
  const auto duration = std::chrono::microseconds(agentdraft::ParseDuration(o.duration).value().count());
  // Slot numbers stay below ~6·10^7 (year < 5500): run base ≤ 10^7, 5·10^4 slots per connection.
  const int64_t base = (std::random_device{}() % 100) * 100000LL;
  std::vector<std::vector<double>> latencies(o.connections);
  std::atomic<int64_t> errors{0}, non201{0};
  std::barrier start(o.connections + 1);
  std::vector<std::thread> threads;
  Clock::time_point t0, t1;
  for (int c = 0; c < o.connections; ++c) {
    threads.emplace_back([&, c] {
      RawConnection conn(o.base_url);
      start.arrive_and_wait();
      const auto end = Clock::now() + duration;
      for (int64_t i = 0; Clock::now() < end; ++i) {
        // adjacent: the connections fill one stretch of calendar side by side (slot i·N + c);
        // scattered: each connection books its own far-away stretch.
        const auto slot = o.layout == "adjacent" ? SlotTimes(base, i * o.connections + c)
                                                 : SlotTimes(base + c * 50000LL, i % 50000);
        const std::string body = Body(slot, "lg-" + std::to_string(c) + "-" + std::to_string(i));
        const auto s = Clock::now();
        const int status = conn.Post("/v1/bookings", agents[c].key, body);
        const auto e = Clock::now();
        if (status < 0) {
          ++errors;
          continue;
        }
        if (status != 201) ++non201;
        latencies[c].push_back(std::chrono::duration<double, std::milli>(e - s).count());
      }
    });
  }
  start.arrive_and_wait();
  t0 = Clock::now();
  for (auto& t : threads) t.join();
  t1 = Clock::now();
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  const double secs = std::chrono::duration<double>(t1 - t0).count();
  const double n = static_cast<double>(all.size()) - static_cast<double>(non201.load());
  return {{"mode", "commit"}, {"layout", o.layout}, {"connections", o.connections}, {"seconds", secs},
          {"commits", n}, {"commits_per_s", n / secs}, {"non_201", non201.load()},
          {"errors", errors.load()}, {"p50_ms", Percentile(all, 0.50)},
          {"p99_ms", Percentile(all, 0.99)}, {"max_ms", all.empty() ? 0 : *std::max_element(all.begin(), all.end())}};
}

nlohmann::json RunRace(const Options& o, const std::vector<Agent>& agents) {
  const int64_t base = 60000000LL + (std::random_device{}() % 100) * 100000LL;
  std::vector<std::unique_ptr<RawConnection>> clients;
  for (size_t i = 0; i < agents.size(); ++i) clients.push_back(std::make_unique<RawConnection>(o.base_url));
  std::vector<double> all;
  int exact = 0, rank1 = 0, double_commit = 0, no_winner = 0, errors = 0, commits = 0, conflicts = 0;
  for (int round = 0; round < o.rounds; ++round) {
    const auto slot = SlotTimes(base, round);
    std::vector<int> status(agents.size(), 0);
    std::vector<double> lat(agents.size(), 0);
    std::barrier go(static_cast<std::ptrdiff_t>(agents.size()));
    std::vector<std::thread> threads;
    for (size_t i = 0; i < agents.size(); ++i) {
      threads.emplace_back([&, i] {
        const std::string body = Body(slot, "race-" + std::to_string(round) + "-" + std::to_string(i));
        go.arrive_and_wait();
        const auto s = Clock::now();
        status[i] = clients[i]->Post("/v1/bookings", agents[i].key, body);
        lat[i] = std::chrono::duration<double, std::milli>(Clock::now() - s).count();
      });
    }
    for (auto& t : threads) t.join();
    const int wins = static_cast<int>(std::count(status.begin(), status.end(), 201));
    commits += wins;
    conflicts += static_cast<int>(std::count(status.begin(), status.end(), 409));
    errors += static_cast<int>(agents.size()) - static_cast<int>(std::count(status.begin(), status.end(), 201)) -
              static_cast<int>(std::count(status.begin(), status.end(), 409));
    exact += wins == 1;
    double_commit += wins > 1;
    no_winner += wins == 0;
    rank1 += status[0] == 201;  // agents[0] has priority 1
    all.insert(all.end(), lat.begin(), lat.end());
  }
  return {{"mode", "race"}, {"agents", agents.size()}, {"rounds", o.rounds},
          {"accuracy", static_cast<double>(exact) / o.rounds}, {"rank1_win_rate", static_cast<double>(rank1) / o.rounds},
          {"commits", commits}, {"conflicts_409", conflicts}, {"errors", errors},
          {"double_commit_rounds", double_commit}, {"no_winner_rounds", no_winner},
          {"p50_ms", Percentile(all, 0.50)}, {"p99_ms", Percentile(all, 0.99)},
          {"max_ms", all.empty() ? 0 : *std::max_element(all.begin(), all.end())}};
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"agentdraft-loadgen: load against agentdraftd (which must run with --dev)"};
  app.add_option("--base-url", o.base_url, "daemon URL")->capture_default_str();
  app.add_option("--mode", o.mode, "commit or race")->check(CLI::IsMember({"commit", "race"}))->capture_default_str();
  app.add_option("--connections", o.connections, "commit mode: connections (one agent each)")->check(CLI::Range(1, 1024));
  app.add_option("--duration", o.duration, "commit mode: how long, e.g. 10s")->capture_default_str();
  app.add_option("--agents", o.agents, "race mode: agents per round")->check(CLI::Range(2, 256));
  app.add_option("--rounds", o.rounds, "race mode: rounds")->check(CLI::Range(1, 100000));
  app.add_option("--layout", o.layout, "commit mode: adjacent (side by side) or scattered slots")
      ->check(CLI::IsMember({"adjacent", "scattered"}))->capture_default_str();
  app.add_flag("--json", o.json, "print one JSON object");
  app.add_option("--rules", o.rules_file, "a JSON array of rules (POST /v1/dashboard/rules bodies) to add first");
  CLI11_PARSE(app, argc, argv);
  try {
    const int n = o.mode == "commit" ? o.connections : o.agents;
    const std::vector<Agent> agents = Bootstrap(o.base_url, n, o.rules_file);
    nlohmann::json result = o.mode == "commit" ? RunCommit(o, agents) : RunRace(o, agents);
    if (o.json) {
      std::printf("%s\n", result.dump().c_str());
    } else {
      for (auto& [k, v] : result.items()) std::printf("%-22s %s\n", k.c_str(), v.dump().c_str());
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "agentdraft-loadgen: %s\n", e.what());
    return 1;
  }
  return 0;
}
