#include "daemon/api/request_framing.h"

#include <algorithm>
#include <cctype>
#include <optional>

namespace agentdraft::api {

namespace {

constexpr size_t kMaxChunkLine = 1024;
constexpr size_t kMaxTrailers = 8192;

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A Content-Length value: 1 to 18 decimal digits, nothing else.
std::optional<size_t> DecimalLength(std::string_view v) {
  if (v.empty() || v.size() > 18) return std::nullopt;
  size_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<size_t>(c - '0');
  }
  return n;
}

bool Refuse(FramingError* error, const char* code, std::string message) {
  *error = FramingError{code, std::move(message)};
  return false;
}

// Calls `field(name, value)` for each header line of `head`; false when a line is not a
// header field (no colon, or whitespace before it).
template <typename Field>
bool ForEachField(std::string_view head, Field field) {
  size_t at = head.find("\r\n");
  while (at != std::string_view::npos && at + 2 < head.size()) {
    const size_t next = head.find("\r\n", at + 2);
    const std::string_view line = head.substr(at + 2, (next == std::string_view::npos ? head.size() : next) - at - 2);
    at = next;
    if (line.empty()) break;  // the blank line
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0 || line[colon - 1] == ' ' || line[colon - 1] == '\t') {
      return false;
    }
    field(line.substr(0, colon), Trim(line.substr(colon + 1)));
  }
  return true;
}

}  // namespace

bool ParseFraming(std::string_view head, size_t max_body_bytes, Framing* framing,
                  FramingError* error) {
  std::optional<size_t> length;
  bool conflicting = false, bad_length = false, chunked = false, other_coding = false;
  bool has_te = false;
  *framing = Framing{};
  const bool fields_ok = ForEachField(head, [&](std::string_view name, std::string_view value) {
    if (EqualsIgnoringCase(name, "Content-Length")) {
      const auto n = DecimalLength(value);
      if (!n) bad_length = true;
      else if (length && *length != *n) conflicting = true;
      else length = n;
    } else if (EqualsIgnoringCase(name, "Transfer-Encoding")) {
      has_te = true;
      (EqualsIgnoringCase(value, "chunked") && !chunked ? chunked : other_coding) = true;
    } else if (EqualsIgnoringCase(name, "Expect")) {
      framing->expect_continue = EqualsIgnoringCase(value, "100-continue");
    }
  });
  if (!fields_ok) return Refuse(error, "validation_error", "malformed header line in the request");
  if (bad_length) {
    return Refuse(error, "validation_error", "Content-Length must be a decimal number of bytes");
  }
  if (conflicting) {
    return Refuse(error, "validation_error", "the request has conflicting Content-Length headers");
  }
  if (has_te && length) {
    return Refuse(error, "validation_error",
                  "the request has both Content-Length and Transfer-Encoding");
  }
  if (other_coding) {
    return Refuse(error, "not_implemented",
                  "unsupported Transfer-Encoding: only a single \"chunked\" is accepted");
  }
  if (length && *length > max_body_bytes) {
    return Refuse(error, "payload_too_large",
                  "request body is too large: " + std::to_string(*length) + " bytes, at most " +
                      std::to_string(max_body_bytes));
  }
  if (chunked) framing->kind = Framing::Kind::kChunked;
  if (length) {
    framing->kind = Framing::Kind::kLength;
    framing->length = *length;
  }
  return true;
}

ChunkedScanner::Result ChunkedScanner::Scan(std::string_view body) {
  for (;;) {
    const Result r = in_trailers_ ? ScanTrailer(body) : ScanChunk(body);
    if (r != Result::kComplete || end_ != 0) return r;
  }
}

// One chunk (size line, data, CRLF) from pos_; kComplete means "advanced, scan on".
ChunkedScanner::Result ChunkedScanner::ScanChunk(std::string_view body) {
  const size_t eol = body.find("\r\n", pos_);
  if (eol == std::string_view::npos) {
    return body.size() - pos_ > kMaxChunkLine ? Result::kInvalid : Result::kIncomplete;
  }
  if (eol - pos_ > kMaxChunkLine) return Result::kInvalid;
  size_t size = 0, digits = 0;
  for (size_t i = pos_; i < eol && std::isxdigit(static_cast<unsigned char>(body[i])); ++i, ++digits) {
    if (digits == 15) return Result::kTooLarge;
    const char c = static_cast<char>(std::tolower(static_cast<unsigned char>(body[i])));
    size = size * 16 + static_cast<size_t>(c <= '9' ? c - '0' : c - 'a' + 10);
  }
  const size_t after = pos_ + digits;
  if (digits == 0 || (after < eol && body[after] != ';' && body[after] != ' ' && body[after] != '\t')) {
    return Result::kInvalid;
  }
  if (size == 0) {
    in_trailers_ = true;
    pos_ = eol + 2;
    return Result::kComplete;
  }
  if (size > max_data_ - std::min(max_data_, data_)) return Result::kTooLarge;
  const size_t data_start = eol + 2;
  if (body.size() < data_start + size + 2) return Result::kIncomplete;
  if (body.substr(data_start + size, 2) != "\r\n") return Result::kInvalid;
  data_ += size;
  pos_ = data_start + size + 2;
  return Result::kComplete;
}

// One trailer line from pos_; the empty line ends the body.
ChunkedScanner::Result ChunkedScanner::ScanTrailer(std::string_view body) {
  const size_t eol = body.find("\r\n", pos_);
  if (eol == std::string_view::npos) {
    return body.size() - pos_ > kMaxTrailers ? Result::kInvalid : Result::kIncomplete;
  }
  if (eol == pos_) {
    end_ = eol + 2;
    return Result::kComplete;
  }
  if (eol + 2 - pos_ > kMaxTrailers) return Result::kInvalid;
  pos_ = eol + 2;
  return Result::kComplete;
}

void DropExpectHeader(std::string& head) {
  size_t at = head.find("\r\n");
  while (at != std::string::npos && at + 2 < head.size()) {
    const size_t next = head.find("\r\n", at + 2);
    if (next == std::string::npos || next == at + 2) break;
    const std::string_view line(head.data() + at + 2, next - at - 2);
    if (line.size() >= 7 && EqualsIgnoringCase(line.substr(0, 7), "Expect:")) {
      head.erase(at + 2, next - at);  // the line and its CRLF
    } else {
      at = next;
    }
  }
}

}  // namespace agentdraft::api
