#include "daemon/store/dynamo/dynamo_client.h"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>
#include <random>
#include <thread>

#include "common/clock.h"
#include "daemon/store/dynamo/sigv4.h"

namespace agentdraft::store::dynamo {
namespace {

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

// What one HTTP exchange gave: a transport error, or a status and a body.
struct Exchange {
  CURLcode code = CURLE_OK;
  std::string curl_error;
  long http_status = 0;
  std::string body;
};

// What one exchange means to the caller.
struct Outcome {
  std::optional<nlohmann::json> value;  // set on success
  DynamoError error;
  bool retryable = false;
};

size_t AppendToString(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

bool IsThrottling(const std::string& type) {
  return type == "ProvisionedThroughputExceededException" || type == "ThrottlingException" ||
         type == "RequestLimitExceeded" || type == "LimitExceededException";
}

bool HasReason(const DynamoError& e, const std::string& code) {
  return std::find(e.cancellation_reasons.begin(), e.cancellation_reasons.end(), code) !=
         e.cancellation_reasons.end();
}

// "Transaction cancelled, please refer cancellation reasons for specific reasons [None,
// ConditionalCheckFailed]": the reasons when the body carries no CancellationReasons array.
std::vector<std::string> ReasonsFromMessage(const std::string& message) {
  std::vector<std::string> reasons;
  const size_t open = message.rfind('[');
  const size_t close = message.rfind(']');
  if (open == std::string::npos || close == std::string::npos || close < open) return reasons;
  std::string list = message.substr(open + 1, close - open - 1);
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    std::string item = list.substr(start, comma - start);
    item.erase(0, item.find_first_not_of(' '));
    if (!item.empty()) reasons.push_back(item);
    start = comma + 1;
  }
  return reasons;
}

// The error body: {"__type": "com.amazonaws.dynamodb.v20120810#Name", "message": "...",
// "CancellationReasons": [{"Code": "...", "Message": "..."}, ...]}.
DynamoError ParseError(long http_status, const std::string& body) {
  DynamoError e;
  e.http_status = static_cast<int>(http_status);
  const nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) {
    e.message = body.substr(0, 200);
    return e;
  }
  e.type = j.value("__type", "");
  e.type = e.type.substr(e.type.rfind('#') + 1);  // npos + 1 == 0: no prefix
  e.message = j.contains("message") ? j.value("message", "") : j.value("Message", "");
  if (j.contains("CancellationReasons") && j["CancellationReasons"].is_array()) {
    for (const auto& reason : j["CancellationReasons"]) {
      e.cancellation_reasons.push_back(reason.is_object() ? reason.value("Code", "") : "");
    }
  } else if (e.type == "TransactionCanceledException") {
    e.cancellation_reasons = ReasonsFromMessage(e.message);
  }
  return e;
}

bool IsRetryable(const DynamoError& e) {
  if (e.http_status == 0 || e.http_status >= 500) return true;
  if (IsThrottling(e.type) || e.type == "TransactionInProgressException") return true;
  return e.type == "TransactionCanceledException" && HasReason(e, "TransactionConflict") &&
         !HasReason(e, "ConditionalCheckFailed");
}

Outcome Interpret(const Exchange& x) {
  Outcome out;
  if (x.code != CURLE_OK) {
    out.error.message = x.curl_error;
    out.retryable = true;
    return out;
  }
  if (x.http_status == 200) {
    nlohmann::json j = nlohmann::json::parse(x.body, nullptr, /*allow_exceptions=*/false);
    if (!j.is_discarded()) {
      out.value = std::move(j);
      return out;
    }
    out.error.http_status = 200;
    out.error.message = "unparseable response: " + x.body.substr(0, 200);
    return out;
  }
  out.error = ParseError(x.http_status, x.body);
  out.retryable = IsRetryable(out.error);
  return out;
}

StatusCode CodeFor(const DynamoError& e, bool retryable) {
  if (retryable) return StatusCode::kUnavailable;
  if (e.type == "ConditionalCheckFailedException") return StatusCode::kConflict;
  if (e.type == "TransactionCanceledException" && HasReason(e, "ConditionalCheckFailed")) {
    return StatusCode::kConflict;
  }
  if (e.type == "ResourceNotFoundException") return StatusCode::kNotFound;
  if (e.http_status == 200) return StatusCode::kInternal;
  return StatusCode::kInvalidArgument;
}

std::string Describe(const DynamoError& e) {
  if (e.http_status == 0) return "transport error: " + e.message;
  std::string text = "HTTP " + std::to_string(e.http_status);
  if (!e.type.empty()) text += " " + e.type;
  if (!e.message.empty()) text += ": " + e.message;
  return text;
}

// Full jitter: uniform in [0, min(max_backoff, base_backoff · 2^retry)].
std::chrono::milliseconds Backoff(const DynamoClientOptions& o, int retry) {
  const int64_t base = std::max<int64_t>(o.base_backoff.count(), 0);
  const int64_t cap = std::min<int64_t>(o.max_backoff.count(), base << std::min(retry, 30));
  thread_local std::mt19937_64 random{std::random_device{}()};
  return std::chrono::milliseconds(std::uniform_int_distribution<int64_t>(0, std::max<int64_t>(cap, 0))(random));
}

// "http://127.0.0.1:8000/x" → "127.0.0.1:8000"
std::string HostOf(const std::string& url) {
  const size_t scheme = url.find("://");
  const size_t start = scheme == std::string::npos ? 0 : scheme + 3;
  return url.substr(start, url.find('/', start) - start);
}

using HeaderList = std::unique_ptr<curl_slist, SlistDeleter>;

// The request's headers, signed now.
HeaderList SignedHeaders(const DynamoClientOptions& o, const std::string& host, const std::string& target,
                         const std::string& body) {
  SigV4Request signing;
  signing.host = host;
  signing.headers = {{"content-type", "application/x-amz-json-1.0"}, {"x-amz-target", target}};
  signing.body = body;
  signing.region = o.region;
  signing.now = SystemClock().Now();
  HeaderList list;
  auto add = [&](const std::string& line) { list.reset(curl_slist_append(list.release(), line.c_str())); };
  for (const auto& [name, value] : signing.headers) add(name + ": " + value);
  for (const auto& [name, value] : SignV4(signing, o.credentials)) add(name + ": " + value);
  add("host: " + host);
  add("Expect:");  // no 100-continue round trip for large bodies
  return list;
}

// One POST on a pooled handle (its connection is kept alive for the next caller).
Exchange Perform(CURL* c, const std::string& url, curl_slist* headers, const std::string& body) {
  Exchange x;
  char curl_error[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &x.body);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_error);
  x.code = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &x.http_status);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, nullptr);  // `headers` and `curl_error` die with us
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, nullptr);
  if (x.code != CURLE_OK) x.curl_error = curl_error[0] ? curl_error : curl_easy_strerror(x.code);
  return x;
}

}  // namespace

