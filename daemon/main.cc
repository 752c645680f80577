// agentdraftd: opens the store, starts the engine and the HTTP listener, prints the ready
// line, and on SIGTERM/SIGINT drains in-flight requests and the pending batch, then exits 0.
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "common/file_modes.h"
#include "common/ids.h"
#include "daemon/audit/checkpointer.h"
#include "daemon/audit/event_hub.h"
#include "daemon/config.h"
#include "daemon/webhooks/deliverer.h"
#include "daemon/webhooks/webhooks.h"
#include "daemon/store/dynamo/aws_config.h"
#include "daemon/store/dynamo/dynamo_store.h"
#include "daemon/store/sqlite_store.h"

using namespace agentdraft;

namespace {

// Reads <dir>/secret.key, creating it (0600, 32 random bytes as hex) on first start. One that
// group or others may read is refused.
Result<std::string> LoadOrCreateSecret(const std::string& dir) {
  const std::string path = dir + "/secret.key";
  if (Status s = CheckPrivateFile(path); !s.ok()) return s;
  std::ifstream in(path);
  std::string secret;
  if (in && std::getline(in, secret) && secret.size() >= 32) return secret;
  secret = NewId("", 64);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return Status::Unavailable("cannot create " + path + ": " + std::strerror(errno));
  std::string line = secret + "\n";
  bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return Status::Unavailable("cannot write " + path);
  return secret;
}

// Holds an flock on <dir>/agentdraftd.lock for the process's lifetime: two daemons on one
// SQLite file would each keep their own view of the calendar.
Status LockDataDir(const std::string& dir) {
  const std::string path = dir + "/agentdraftd.lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Unavailable("cannot open " + path + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return Status::Unavailable("another agentdraftd uses the data directory " + dir +
                               "; stop it first, or give this one --data-dir DIR");
  }
  return Status::Ok();  // fd stays open: the lock lasts until exit
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "agentdraftd: %s\n", message.c_str());
  return 1;
}


// Raises the soft limit on open files to the hard one, and when even that cannot hold both
// listeners' --max-connections, lowers it to fit (with a warning): a full table of connections
// must never leave the daemon without a descriptor for its store.
void FitConnectionsToDescriptorLimit(api::ServerOptions& server) {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return;
  lim.rlim_cur = lim.rlim_max;
  (void)::setrlimit(RLIMIT_NOFILE, &lim);
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return;
  constexpr rlim_t kReserve = 256;  // the store, DynamoDB and webhook connections, logs
  const rlim_t fit = lim.rlim_cur > kReserve + 8 ? (lim.rlim_cur - kReserve) / 2 : 4;
  if (static_cast<rlim_t>(server.max_connections) > fit) {
    spdlog::warn("--max-connections {} does not fit the open-file limit ({}); using {}",
                 server.max_connections, lim.rlim_cur, fit);
    server.max_connections = static_cast<int>(fit);
  }
}

}  // namespace

