// End-to-end: the audit export verified offline with the daemon's public key, checkpoints, the
// event stream (an evicted agent learns it at once), and webhooks that survive SIGKILL.
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "common/api_client.h"
#include "tests/cli/run_process.h"
#include "tests/e2e/e2e_support.h"
#include "tests/support/daemon_process.h"
#include "tests/support/temp_dir.h"

namespace agentdraft::testing {
namespace {

using nlohmann::json;

ApiClient Socket(const DaemonProcess& d) {
  ApiClientOptions o;
  o.base_url = "http://agentdraftd";
  o.unix_socket_path = d.socket_path();
  return ApiClient(o);
}

ApiClient AgentClient(const DaemonProcess& d, const std::string& key) {
  ApiClientOptions o;
  o.base_url = d.base_url();
  o.api_key = key;
  return ApiClient(o);
}

std::string AddAgent(ApiClient& owner, const std::string& name, int priority) {
  auto r = owner.Post("/v1/dashboard/agents", {{"name", name}, {"priority", priority}});
  EXPECT_TRUE(r.ok() && r->status == 201) << (r.ok() ? r->body : r.status().ToString());
  return r.ok() ? json::parse(r->body).value("plaintext_key", "") : "";
}

// Starts the daemon; on failure prints why (the Status carries the daemon's stderr).
bool Started(DaemonProcess& d) {
  Status s = d.Start();
  if (!s.ok()) std::fprintf(stderr, "daemon did not start: %s\n", s.ToString().c_str());
  return s.ok();
}

ProcessResult DaemonCli(const DaemonProcess& d, std::vector<std::string> args) {
  args.insert(args.begin(), AGENTDRAFT_CLI_PATH);
  return RunProcess(args, {{"AGENTDRAFT_SOCKET", d.socket_path()}, {"AGENTDRAFT_API_KEY", ""}});
}

TEST(AuditExport, AnExportVerifiesOfflineAndAnEditedRowIsNamed) {
  TempDir dir;
  DaemonProcess daemon(dir.File("data"), {"--checkpoint-rows", "7", "--tie-window", "0ms"});
  ASSERT_TRUE(Started(daemon)) << daemon.Log();
  ApiClient owner = Socket(daemon);
  const std::string top = AddAgent(owner, "top", 1), low = AddAgent(owner, "low", 2);
  ApiClient a = AgentClient(daemon, top), b = AgentClient(daemon, low);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(b.Post("/v1/bookings", Claim(i * 60, i * 60 + 30)).ok());
    ASSERT_TRUE(a.Post("/v1/bookings", Claim(i * 60, i * 60 + 30)).ok());  // evicts b's
  }
  ProcessResult pubkey = DaemonCli(daemon, {"audit", "pubkey"});
  ASSERT_EQ(pubkey.exit_code, 0) << pubkey.err;
  const std::string key = pubkey.out.substr(0, pubkey.out.find('\n'));
  ASSERT_EQ(key.size(), 64u) << pubkey.out;

  const std::string file = dir.File("audit.jsonl");
  ProcessResult exported = DaemonCli(daemon, {"audit", "export", "-o", file});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  std::vector<std::string> lines;
  {
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
  }
  ASSERT_GT(lines.size(), 30u);
  int checkpoints = 0;
  for (const std::string& l : lines) checkpoints += json::parse(l)["type"] == "checkpoint";
  EXPECT_GE(checkpoints, 4);  // every 7 rows, plus the export's own

  ProcessResult ok = DaemonCli(daemon, {"audit", "verify", file, "--pubkey", key});
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_NE(ok.out.find("ok:"), std::string::npos) << ok.out;

  // Edit one row's payload: verify names that row.
  json row = json::parse(lines[5]);
  ASSERT_EQ(row["type"], "row");
  row["payload"]["tampered"] = true;
  std::vector<std::string> edited = lines;
  edited[5] = row.dump();
  const std::string bad = dir.File("edited.jsonl");
  {
    std::ofstream out(bad);
    for (const std::string& l : edited) out << l << "\n";
  }
  ProcessResult caught = DaemonCli(daemon, {"audit", "verify", bad, "--pubkey", key});
  EXPECT_EQ(caught.exit_code, 1);
  EXPECT_NE(caught.err.find("row " + std::to_string(row["seq"].get<int>())), std::string::npos) << caught.err;

