#include "daemon/api/request_parser.h"

#include <charconv>

#include "common/json_parse.h"
#include "daemon/engine/views.h"

namespace agentdraft::api {

namespace {
constexpr size_t kMaxKeyLength = 255;
constexpr size_t kMaxTitleLength = 500;
constexpr size_t kMaxMetadataBytes = 16 * 1024;
constexpr size_t kMaxNoteLength = 500;
constexpr size_t kMaxProposedSlots = 5;
constexpr Duration kMaxAvailabilityRange = std::chrono::hours(24 * 31);

std::optional<Time> TimeField(const nlohmann::json& body, const char* field, bool required,
                              std::vector<FieldProblem>& problems) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) {
    if (required) problems.push_back({field, "is required (an RFC 3339 time)"});
    return std::nullopt;
  }
  if (!it->is_string()) {
    problems.push_back({field, "must be a string (an RFC 3339 time, e.g. 2026-06-01T14:00:00Z)"});
    return std::nullopt;
  }
  auto t = ParseRfc3339(it->get<std::string>());
  if (!t.ok()) {
    problems.push_back({field, t.status().message()});
    return std::nullopt;
  }
  return *t;
}

// Characters (code points) in `s`, which the JSON parser has checked is UTF-8.
size_t Utf8Length(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

std::optional<std::string> StringField(const nlohmann::json& body, const char* field,
                                       size_t max_length, std::vector<FieldProblem>& problems) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) {
    problems.push_back({field, "must be a string"});
    return std::nullopt;
  }
  std::string v = it->get<std::string>();
  if (Utf8Length(v) > max_length) {
    problems.push_back({field, "is longer than " + std::to_string(max_length) + " characters"});
    return std::nullopt;
  }
  return v;
}

void CheckInterval(Time start, Time end, Duration max_claim, std::vector<FieldProblem>& problems,
                   const std::string& prefix = "") {
  if (end <= start) {
    problems.push_back({prefix + "end", "must be after start"});
  } else if (end - start > max_claim) {
    problems.push_back({prefix + "end", "the claim lasts " + FormatDuration(end - start) +
                                            "; the maximum is " + FormatDuration(max_claim)});
  }
}

// The idempotency key from the body's `idempotency_key` or the header (they must agree).
std::string IdempotencyKey(const nlohmann::json& body, const std::string& header_key,
                           std::vector<FieldProblem>& problems) {
  auto key = StringField(body, "idempotency_key", kMaxKeyLength, problems);
  if (key && !header_key.empty() && *key != header_key) {
    problems.push_back({"idempotency_key", "differs from the Idempotency-Key header"});
  }
  if (!key && header_key.size() > kMaxKeyLength) {
    problems.push_back({"idempotency_key", "is longer than 255 characters"});
  }
  return key ? *key : header_key;
}
}  // namespace

