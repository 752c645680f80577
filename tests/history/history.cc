#include "tests/history/history.h"

#include <sstream>

namespace agentdraft::testing::history {

namespace {
Time WallNow() { return std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now()); }
}  // namespace

const char* OpKindName(OpKind kind) {
  switch (kind) {
    case OpKind::kCommit: return "commit";
    case OpKind::kHold: return "hold";
    case OpKind::kConvert: return "convert";
    case OpKind::kCancel: return "cancel";
    case OpKind::kRelease: return "release";
    case OpKind::kRead: return "read";
  }
  return "?";
}

const char* OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kPending: return "pending";
    case Outcome::kOk: return "ok";
    case Outcome::kFail: return "fail";
    case Outcome::kInfo: return "info";
  }
  return "?";
}

std::string Op::Describe() const {
  std::ostringstream s;
  s << "op " << index << " " << OpKindName(kind) << " by " << agent_name << " (" << agent_id
    << ", p" << process << (via_socket ? ", socket" : ", http") << ")";
  if (!idempotency_key.empty()) s << " key " << idempotency_key;
  if (!target_id.empty()) s << " on " << target_id;
  if (request.is_object() && request.contains("start")) {
    s << " [" << request["start"].get<std::string>() << ", " << request["end"].get<std::string>() << ")";
  }
  s << " -> " << OutcomeName(outcome);
  if (status != 0) s << " " << status;
  if (retry_of >= 0) s << " (retry of op " << retry_of << ")";
  if (replay) s << " (replay)";
  return s.str();
}

std::string Op::CreatedId() const {
  if (outcome != Outcome::kOk || !response_json.is_object()) return "";
  if (kind == OpKind::kHold) return response_json.value("hold_id", "");
  if (kind == OpKind::kCommit || kind == OpKind::kConvert) return response_json.value("booking_id", "");
  return "";
}

int64_t History::Invoke(Op op) {
  std::lock_guard<std::mutex> lock(mu_);
  op.index = static_cast<int64_t>(ops_.size());
  op.outcome = Outcome::kPending;
  op.invoked = std::chrono::steady_clock::now();
  op.invoked_wall = WallNow();
  ops_.push_back(std::move(op));
  return ops_.back().index;
}

void History::Complete(int64_t index, int status, const std::string& body) {
  const auto completed = std::chrono::steady_clock::now();
  const Time completed_wall = WallNow();
  nlohmann::json parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) parsed = nullptr;
  std::lock_guard<std::mutex> lock(mu_);
  Op& op = ops_[index];
  op.completed = completed;
  op.completed_wall = completed_wall;
  op.status = status;
  op.response = body;
  op.response_json = std::move(parsed);
  if (status >= 200 && status < 300) {
    op.outcome = Outcome::kOk;
  } else if (status == 409 && op.response_json.is_object() &&
             op.response_json.value("error", "") == "idempotency_in_flight") {
    op.outcome = Outcome::kInfo;  // the first try with this key is still being decided
  } else if (status >= 400 && status < 500) {
    op.outcome = Outcome::kFail;
  } else {
    op.outcome = Outcome::kInfo;  // 5xx (or anything odd): it may or may not have happened
  }
}

void History::CompleteInfo(int64_t index, const std::string& error) {
  const auto completed = std::chrono::steady_clock::now();
  const Time completed_wall = WallNow();
  std::lock_guard<std::mutex> lock(mu_);
  Op& op = ops_[index];
  op.completed = completed;
  op.completed_wall = completed_wall;
  op.outcome = Outcome::kInfo;
  op.response = error;
}

Op History::op(int64_t index) const {
  std::lock_guard<std::mutex> lock(mu_);
  return ops_.at(static_cast<size_t>(index));
}

std::vector<Op> History::ops() const {
  std::lock_guard<std::mutex> lock(mu_);
  return {ops_.begin(), ops_.end()};
}

size_t History::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return ops_.size();
}

std::string Figures::ToString() const {
  std::ostringstream s;
  s << "ops=" << ops << " ok=" << ok << " fail=" << fail << " info=" << info
    << " pending=" << pending << " commits=" << commits << " commits_ok=" << commits_ok
    << " commits_409=" << commits_409 << " retries=" << retries << " replays=" << replays;
  return s.str();
}

Figures Summarize(const std::vector<Op>& ops) {
  Figures f;
  for (const Op& op : ops) {
    ++f.ops;
    switch (op.outcome) {
      case Outcome::kOk: ++f.ok; break;
      case Outcome::kFail: ++f.fail; break;
      case Outcome::kInfo: ++f.info; break;
      case Outcome::kPending: ++f.pending; break;
    }
    if (op.retry_of >= 0 && !op.replay) ++f.retries;
    if (op.replay) ++f.replays;
    if ((op.kind == OpKind::kCommit || op.kind == OpKind::kConvert) && op.retry_of < 0 && !op.replay) {
      ++f.commits;
      if (op.outcome == Outcome::kOk) ++f.commits_ok;
      if (op.status == 409) ++f.commits_409;
    }
  }
  return f;
}

}  // namespace agentdraft::testing::history
