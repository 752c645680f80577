// ApiClient: a small HTTP client for agentdraftd's JSON API (docs/api.md), on libcurl.
//
// One ApiClient owns one curl easy handle, so consecutive requests reuse one keep-alive
// connection (the race demo gives every agent its own client, hence its own connection).
// Any HTTP status is a response; only a transport failure (nothing listening, timeout, reset)
// is an error, Unavailable("no daemon at <url>: <curl error>").
//
// Thread-safety: an ApiClient is not thread-safe; use one per thread. Creating clients from
// several threads at once is fine (curl_global_init runs once, under std::call_once).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace agentdraft {

struct ApiClientOptions {
  std::string base_url = "http://127.0.0.1:8080";  // no trailing slash; paths start with '/'
  std::string unix_socket_path;  // "" = TCP; else CURLOPT_UNIX_SOCKET_PATH (base_url's host is
                                 // then only used for the Host header)
  std::string api_key;           // sent as "Authorization: Bearer …" when set
  std::string cookie;            // e.g. "ad_session=…", sent when set
  std::vector<std::string> headers;  // whole header lines sent with every request
  std::chrono::milliseconds timeout{30000};         // whole request
  std::chrono::milliseconds connect_timeout{3000};  // connection setup only
};

struct ApiResponse {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names; a repeated header keeps
                                               // its last value

  // The body as JSON; InvalidArgument when it is not JSON.
  Result<nlohmann::json> Json() const;
  // The `error` field of a JSON error body ("outranked", "unauthorized", …), or "".
  std::string ErrorCode() const;
};

class ApiClient {
 public:
  explicit ApiClient(ApiClientOptions options);
  ~ApiClient();
  ApiClient(ApiClient&&) noexcept;
  ApiClient& operator=(ApiClient&&) noexcept;
  ApiClient(const ApiClient&) = delete;
  ApiClient& operator=(const ApiClient&) = delete;

  // `path` is appended to base_url ("/v1/bookings?limit=10"). `extra_headers` are whole
  // header lines ("Idempotency-Key: k1"). Result: the response, whatever its status, or
  // Unavailable when no HTTP answer arrived.
  Result<ApiResponse> Get(const std::string& path);
  Result<ApiResponse> Post(const std::string& path, const nlohmann::json& body,
                           const std::vector<std::string>& extra_headers = {});
  // Sends `body` as is (for malformed-input tests), with Content-Type: application/json.
  Result<ApiResponse> PostRaw(const std::string& path, std::string_view body,
                              const std::vector<std::string>& extra_headers = {});
  Result<ApiResponse> Delete(const std::string& path);
  Result<ApiResponse> Patch(const std::string& path, const nlohmann::json& body);
  // Any method; `body` nullptr = no body.
  Result<ApiResponse> Request(const char* method, const std::string& path,
                              const std::string* body,
                              const std::vector<std::string>& extra_headers = {});

  // GET `path` as a stream (server-sent events): a 2xx body goes to `on_data` piece by piece
  // as it arrives, with no overall timeout, until the server ends it or `on_data` returns
  // false. Result: the response (status, headers; the body of a non-2xx answer), or
  // Unavailable when no answer came or the stream broke.
  Result<ApiResponse> GetStream(const std::string& path, const std::vector<std::string>& extra_headers,
                                const std::function<bool(std::string_view)>& on_data);

  void set_cookie(std::string cookie) { options_.cookie = std::move(cookie); }
  void set_timeout(std::chrono::milliseconds timeout) { options_.timeout = timeout; }
  const ApiClientOptions& options() const { return options_; }

 private:
  // `body` is nullptr for GET and DELETE; `stream` (nullable) takes a 2xx body as it arrives.
  Result<ApiResponse> Send(const char* method, const std::string& path,
                           const std::string_view* body,
                           const std::vector<std::string>& extra_headers,
                           const std::function<bool(std::string_view)>* stream = nullptr);

  struct CurlDeleter {
    void operator()(void* curl) const;  // curl_easy_cleanup
  };

  ApiClientOptions options_;
  std::unique_ptr<void, CurlDeleter> curl_;  // a CURL* (curl.h: `typedef void CURL`); null
                                             // only after a move
};

// Percent-encodes a query parameter value (RFC 3986 unreserved characters stay as they are).
std::string UrlEncode(std::string_view value);

}  // namespace agentdraft
