#include "daemon/config.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <sstream>

#include <CLI/CLI.hpp>
#include <toml++/toml.h>

namespace agentdraft::daemon {

std::string DefaultDataDir() {
  if (geteuid() == 0) return "/var/lib/agentdraft";
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) return std::string(xdg) + "/agentdraft";
  const char* home = std::getenv("HOME");
  return std::string(home ? home : ".") + "/.local/share/agentdraft";
}

std::string DefaultConfigPath() {
  if (geteuid() == 0) return "/etc/agentdraft/agentdraftd.toml";
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg) {
    return std::string(xdg) + "/agentdraft/agentdraftd.toml";
  }
  const char* home = std::getenv("HOME");
  return std::string(home ? home : ".") + "/.config/agentdraft/agentdraftd.toml";
}

namespace {

Status ParseInto(const std::string& text, Duration* out, Duration max) {
  auto d = ParseDuration(text);
  if (!d.ok()) return d.status();
  if (*d < Duration(0) || *d > max) {
    return Status::InvalidArgument(text + " is out of range (0 to " + FormatDuration(max) + ")");
  }
  *out = *d;
  return Status::Ok();
}

// "tie-window" → "AGENTDRAFT_TIE_WINDOW".
std::string EnvName(const std::string& flag) {
  std::string env = "AGENTDRAFT_";
  for (char c : flag) env += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return env;
}

// The config file named by --config (or --config=) in argv, else $AGENTDRAFT_CONFIG; "" when
// neither. `*required` tells whether it must exist.
std::string ConfigFileFromArgs(int argc, char** argv, bool* required) {
  *required = true;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--config" && i + 1 < argc) return argv[i + 1];
    if (a.rfind("--config=", 0) == 0) return a.substr(9);
  }
  if (const char* env = std::getenv("AGENTDRAFT_CONFIG"); env && *env) return env;
  *required = false;
  return DefaultConfigPath();
}

// Reads the config file into flag name → text value. InvalidArgument for a file that is not
// TOML, a key that is not a setting, or a value of the wrong kind.
Result<std::map<std::string, std::string>> ReadConfigFile(const std::string& path,
                                                          const std::vector<std::string>& known) {
  std::map<std::string, std::string> values;
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    std::ostringstream where;
    where << e.source().begin;
    return Status::InvalidArgument(path + ": " + std::string(e.description()) + " at " + where.str());
  }
  for (const auto& [key, node] : table) {
    const std::string name(key.str());
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      return Status::InvalidArgument(path + ": unknown setting \"" + name +
                                     "\" (settings are the flags of agentdraftd --help, without "
                                     "the dashes)");
    }
    if (auto s = node.value<std::string>(); s && node.is_string()) values[name] = *s;
    else if (auto b = node.value<bool>(); b && node.is_boolean()) values[name] = *b ? "true" : "false";
    else if (auto i = node.value<int64_t>(); i && node.is_integer()) values[name] = std::to_string(*i);
    else if (auto f = node.value<double>(); f && node.is_floating_point()) values[name] = std::to_string(*f);
    else return Status::InvalidArgument(path + ": \"" + name + "\" must be a string, number or boolean");
  }
  return values;
}

// The settings given as text and converted after parsing (HOST:PORT, durations). Their
// defaults are the option structs' own, formatted.
struct TextSettings {
  explicit TextSettings(const DaemonConfig& c)
      : http(c.server.host + ":" + std::to_string(c.server.port)),
        tie(FormatDuration(c.engine.tie_window)),
        bump(FormatDuration(c.engine.bump_window)),
        ttl(FormatDuration(c.engine.hold_ttl)),
        checkpoint_interval(FormatDuration(c.checkpoints.every)),
        read_timeout(FormatDuration(c.server.read_timeout)),
        idle_timeout(FormatDuration(c.server.idle_timeout)),
        stream_lifetime(FormatDuration(c.server.stream_lifetime)) {}
  std::string config;  // --config: read before parsing (ConfigFileFromArgs)
  std::string http, tie, bump, ttl, checkpoint_interval, read_timeout, idle_timeout, stream_lifetime;
};

// Every setting by its name in the config file, for its environment variable and for the
// config file's values.
class Settings {
 public:
  CLI::Option* Add(CLI::Option* o, const std::string& name) {
    o->envname(EnvName(name));
    options_.emplace_back(name, o);
    return o;
  }
  const std::vector<std::pair<std::string, CLI::Option*>>& all() const { return options_; }

 private:
  std::vector<std::pair<std::string, CLI::Option*>> options_;
};

