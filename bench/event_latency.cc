// agentdraft-event-latency: how soon an evicted agent learns it lost its booking.
//
// Against a running agentdraftd (its owner socket and HTTP address): creates two agents, opens
// the lower-ranked agent's event stream (GET /v1/events, server-sent events), and --rounds
// times: the low agent books a fresh slot, then the top agent books it too, evicting it. The
// figure is the time from sending the top agent's commit to the `booking.evicted` event
// arriving on the low agent's stream — an upper bound on eviction-to-notification, since it
// includes the evicting commit itself (its fsync).
//
//   agentdraft-event-latency --base-url http://127.0.0.1:8080 --socket /run/agentdraft/agentdraftd.sock
//
// Start the daemon with `--rate-limit 0`: 200 rounds back to back are more than agentdraftd's
// default per-agent limit (50 requests a second, bursts of 100), and it is the events that are
// timed, not the limiter.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "common/api_client.h"
#include "common/time.h"

namespace {

using SteadyClock = std::chrono::steady_clock;

class EventStream {
 public:
  EventStream(int port, const std::string& key) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) std::perror("connect");
    const std::string req = "GET /v1/events HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + key + "\r\n\r\n";
    (void)!write(fd_, req.data(), req.size());
  }
  ~EventStream() { close(fd_); }
  // Blocks until an event of `kind` about `resource` arrives; false on EOF.
  bool WaitFor(const std::string& kind, const std::string& resource) {
    for (;;) {
      size_t at;
      while ((at = buffer_.find("event: " + kind + "\n")) != std::string::npos) {
        const size_t end = buffer_.find("\n\n", at);
        if (end == std::string::npos) break;
        const bool match = buffer_.substr(at, end - at).find(resource) != std::string::npos;
        buffer_.erase(0, end + 2);
        if (match) return true;
      }
      char buf[8192];
      const ssize_t n = read(fd_, buf, sizeof buf);
      if (n <= 0) return false;
      buffer_.append(buf, static_cast<size_t>(n));
    }
  }

 private:
  int fd_ = -1;
  std::string buffer_;
};

}  // namespace

int main(int argc, char** argv) {
  std::string base_url = "http://127.0.0.1:8080", socket_path;
  int rounds = 200;
  bool json = false;
  CLI::App app{"agentdraft-event-latency: eviction to booking.evicted on the loser's event stream"};
  app.add_option("--base-url", base_url, "the daemon's HTTP address");
  app.add_option("--socket", socket_path, "the daemon's owner socket")->required();
  app.add_option("--rounds", rounds, "evictions to time");
  app.add_flag("--json", json, "print one JSON document");
  CLI11_PARSE(app, argc, argv);

  agentdraft::ApiClientOptions so;
  so.base_url = "http://agentdraftd";
  so.unix_socket_path = socket_path;
  agentdraft::ApiClient owner(so);
  const std::string suffix = std::to_string(std::chrono::system_clock::now().time_since_epoch().count() % 1000000);
  auto add = [&](const std::string& name, int priority) {
    auto r = owner.Post("/v1/dashboard/agents", {{"name", name + "-" + suffix}, {"priority", priority}});
    if (!r.ok() || r->status != 201) {
      std::fprintf(stderr, "cannot create agent: %s\n", r.ok() ? r->body.c_str() : r.status().ToString().c_str());
      std::exit(1);
    }
    return nlohmann::json::parse(r->body)["plaintext_key"].get<std::string>();
  };
  const std::string top_key = add("latency-top", 1), low_key = add("latency-low", 2);
  agentdraft::ApiClientOptions o;
  o.base_url = base_url;
  o.api_key = top_key;
  agentdraft::ApiClient top(o);
  o.api_key = low_key;
  agentdraft::ApiClient low(o);
  EventStream events(std::stoi(base_url.substr(base_url.rfind(':') + 1)), low_key);

  const int64_t base = (std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count() / 86400 + 500) * 86400;
  std::vector<double> ms;
  for (int i = 0; i < rounds; ++i) {
    const int64_t start = base + int64_t{i} * 1800;
    const nlohmann::json claim = {
        {"start", agentdraft::FormatRfc3339(agentdraft::FromMicros(start * 1000000))},
        {"end", agentdraft::FormatRfc3339(agentdraft::FromMicros((start + 1800) * 1000000))}};
    auto booked = low.Post("/v1/bookings", claim);
    if (!booked.ok() || booked->status != 201) {
      std::fprintf(stderr, "low commit failed\n");
      return 1;
    }
    const std::string victim = nlohmann::json::parse(booked->body)["booking_id"];
    const auto t0 = SteadyClock::now();
    auto evicting = top.Post("/v1/bookings", claim);
    if (!evicting.ok() || evicting->status != 201) {
      std::fprintf(stderr, "top commit failed\n");
      return 1;
    }
    if (!events.WaitFor("booking.evicted", victim)) {
      std::fprintf(stderr, "the event stream ended\n");
      return 1;
    }
    ms.push_back(std::chrono::duration<double, std::milli>(SteadyClock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  auto pct = [&](double p) { return ms[std::min(ms.size() - 1, static_cast<size_t>(p * ms.size()))]; };
  if (json) {
    std::printf("%s\n", nlohmann::json{{"rounds", rounds}, {"p50_ms", pct(0.5)}, {"p99_ms", pct(0.99)},
                                       {"max_ms", ms.back()}}.dump().c_str());
  } else {
    std::printf("evictions: %d  p50 %.2f ms  p99 %.2f ms  max %.2f ms (commit to event, commit included)\n",
                rounds, pct(0.5), pct(0.99), ms.back());
  }
  return 0;
}
