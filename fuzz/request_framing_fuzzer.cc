// Fuzzes the listeners' front end's reading of a request (daemon/api/request_framing.h): the
// framing of a head (Content-Length, Transfer-Encoding, Expect) and the chunked-body scanner.
//
// Input: raw bytes as a client would send them. The head is everything up to the first blank
// line; the rest is the body.
//
// Findings (abort): a crash or sanitizer report; a chunked body whose end is found differently
// when its bytes arrive in pieces than when they arrive at once; an end past the bytes given;
// a length accepted over the limit; an "Expect:" line left after DropExpectHeader.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "daemon/api/request_framing.h"
#include "fuzz/fuzz_support.h"

namespace {

using agentdraft::api::ChunkedScanner;
using agentdraft::api::Framing;
using agentdraft::api::FramingError;
using agentdraft::fuzz::Fail;

constexpr size_t kMaxBody = 4096;

void CheckChunked(std::string_view body) {
  ChunkedScanner whole(kMaxBody);
  const ChunkedScanner::Result at_once = whole.Scan(body);
  // The same bytes in pieces of 1, 2, 3, … bytes (a step derived from the body's length).
  ChunkedScanner pieces(kMaxBody);
  ChunkedScanner::Result last = ChunkedScanner::Result::kIncomplete;
  const size_t step = 1 + body.size() % 7;
  for (size_t n = 0; last == ChunkedScanner::Result::kIncomplete; n = std::min(body.size(), n + step)) {
    last = pieces.Scan(body.substr(0, n));
    if (n == body.size()) break;
  }
  if (at_once == ChunkedScanner::Result::kComplete) {
    if (whole.end() > body.size()) Fail("chunked end past the bytes given");
    // Refused early in pieces is allowed only for what the whole scan refused too.
    if (last != ChunkedScanner::Result::kComplete || pieces.end() != whole.end()) {
      Fail("chunked end differs when the bytes arrive in pieces");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t end = input.find("\r\n\r\n");
  if (end == std::string_view::npos) return 0;
  const std::string_view head = input.substr(0, end + 4), body = input.substr(end + 4);
  Framing framing;
  FramingError error;
  if (agentdraft::api::ParseFraming(head, kMaxBody, &framing, &error)) {
    if (framing.kind == Framing::Kind::kLength && framing.length > kMaxBody) Fail("a length over the limit was accepted");
    if (framing.kind == Framing::Kind::kChunked) CheckChunked(body);
  } else if (error.http_status() != 400 && error.http_status() != 413 && error.http_status() != 501) {
    Fail("framing refused with an unexpected status");
  }
  std::string copy(head);
  agentdraft::api::DropExpectHeader(copy);
  for (size_t at = copy.find("\r\n"); at != std::string::npos; at = copy.find("\r\n", at + 2)) {
    if (copy.size() >= at + 9 && (copy.compare(at + 2, 7, "Expect:") == 0)) Fail("an Expect line was left");
  }
  return 0;
}
