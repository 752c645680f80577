#include "common/api_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <mutex>

#include "common/json_parse.h"

namespace agentdraft {

namespace {

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// Where a response body goes: into the response, or (a 2xx answer with a stream sink) to the
// sink as it arrives.
struct BodySink {
  CURL* curl;
  std::string* body;
  const std::function<bool(std::string_view)>* stream;  // nullable
};

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto& sink = *static_cast<BodySink*>(user);
  if (sink.stream != nullptr) {
    long status = 0;
    curl_easy_getinfo(sink.curl, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200 && status < 300) {
      return (*sink.stream)(std::string_view(data, size * n)) ? size * n : 0;
    }
  }
  sink.body->append(data, size * n);
  return size * n;
}

std::string Trim(std::string s) {
  s.erase(0, s.find_first_not_of(" \t"));
  s.erase(s.find_last_not_of(" \t\r\n") + 1);
  return s;
}

// One header line per call. A status line ("HTTP/1.1 200 OK") starts a new response (after
// a 100 Continue, say), so it clears what an earlier one left.
size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto& headers = *static_cast<std::map<std::string, std::string>*>(user);
  const std::string line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) {
    headers.clear();
    return size * n;
  }
  const size_t colon = line.find(':');
  if (colon == std::string::npos) return size * n;
  std::string name = line.substr(0, colon);
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  headers[name] = Trim(line.substr(colon + 1));
  return size * n;
}

// Frees a curl_slist on scope exit.
struct HeaderList {
  curl_slist* list = nullptr;
  void Add(const std::string& line) { list = curl_slist_append(list, line.c_str()); }
  ~HeaderList() { curl_slist_free_all(list); }
};

}  // namespace

void ApiClient::CurlDeleter::operator()(void* curl) const { curl_easy_cleanup(curl); }

ApiClient::ApiClient(ApiClientOptions options) : options_(std::move(options)) {
  GlobalInitOnce();
  curl_.reset(curl_easy_init());
}

ApiClient::~ApiClient() = default;
ApiClient::ApiClient(ApiClient&&) noexcept = default;
ApiClient& ApiClient::operator=(ApiClient&&) noexcept = default;

Result<nlohmann::json> ApiResponse::Json() const {
  Result<nlohmann::json> j = ParseJson(body, {.max_depth = kDocumentJsonDepth});
  if (!j.ok()) {
    return Status::InvalidArgument("the answer " + j.status().message() + ": " + body.substr(0, 200));
  }
  return j;
}

std::string ApiResponse::ErrorCode() const {
  Result<nlohmann::json> j = Json();
  if (!j.ok() || !j->is_object() || !(*j)["error"].is_string()) return "";
  return (*j)["error"].get<std::string>();
}

Result<ApiResponse> ApiClient::Get(const std::string& path) {
  return Send("GET", path, nullptr, {});
}

Result<ApiResponse> ApiClient::Delete(const std::string& path) {
  return Send("DELETE", path, nullptr, {});
}

Result<ApiResponse> ApiClient::Patch(const std::string& path, const nlohmann::json& body) {
  const std::string text = body.dump();
  const std::string_view view = text;
  return Send("PATCH", path, &view, {});
}

Result<ApiResponse> ApiClient::Request(const char* method, const std::string& path,
                                       const std::string* body,
                                       const std::vector<std::string>& extra_headers) {
  if (body == nullptr) return Send(method, path, nullptr, extra_headers);
  const std::string_view view = *body;
  return Send(method, path, &view, extra_headers);
}

Result<ApiResponse> ApiClient::Post(const std::string& path, const nlohmann::json& body,
                                    const std::vector<std::string>& extra_headers) {
  return PostRaw(path, body.dump(), extra_headers);
}

Result<ApiResponse> ApiClient::PostRaw(const std::string& path, std::string_view body,
                                       const std::vector<std::string>& extra_headers) {
  return Send("POST", path, &body, extra_headers);
}

Result<ApiResponse> ApiClient::GetStream(const std::string& path,
                                         const std::vector<std::string>& extra_headers,
                                         const std::function<bool(std::string_view)>& on_data) {
  const auto timeout = options_.timeout;
  options_.timeout = std::chrono::milliseconds(0);  // no limit: the stream lasts
  auto r = Send("GET", path, nullptr, extra_headers, &on_data);
  options_.timeout = timeout;
  return r;
}

Result<ApiResponse> ApiClient::Send(const char* method, const std::string& path,
                                    const std::string_view* body,
                                    const std::vector<std::string>& extra_headers,
                                    const std::function<bool(std::string_view)>* stream) {
  CURL* curl = curl_.get();
  if (curl == nullptr) return Status::Internal("ApiClient used after it was moved from");
  HeaderList headers;
  headers.Add("Content-Type: application/json");
  headers.Add("Expect:");  // no 100-continue round trip on POST
  if (!options_.api_key.empty()) headers.Add("Authorization: Bearer " + options_.api_key);
  for (const std::string& line : options_.headers) headers.Add(line);
  for (const std::string& line : extra_headers) headers.Add(line);

  ApiResponse response;
  const std::string url = options_.base_url + path;
  const auto opt_or_null = [](const std::string& s) { return s.empty() ? nullptr : s.c_str(); };
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  if (body != nullptr) {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body->data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
  } else {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  }
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.list);
  curl_easy_setopt(curl, CURLOPT_COOKIE, opt_or_null(options_.cookie));
  curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, opt_or_null(options_.unix_socket_path));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // no SIGALRM: safe with many threads
  curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
  BodySink sink{curl, &response.body, stream};
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response.headers);

  const CURLcode rc = curl_easy_perform(curl);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);  // `headers` dies with this scope
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  if (rc == CURLE_WRITE_ERROR && stream != nullptr && status >= 200 && status < 300) {
    response.status = static_cast<int>(status);  // the sink asked to stop
    return response;
  }
  if (rc != CURLE_OK) {
    return Status::Unavailable(
        "no daemon at " +
        (options_.unix_socket_path.empty() ? options_.base_url : options_.unix_socket_path) + ": " +
        curl_easy_strerror(rc));
  }
  response.status = static_cast<int>(status);
  return response;
}

std::string UrlEncode(std::string_view value) {
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