void Describe(CLI::App& app) {
  app.description(
      "agentdraftd: the agentdraft coordination daemon.\n"
      "Decides which agent gets a calendar slot, by the owner's ranking, atomically and\n"
      "durably, and serves the JSON API over HTTP (agents, with their keys) and over a Unix\n"
      "socket (the owner: the daemon's own user and root).\n\n"
      "Examples:\n"
      "  agentdraftd                                  # 127.0.0.1:8080, default socket and data dir\n"
      "  agentdraftd --http 127.0.0.1:0 --data-dir /tmp/ad --socket /tmp/ad/ad.sock --dev\n"
      "  agentdraftd --tie-window 100ms --bump-window 1m --rate-limit 20 --rate-burst 40\n"
      "  AGENTDRAFT_LOG_LEVEL=debug agentdraftd      # one log line per request\n");
  app.footer(
      "Each flag can also come from the environment, AGENTDRAFT_<FLAG> (--tie-window:\n"
      "AGENTDRAFT_TIE_WINDOW), or from the config file as `tie-window = \"50ms\"`.\n"
      "Precedence: command line, then environment, then config file, then the default.\n"
      "Config file: --config FILE or AGENTDRAFT_CONFIG, else " + DefaultConfigPath() +
      " if present.");
  app.set_version_flag("--version", std::string("agentdraftd ") + AGENTDRAFT_VERSION);
  app.option_defaults()->always_capture_default();
}

void AddStoreFlags(CLI::App& app, Settings& s, DaemonConfig& c) {
  s.Add(app.add_option("--data-dir", c.data_dir,
                       "directory for the SQLite store and the keys (created 0700 when missing; "
                       "an existing one keeps its mode)"),
        "data-dir");
  s.Add(app.add_option("--store", c.store.kind,
                       "where decisions are kept: sqlite (a file in the data dir) or dynamodb "
                       "(a table several daemons share)")
            ->check(CLI::IsMember({"sqlite", "dynamodb"})), "store");
  s.Add(app.add_option("--dynamodb-table", c.store.dynamodb_table, "DynamoDB table (--store dynamodb)"),
        "dynamodb-table");
  s.Add(app.add_option("--dynamodb-endpoint", c.store.dynamodb_endpoint,
                       "DynamoDB endpoint URL, e.g. http://127.0.0.1:8000 for DynamoDB Local "
                       "(default: the region's AWS endpoint)"), "dynamodb-endpoint");
  s.Add(app.add_option("--region", c.store.region, "AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, "
                                                   "or the profile's)"), "region");
  s.Add(app.add_option("--profile", c.store.profile, "AWS profile for credentials and region "
                                                     "(default: AWS_PROFILE or \"default\")"), "profile");
  s.Add(app.add_flag("--create-table", c.store.create_table,
                     "create the DynamoDB table (with its TTL attribute) when it does not exist"),
        "create-table");
}

void AddEngineFlags(CLI::App& app, Settings& s, DaemonConfig& c, TextSettings& t) {
  s.Add(app.add_option("--tie-window", t.tie,
                       "default tie window (0–5s): how long a commit from an outranked agent "
                       "waits for a higher-ranked claim on its slot"), "tie-window");
  s.Add(app.add_option("--bump-window", t.bump,
                       "default bump window: how long a booking can be evicted by a "
                       "higher-ranked agent"), "bump-window");
  s.Add(app.add_option("--hold-ttl", t.ttl, "default hold lifetime"), "hold-ttl");
  s.Add(app.add_option("--max-holds", c.engine.max_holds_per_agent, "default active holds per agent")
            ->check(CLI::Range(1, 10000)), "max-holds");
  s.Add(app.add_option("--max-active-claims", c.engine.max_active_claims_per_agent,
                       "default active claims (bookings, unexpired holds) per agent")
            ->check(CLI::Range(int64_t{1}, engine::kMaxActiveClaimsSetting)), "max-active-claims");
  s.Add(app.add_option("--max-metadata-bytes", c.engine.max_metadata_bytes_per_agent,
                       "default bytes of metadata per agent, over its active claims")
            ->check(CLI::Range(int64_t{0}, engine::kMaxMetadataBytesSetting)), "max-metadata-bytes");
  s.Add(app.add_option("--checkpoint-rows", c.checkpoints.every_rows,
                       "sign an audit checkpoint every N rows")
            ->check(CLI::Range(1, 100000000)), "checkpoint-rows");
  s.Add(app.add_option("--checkpoint-interval", t.checkpoint_interval,
                       "and this long after the last one when rows were added"),
        "checkpoint-interval");
  s.Add(app.add_option("--webhooks-allow-loopback", c.webhooks.allow_loopback,
                       "let webhooks target 127.0.0.1, ::1 and localhost (true/false)"),
        "webhooks-allow-loopback");
  s.Add(app.add_flag("--webhooks-allow-private", c.webhooks.allow_private,
                     "let webhooks target private ranges (10/8, 172.16/12, 192.168/16, 100.64/10, "
                     "fc00::/7); link-local and metadata addresses stay refused"),
        "webhooks-allow-private");
}

