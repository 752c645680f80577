#include "cli/context.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "cli/base_url.h"
#include "common/friendly_time.h"
#include "common/json_parse.h"
#include "common/paths.h"

namespace agentdraft::cli {

namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

// Text forms that need no time zone: RFC 3339, "now", "+4h", "-15m".
bool ZoneFree(const std::string& text) {
  if (text.empty()) return true;
  if (text[0] == '+' || text[0] == '-' || text == "now") return true;
  return ParseRfc3339(text).ok();
}

}  // namespace

CommandError UsageProblem(std::string message) { return {ExitCode::kUsage, std::move(message)}; }

Context::Context(GlobalOptions options, std::ostream& out, std::ostream& err)
    : options_(std::move(options)), out_(out), err_(err) {
  if (options_.api_key.empty()) options_.api_key = Env("AGENTDRAFT_API_KEY");
  if (options_.tz.empty()) options_.tz = Env("AGENTDRAFT_TZ");
}

std::string Context::SocketPath() const {
  if (!options_.socket.empty()) return options_.socket;
  if (std::string env = Env("AGENTDRAFT_SOCKET"); !env.empty()) return env;
  return DefaultSocketPath();
}

bool Context::UsesSocket(Role role) const {
  switch (role) {
    case Role::kOwner: return true;
    case Role::kAgent:
    case Role::kAgentOrOwner: return !options_.as.empty() || options_.api_key.empty();
  }
  return true;
}

CliResult<ApiClient*> Context::ClientFor(Role role) {
  if (role == Role::kAgent && options_.as.empty() && options_.api_key.empty()) {
    return CommandError{ExitCode::kAuth,
                        "this command is made by an agent: set AGENTDRAFT_API_KEY to an agent's "
                        "key, or, as the owner, name the agent with --as AGENT"};
  }
  if (!UsesSocket(role)) {
    if (!http_) {
      ApiClientOptions o;
      o.base_url = ResolveBaseUrl(options_.base_url);
      o.api_key = options_.api_key;
      http_ = std::make_unique<ApiClient>(o);
    }
    return http_.get();
  }
  if (!socket_) {
    const std::string path = SocketPath();
    struct stat st{};
    if (::stat(path.c_str(), &st) != 0) {
      const int e = errno;
      if (e == EACCES) {
        return CommandError{ExitCode::kAuth,
                            "cannot reach the owner's socket " + path +
                                ": permission denied (it is for the daemon's user and root)"};
      }
      return CommandError{ExitCode::kUnreachable,
                          "no daemon at " + path + ": start it with agentdraftd" +
                              (path == DefaultSocketPath() ? "" : " --socket " + path) +
                              (role == Role::kOwner || !options_.as.empty()
                                   ? ""
                                   : ", or set AGENTDRAFT_API_KEY to use HTTP as an agent")};
    }
    if (!S_ISSOCK(st.st_mode)) {
      return CommandError{ExitCode::kUsage, path + " is not a socket: check --socket / AGENTDRAFT_SOCKET"};
    }
    ApiClientOptions o;
    o.base_url = "http://agentdraftd";  // only the Host header
    o.unix_socket_path = path;
    if (!options_.as.empty()) o.headers.push_back("X-Agentdraft-As: " + options_.as);
    socket_ = std::make_unique<ApiClient>(o);
  }
  return socket_.get();
}

CliResult<ApiResponse> Context::Send(Role role, const char* method, const std::string& path,
                                     const std::string* body, const std::string& doing,
                                     const std::vector<std::string>& headers,
                                     std::chrono::milliseconds timeout) {
  auto client = ClientFor(role);
  if (!client.ok()) return client.error();
  const auto usual = (*client)->options().timeout;
  (*client)->set_timeout(timeout);
  auto response = (*client)->Request(method, path, body, headers);
  (*client)->set_timeout(usual);
  if (!response.ok()) {
    CommandError e = ErrorFromTransport(response.status());
    if (UsesSocket(role)) e.message += " (start it with agentdraftd)";
    else e.message += " (start it with agentdraftd, or check AGENTDRAFT_BASE_URL)";
    return e;
  }
  if (response->status < 200 || response->status >= 300) {
    if (options_.json) out_ << response->body << "\n";
    return ErrorFromResponse(doing, *response);
  }
  return std::move(response.value());
}

