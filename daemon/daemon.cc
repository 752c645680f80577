#include "daemon/daemon.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>

#include <spdlog/spdlog.h>

#include "common/file_modes.h"
#include "common/ids.h"
#include "daemon/api/server.h"
#include "daemon/audit/checkpointer.h"
#include "daemon/audit/event_hub.h"
#include "daemon/engine/engine.h"
#include "daemon/store/open_store.h"
#include "daemon/webhooks/deliverer.h"
#include "daemon/webhooks/webhooks.h"

namespace agentdraft::daemon {
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

// Takes an flock on <dir>/agentdraftd.lock and returns its descriptor: two daemons on one
// SQLite file would each keep their own view of the calendar.
Result<int> LockDataDir(const std::string& dir) {
  const std::string path = dir + "/agentdraftd.lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Unavailable("cannot open " + path + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return Status::Unavailable("another agentdraftd uses the data directory " + dir +
                               "; stop it first, or give this one --data-dir DIR");
  }
  return fd;
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

// Declared in the order they are built; destroyed in reverse.
struct Daemon::Parts {
  std::unique_ptr<store::Store> store;
  std::unique_ptr<engine::Engine> engine;
  std::unique_ptr<audit::Checkpointer> checkpointer;
  audit::EventHub events;
  std::unique_ptr<webhooks::Webhooks> webhooks;
  std::unique_ptr<webhooks::Deliverer> deliverer;
  std::unique_ptr<api::ApiServer> server;
};

Daemon::Daemon(DaemonConfig config) : config_(std::move(config)), parts_(std::make_unique<Parts>()) {}

Result<std::unique_ptr<Daemon>> Daemon::Start(DaemonConfig config, DaemonHooks hooks) {
  std::unique_ptr<Daemon> d(new Daemon(std::move(config)));
  if (Status s = d->Open(hooks); !s.ok()) return s;
  if (Status s = d->Assemble(); !s.ok()) return s;
  d->StartBackground(std::move(hooks.on_listener_exit));
  return d;
}

// The data directory, its lock and secret, and the store.
Status Daemon::Open(DaemonHooks& hooks) {
  // A data directory made here is 0700; one that exists keeps its mode (docs/design.md).
  auto data_dir = PrepareDataDir(config_.data_dir);
  if (!data_dir.ok()) return data_dir.status();
  if (!data_dir->warning.empty()) spdlog::warn("{}", data_dir->warning);
  auto lock = LockDataDir(config_.data_dir);
  if (!lock.ok()) return lock.status();
  lock_fd_ = *lock;
  auto secret = LoadOrCreateSecret(config_.data_dir);
  if (!secret.ok()) return secret.status();

  store::StoreConfig store_config = config_.store;
  if (store_config.sqlite_path.empty()) store_config.sqlite_path = config_.data_dir + "/agentdraft.db";
  store_config.idempotency_ttl = config_.engine.idempotency_ttl;
  store_config.key_secret = *secret;
  auto opened = store::Open(store_config);
  if (!opened.ok()) return opened.status();
  config_.engine.key_secret = opened->key_secret;
  store_description_ = opened->description;
  parts_->store = std::move(opened->store);
  if (hooks.decorate_store) parts_->store = hooks.decorate_store(std::move(parts_->store));
  return Status::Ok();
}