void AddListenerFlags(CLI::App& app, Settings& s, DaemonConfig& c, TextSettings& t) {
  s.Add(app.add_option("--http", t.http, "HOST:PORT to serve HTTP on (port 0 picks a free one)"), "http");
  s.Add(app.add_option("--socket", c.server.socket_path,
                       "Unix socket for the owner (\"none\": no socket)"), "socket");
  s.Add(app.add_flag("--dev", c.server.dev_mode,
                     "development mode: the magic-link sign-in answers with dev_token (never "
                     "for the socket's owner); without it, dev sessions are refused"), "dev");
  s.Add(app.add_option("--allowed-host", c.server.allowed_hosts,
                       "a name HTTP requests may carry in Host besides localhost, 127.0.0.1 and "
                       "[::1] (repeatable, or comma-separated); others are refused with 403")
            ->delimiter(','), "allowed-host");
  s.Add(app.add_option("--rate-limit", c.server.rate_per_second,
                       "requests per second per agent, on average (0: no limit)")
            ->check(CLI::Range(0.0, 1e6)), "rate-limit");
  s.Add(app.add_option("--rate-burst", c.server.rate_burst,
                       "requests an agent may make at once (0: the rate, at least 1)")
            ->check(CLI::Range(0.0, 1e6)), "rate-burst");
  s.Add(app.add_option("--threads", c.server.threads, "HTTP worker threads (connections served at once)")
            ->check(CLI::Range(4, 4096)), "threads");
  s.Add(app.add_option("--max-connections", c.server.max_connections,
                       "connections open at once per listener (served, idle or still "
                       "sending); beyond it the one that waited longest without a whole request "
                       "makes room, and when all are being served a new one is answered 503")
            ->check(CLI::Range(4, 1000000)), "max-connections");
  s.Add(app.add_option("--read-timeout", t.read_timeout,
                       "a request (head and body) must arrive within this, else 408 and the "
                       "connection is closed (100ms–5m)"), "read-timeout");
  s.Add(app.add_option("--idle-timeout", t.idle_timeout,
                       "how long an idle keep-alive connection stays open (100ms–5m)"),
        "idle-timeout");
}

