// History: every request a load test sends, recorded as an operation with its outcome, for
// the checkers (checkers.h) to judge after the run (docs/testing.md, "History harness and
// checkers"; /work/shared/TESTING.md defines the invariants).
//
// An op is invoked, then completes as
//   ok   — a 2xx: it happened;
//   fail — 409, 422 or another 4xx: it definitely did not happen;
//   info — no answer (timeout, reset, the daemon was killed), a 5xx, or a 409
//          idempotency_in_flight (the first try is still being decided): unknown.
// Thread-safe: many load threads record into one History.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/time.h"

namespace agentdraft::testing::history {

enum class OpKind { kCommit, kHold, kConvert, kCancel, kRelease, kRead };
enum class Outcome { kPending, kOk, kFail, kInfo };

const char* OpKindName(OpKind kind);
const char* OutcomeName(Outcome outcome);

struct Op {
  int64_t index = -1;          // position in the history
  int process = 0;             // the load thread that sent it
  OpKind kind = OpKind::kCommit;
  int calendar = 0;            // index of the owner in the run
  std::string owner_id;
  std::string agent_id;
  std::string agent_name;
  bool via_socket = false;     // the owner's Unix socket, acting as the agent
  std::string method;          // "POST", "DELETE", "GET"
  std::string path;
  std::string idempotency_key;  // "" for cancel, release, read
  nlohmann::json request;       // the body sent (null for DELETE and GET)
  std::string target_id;        // the booking or hold a cancel, release or convert names
  int64_t retry_of = -1;        // the op this one retries with the same key (after `info`)
  bool replay = false;          // a deliberate repeat of an `ok` op with its key

  Outcome outcome = Outcome::kPending;
  int status = 0;               // HTTP status; 0 when no answer came
  std::string response;         // the body, or the transport error
  nlohmann::json response_json;  // the body parsed (null when it was not JSON)
  std::chrono::steady_clock::time_point invoked, completed;
  Time invoked_wall, completed_wall;  // the system clock, comparable with the daemon's times

  // "op 17 commit by agt_… [p3] 201" — how violations name an op.
  std::string Describe() const;
  // The booking or hold id an ok commit, convert or hold created ("" otherwise).
  std::string CreatedId() const;
};

class History {
 public:
  // Records `op` as invoked now; returns its index.
  int64_t Invoke(Op op);
  // Completes op `index` with an HTTP answer (classified by status).
  void Complete(int64_t index, int status, const std::string& body);
  // Completes op `index` with no answer at all.
  void CompleteInfo(int64_t index, const std::string& error);

  // A copy of op `index`.
  Op op(int64_t index) const;
  // A copy of every op (call once the load has stopped).
  std::vector<Op> ops() const;
  size_t size() const;

 private:
  mutable std::mutex mu_;
  std::deque<Op> ops_;
};

// Counts for the figures a suite prints.
struct Figures {
  int64_t ops = 0, ok = 0, fail = 0, info = 0, pending = 0;
  int64_t commits = 0, commits_ok = 0, commits_409 = 0;
  int64_t retries = 0, replays = 0;
  std::string ToString() const;
};
Figures Summarize(const std::vector<Op>& ops);

}  // namespace agentdraft::testing::history