int main(int argc, char** argv) {
  int exit_code = 0;
  auto config = daemon::ParseCommandLine(argc, argv, &exit_code);
  if (!config) return exit_code;
  spdlog::set_default_logger(spdlog::stderr_color_mt("agentdraftd"));
  spdlog::set_level(spdlog::level::from_str(config->log_level));

  // Signals are taken by one thread with sigwait; block them everywhere else first.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  // A data directory made here is 0700; one that exists keeps its mode (docs/design.md).
  auto data_dir = PrepareDataDir(config->data_dir);
  if (!data_dir.ok()) return Fail(data_dir.status().message());
  if (!data_dir->warning.empty()) spdlog::warn("{}", data_dir->warning);
  if (Status s = LockDataDir(config->data_dir); !s.ok()) return Fail(s.message());
  auto secret = LoadOrCreateSecret(config->data_dir);
  if (!secret.ok()) return Fail(secret.status().message());
  config->engine.key_secret = *secret;

  std::unique_ptr<store::Store> owned_store;
  std::string store_description;
  if (config->store.kind == "dynamodb") {
    store::dynamo::AwsConfigRequest aws_request;
    if (!config->store.profile.empty()) aws_request.profile = config->store.profile;
    if (!config->store.region.empty()) aws_request.region = config->store.region;
    auto aws = store::dynamo::ResolveAwsConfig(aws_request);
    if (!aws.ok()) return Fail("DynamoDB credentials: " + aws.status().message());
    store::DynamoStoreOptions o;
    o.table = config->store.dynamodb_table;
    o.create_table = config->store.create_table;
    o.idempotency_ttl = config->engine.idempotency_ttl;
    o.client.endpoint = config->store.dynamodb_endpoint;
    o.client.region = aws->region;
    o.client.credentials = aws->credentials;
    auto opened = store::DynamoStore::Open(o);
    if (!opened.ok()) return Fail("cannot open the store: " + opened.status().message());
    // Every daemon on the table must hash API keys alike: the first one's secret wins.
    auto shared = (*opened)->SharedSecret(*secret);
    if (!shared.ok()) return Fail("cannot read the shared key secret: " + shared.status().message());
    config->engine.key_secret = *shared;
    store_description = "dynamodb table " + o.table + " at " +
                        (o.client.endpoint.empty() ? "region " + o.client.region : o.client.endpoint) +
                        " (credentials: " + aws->credentials_source + ")";
    owned_store = std::move(*opened);
  } else {
    store::SqliteStoreOptions store_options;
    store_options.path = config->data_dir + "/agentdraft.db";
    auto opened = store::SqliteStore::Open(store_options);
    if (!opened.ok()) return Fail("cannot open the store: " + opened.status().message());
    store_description = "sqlite at " + store_options.path + " (synchronous=FULL, WAL)";
    owned_store = std::move(*opened);
  }
  store::Store& store = *owned_store;

  SystemClock clock;
  config->engine.dev_mode = config->server.dev_mode;  // dev sessions work only with --dev
  engine::Engine engine(store, clock, config->engine);

  // The audit chain's checkpoints, the event stream and webhooks follow the engine's durable
  // decisions through its hooks.
  config->checkpoints.key_path = config->data_dir + "/audit.key";
  auto checkpointer = audit::Checkpointer::Open(store, clock, config->checkpoints);
  if (!checkpointer.ok()) {
    if (checkpointer.status().code() == StatusCode::kInvalidArgument) {
      return Fail(checkpointer.status().message());  // a key others may read: the fix is in it
    }
    return Fail("cannot open the audit key: " + checkpointer.status().ToString());
  }
  audit::EventHub events;
  webhooks::Webhooks hooks_webhooks(store, clock,
                                    {config->webhooks.allow_loopback, config->webhooks.allow_private});
  if (Status s = hooks_webhooks.Load(); !s.ok()) return Fail("cannot load webhooks: " + s.ToString());
  hooks_webhooks.SetEngine(&engine);
  webhooks::Deliverer deliverer(store, clock, config->webhooks);
  {
    auto loaded = store.Load();
    if (!loaded.ok()) return Fail("cannot load state: " + loaded.status().ToString());
    events.Reset(loaded->audit_head_seq);
  }
  engine::EngineHooks hooks;
  hooks.before_apply = [&](store::Decision& d) { hooks_webhooks.AddDeliveries(d); };
  hooks.after_durable = [&](const std::vector<store::AuditRecord>& rows) {
    events.Publish(rows);
    (*checkpointer)->OnDurable(rows);
    if (!rows.empty() && hooks_webhooks.TakeNewDeliveries(rows.back().seq)) deliverer.Wake();
  };
  engine.SetHooks(std::move(hooks));
  if (Status s = engine.Start(); !s.ok()) return Fail("cannot load state: " + s.ToString());

  FitConnectionsToDescriptorLimit(config->server);
  api::ApiServer server(engine, config->server, {checkpointer->get(), &events, &hooks_webhooks});
  auto port = server.Bind();
  if (!port.ok()) {
    engine.Stop();
    return Fail(port.status().message());
  }
  // Background work starts only once the daemon is sure to run.
  deliverer.Start();
  std::atomic<bool> ticking{true};
  std::thread ticker([&] {  // time-based checkpoints
    while (ticking) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      (*checkpointer)->Tick();
    }
  });

  // Serve on a thread; the main thread waits for SIGTERM/SIGINT (or for Serve() to fail).
  std::atomic<bool> serving{true};
  std::thread serve([&] {
    server.Serve();
    if (serving.exchange(false)) ::kill(::getpid(), SIGTERM);  // returned by itself: wake main
  });
  spdlog::info("store {}; tie window {}, bump window {}{}",
               store_description, FormatDuration(config->engine.tie_window),
               FormatDuration(config->engine.bump_window), config->server.dev_mode ? "; dev mode" : "");
  if (!config->config_file.empty()) spdlog::info("settings from {}", config->config_file);
  if (!server.socket_path().empty()) spdlog::info("owner socket at {}", server.socket_path());
  std::printf("agentdraftd ready http=http://%s:%d%s%s\n", config->server.host.c_str(), *port,
              server.socket_path().empty() ? "" : " socket=", server.socket_path().c_str());
  std::fflush(stdout);

  int sig = 0;
  sigwait(&signals, &sig);
  const bool failed = !serving.exchange(false);
  if (failed) spdlog::error("the HTTP listener stopped; shutting down");
  else spdlog::info("signal {}: draining", sig);
  server.Drain();  // no new requests; every request being handled has been answered
  events.WakeAll();
  engine.Stop();   // settles commits waiting out a tie window; waits for the store
  deliverer.Stop();
  ticking = false;
  ticker.join();
  if (auto c = (*checkpointer)->SignHead(); c.ok()) {
    spdlog::info("audit checkpoint at size {} signed", c->size);
  }
  owned_store.reset();  // finishes the writer's queue (SQLite: checkpoints, closes the database)
  spdlog::info("stopped");
  // Flush only: spdlog::shutdown() would free the logger that idle worker threads (below) may
  // still touch; _Exit runs no destructors, so nothing is leaked.
  spdlog::default_logger()->flush();
  std::fflush(stdout);
  // The listeners' workers may still be finishing a last answer to a peer that reads slowly;
  // nothing is left for them to do, so leave without joining.
  std::_Exit(failed ? 1 : 0);
}
