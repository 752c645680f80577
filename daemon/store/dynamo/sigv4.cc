#include "daemon/store/dynamo/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <ctime>
#include <string_view>

namespace agentdraft::store::dynamo {
namespace {

constexpr char kAlgorithm[] = "AWS4-HMAC-SHA256";

std::string Hex(const unsigned char* data, size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    out.push_back(kDigits[data[i] >> 4]);
    out.push_back(kDigits[data[i] & 0xf]);
  }
  return out;
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr);
  return Hex(digest, size);
}

// The raw 32-byte HMAC-SHA256 of `data` under `key`.
std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &size);
  return std::string(reinterpret_cast<const char*>(mac), size);
}

// "20150830T123600Z"
std::string AmzDate(Time now) {
  const std::time_t seconds = std::chrono::floor<std::chrono::seconds>(now).time_since_epoch().count();
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[17];
  std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &utc);
  return text;
}

// A header value as SigV4 wants it: outer spaces trimmed, inner runs of spaces collapsed.
std::string CanonicalValue(const std::string& value) {
  std::string out;
  bool space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

}  // namespace

SigV4Parts SignV4Parts(const SigV4Request& request, const AwsCredentials& credentials) {
  const std::string amz_date = AmzDate(request.now);
  const std::string date = amz_date.substr(0, 8);
  const std::string scope = date + "/" + request.region + "/" + request.service + "/aws4_request";

  std::map<std::string, std::string> headers = request.headers;  // sorted by lower-case name
  headers.emplace("host", request.host);
  headers["x-amz-date"] = amz_date;
  if (!credentials.session_token.empty()) headers["x-amz-security-token"] = credentials.session_token;
  std::string canonical_headers;
  std::string signed_headers;
  for (const auto& [name, value] : headers) {
    canonical_headers += name + ":" + CanonicalValue(value) + "\n";
    signed_headers += (signed_headers.empty() ? "" : ";") + name;
  }

  SigV4Parts parts;
  parts.canonical_request = request.method + "\n" + request.path + "\n" + request.query + "\n" +
                            canonical_headers + "\n" + signed_headers + "\n" + Sha256Hex(request.body);
  parts.string_to_sign =
      std::string(kAlgorithm) + "\n" + amz_date + "\n" + scope + "\n" + Sha256Hex(parts.canonical_request);

  std::string key = HmacSha256("AWS4" + credentials.secret_access_key, date);
  key = HmacSha256(key, request.region);
  key = HmacSha256(key, request.service);
  key = HmacSha256(key, "aws4_request");
  const std::string mac = HmacSha256(key, parts.string_to_sign);
  parts.signature = Hex(reinterpret_cast<const unsigned char*>(mac.data()), mac.size());
  parts.authorization = std::string(kAlgorithm) + " Credential=" + credentials.access_key_id + "/" + scope +
                        ", SignedHeaders=" + signed_headers + ", Signature=" + parts.signature;
  return parts;
}

std::map<std::string, std::string> SignV4(const SigV4Request& request, const AwsCredentials& credentials) {
  SigV4Parts parts = SignV4Parts(request, credentials);
  std::map<std::string, std::string> headers = {
      {"authorization", std::move(parts.authorization)},
      {"x-amz-date", AmzDate(request.now)},
  };
  if (!credentials.session_token.empty()) headers["x-amz-security-token"] = credentials.session_token;
  return headers;
}

}  // namespace agentdraft::store::dynamo