  // GET /v1/audit/checkpoint: the signed text and its key.
  auto cp = owner.Get("/v1/audit/checkpoint");
  ASSERT_TRUE(cp.ok());
  json checkpoint = json::parse(cp->body);
  EXPECT_EQ(checkpoint["key"], key);
  EXPECT_NE(checkpoint["text"].get<std::string>().find("agentdraft audit checkpoint v1\n"), std::string::npos);
  EXPECT_EQ(daemon.Stop(), 0);
}

TEST(AuditExport, ShutdownSignsTheHeadAndTheKeySurvivesRestarts) {
  TempDir dir;
  DaemonProcess daemon(dir.File("data"), {"--checkpoint-rows", "100000"});
  ASSERT_TRUE(Started(daemon)) << daemon.Log();
  ApiClient owner = Socket(daemon);
  AddAgent(owner, "bot", 1);
  const std::string key = json::parse(owner.Get("/v1/audit/checkpoint")->body)["key"];
  ASSERT_EQ(daemon.Stop(), 0);
  EXPECT_NE(daemon.Log().find("audit checkpoint at size"), std::string::npos) << daemon.Log();
  ASSERT_TRUE(Started(daemon)) << daemon.Log();
  ApiClient again = Socket(daemon);
  json cp = json::parse(again.Get("/v1/audit/checkpoint")->body);
  EXPECT_EQ(cp["key"], key);
  EXPECT_EQ(cp["size"], 2);  // owner.created, agent.created: signed at the stop
  EXPECT_EQ(daemon.Stop(), 0);
}

// Reads server-sent events from a raw TCP connection.
class SseReader {
 public:
  SseReader(const std::string& base_url, const std::string& key, int64_t last_event_id = -1) {
    const int port = std::stoi(base_url.substr(base_url.rfind(':') + 1));
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    std::string req = "GET /v1/events HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + key + "\r\n";
    if (last_event_id >= 0) req += "Last-Event-ID: " + std::to_string(last_event_id) + "\r\n";
    req += "\r\n";
    EXPECT_EQ(write(fd_, req.data(), req.size()), static_cast<ssize_t>(req.size()));
  }
  ~SseReader() { close(fd_); }
  // Reads until an event of `kind` arrives (or `timeout`); returns its data JSON.
  std::optional<json> Next(const std::string& kind, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      size_t at = buffer_.find("event: " + kind + "\n");
      if (at != std::string::npos) {
        size_t data = buffer_.find("data: ", at);
        size_t end = buffer_.find("\n", data);
        if (data != std::string::npos && end != std::string::npos) {
          json j = json::parse(buffer_.substr(data + 6, end - data - 6));
          buffer_.erase(0, end);
          return j;
        }
      }
      timeval tv{0, 50000};
      setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      char buf[4096];
      ssize_t n = read(fd_, buf, sizeof buf);
      if (n > 0) buffer_.append(buf, n);
      else if (n == 0) break;
    }
    return std::nullopt;
  }
  const std::string& buffer() const { return buffer_; }

 private:
  int fd_ = -1;
  std::string buffer_;
};

TEST(EventStream, AnEvictedAgentLearnsItAtOnceAndCanResume) {
  TempDir dir;
  DaemonProcess daemon(dir.File("data"), {"--tie-window", "0ms"});
  ASSERT_TRUE(Started(daemon)) << daemon.Log();
  ApiClient owner = Socket(daemon);
  const std::string top = AddAgent(owner, "top", 1), low = AddAgent(owner, "low", 2);
  ApiClient a = AgentClient(daemon, top), b = AgentClient(daemon, low);

  SseReader events(daemon.base_url(), low);
  auto committed = b.Post("/v1/bookings", Claim(0, 30));
  ASSERT_TRUE(committed.ok() && committed->status == 201);
  const std::string victim = json::parse(committed->body)["booking_id"];
  ASSERT_TRUE(events.Next("booking.committed", std::chrono::seconds(5)).has_value()) << events.buffer();

  const auto before = std::chrono::steady_clock::now();
  auto evicting = a.Post("/v1/bookings", Claim(0, 30));
  ASSERT_TRUE(evicting.ok() && evicting->status == 201);
  auto evicted = events.Next("booking.evicted", std::chrono::seconds(5));
  const auto latency = std::chrono::steady_clock::now() - before;
  ASSERT_TRUE(evicted.has_value()) << events.buffer();
  EXPECT_EQ((*evicted)["resource"], victim);
  EXPECT_EQ((*evicted)["payload"]["evicted_by_agent"], json::parse(evicting->body)["agent_id"]);
  std::printf("[ measured ] eviction to event: %.2f ms (commit round trip included)\n",
              std::chrono::duration<double, std::milli>(latency).count());
  // Only the agent's own events: the top agent's commit row is about top, not low… but it
  // evicted low's booking, so that row (subject low) was sent; nothing about other slots.
  ASSERT_TRUE(a.Post("/v1/bookings", Claim(120, 150)).ok());
  EXPECT_FALSE(events.Next("booking.committed", std::chrono::milliseconds(300)).has_value());

  // Resuming after the commit's id replays the eviction.
  const int64_t committed_seq = json::parse(committed->body)["audit_id"];
  SseReader resumed(daemon.base_url(), low, committed_seq);
  auto replayed = resumed.Next("booking.evicted", std::chrono::seconds(5));
  ASSERT_TRUE(replayed.has_value()) << resumed.buffer();
  EXPECT_EQ((*replayed)["resource"], victim);
  EXPECT_EQ(daemon.Stop(), 0);
}

