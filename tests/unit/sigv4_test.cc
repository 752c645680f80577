// SignV4 against AWS's published Signature Version 4 examples: the IAM ListUsers request of
// the SigV4 documentation, and the aws-sig-v4-test-suite case post-sts-header-before (a session
// token that is signed).
#include "daemon/store/dynamo/sigv4.h"

#include <gtest/gtest.h>

namespace agentdraft::store::dynamo {
namespace {

const AwsCredentials kExampleKeys = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
constexpr char kExampleToken[] =
    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTf"
    "lfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9H"
    "FvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKT"
    "r4rvx3iSIlTJabIQwj2ICCR/oLxBA==";

Time ExampleTime() { return ParseRfc3339("2015-08-30T12:36:00Z").value(); }

SigV4Request IamListUsers() {
  SigV4Request r;
  r.method = "GET";
  r.host = "iam.amazonaws.com";
  r.query = "Action=ListUsers&Version=2010-05-08";
  r.headers = {{"content-type", "application/x-www-form-urlencoded; charset=utf-8"}};
  r.region = "us-east-1";
  r.service = "iam";
  r.now = ExampleTime();
  return r;
}

TEST(SigV4, IamListUsersExampleMatchesThePublishedSignature) {
  const SigV4Parts parts = SignV4Parts(IamListUsers(), kExampleKeys);

  EXPECT_EQ(parts.canonical_request,
            "GET\n/\nAction=ListUsers&Version=2010-05-08\n"
            "content-type:application/x-www-form-urlencoded; charset=utf-8\n"
            "host:iam.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
            "content-type;host;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(parts.string_to_sign,
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\n"
            "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59");
  EXPECT_EQ(parts.signature, "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
  EXPECT_EQ(parts.authorization,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-date, "
            "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
}

TEST(SigV4, SessionTokenIsSignedAsInTheStsHeaderBeforeCase) {
  SigV4Request r;
  r.host = "example.amazonaws.com";
  r.region = "us-east-1";
  r.service = "service";
  r.now = ExampleTime();
  AwsCredentials credentials = kExampleKeys;
  credentials.session_token = kExampleToken;

  const SigV4Parts parts = SignV4Parts(r, credentials);

  EXPECT_EQ(parts.authorization,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date;x-amz-security-token, "
            "Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead");
}

TEST(SigV4, SignReturnsTheHeadersToAdd) {
  SigV4Request r = IamListUsers();
  AwsCredentials credentials = kExampleKeys;
  credentials.session_token = "token";

  const auto headers = SignV4(r, credentials);

  std::string names;
  for (const auto& [name, value] : headers) names += name + " ";
  EXPECT_EQ(names, "authorization x-amz-date x-amz-security-token ");
  EXPECT_EQ(headers.at("x-amz-date"), "20150830T123600Z");
  EXPECT_EQ(headers.at("x-amz-security-token"), "token");
  EXPECT_EQ(headers.at("authorization"), SignV4Parts(r, credentials).authorization);
}

TEST(SigV4, HeaderValuesAreTrimmedAndInnerSpacesCollapsed) {
  SigV4Request spaced = IamListUsers();
  spaced.headers = {{"content-type", "  application/x-www-form-urlencoded;   charset=utf-8 "}};

  EXPECT_EQ(SignV4Parts(spaced, kExampleKeys).signature,
            "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
}

}  // namespace
}  // namespace agentdraft::store::dynamo