CliResult<Reply> Context::Call(Role role, const char* method, const std::string& path,
                               const nlohmann::json* body, const std::string& doing,
                               const std::vector<std::string>& headers) {
  const std::string text = body != nullptr ? body->dump() : "";
  const bool send_body = body != nullptr || std::strcmp(method, "POST") == 0;
  auto answer = Send(role, method, path, send_body ? &text : nullptr, doing, headers,
                     std::chrono::seconds(30));
  if (!answer.ok()) return answer.error();
  Reply reply;
  reply.status = answer->status;
  reply.body = std::move(answer->body);
  Result<nlohmann::json> parsed = ParseJson(reply.body, {.max_depth = kDocumentJsonDepth});
  if (!parsed.ok()) {
    return CommandError{ExitCode::kError,
                        doing + ": the daemon's answer " + parsed.status().message()};
  }
  reply.json = std::move(*parsed);
  return reply;
}

CliResult<std::string> Context::CallRaw(Role role, const char* method, const std::string& path,
                                        const std::string& doing) {
  // A raw body can be a whole export: give it time (the daemon streams it as it reads).
  auto answer = Send(role, method, path, nullptr, doing, {}, std::chrono::hours(1));
  if (!answer.ok()) return answer.error();
  return std::move(answer->body);
}

CliResult<std::string> Context::TimeZone(Role role) {
  if (!options_.tz.empty()) {
    if (!IsKnownTimeZone(options_.tz)) {
      return UsageProblem("unknown time zone \"" + options_.tz + "\" (--tz / AGENTDRAFT_TZ take "
                          "an IANA name such as Europe/Berlin)");
    }
    return options_.tz;
  }
  if (tz_) return *tz_;
  const bool as_owner = UsesSocket(role) && options_.as.empty();
  auto reply = as_owner ? Call(Role::kOwner, "GET", "/v1/dashboard/settings", nullptr,
                               "reading the owner's time zone")
                        : Call(role, "GET", "/v1/agents/me", nullptr, "reading the owner's time zone");
  if (!reply.ok()) return reply.error();
  const nlohmann::json& j = reply->json;
  tz_ = j.contains("timezone") && j["timezone"].is_string() ? j["timezone"].get<std::string>() : "UTC";
  return *tz_;
}

CliResult<Time> Context::ParseTime(Role role, const std::string& text, const std::string& flag,
                                   const Time* base) {
  std::string tz = "UTC";
  if (!ZoneFree(text)) {
    auto zone = TimeZone(role);
    if (!zone.ok()) return zone.error();
    tz = *zone;
  }
  const Time now(std::chrono::duration_cast<Duration>(std::chrono::system_clock::now().time_since_epoch()));
  const bool relative = !text.empty() && (text[0] == '+' || text[0] == '-');
  auto t = ParseFriendlyTime(text, tz, relative && base != nullptr ? *base : now);
  if (!t.ok()) return UsageProblem(flag + ": " + t.status().message());
  return *t;
}

std::string Context::Local(Time t) {
  std::string tz = options_.tz;
  if (tz.empty() && tz_) tz = *tz_;
  if (tz.empty() || !IsKnownTimeZone(tz)) return FormatRfc3339(t);
  return FormatLocalTime(t, tz);
}

std::string Context::Local(const nlohmann::json& rfc3339) {
  if (!rfc3339.is_string()) return "-";
  auto t = ParseRfc3339(rfc3339.get<std::string>());
  return t.ok() ? Local(*t) : rfc3339.get<std::string>();
}

ExitCode Context::Print(const Reply& reply, const std::function<void()>& human) {
  if (options_.json) out_ << reply.body << "\n";
  else human();
  return ExitCode::kOk;
}

ExitCode Context::Fail(const CommandError& error) {
  err_ << "agentdraft: " << error.message << "\n";
  return error.exit_code;
}

}  // namespace agentdraft::cli
