#include "daemon/config.h"

#include <unistd.h>

#include <CLI/CLI.hpp>

namespace agentdraft::daemon {

std::string DefaultDataDir() {
  if (geteuid() == 0) return "/var/lib/agentdraft";
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) return std::string(xdg) + "/agentdraft";
  const char* home = std::getenv("HOME");
  return std::string(home ? home : ".") + "/.local/share/agentdraft";
}

namespace {
// A CLI11 validator-transform for durations ("20ms", "30s").
Status ParseInto(const std::string& text, Duration* out, Duration max) {
  auto d = ParseDuration(text);
  if (!d.ok()) return d.status();
  if (*d < Duration(0) || *d > max) {
    return Status::InvalidArgument(text + " is out of range (0 to " + FormatDuration(max) + ")");
  }
  *out = *d;
  return Status::Ok();
}
}  // namespace

std::optional<DaemonConfig> ParseCommandLine(int argc, char** argv, int* exit_code) {
  DaemonConfig c;
  c.data_dir = DefaultDataDir();
  std::string http = "127.0.0.1:8080", tie = "20ms", bump = "30s", ttl = "30s";
  CLI::App app{
      "agentdraftd: the agentdraft coordination daemon.\n"
      "Decides which agent gets a calendar slot, by the owner's ranking, atomically and\n"
      "durably, and serves the JSON API over HTTP.\n\n"
      "Examples:\n"
      "  agentdraftd                                  # 127.0.0.1:8080, data in the default dir\n"
      "  agentdraftd --http 127.0.0.1:0 --data-dir /tmp/ad --dev\n"
      "  agentdraftd --tie-window 100ms --bump-window 1m\n"};
  app.option_defaults()->always_capture_default();
  app.add_option("--http", http, "HOST:PORT to serve HTTP on (port 0 picks a free one)");
  app.add_option("--data-dir", c.data_dir, "directory for the SQLite store and the key secret");
  app.add_flag("--dev", c.server.dev_mode,
               "development mode: the magic-link sign-in answers with dev_token");
  app.add_option("--tie-window", tie,
                 "default tie window (0–5s): how long a commit from an outranked agent waits "
                 "for a higher-ranked claim on its slot");
  app.add_option("--bump-window", bump,
                 "default bump window: how long a booking can be evicted by a higher-ranked agent");
  app.add_option("--hold-ttl", ttl, "default hold lifetime");
  app.add_option("--max-holds", c.engine.max_holds_per_agent, "default active holds per agent")
      ->check(CLI::Range(1, 10000));
  app.add_option("--threads", c.server.threads, "HTTP worker threads (connections served at once)")
      ->check(CLI::Range(4, 4096));
  app.add_option("--log-level", c.log_level, "trace, debug, info, warn, error, off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    *exit_code = app.exit(e);
    return std::nullopt;
  }
  auto fail = [&](const std::string& message) {
    std::fprintf(stderr, "agentdraftd: %s\n", message.c_str());
    *exit_code = 2;
    return std::nullopt;
  };
  const size_t colon = http.rfind(':');
  if (colon == std::string::npos || colon == 0) return fail("--http must be HOST:PORT, e.g. 127.0.0.1:8080");
  c.server.host = http.substr(0, colon);
  try {
    size_t used = 0;
    c.server.port = std::stoi(http.substr(colon + 1), &used);
    if (used != http.size() - colon - 1 || c.server.port < 0 || c.server.port > 65535) throw 0;
  } catch (...) {
    return fail("--http port must be a number from 0 to 65535");
  }
  using namespace std::chrono_literals;
  for (auto [text, out, max, name] :
       {std::tuple{&tie, &c.engine.tie_window, Duration(5s), "--tie-window"},
        std::tuple{&bump, &c.engine.bump_window, Duration(24h), "--bump-window"},
        std::tuple{&ttl, &c.engine.hold_ttl, Duration(24h), "--hold-ttl"}}) {
    Status s = ParseInto(*text, out, max);
    if (!s.ok()) return fail(std::string(name) + ": " + s.message());
  }
  if (c.engine.hold_ttl <= Duration(0)) return fail("--hold-ttl must be positive");
  return c;
}

}  // namespace agentdraft::daemon
