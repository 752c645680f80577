// DevOwner: signs in to a --dev daemon as an owner (magic link → ad_session cookie) and
// creates agents with keys, for end-to-end tests.
#pragma once

#include <string>
#include <vector>

#include "common/api_client.h"

namespace agentdraft::testing {

struct TestAgent {
  std::string id;
  std::string name;
  int priority = 0;
  std::string key;
};

class DevOwner {
 public:
  // REQUIRES: the daemon runs with --dev. Fails the calling test on error.
  DevOwner(const std::string& base_url, const std::string& email = "owner@example.com");

  TestAgent AddAgent(const std::string& name, int priority);
  // After a daemon restart on a new port: talk to `base_url` with the same session.
  void Rebind(const std::string& base_url);
  // A client acting as the owner (cookie set).
  ApiClient& client() { return client_; }
  // A new client acting as `agent` (its own connection).
  ApiClient AgentClient(const TestAgent& agent) const;
  const std::string& user_id() const { return user_id_; }

 private:
  std::string base_url_;
  ApiClient client_;
  std::string user_id_;
};

}  // namespace agentdraft::testing