std::optional<int64_t> ParseIntParam(const char* name, const std::string& value, int64_t lo, int64_t hi,
                                     ApiError* error) {
  int64_t n = 0;
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (value.empty() || value[0] < '0' || value[0] > '9' || ec != std::errc() ||
      ptr != value.data() + value.size() || n < lo || n > hi) {
    *error = ApiError::Validation(
        {{name, "must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi)}});
    return std::nullopt;
  }
  return n;
}

std::optional<nlohmann::json> ParseObject(const std::string& body, ApiError* error) {
  Result<nlohmann::json> parsed = ParseJson(body, {.max_depth = kRequestJsonDepth});
  if (!parsed.ok()) {
    *error = ApiError::Validation({{"body", parsed.status().message()}});
    return std::nullopt;
  }
  nlohmann::json& j = *parsed;
  if (!j.is_object()) {
    *error = ApiError::Validation({{"body", "must be a JSON object"}});
    return std::nullopt;
  }
  return std::move(j);
}

std::optional<engine::ClaimRequest> ParseClaimRequest(const nlohmann::json& body,
                                                      const std::string& header_key,
                                                      const std::string& owner_id,
                                                      Duration max_claim, ApiError* error) {
  std::vector<FieldProblem> problems;
  engine::ClaimRequest r;
  auto start = TimeField(body, "start", true, problems);
  auto end = TimeField(body, "end", true, problems);
  if (start && end) CheckInterval(*start, *end, max_claim, problems);
  r.idempotency_key = IdempotencyKey(body, header_key, problems);
  if (auto it = body.find("metadata"); it != body.end() && !it->is_null()) {
    if (!it->is_object()) {
      problems.push_back({"metadata", "must be an object"});
    } else if (it->dump().size() > kMaxMetadataBytes) {
      problems.push_back({"metadata", "is larger than 16 KiB"});
    } else {
      r.metadata = *it;
    }
  }
  if (auto title = StringField(body, "title", kMaxTitleLength, problems)) r.title = *title;
  if (auto it = body.find("invitee"); it != body.end() && !it->is_null()) {
    if (!it->is_object()) {
      problems.push_back({"invitee", "must be an object {name, email}"});
    } else {
      nlohmann::json inv = nlohmann::json::object();
      for (const char* f : {"name", "email"}) {
        auto v = it->find(f);
        if (v == it->end() || v->is_null()) continue;
        if (!v->is_string() || v->get<std::string>().size() > 320) {
          problems.push_back({std::string("invitee.") + f, "must be a string of at most 320 characters"});
        } else {
          inv[f] = *v;
        }
      }
      r.invitee = inv;
    }
  }
  if (auto user = StringField(body, "user_id", 64, problems); user && *user != owner_id) {
    problems.push_back({"user_id", "is not the calendar this key belongs to (" + owner_id + ")"});
  }
  if (auto hold = StringField(body, "hold_id", 64, problems)) r.hold_id = *hold;
  if (!problems.empty()) {
    *error = ApiError::Validation(problems);
    return std::nullopt;
  }
  r.start = *start;
  r.end = *end;
  return r;
}

std::optional<engine::CounterRequest> ParseCounterRequest(const nlohmann::json& body,
                                                          const std::string& header_key,
                                                          Duration max_claim, ApiError* error) {
  std::vector<FieldProblem> problems;
  engine::CounterRequest r;
  auto proposed = body.find("proposed");
  if (proposed == body.end() || proposed->is_null()) {
    problems.push_back({"proposed", "is required (1 to 5 slots {start, end})"});
  } else if (!proposed->is_array() || proposed->empty() || proposed->size() > kMaxProposedSlots) {
    problems.push_back({"proposed", "must be an array of 1 to 5 slots {start, end}"});
  } else {
    for (size_t i = 0; i < proposed->size(); ++i) {
      const nlohmann::json& slot = (*proposed)[i];
      const std::string prefix = "proposed[" + std::to_string(i) + "].";
      if (!slot.is_object()) {
        problems.push_back({"proposed[" + std::to_string(i) + "]", "must be an object {start, end}"});
        continue;
      }
      std::vector<FieldProblem> own;
      auto start = TimeField(slot, "start", true, own);
      auto end = TimeField(slot, "end", true, own);
      for (FieldProblem& p : own) problems.push_back({prefix + p.field, std::move(p.problem)});
      if (!start || !end) continue;
      const size_t before = problems.size();
      CheckInterval(*start, *end, max_claim, problems, prefix);
      if (problems.size() == before) r.proposed.push_back({*start, *end});
    }
  }
  if (auto note = StringField(body, "note", kMaxNoteLength, problems)) r.note = *note;
  r.idempotency_key = IdempotencyKey(body, header_key, problems);
  if (!problems.empty()) {
    *error = ApiError::Validation(problems);
    return std::nullopt;
  }
  return r;
}

namespace {
const std::string* Param(const std::multimap<std::string, std::string>& params,
                         std::initializer_list<const char*> names) {
  for (const char* n : names) {
    auto it = params.find(n);
    if (it != params.end()) return &it->second;
  }
  return nullptr;
}

// A whole number written in decimal digits only (no sign, space, "0x", exponent or point);
// nullopt otherwise, or when it has more than 9 digits.
std::optional<int64_t> DecimalInt(const std::string& text) {
  if (text.empty() || text.size() > 9) return std::nullopt;
  int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}
}  // namespace

std::optional<engine::AvailabilityQuery> ParseAvailabilityQuery(
    const std::multimap<std::string, std::string>& params, Duration max_claim, ApiError* error) {
  std::vector<FieldProblem> problems;
  engine::AvailabilityQuery q;
  auto time_param = [&](std::initializer_list<const char*> names, Time* out) {
    const std::string* v = Param(params, names);
    if (v == nullptr) {
      problems.push_back({*names.begin(), "is required (an RFC 3339 time)"});
      return false;
    }
    auto t = ParseRfc3339(*v);
    if (!t.ok()) problems.push_back({*names.begin(), t.status().message()});
    else *out = *t;
    return t.ok();
  };
  bool times_ok = time_param({"range_start", "start"}, &q.range_start);
  times_ok = time_param({"range_end", "end"}, &q.range_end) && times_ok;
  if (times_ok && q.range_end <= q.range_start) {
    problems.push_back({"range_end", "must be after range_start"});
  } else if (times_ok && q.range_end - q.range_start > kMaxAvailabilityRange) {
    problems.push_back({"range_end", "the range may span at most 31 days"});
  }
  if (const std::string* v = Param(params, {"duration_minutes"})) {
    auto n = DecimalInt(*v);
    if (!n || *n < 1 || std::chrono::minutes(*n) > max_claim) {
      problems.push_back({"duration_minutes", "must be a whole number of minutes from 1 to " +
                                                  std::to_string(max_claim.count() / 60000000) +
                                                  ", in decimal digits"});
    } else {
      q.duration = std::chrono::minutes(*n);
    }
  } else if (const std::string* v = Param(params, {"duration"})) {
    auto d = ParseDuration(*v);
    if (!d.ok() || *d < std::chrono::minutes(1) || *d > max_claim) {
      problems.push_back({"duration", "must be a duration from 1m to " + FormatDuration(max_claim) +
                                          " (e.g. 30m)"});
    } else {
      q.duration = *d;
    }
  }
  if (const std::string* v = Param(params, {"granularity_minutes"})) {
    auto n = DecimalInt(*v);
    if (!n || *n < 1 || *n > 1440) {
      problems.push_back({"granularity_minutes",
                          "must be a whole number of minutes from 1 to 1440, in decimal digits"});
    } else {
      q.granularity = std::chrono::minutes(*n);
    }
  }
  if (const std::string* v = Param(params, {"include_holds"})) {
    if (*v == "true" || *v == "1") q.include_holds = true;
    else if (*v == "false" || *v == "0") q.include_holds = false;
    else problems.push_back({"include_holds", "must be true or false"});
  }
  if (!problems.empty()) {
    *error = ApiError::Validation(problems);
    return std::nullopt;
  }
  return q;
}

}  // namespace agentdraft::api
