// ApiClient: a small HTTP client for agentdraftd's JSON API, on libcurl.
//
// One ApiClient owns one curl handle, so consecutive requests reuse one keep-alive connection.
// Not thread-safe: give each thread its own client.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace agentdraft {

struct ApiClientOptions {
  std::string base_url = "http://127.0.0.1:8080";
  std::string unix_socket_path;  // "" = TCP
  std::string api_key;           // sent as "Authorization: Bearer …" when set
  std::string cookie;            // e.g. "ad_session=…", sent when set
  std::chrono::milliseconds timeout{30000};
  std::chrono::milliseconds connect_timeout{3000};
};

struct ApiResponse {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names

  // The body as JSON (InvalidArgument when it is not).
  Result<nlohmann::json> Json() const;
  // The error code of a non-2xx JSON body ("outranked", …), or "" if none.
  std::string ErrorCode() const;
};

class ApiClient {
 public:
  explicit ApiClient(ApiClientOptions options);
  ~ApiClient();
  ApiClient(const ApiClient&) = delete;
  ApiClient& operator=(const ApiClient&) = delete;

  // A transport failure (nothing answered, timeout) is Unavailable; any HTTP status is a
  // response.
  Result<ApiResponse> Get(const std::string& path);
  Result<ApiResponse> Post(const std::string& path, const nlohmann::json& body);
  Result<ApiResponse> Delete(const std::string& path);

  void set_api_key(std::string key) { options_.api_key = std::move(key); }
  void set_cookie(std::string cookie) { options_.cookie = std::move(cookie); }
  const ApiClientOptions& options() const { return options_; }

 private:
  Result<ApiResponse> Send(const char* method, const std::string& path, const std::string* body);

  ApiClientOptions options_;
  struct CurlDeleter {
    void operator()(void* handle) const;
  };
  std::unique_ptr<void, CurlDeleter> curl_;
};

// Percent-encodes a query parameter value.
std::string UrlEncode(const std::string& value);

}  // namespace agentdraft
