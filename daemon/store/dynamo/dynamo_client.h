// DynamoClient: DynamoDB's JSON protocol over libcurl, signed with SigV4.
//
// Call("PutItem", {...}) POSTs the JSON with "X-Amz-Target: DynamoDB_20120810.PutItem" and
// "Content-Type: application/x-amz-json-1.0" to the endpoint and returns the response's JSON.
// A pool of keep-alive curl easy handles (one per concurrent caller, up to max_connections;
// callers beyond wait) is reused across calls.
//
// Retries, with exponential backoff and full jitter (base_backoff · 2^attempt, capped at
// max_backoff), up to max_attempts in all, on: transport errors (connection refused/reset,
// timeout, empty reply), HTTP 5xx, and the throttling errors
// (ProvisionedThroughputExceededException, ThrottlingException, RequestLimitExceeded,
// LimitExceededException), and TransactionCanceledException whose reasons include
// TransactionConflict (and none ConditionalCheckFailed), and TransactionInProgressException (the
// same ClientRequestToken is still being applied). The same body is sent again, so a
// TransactWriteItems carrying a ClientRequestToken is applied once however often it is sent.
//
// Errors come back as a Status plus, when the service answered, a DynamoError:
//   ConditionalCheckFailedException, TransactionCanceledException with a
//     ConditionalCheckFailed reason → StatusCode::kConflict;
//   ResourceNotFoundException → kNotFound; ValidationException and other 4xx →
//     kInvalidArgument; retries exhausted, transport errors, 5xx, throttling → kUnavailable.
//
// Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "common/time.h"
#include "daemon/store/dynamo/aws_config.h"

namespace agentdraft::store::dynamo {

struct DynamoClientOptions {
  // "http://127.0.0.1:8000" (DynamoDB Local) or "" for https://dynamodb.<region>.amazonaws.com.
  std::string endpoint;
  std::string region = "us-east-1";
  AwsCredentials credentials;
  int max_connections = 16;
  int max_attempts = 8;
  std::chrono::milliseconds base_backoff{10};
  std::chrono::milliseconds max_backoff{1000};
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds request_timeout{10000};
};

struct DynamoError {
  int http_status = 0;    // 0 = no answer (transport error)
  std::string type;       // "ConditionalCheckFailedException", … (without the "com.amazonaws…#" prefix)
  std::string message;
  // TransactionCanceledException: one code per item of the transaction, in order
  // ("None", "ConditionalCheckFailed", "TransactionConflict", …).
  std::vector<std::string> cancellation_reasons;
};

struct DynamoCallStats {
  int attempts = 0;  // 1 when the first try answered
};

class DynamoClient {
 public:
  explicit DynamoClient(DynamoClientOptions options);
  ~DynamoClient();
  DynamoClient(const DynamoClient&) = delete;
  DynamoClient& operator=(const DynamoClient&) = delete;

  // `error` and `stats` may be null.
  Result<nlohmann::json> Call(const std::string& operation, const nlohmann::json& request,
                              DynamoError* error = nullptr, DynamoCallStats* stats = nullptr);

  const DynamoClientOptions& options() const { return options_; }
  // Retries since construction, for logs and benchmarks.
  int64_t total_retries() const { return total_retries_.load(); }

 private:
  struct Handle;
  std::unique_ptr<Handle> Acquire();
  void Release(std::unique_ptr<Handle> h);

  DynamoClientOptions options_;
  std::string url_;
  std::string host_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Handle>> idle_;
  int open_ = 0;
  std::atomic<int64_t> total_retries_{0};
};

}  // namespace agentdraft::store::dynamo