// The engine and what follows its durable decisions through its hooks (the audit chain's
// checkpoints, the event stream, webhooks), and the listeners, bound.
Status Daemon::Assemble() {
  Parts& p = *parts_;
  store::Store& store = *p.store;
  config_.engine.dev_mode = config_.server.dev_mode;  // dev sessions work only with --dev
  p.engine = std::make_unique<engine::Engine>(store, clock_, config_.engine);
  config_.checkpoints.key_path = config_.data_dir + "/audit.key";
  auto checkpointer = audit::Checkpointer::Open(store, clock_, config_.checkpoints);
  if (!checkpointer.ok()) {
    if (checkpointer.status().code() == StatusCode::kInvalidArgument) {
      return checkpointer.status();  // a key others may read: the fix is in the message
    }
    return Status(checkpointer.status().code(), "cannot open the audit key: " + checkpointer.status().ToString());
  }
  p.checkpointer = std::move(*checkpointer);
  p.webhooks = std::make_unique<webhooks::Webhooks>(
      store, clock_, webhooks::WebhooksOptions{config_.webhooks.allow_loopback, config_.webhooks.allow_private});
  if (Status s = p.webhooks->Load(); !s.ok()) return Status(s.code(), "cannot load webhooks: " + s.ToString());
  p.webhooks->SetEngine(p.engine.get());
  p.deliverer = std::make_unique<webhooks::Deliverer>(store, clock_, config_.webhooks);
  auto loaded = store.Load();
  if (!loaded.ok()) return Status(loaded.status().code(), "cannot load state: " + loaded.status().ToString());
  p.events.Reset(loaded->audit_head_seq);
  engine::EngineHooks hooks;
  hooks.before_apply = [&p](store::Decision& d) { p.webhooks->AddDeliveries(d); };
  hooks.after_durable = [&p](const std::vector<store::AuditRecord>& rows) {
    p.events.Publish(rows);
    p.checkpointer->OnDurable(rows);
    if (!rows.empty() && p.webhooks->TakeNewDeliveries(rows.back().seq)) p.deliverer->Wake();
  };
  p.engine->SetHooks(std::move(hooks));
  if (Status s = p.engine->Start(); !s.ok()) return Status(s.code(), "cannot load state: " + s.ToString());

  FitConnectionsToDescriptorLimit(config_.server);
  p.server = std::make_unique<api::ApiServer>(*p.engine, config_.server,
                                              api::ApiServices{p.checkpointer.get(), &p.events, p.webhooks.get()});
  auto port = p.server->Bind();
  if (!port.ok()) {
    p.engine->Stop();
    return port.status();
  }
  port_ = *port;
  return Status::Ok();
}

// Background work starts only once the daemon is sure to run.
void Daemon::StartBackground(std::function<void()> on_listener_exit) {
  started_ = true;
  parts_->deliverer->Start();
  ticking_ = true;
  ticker_thread_ = std::thread([this] {  // time-based checkpoints
    while (ticking_) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      parts_->checkpointer->Tick();
    }
  });
  serving_ = true;
  serve_thread_ = std::thread([this, on_exit = std::move(on_listener_exit)] {
    parts_->server->Serve();
    if (serving_.exchange(false) && on_exit) on_exit();  // returned by itself
    serve_done_ = true;
  });
}

bool Daemon::Stop() {
  if (stopped_.exchange(true)) return !failed_;
  Parts& p = *parts_;
  if (!started_) {  // Start() failed part way: nothing serves or runs in the background
    if (p.engine) p.engine->Stop();
    p.store.reset();
    return true;
  }
  failed_ = !serving_.exchange(false);
  p.server->Drain();  // no new requests; every request being handled has been answered
  p.events.WakeAll();
  p.engine->Stop();   // settles commits waiting out a tie window; waits for the store
  p.deliverer->Stop();
  ticking_ = false;
  ticker_thread_.join();
  if (auto c = p.checkpointer->SignHead(); c.ok()) spdlog::info("audit checkpoint at size {} signed", c->size);
  p.store.reset();  // finishes the writer's queue (SQLite: checkpoints, closes the database)
  return !failed_;
}

Daemon::~Daemon() {
  Stop();
  // Serve() may not return while idle keep-alive connections stay open (api/server.h); give
  // it the idle timeout and a little more, then leave the listener's parts to it.
  const auto until = std::chrono::steady_clock::now() + config_.server.idle_timeout + std::chrono::seconds(2);
  while (serve_thread_.joinable() && !serve_done_ && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (serve_thread_.joinable() && !serve_done_) {
    serve_thread_.detach();
    (void)parts_.release();  // still used by the listener's threads: never freed
  } else if (serve_thread_.joinable()) {
    serve_thread_.join();
  }
  parts_.reset();
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

int Daemon::port() const { return port_; }

const std::string& Daemon::socket_path() const {
  static const std::string kNone;
  return parts_ && parts_->server ? parts_->server->socket_path() : kNone;
}

}  // namespace agentdraft::daemon
