// FaultProxy: an HTTP proxy in front of DynamoDB Local that injects the faults DynamoDB Local
// never produces by itself, so the client's and store's handling of them can be tested.
//
// Listens on 127.0.0.1:<free port> and forwards each request (method, path, headers incl.
// Authorization and X-Amz-Target, body) to the upstream unchanged, returning the upstream's
// answer — unless a queued fault matches the request's operation (the X-Amz-Target suffix,
// e.g. "TransactWriteItems"; "*" matches any):
//   kTransactionConflict — answers 400 TransactionCanceledException with one
//                          {"Code":"TransactionConflict"} reason per TransactItems entry, without
//                          forwarding;
//   kThrottle            — answers 400 ProvisionedThroughputExceededException, without forwarding;
//   kServerError         — answers 500 InternalServerError, without forwarding;
//   kDropResponse        — forwards the request (so it is applied upstream), then sends the
//                          answer's headers and closes the connection before its body.
// Each queued fault is used once, in order. Counters say what happened.
// Thread-safe.
#pragma once

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/status.h"

namespace agentdraft::testing {

class FaultProxy {
 public:
  enum class Fault { kTransactionConflict, kThrottle, kServerError, kDropResponse };

  explicit FaultProxy(std::string upstream_endpoint);  // "http://127.0.0.1:8000"
  ~FaultProxy();  // Stop()

  Status Start();
  void Stop();

  const std::string& endpoint() const { return endpoint_; }  // "http://127.0.0.1:<port>"

  // Queues `count` faults of `kind` for requests whose operation is `operation`.
  void Inject(Fault kind, const std::string& operation, int count = 1);
  void Clear();

  int64_t forwarded() const { return forwarded_.load(); }  // requests sent upstream
  int64_t injected() const { return injected_.load(); }    // faults used
  int pending_faults() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string upstream_;
  std::string endpoint_;
  std::atomic<int64_t> forwarded_{0};
  std::atomic<int64_t> injected_{0};
};

}  // namespace agentdraft::testing
