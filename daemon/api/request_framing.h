// Request framing: where an HTTP/1.1 request ends, decided from its head alone (RFC 9112 §6),
// before any handler runs. The listeners' front end (request_gate.h) reads each request whole
// with it and refuses, at once, framing that is ambiguous, unsupported or too large:
//
//  - two Content-Length headers that disagree, or Content-Length with Transfer-Encoding
//    (request smuggling): 400 `validation_error`;
//  - a Content-Length that is not a decimal number (a sign, hex, spaces inside): 400;
//  - a Content-Length over the body limit: 413 `payload_too_large`, without reading the body;
//  - a Transfer-Encoding other than exactly `chunked`: 501 `not_implemented`.
//
// A head with neither header has no body. Pure functions: thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "daemon/api/api_error.h"

namespace agentdraft::api {

// How the body after a head is delimited.
struct Framing {
  enum class Kind { kNone, kLength, kChunked };
  Kind kind = Kind::kNone;
  size_t length = 0;         // kLength: the body's bytes
  bool expect_continue = false;  // "Expect: 100-continue"
};

// Why a head's framing was refused: the API error to answer (its status from the code).
using FramingError = ApiError;

// Reads the framing of `head` (request line, headers, and the blank line). On a refusal,
// returns false and fills `*error`.
bool ParseFraming(std::string_view head, size_t max_body_bytes, Framing* framing,
                  FramingError* error);

// Finds where a chunked body ends, as its bytes arrive: Scan() is called with the whole body
// received so far (it only grows) and resumes where it stopped. Chunk extensions and trailer
// fields are skipped; a chunk-size line over 1 KiB, a trailer line over 8 KiB, or data over
// the limit are refused.
class ChunkedScanner {
 public:
  enum class Result { kComplete, kIncomplete, kInvalid, kTooLarge };

  explicit ChunkedScanner(size_t max_data_bytes) : max_data_(max_data_bytes) {}

  Result Scan(std::string_view body);
  // After kComplete: the length of the chunked body, final CRLF included.
  size_t end() const { return end_; }

 private:
  Result ScanChunk(std::string_view body);
  Result ScanTrailer(std::string_view body);

  const size_t max_data_;
  size_t pos_ = 0;   // the next chunk-size line (or trailer line) starts here
  size_t data_ = 0;  // chunk data bytes so far
  bool in_trailers_ = false;
  size_t end_ = 0;
};

// Removes every "Expect:" header line from a complete head (the front end has already sent
// the interim "100 Continue", so the handler must not send another).
void DropExpectHeader(std::string& head);

}  // namespace agentdraft::api
