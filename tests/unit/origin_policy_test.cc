// OriginPolicy: the Host and Origin headers the HTTP listener accepts (DNS rebinding,
// cross-site pages).
#include "daemon/api/origin_policy.h"

#include <gtest/gtest.h>

namespace agentdraft::api {
namespace {

TEST(OriginPolicy, OnLoopbackOnlyLoopbackNamesAndAllowedHostsPass) {
  const OriginPolicy p("127.0.0.1", {"Calendar.Internal"});
  for (const char* ok : {"localhost", "LOCALHOST:8080", "127.0.0.1", "127.0.0.1:80", "[::1]",
                         "[::1]:8080", "calendar.internal:443", ""}) {
    EXPECT_EQ(p.HostProblem(ok), "") << ok;
  }
  for (const char* bad : {"evil.example", "evil.example:8080", "localhost.evil.example", "127.0.0.2",
                          "[::2]:8080", "192.168.1.5"}) {
    EXPECT_NE(p.HostProblem(bad), "") << bad;
  }
}

TEST(OriginPolicy, OffLoopbackWithoutAllowedHostsAnyHostPasses) {
  EXPECT_EQ(OriginPolicy("0.0.0.0", {}).HostProblem("evil.example"), "");
  EXPECT_NE(OriginPolicy("0.0.0.0", {"calendar.lan"}).HostProblem("evil.example"), "");
  EXPECT_EQ(OriginPolicy("[::1]", {}).HostProblem("[::1]:9"), "");
  EXPECT_NE(OriginPolicy("[::1]", {}).HostProblem("evil.example"), "");
}

TEST(OriginPolicy, OnlyChangesFromAnotherOriginAreRefused) {
  const OriginPolicy p("127.0.0.1", {});
  const std::string host = "127.0.0.1:8080";
  EXPECT_EQ(p.OriginProblem("POST", "http://127.0.0.1:8080", "", host), "");
  EXPECT_EQ(p.OriginProblem("DELETE", "", "same-origin", host), "");
  EXPECT_EQ(p.OriginProblem("PATCH", "", "", host), "");  // curl, the SDKs, agentdraft
  EXPECT_EQ(p.OriginProblem("GET", "http://evil.example", "cross-site", host), "");
  EXPECT_NE(p.OriginProblem("POST", "http://evil.example", "", host), "");
  EXPECT_NE(p.OriginProblem("PUT", "null", "", host), "");
  EXPECT_NE(p.OriginProblem("POST", "http://localhost:3000", "", host), "");
  EXPECT_NE(p.OriginProblem("DELETE", "", "cross-site", host), "");
  EXPECT_NE(p.OriginProblem("POST", "", "same-site", host), "");
}

TEST(OriginPolicy, LoopbackAddressesAreKnown) {
  EXPECT_TRUE(OriginPolicy::IsLoopback("127.0.0.1"));
  EXPECT_TRUE(OriginPolicy::IsLoopback("127.1.2.3"));
  EXPECT_TRUE(OriginPolicy::IsLoopback("::1"));
  EXPECT_TRUE(OriginPolicy::IsLoopback("localhost"));
  EXPECT_FALSE(OriginPolicy::IsLoopback("0.0.0.0"));
  EXPECT_FALSE(OriginPolicy::IsLoopback("10.0.0.1"));
}

}  // namespace
}  // namespace agentdraft::api
