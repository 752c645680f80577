#include "tests/support/fault_proxy.h"

#include <fcntl.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <optional>

namespace agentdraft::testing {
namespace {

constexpr char kJsonType[] = "application/x-amz-json-1.0";
constexpr char kTypePrefix[] = "com.amazonaws.dynamodb.v20120810#";

// "DynamoDB_20120810.TransactWriteItems" → "TransactWriteItems"
std::string OperationOf(const httplib::Request& req) {
  const std::string target = req.get_header_value("X-Amz-Target");
  return target.substr(target.rfind('.') + 1);
}

void AnswerError(httplib::Response& res, int status, const std::string& type, nlohmann::json fields) {
  fields["__type"] = kTypePrefix + type;
  res.status = status;
  res.set_content(fields.dump(), kJsonType);
}

void AnswerTransactionConflict(const httplib::Request& req, httplib::Response& res) {
  const nlohmann::json body = nlohmann::json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  size_t items = 1;
  if (body.is_object() && body.contains("TransactItems") && body["TransactItems"].is_array()) {
    items = std::max<size_t>(body["TransactItems"].size(), 1);
  }
  nlohmann::json reasons = nlohmann::json::array();
  std::string codes;
  for (size_t i = 0; i < items; ++i) {
    reasons.push_back({{"Code", "TransactionConflict"}, {"Message", "Transaction is ongoing for the item"}});
    codes += (i ? ", " : "") + std::string("TransactionConflict");
  }
  AnswerError(res, 400, "TransactionCanceledException",
              {{"Message", "Transaction cancelled, please refer cancellation reasons for specific reasons [" +
                               codes + "]"},
               {"CancellationReasons", reasons}});
}

bool IsHopByHop(const std::string& name) {
  for (const char* skip : {"Connection", "Keep-Alive", "Transfer-Encoding", "Content-Length"}) {
    if (strcasecmp(name.c_str(), skip) == 0) return true;
  }
  return false;
}

// Lets DynamoDB's answer (already applied) get lost on the way back: the status line and headers
// go out, then the body's provider fails, so the server closes the connection mid-response
// and the client sees a transport error, exactly as if the connection had dropped.
void DropAnswerBody(httplib::Response& res) {
  const size_t length = std::max<size_t>(res.body.size(), 1);
  res.body.clear();
  res.set_content_provider(length, "application/x-amz-json-1.0",
                           [](size_t, size_t, httplib::DataSink&) { return false; });
}

}  // namespace

struct FaultProxy::Impl {
  httplib::Server server;
  std::thread thread;
  int port = 0;
  std::mutex mu;
  std::deque<std::pair<Fault, std::string>> faults;  // GUARDED_BY(mu)

  // The first queued fault for `operation`, removed from the queue.
  std::optional<Fault> Take(const std::string& operation) {
    std::lock_guard lock(mu);
    for (auto it = faults.begin(); it != faults.end(); ++it) {
      if (it->second == operation || it->second == "*") {
        Fault kind = it->first;
        faults.erase(it);
        return kind;
      }
    }
    return std::nullopt;
  }
};

FaultProxy::FaultProxy(std::string upstream_endpoint)
    : impl_(std::make_unique<Impl>()), upstream_(std::move(upstream_endpoint)) {}

FaultProxy::~FaultProxy() { Stop(); }

Status FaultProxy::Start() {
  auto forward = [this](const httplib::Request& req, httplib::Response& res) {
    httplib::Client upstream(upstream_);
    upstream.set_read_timeout(60, 0);
    httplib::Request out;
    out.method = req.method;
    out.path = req.path;
    out.body = req.body;
    for (const auto& [name, value] : req.headers) {
      if (!IsHopByHop(name)) out.headers.emplace(name, value);
    }
    ++forwarded_;
    auto answer = upstream.send(out);
    if (!answer) {
      res.status = 502;
      res.set_content("upstream: " + httplib::to_string(answer.error()), "text/plain");
      return;
    }
    res.status = answer->status;
    for (const auto& [name, value] : answer->headers) {
      if (!IsHopByHop(name) && strcasecmp(name.c_str(), "Content-Type") != 0) res.headers.emplace(name, value);
    }
    res.set_content(answer->body, answer->get_header_value("Content-Type").c_str());
  };
  auto handle = [this, forward](const httplib::Request& req, httplib::Response& res) {
    const std::optional<Fault> fault = impl_->Take(OperationOf(req));
    if (fault) ++injected_;
    if (!fault) return forward(req, res);
    switch (*fault) {
      case Fault::kTransactionConflict:
        return AnswerTransactionConflict(req, res);
      case Fault::kThrottle:
        return AnswerError(res, 400, "ProvisionedThroughputExceededException",
                           {{"message", "The level of configured provisioned throughput for the table was exceeded"}});
      case Fault::kServerError:
        return AnswerError(res, 500, "InternalServerError", {{"message", "Internal server error (injected)"}});
      case Fault::kDropResponse:
        forward(req, res);
        return DropAnswerBody(res);
    }
  };
  impl_->server.set_keep_alive_timeout(1);  // Stop() waits for idle keep-alive connections
  impl_->server.Post(".*", handle);
  impl_->server.Get(".*", handle);
  impl_->port = impl_->server.bind_to_any_port("127.0.0.1");
  if (impl_->port <= 0) return Status::Unavailable("fault proxy: cannot bind 127.0.0.1:0");
  endpoint_ = "http://127.0.0.1:" + std::to_string(impl_->port);
  impl_->thread = std::thread([this] { impl_->server.listen_after_bind(); });
  while (!impl_->server.is_running()) std::this_thread::yield();  // stop() needs the accept loop
  return Status::Ok();
}

void FaultProxy::Stop() {
  if (!impl_->thread.joinable()) return;
  impl_->server.stop();
  impl_->thread.join();
}

void FaultProxy::Inject(Fault kind, const std::string& operation, int count) {
  std::lock_guard lock(impl_->mu);
  for (int i = 0; i < count; ++i) impl_->faults.emplace_back(kind, operation);
}

void FaultProxy::Clear() {
  std::lock_guard lock(impl_->mu);
  impl_->faults.clear();
}

int FaultProxy::pending_faults() const {
  std::lock_guard lock(impl_->mu);
  return static_cast<int>(impl_->faults.size());
}

}  // namespace agentdraft::testing
