// DevOwner: signs in to a --dev daemon as an owner (magic link → ad_session cookie) and
// creates agents with keys, for end-to-end tests. The magic link never signs in to the owner
// the daemon's Unix socket speaks for: OverSocket() is that owner.
#pragma once

#include <memory>
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
  // The socket's owner: talks over `socket_path` (no cookie); its agents over `base_url`.
  // Fails the calling test on error.
  static std::unique_ptr<DevOwner> OverSocket(const std::string& socket_path,
                                              const std::string& base_url);

  TestAgent AddAgent(const std::string& name, int priority);
  // After a daemon restart on a new port: talk to `base_url` with the same session.
  void Rebind(const std::string& base_url);
  // A client acting as the owner (cookie set).
  ApiClient& client() { return client_; }
  // A new client acting as `agent` (its own connection).
  ApiClient AgentClient(const TestAgent& agent) const;
  const std::string& user_id() const { return user_id_; }

 private:
  explicit DevOwner(ApiClientOptions socket_options, const std::string& base_url);

  std::string base_url_;
  ApiClient client_;
  std::string user_id_;
};

}  // namespace agentdraft::testing