TEST(EventStream, AgentdraftWatchPrintsTheEvictionAndExits) {
  TempDir dir;
  DaemonProcess daemon(dir.File("data"), {"--tie-window", "0ms"});
  ASSERT_TRUE(Started(daemon)) << daemon.Log();
  ApiClient owner = Socket(daemon);
  const std::string top = AddAgent(owner, "top", 1), low = AddAgent(owner, "low", 2);
  auto committed = AgentClient(daemon, low).Post("/v1/bookings", Claim(0, 30));
  ASSERT_TRUE(committed.ok() && committed->status == 201);
  const int64_t after = json::parse(committed->body)["audit_id"];
  ProcessResult watched;
  std::thread watcher([&] {
    watched = RunProcess({AGENTDRAFT_CLI_PATH, "watch", "--json", "--after", std::to_string(after), "-n", "1"},
                         {{"AGENTDRAFT_API_KEY", low}, {"AGENTDRAFT_BASE_URL", daemon.base_url()}});
  });
  ASSERT_TRUE(AgentClient(daemon, top).Post("/v1/bookings", Claim(0, 30)).ok());
  watcher.join();
  EXPECT_EQ(watched.exit_code, 0) << watched.err;
  json event = json::parse(watched.out, nullptr, false);
  ASSERT_FALSE(event.is_discarded()) << watched.out;
  EXPECT_EQ(event["kind"], "booking.evicted");
  EXPECT_EQ(event["resource"], json::parse(committed->body)["booking_id"]);
  EXPECT_EQ(daemon.Stop(), 0);
}

// A receiver of webhook deliveries that records them.
class HookReceiver {
 public:
  HookReceiver() {
    server_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      bodies_.push_back(req.body);
      ids_.push_back(req.get_header_value("X-Agentdraft-Delivery"));
      signatures_.push_back(req.get_header_value("X-Agentdraft-Signature"));
      res.status = 200;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~HookReceiver() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
  std::set<int64_t> Seqs() {
    std::lock_guard<std::mutex> lock(mu_);
    std::set<int64_t> out;
    for (const auto& b : bodies_) out.insert(json::parse(b)["seq"].get<int64_t>());
    return out;
  }
  size_t Count() {
    std::lock_guard<std::mutex> lock(mu_);
    return bodies_.size();
  }
  std::vector<std::string> Ids() {
    std::lock_guard<std::mutex> lock(mu_);
    return ids_;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> bodies_, ids_, signatures_;
};

TEST(Webhooks, SigkillDuringDeliveriesLosesNone) {
  TempDir dir;
  HookReceiver receiver;
  DaemonProcess daemon(dir.File("data"), {"--tie-window", "0ms"});
  ASSERT_TRUE(Started(daemon)) << daemon.Log();
  ApiClient owner = Socket(daemon);
  auto sub = owner.Post("/v1/dashboard/webhooks", {{"event_type", "booking.committed"}, {"url", receiver.url()}});
  ASSERT_TRUE(sub.ok() && sub->status == 201) << (sub.ok() ? sub->body : "");
  const std::string sub_id = json::parse(sub->body)["subscription_id"];
  EXPECT_EQ(json::parse(sub->body)["secret"].get<std::string>().rfind("whsec_", 0), 0u);
  const std::string bot_key = AddAgent(owner, "bot", 1);
  ApiClient bot = AgentClient(daemon, bot_key);

  std::set<int64_t> committed;
  for (int i = 0; i < 40; ++i) {
    auto r = bot.Post("/v1/bookings", Claim(i * 30, i * 30 + 30));
    ASSERT_TRUE(r.ok() && r->status == 201);
    committed.insert(json::parse(r->body)["audit_id"].get<int64_t>());
    if (i == 25) {
      daemon.Kill();  // mid-stream: some delivered, some pending
      ASSERT_TRUE(Started(daemon)) << daemon.Log();
      owner = Socket(daemon);
      bot = AgentClient(daemon, bot_key);
    }
  }
  // Every committed event arrives (duplicates allowed), within a generous deadline.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    std::set<int64_t> got = receiver.Seqs();
    if (std::includes(got.begin(), got.end(), committed.begin(), committed.end())) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::set<int64_t> got = receiver.Seqs();
  EXPECT_TRUE(std::includes(got.begin(), got.end(), committed.begin(), committed.end()))
      << got.size() << " of " << committed.size();
  // A repeated delivery carries the same delivery id.
  std::map<std::string, int> by_id;
  for (const auto& id : receiver.Ids()) by_id[id]++;
  EXPECT_GE(by_id.size(), committed.size());
  auto deliveries = owner.Get("/v1/dashboard/webhooks/" + sub_id + "/deliveries");
  ASSERT_TRUE(deliveries.ok());
  const json listed = json::parse(deliveries->body);  // the loop must not outlive it
  for (const json& d : listed["deliveries"]) {
    EXPECT_EQ(d["status"], "delivered") << d.dump();
  }
  EXPECT_EQ(daemon.Stop(), 0);
}

}  // namespace
}  // namespace agentdraft::testing
