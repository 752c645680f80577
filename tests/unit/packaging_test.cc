// The packaged systemd unit (packaging/agentdraftd.service): the daemon never runs as root,
// and the hardening it relies on stays in place.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace agentdraft {
namespace {

// Every "Key=value" of the unit, in order (a key may repeat).
std::multimap<std::string, std::string> UnitSettings() {
  std::ifstream in(std::string(AGENTDRAFT_SOURCE_DIR) + "/packaging/agentdraftd.service");
  EXPECT_TRUE(in) << "packaging/agentdraftd.service is missing";
  std::multimap<std::string, std::string> out;
  for (std::string line; std::getline(in, line);) {
    const size_t eq = line.find('=');
    if (line.empty() || line[0] == '#' || line[0] == '[' || eq == std::string::npos) continue;
    out.emplace(line.substr(0, eq), line.substr(eq + 1));
  }
  return out;
}

std::string Value(const std::multimap<std::string, std::string>& unit, const std::string& key) {
  auto it = unit.find(key);
  return it == unit.end() ? "" : it->second;
}

TEST(SystemdUnit, RunsTheDaemonAsAUserOfItsOwnNeverRoot) {
  const auto unit = UnitSettings();
  const std::string user = Value(unit, "User");
  EXPECT_TRUE(Value(unit, "DynamicUser") == "yes" || (!user.empty() && user != "root" && user != "0"))
      << "the unit must name an unprivileged user (DynamicUser=yes or User=…)";
  EXPECT_NE(user, "root");
  EXPECT_EQ(Value(unit, "UMask"), "0077");
  EXPECT_EQ(Value(unit, "StateDirectoryMode"), "0700");
  EXPECT_EQ(Value(unit, "RuntimeDirectoryMode"), "0700");
}

TEST(SystemdUnit, KeepsItsHardening) {
  const auto unit = UnitSettings();
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"NoNewPrivileges", "yes"}, {"ProtectSystem", "strict"}, {"ProtectHome", "yes"},
           {"PrivateTmp", "yes"}, {"CapabilityBoundingSet", ""}}) {
    EXPECT_EQ(unit.count(key), 1u) << key;
    EXPECT_EQ(Value(unit, key), value) << key;
  }
}

TEST(SystemdUnit, LetsTheDaemonRaiseItsOpenFileLimit) {
  // agentdraftd raises its soft RLIMIT_NOFILE to the hard one for its connections; a
  // filter that denies @resources would kill it at start (SIGSYS) or refuse the call.
  const auto unit = UnitSettings();
  auto [from, to] = unit.equal_range("SystemCallFilter");
  for (auto it = from; it != to; ++it) {
    EXPECT_EQ(it->second.find("@resources"), std::string::npos) << it->second;
  }
  EXPECT_EQ(Value(unit, "SystemCallErrorNumber"), "EPERM");
}

}  // namespace
}  // namespace agentdraft
