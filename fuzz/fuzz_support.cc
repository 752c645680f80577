#include "fuzz/fuzz_support.h"

#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <future>
#include <thread>

#include <spdlog/spdlog.h>

namespace agentdraft::fuzz {

void Fail(const std::string& what, const std::string& detail) {
  std::fprintf(stderr, "\n*** FUZZ FINDING: %s\n%s\n", what.c_str(), detail.c_str());
  std::fflush(stderr);
  std::abort();
}

namespace {
bool ReadLine(const std::string& raw, size_t& pos, std::string* line) {
  const size_t eol = raw.find("\r\n", pos);
  if (eol == std::string::npos) return false;
  *line = raw.substr(pos, eol - pos);
  pos = eol + 2;
  return true;
}
}  // namespace

bool ParseAnswers(const std::string& raw, std::vector<HttpAnswer>* answers) {
  size_t pos = 0;
  while (pos < raw.size()) {
    HttpAnswer a;
    std::string line;
    if (!ReadLine(raw, pos, &line) || line.rfind("HTTP/1.1 ", 0) != 0 || line.size() < 12) return false;
    a.status = std::atoi(line.c_str() + 9);
    bool chunked = false;
    long long length = -1;
    for (;;) {
      if (!ReadLine(raw, pos, &line)) return false;
      if (line.empty()) break;
      const size_t colon = line.find(':');
      if (colon == std::string::npos) return false;
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      if (name == "content-length") length = std::atoll(value.c_str());
      if (name == "transfer-encoding" && value == "chunked") chunked = true;
    }
    if (chunked) {
      for (;;) {
        if (!ReadLine(raw, pos, &line)) return false;
        const long long n = std::strtoll(line.c_str(), nullptr, 16);
        if (n < 0 || pos + n + 2 > raw.size()) return false;
        a.body.append(raw, pos, n);
        pos += n + 2;
        if (n == 0) break;
      }
    } else if (length >= 0) {
      if (pos + length > raw.size()) return false;
      a.body = raw.substr(pos, length);
      pos += length;
    }
    answers->push_back(std::move(a));
  }
  return true;
}

namespace {
// The audit key lives in a directory of this process's own, removed at exit.
const std::string& KeyDir() {
  static const std::string dir = [] {
    char tmpl[] = "/tmp/agentdraft-fuzz-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) Fail("mkdtemp failed");
    std::string d = tmpl;
    static std::string to_remove = d;
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(to_remove, ec);
    });
    return d;
  }();
  return dir;
}

template <typename T>
T Must(Result<T> r, const char* what) {
  if (!r.ok()) Fail(std::string("set-up: ") + what, r.status().ToString());
  return std::move(r.value());
}
}  // namespace

InProcessDaemon::InProcessDaemon() : clock_(FromMicros(1780315200LL * 1000000)) {
  static const bool quiet = [] {
    spdlog::set_level(spdlog::level::off);
    return true;
  }();
  (void)quiet;
  store::SqliteStoreOptions so;
  so.path = ":memory:";
  store_ = Must(store::SqliteStore::Open(so), "open the store");
  engine::EngineOptions eo;
  eo.run_timer_thread = false;
  eo.key_secret = "fuzz-secret";
  eo.dev_mode = true;  // the owner signs in by the dev magic link
  engine_ = std::make_unique<engine::Engine>(*store_, clock_, eo);
  audit::CheckpointerOptions co;
  co.key_path = KeyDir() + "/audit.key";
  co.every_rows = 4;  // so that exports carry several checkpoints
  checkpointer_ = Must(audit::Checkpointer::Open(*store_, clock_, co), "open the checkpointer");
  webhooks::WebhooksOptions wo;
  wo.resolve_names = false;  // no DNS look-ups while fuzzing
  webhooks_ = std::make_unique<webhooks::Webhooks>(*store_, clock_, wo);
  if (Status s = webhooks_->Load(); !s.ok()) Fail("set-up: webhooks", s.ToString());
  webhooks_->SetEngine(engine_.get());
  engine::EngineHooks hooks;
  hooks.before_apply = [this](store::Decision& d) { webhooks_->AddDeliveries(d); };
  hooks.after_durable = [this](const std::vector<store::AuditRecord>& rows) {
    checkpointer_->OnDurable(rows);
    if (!rows.empty()) webhooks_->TakeNewDeliveries(rows.back().seq);
  };
  engine_->SetHooks(std::move(hooks));
  if (Status s = engine_->Start(); !s.ok()) Fail("set-up: engine start", s.ToString());
  auto grant = Must(engine_->directory().RedeemMagicToken(engine_->directory().IssueMagicToken("owner@example.com")),
                    "owner session");
  session_cookie_ = grant.cookie_value;
  for (int i = 1; i <= 2; ++i) {
    auto created = Must(engine_->directory().CreateAgent(grant.owner.id, "agent" + std::to_string(i), i, {}),
                        "create an agent");
    agent_keys_.push_back(created.plaintext_key);
  }
  api::ServerOptions options;
  options.max_body_bytes = 64 * 1024;
  options.port = 0;
  options.threads = 1;
  server_ = std::make_unique<api::ApiServer>(*engine_, options,
                                             api::ApiServices{checkpointer_.get(), nullptr, webhooks_.get()});
  // httplib writes chunked answers only while its listener is open, so the listener is bound
  // and served (nothing connects to it); Serve() also lets Drain() close it, which it does only
  // for a listener that has run.
  if (auto bound = server_->Bind(); !bound.ok()) Fail("set-up: bind", bound.status().ToString());
  serving_ = std::async(std::launch::async, [this] { server_->Serve(); });
}

InProcessDaemon::~InProcessDaemon() {
  // Drain() closes only a listener that is running: until Serve() has got that far, again.
  do {
    server_->Drain();
  } while (serving_.wait_for(std::chrono::milliseconds(1)) != std::future_status::ready);
  server_.reset();
  engine_->Stop();
  engine_.reset();
  store_.reset();
}

std::string InProcessDaemon::Serve(const std::string& raw, bool owner_socket, int max_requests) {
  StringStream stream(raw);
  // The handler blocks until its commit is decided; a commit waiting out a tie window is
  // decided when the clock passes it, which this thread does meanwhile.
  auto served = std::async(std::launch::async, [&] {
    server_->ServeStream(stream, owner_socket, max_requests);
  });
  while (served.wait_for(std::chrono::microseconds(200)) != std::future_status::ready) {
    clock_.Advance(std::chrono::milliseconds(10));
    engine_->RunDue();
  }
  served.get();
  return stream.output();
}

}  // namespace agentdraft::fuzz
