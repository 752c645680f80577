#include "tests/support/dev_owner.h"

#include <gtest/gtest.h>

namespace agentdraft::testing {

namespace {
ApiClientOptions OptionsFor(const std::string& base_url) {
  ApiClientOptions o;
  o.base_url = base_url;
  return o;
}
}  // namespace

DevOwner::DevOwner(const std::string& base_url, const std::string& email)
    : base_url_(base_url), client_(OptionsFor(base_url)) {
  auto link = client_.Post("/v1/auth/magic-link", {{"email", email}});
  if (!link.ok()) {
    ADD_FAILURE() << link.status().ToString();
    return;
  }
  auto token = link->Json().value().value("dev_token", "");
  auto verify = client_.Post("/v1/auth/verify", {{"token", token}});
  if (!verify.ok() || verify->status != 200) {
    ADD_FAILURE() << "verify failed";
    return;
  }
  const std::string cookie = verify->headers["set-cookie"];
  client_.set_cookie(cookie.substr(0, cookie.find(';')));
  user_id_ = verify->Json().value()["user_id"];
}

DevOwner::DevOwner(ApiClientOptions socket_options, const std::string& base_url)
    : base_url_(base_url), client_(std::move(socket_options)) {
  auto settings = client_.Get("/v1/dashboard/settings");
  if (!settings.ok() || settings->status != 200) {
    ADD_FAILURE() << "the socket's owner: " << (settings.ok() ? settings->body : settings.status().ToString());
    return;
  }
  user_id_ = settings->Json().value().value("user_id", "");
}

std::unique_ptr<DevOwner> DevOwner::OverSocket(const std::string& socket_path,
                                               const std::string& base_url) {
  ApiClientOptions o;
  o.base_url = "http://agentdraftd";
  o.unix_socket_path = socket_path;
  return std::unique_ptr<DevOwner>(new DevOwner(std::move(o), base_url));
}

TestAgent DevOwner::AddAgent(const std::string& name, int priority) {
  auto r = client_.Post("/v1/dashboard/agents", {{"name", name}, {"priority", priority}});
  EXPECT_TRUE(r.ok() && r->status == 201) << (r.ok() ? r->body : r.status().ToString());
  if (!r.ok() || r->status != 201) return {};
  auto j = r->Json().value();
  return {j["agent_id"], name, priority, j["plaintext_key"]};
}

void DevOwner::Rebind(const std::string& base_url) {
  ApiClientOptions o = client_.options();
  if (o.unix_socket_path.empty()) o.base_url = base_url;
  base_url_ = base_url;
  client_ = ApiClient(o);
}

ApiClient DevOwner::AgentClient(const TestAgent& agent) const {
  ApiClientOptions o;
  o.base_url = base_url_;
  o.api_key = agent.key;
  return ApiClient(o);
}

}  // namespace agentdraft::testing
