// Request framing (daemon/api/request_framing.h): what the listeners' front end reads as one
// request, and what it refuses before any handler runs.
#include "daemon/api/request_framing.h"

#include <gtest/gtest.h>

namespace agentdraft::api {
namespace {

std::string Head(const std::string& fields) { return "POST /v1/bookings HTTP/1.1\r\nHost: x\r\n" + fields + "\r\n"; }

FramingError Refusal(const std::string& fields, size_t max_body = 1 << 20) {
  Framing f;
  FramingError e;
  EXPECT_FALSE(ParseFraming(Head(fields), max_body, &f, &e)) << fields;
  return e;
}

Framing Accepted(const std::string& fields) {
  Framing f;
  FramingError e;
  EXPECT_TRUE(ParseFraming(Head(fields), 1 << 20, &f, &e)) << fields << ": " << e.message;
  return f;
}

TEST(RequestFraming, AHeadWithoutLengthOrCodingHasNoBody) {
  EXPECT_EQ(Accepted("Accept: */*\r\n").kind, Framing::Kind::kNone);
}

TEST(RequestFraming, ContentLengthGivesTheBodysLengthInAnyCase) {
  const Framing f = Accepted("content-LENGTH:  42 \r\n");
  EXPECT_EQ(f.kind, Framing::Kind::kLength);
  EXPECT_EQ(f.length, 42u);
  EXPECT_EQ(Accepted("Content-Length: 7\r\nContent-Length: 7\r\n").length, 7u);  // the same twice
}

TEST(RequestFraming, ConflictingContentLengthsAreRefused) {
  const FramingError e = Refusal("Content-Length: 5\r\nContent-Length: 50\r\n");
  EXPECT_EQ(e.http_status(), 400);
  EXPECT_EQ(e.code, "validation_error");
  EXPECT_NE(e.message.find("conflicting"), std::string::npos);
}

TEST(RequestFraming, AContentLengthThatIsNotADecimalNumberIsRefused) {
  for (const char* v : {"-1", "+5", "0x10", "1e3", "5 5", "", "abc", "99999999999999999999"}) {
    const FramingError e = Refusal(std::string("Content-Length: ") + v + "\r\n");
    EXPECT_EQ(e.http_status(), 400) << v;
  }
}

TEST(RequestFraming, ABodyOverTheLimitIsRefusedFromItsLengthAlone) {
  const FramingError e = Refusal("Content-Length: 1048577\r\n", 1 << 20);
  EXPECT_EQ(e.http_status(), 413);
  EXPECT_EQ(e.code, "payload_too_large");
  EXPECT_EQ(Accepted("Content-Length: 1048576\r\n").length, 1u << 20);
}

TEST(RequestFraming, OnlyAsingleChunkedCodingIsAccepted) {
  EXPECT_EQ(Accepted("Transfer-Encoding: chunked\r\n").kind, Framing::Kind::kChunked);
  EXPECT_EQ(Accepted("Transfer-Encoding: CHUNKED\r\n").kind, Framing::Kind::kChunked);
  for (const char* v : {"gzip", "gzip, chunked", "chunked, chunked", "identity", "x"}) {
    const FramingError e = Refusal(std::string("Transfer-Encoding: ") + v + "\r\n");
    EXPECT_EQ(e.http_status(), 501) << v;
    EXPECT_EQ(e.code, "not_implemented") << v;
  }
  EXPECT_EQ(Refusal("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n").http_status(), 501);
}

TEST(RequestFraming, LengthAndCodingTogetherAreRefused) {
  EXPECT_EQ(Refusal("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n").http_status(), 400);
}

TEST(RequestFraming, MalformedHeaderLinesAreRefused) {
  EXPECT_EQ(Refusal("Content-Length : 5\r\n").http_status(), 400);  // whitespace before the colon
  EXPECT_EQ(Refusal("no colon here\r\n").http_status(), 400);
}

TEST(RequestFraming, ExpectContinueIsNoticed) {
  EXPECT_TRUE(Accepted("Expect: 100-continue\r\nContent-Length: 3\r\n").expect_continue);
  std::string head = Head("Expect: 100-continue\r\nContent-Length: 3\r\n");
  DropExpectHeader(head);
  EXPECT_EQ(head, Head("Content-Length: 3\r\n"));
}

TEST(ChunkedScanner, FindsTheEndAsBytesArriveOneAtATime) {
  const std::string body = "4;ext=1\r\nWiki\r\n5\r\npedia\r\n0\r\nTrailer: x\r\n\r\n";
  ChunkedScanner scanner(1024);
  for (size_t n = 0; n < body.size(); ++n) {
    ASSERT_EQ(scanner.Scan(std::string_view(body).substr(0, n)), ChunkedScanner::Result::kIncomplete) << n;
  }
  ASSERT_EQ(scanner.Scan(body + "GET / HTTP/1.1\r\n"), ChunkedScanner::Result::kComplete);
  EXPECT_EQ(scanner.end(), body.size());
}

TEST(ChunkedScanner, RefusesMalformedAndOversizedBodies) {
  EXPECT_EQ(ChunkedScanner(1024).Scan("zz\r\n"), ChunkedScanner::Result::kInvalid);
  EXPECT_EQ(ChunkedScanner(1024).Scan("3\r\nabcX\r\n"), ChunkedScanner::Result::kInvalid);
  EXPECT_EQ(ChunkedScanner(1024).Scan(std::string(2000, '1')), ChunkedScanner::Result::kInvalid);
  EXPECT_EQ(ChunkedScanner(4).Scan("5\r\n"), ChunkedScanner::Result::kTooLarge);
  EXPECT_EQ(ChunkedScanner(8).Scan("4\r\nabcd\r\n5\r\n"), ChunkedScanner::Result::kTooLarge);
  EXPECT_EQ(ChunkedScanner(1024).Scan("ffffffffffffffff\r\n"), ChunkedScanner::Result::kTooLarge);
}

}  // namespace
}  // namespace agentdraft::api
