// Fuzzes request handling as a client reaches it: raw HTTP bytes → httplib's request parsing →
// routing → authentication → request_parser → engine → store (SQLite in memory), through
// ApiServer::ServeStream with no socket. A fresh daemon per input, so every input replays alone.
//
// Input: up to 6 segments separated by "\n~~~\n", each one or more raw HTTP requests. A segment
// that starts with "@unix\n" comes through the owner's Unix socket. In a segment, "$KEY1" and
// "$KEY2" become the API keys of the agents of priority 1 and 2, "$SESSION" the owner's session
// cookie, "$ID" the "id" (or "booking_id", "hold_id") of the last answer that had one (so a seed can create, then
// cancel), and "$CTR" the last "counter_id". "HEAD " becomes "GET " (see below).
//
// Findings (abort): a crash or sanitizer report; a 5xx (except 503 from /v1/events, which this
// daemon does not serve); a 4xx whose body is not a JSON object with string "error" and
// "message"; answers that are not well-formed HTTP/1.1.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fuzz/fuzz_support.h"

namespace {

using agentdraft::fuzz::Fail;

void ReplaceAll(std::string& s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
}

std::vector<std::string> Segments(const std::string& input) {
  static const std::string kSeparator = "\n~~~\n";
  std::vector<std::string> out;
  size_t from = 0;
  while (out.size() < 6) {
    const size_t at = input.find(kSeparator, from);
    out.push_back(input.substr(from, at == std::string::npos ? std::string::npos : at - from));
    if (at == std::string::npos) break;
    from = at + kSeparator.size();
  }
  return out;
}

void CheckAnswer(const agentdraft::fuzz::HttpAnswer& a, const std::string& request,
                 const std::string& raw) {
  const std::string context = "request:\n" + request + "\nanswer (" + std::to_string(a.status) +
                              "):\n" + a.body;
  if (a.status >= 500) {
    if (a.status == 503 && request.find("/v1/events") != std::string::npos) return;
    Fail("5xx answer", context);
  }
  if (a.status < 400) return;
  nlohmann::json j = nlohmann::json::parse(a.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) Fail("4xx answer is not a JSON object", context);
  auto error = j.find("error");
  auto message = j.find("message");
  if (error == j.end() || !error->is_string() || error->get<std::string>().empty() ||
      message == j.end() || !message->is_string()) {
    Fail("4xx answer lacks string \"error\" and \"message\"", context);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 16 * 1024) return -1;  // larger inputs add nothing but time
  const std::string input(reinterpret_cast<const char*>(data), size);
  agentdraft::fuzz::InProcessDaemon daemon;
  std::string last_id = "none", last_counter = "none";
  for (std::string segment : Segments(input)) {
    bool owner_socket = false;
    if (segment.rfind("@unix\n", 0) == 0) {
      owner_socket = true;
      segment.erase(0, 6);
    }
    ReplaceAll(segment, "$KEY1", daemon.agent_key(0));
    ReplaceAll(segment, "$KEY2", daemon.agent_key(1));
    ReplaceAll(segment, "$SESSION", daemon.session_cookie());
    ReplaceAll(segment, "$ID", last_id);
    ReplaceAll(segment, "$CTR", last_counter);
    // A HEAD answer announces a Content-Length it does not send, so pipelined answers after it
    // cannot be told apart; httplib serves HEAD as GET minus the body, so ask GET instead.
    ReplaceAll(segment, "HEAD ", "GET ");
    const std::string raw = daemon.Serve(segment, owner_socket);
    std::vector<agentdraft::fuzz::HttpAnswer> answers;
    const bool well_formed = agentdraft::fuzz::ParseAnswers(raw, &answers);
    if (!well_formed) {
      Fail("answers are not well-formed HTTP/1.1", "request:\n" + segment + "\nraw answer:\n" + raw);
    }
    for (const auto& a : answers) {
      CheckAnswer(a, segment, raw);
      nlohmann::json j = nlohmann::json::parse(a.body, nullptr, false);
      if (!j.is_object()) continue;
      for (const char* field : {"id", "booking_id", "hold_id"}) {
        if (j.contains(field) && j[field].is_string()) last_id = j[field].get<std::string>();
      }
      if (j.contains("counter_id") && j["counter_id"].is_string()) last_counter = j["counter_id"].get<std::string>();
    }
  }
  return 0;
}
