#include "common/api_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <mutex>

namespace agentdraft {

namespace {
void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  std::string line(data, size * n);
  const size_t colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(), ::tolower);
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    value.erase(value.find_last_not_of(" \t\r\n") + 1);
    (*static_cast<std::map<std::string, std::string>*>(user))[name] = value;
  }
  return size * n;
}
}  // namespace

void ApiClient::CurlDeleter::operator()(void* handle) const { curl_easy_cleanup(handle); }

ApiClient::ApiClient(ApiClientOptions options) : options_(std::move(options)) {
  GlobalInit();
  curl_.reset(curl_easy_init());
}

ApiClient::~ApiClient() = default;

Result<nlohmann::json> ApiResponse::Json() const {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded()) return Status::InvalidArgument("the daemon answered with non-JSON: " + body.substr(0, 200));
  return j;
}

std::string ApiResponse::ErrorCode() const {
  auto j = Json();
  if (!j.ok() || !j->is_object()) return "";
  return j->value("error", "");
}

Result<ApiResponse> ApiClient::Get(const std::string& path) { return Send("GET", path, nullptr); }
Result<ApiResponse> ApiClient::Delete(const std::string& path) { return Send("DELETE", path, nullptr); }
Result<ApiResponse> ApiClient::Post(const std::string& path, const nlohmann::json& body) {
  const std::string text = body.dump();
  return Send("POST", path, &text);
}

Result<ApiResponse> ApiClient::Send(const char* method, const std::string& path,
                                    const std::string* body) {
  CURL* c = static_cast<CURL*>(curl_.get());
  if (c == nullptr) return Status::Internal("curl_easy_init failed");
  ApiResponse response;
  std::string url = options_.base_url + path;
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Content-Type: application/json");
  headers = curl_slist_append(headers, "Expect:");
  if (!options_.api_key.empty()) {
    headers = curl_slist_append(headers, ("Authorization: Bearer " + options_.api_key).c_str());
  }
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(c, CURLOPT_HTTPGET, body == nullptr ? 1L : 0L);
  if (body != nullptr) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body->c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body->size()));
  }
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_COOKIE, options_.cookie.empty() ? nullptr : options_.cookie.c_str());
  curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH,
                   options_.unix_socket_path.empty() ? nullptr : options_.unix_socket_path.c_str());
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &response.headers);
  CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) {
    return Status::Unavailable("no daemon at " + options_.base_url + ": " + curl_easy_strerror(rc));
  }
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  response.status = static_cast<int>(status);
  return response;
}

std::string UrlEncode(const std::string& value) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : value) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      out += static_cast<char>(ch);
    } else {
      out += '%';
      out += kHex[ch >> 4];
      out += kHex[ch & 15];
    }
  }
  return out;
}

}  // namespace agentdraft