struct DynamoClient::Handle {
  std::unique_ptr<CURL, CurlDeleter> curl;
};

DynamoClient::DynamoClient(DynamoClientOptions options) : options_(std::move(options)) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::string endpoint = options_.endpoint.empty()
                             ? "https://dynamodb." + options_.region + ".amazonaws.com"
                             : options_.endpoint;
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  url_ = endpoint + "/";
  host_ = HostOf(endpoint);
}

DynamoClient::~DynamoClient() = default;

std::unique_ptr<DynamoClient::Handle> DynamoClient::Acquire() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return !idle_.empty() || open_ < std::max(options_.max_connections, 1); });
  if (!idle_.empty()) {
    std::unique_ptr<Handle> h = std::move(idle_.back());
    idle_.pop_back();
    return h;
  }
  ++open_;
  lock.unlock();
  auto h = std::make_unique<Handle>();
  h->curl.reset(curl_easy_init());
  CURL* c = h->curl.get();
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.request_timeout.count()));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &AppendToString);
  return h;
}

void DynamoClient::Release(std::unique_ptr<Handle> h) {
  {
    std::lock_guard lock(mu_);
    idle_.push_back(std::move(h));
  }
  cv_.notify_one();
}

Result<nlohmann::json> DynamoClient::Call(const std::string& operation, const nlohmann::json& request,
                                          DynamoError* error, DynamoCallStats* stats) {
  const std::string body = request.dump();
  const std::string target = "DynamoDB_20120810." + operation;
  Outcome outcome;
  int attempt = 0;
  while (attempt < std::max(options_.max_attempts, 1)) {
    if (attempt > 0) {
      ++total_retries_;
      const auto wait = Backoff(options_, attempt - 1);
      spdlog::debug("dynamodb {}: {}; retry {} in {} ms", operation, Describe(outcome.error), attempt,
                    wait.count());
      std::this_thread::sleep_for(wait);
    }
    ++attempt;

    auto headers = SignedHeaders(options_, host_, target, body);
    std::unique_ptr<Handle> handle = Acquire();
    const Exchange x = Perform(handle->curl.get(), url_, headers.get(), body);
    Release(std::move(handle));

    outcome = Interpret(x);
    if (outcome.value || !outcome.retryable) break;
  }

  if (stats) stats->attempts = attempt;
  if (outcome.value) return std::move(*outcome.value);
  if (error) *error = outcome.error;
  std::string message = "DynamoDB " + operation + ": " + Describe(outcome.error);
  if (outcome.retryable) message += " (gave up after " + std::to_string(attempt) + " attempts)";
  return Status(CodeFor(outcome.error, outcome.retryable), std::move(message));
}

}  // namespace agentdraft::store::dynamo