void AddLimitFlags(CLI::App& app, Settings& s, DaemonConfig& c, TextSettings& t) {
  s.Add(app.add_option("--max-streams-per-agent", c.server.streams.per_agent,
                       "event streams (GET /v1/events) one agent may have open at once")
            ->check(CLI::Range(1, 1000)), "max-streams-per-agent");
  s.Add(app.add_option("--max-streams-per-owner", c.server.streams.per_owner,
                       "event streams of one calendar (its owner and agents) open at once")
            ->check(CLI::Range(1, 100000)), "max-streams-per-owner");
  s.Add(app.add_option("--max-streams", c.server.streams.per_listener,
                       "event streams one listener serves at once (0: a quarter of --threads)")
            ->check(CLI::Range(0, 100000)), "max-streams");
  s.Add(app.add_option("--stream-lifetime", t.stream_lifetime,
                       "an event stream ends after this; clients resume with Last-Event-ID (1s–24h)"),
        "stream-lifetime");
  s.Add(app.add_option("--max-body-bytes", c.server.max_body_bytes,
                       "largest request body; larger: 413")
            ->check(CLI::Range(size_t{1024}, size_t{1} << 30)), "max-body-bytes");
  s.Add(app.add_option("--max-header-bytes", c.server.max_header_bytes,
                       "largest request line and headers together; larger: 431")
            ->check(CLI::Range(size_t{1024}, size_t{65536})), "max-header-bytes");
  s.Add(app.add_option("--log-level", c.log_level,
                       "trace, debug (one line per request), info, warn, error, off")
            ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"})), "log-level");
}

// The config file's values become the options' defaults, so that the environment and the
// command line override them. Returns the problem, or "".
std::string ApplyConfigFile(int argc, char** argv, const Settings& settings, DaemonConfig& c) {
  bool required = false;
  const std::string path = ConfigFileFromArgs(argc, argv, &required);
  std::error_code ec;
  if (path.empty() || (!required && !std::filesystem::exists(path, ec))) return "";
  if (!std::filesystem::is_regular_file(path, ec)) return "config file " + path + " does not exist";
  std::vector<std::string> known;
  for (const auto& [name, o] : settings.all()) known.push_back(name);
  auto values = ReadConfigFile(path, known);
  if (!values.ok()) return values.status().message();
  for (const auto& [name, o] : settings.all()) {
    auto it = values->find(name);
    if (it == values->end()) continue;
    try {
      o->default_val(it->second);
    } catch (const CLI::Error& e) {
      return path + ": " + name + ": " + e.what();
    }
  }
  c.config_file = path;
  return "";
}

// --http HOST:PORT into the server options. Returns the problem, or "".
std::string ConvertHttp(const std::string& http, api::ServerOptions& server) {
  const size_t colon = http.rfind(':');
  if (colon == std::string::npos || colon == 0) return "--http must be HOST:PORT, e.g. 127.0.0.1:8080";
  server.host = http.substr(0, colon);
  try {
    size_t used = 0;
    server.port = std::stoi(http.substr(colon + 1), &used);
    if (used != http.size() - colon - 1 || server.port < 0 || server.port > 65535) throw 0;
  } catch (...) {
    return "--http port must be a number from 0 to 65535";
  }
  return "";
}

// The durations given as text. Returns the problem, or "".
std::string ConvertDurations(const TextSettings& t, DaemonConfig& c) {
  using namespace std::chrono_literals;
  for (auto [text, out, max, name] :
       {std::tuple{&t.tie, &c.engine.tie_window, Duration(5s), "--tie-window"},
        std::tuple{&t.bump, &c.engine.bump_window, Duration(24h), "--bump-window"},
        std::tuple{&t.ttl, &c.engine.hold_ttl, Duration(24h), "--hold-ttl"}}) {
    Status s = ParseInto(*text, out, max);
    if (!s.ok()) return std::string(name) + ": " + s.message();
  }
  if (c.engine.hold_ttl <= Duration(0)) return "--hold-ttl must be positive";
  for (auto [text, out, min, max, name] :
       {std::tuple{&t.read_timeout, &c.server.read_timeout, Duration(100ms), Duration(5min), "--read-timeout"},
        std::tuple{&t.idle_timeout, &c.server.idle_timeout, Duration(100ms), Duration(5min), "--idle-timeout"},
        std::tuple{&t.stream_lifetime, &c.server.stream_lifetime, Duration(1s), Duration(24h), "--stream-lifetime"}}) {
    Duration d{};
    Status s = ParseInto(*text, &d, max);
    if (s.ok() && d < min) s = Status::InvalidArgument(*text + " is below " + FormatDuration(min));
    if (!s.ok()) return std::string(name) + ": " + s.message();
    *out = std::chrono::duration_cast<std::chrono::milliseconds>(d);
  }
  if (Status s = ParseInto(t.checkpoint_interval, &c.checkpoints.every, Duration(24h)); !s.ok() ||
      c.checkpoints.every < Duration(1s)) {
    return "--checkpoint-interval: " + (s.ok() ? t.checkpoint_interval + " is below 1s" : s.message());
  }
  return "";
}

// What no single flag can judge. Returns the problem, or "".
std::string CheckCombinations(const DaemonConfig& c) {
  if (c.store.kind == "dynamodb" && c.store.dynamodb_table.empty()) {
    return "--store dynamodb needs --dynamodb-table NAME";
  }
  if (c.store.kind != "dynamodb" && !c.store.dynamodb_table.empty()) {
    return "--dynamodb-table is for --store dynamodb";
  }
  if (c.server.streams.per_listener * 2 > c.server.threads) {
    return "--max-streams " + std::to_string(c.server.streams.per_listener) +
           " would leave too few of the " + std::to_string(c.server.threads) +
           " --threads for requests: at most half of them";
  }
  if (c.server.socket_path.size() > api::kMaxSocketPath) {
    return "--socket path is longer than " + std::to_string(api::kMaxSocketPath) +
           " bytes: " + c.server.socket_path;
  }
  return "";
}

}  // namespace

std::optional<DaemonConfig> ParseCommandLine(int argc, char** argv, int* exit_code) {
  DaemonConfig c;
  c.data_dir = DefaultDataDir();
  c.server.socket_path = api::DefaultSocketPath();
  TextSettings text(c);
  CLI::App app{"", "agentdraftd"};
  Describe(app);
  app.add_option("--config", text.config, "TOML config file (see below)");
  Settings settings;
  AddListenerFlags(app, settings, c, text);
  AddStoreFlags(app, settings, c);
  AddEngineFlags(app, settings, c, text);
  AddLimitFlags(app, settings, c, text);

  auto fail = [&](const std::string& message) {
    std::fprintf(stderr, "agentdraftd: %s\n", message.c_str());
    *exit_code = 2;
    return std::nullopt;
  };
  if (std::string problem = ApplyConfigFile(argc, argv, settings, c); !problem.empty()) return fail(problem);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    *exit_code = app.exit(e);
    return std::nullopt;
  }
  if (c.server.socket_path == "none") c.server.socket_path.clear();
  for (std::string problem : {ConvertHttp(text.http, c.server), ConvertDurations(text, c), CheckCombinations(c)}) {
    if (!problem.empty()) return fail(problem);
  }
  return c;
}

}  // namespace agentdraft::daemon
