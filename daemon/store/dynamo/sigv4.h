// AWS Signature Version 4 (OpenSSL's SHA-256 and HMAC), for requests to one service: POST with
// a JSON body (DynamoDB), or any method with a canonical query string (the published vectors).
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html
#pragma once

#include <map>
#include <string>

#include "common/time.h"
#include "daemon/store/dynamo/aws_config.h"

namespace agentdraft::store::dynamo {

struct SigV4Request {
  std::string method = "POST";
  std::string host;            // "dynamodb.us-east-1.amazonaws.com" or "127.0.0.1:8000"
  std::string path = "/";      // already URI-encoded
  std::string query;           // canonical query string ("" for DynamoDB)
  std::map<std::string, std::string> headers;  // lower-case names; host is added if missing
  std::string body;
  std::string region;
  std::string service = "dynamodb";
  Time now;
};

// The headers to add to the request: "authorization", "x-amz-date", and
// "x-amz-security-token" when the credentials carry a session token (it is signed too).
std::map<std::string, std::string> SignV4(const SigV4Request& request, const AwsCredentials& credentials);

// Steps exposed for the test vectors: the canonical request, the string to sign, the
// hex signature.
struct SigV4Parts {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;
  std::string authorization;
};
SigV4Parts SignV4Parts(const SigV4Request& request, const AwsCredentials& credentials);

}  // namespace agentdraft::store::dynamo
