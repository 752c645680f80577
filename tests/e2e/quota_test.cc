// Per-agent quotas in the real daemon: owner settings and daemon flags; over one, 422
// quota_exceeded naming it, and nothing written.
#include "tests/e2e/e2e_support.h"

namespace agentdraft::testing {
namespace {

class QuotaTest : public E2eTest {
 protected:
  int64_t AuditRows() {
    auto r = owner_->client().Get("/v1/status");
    return r.ok() ? r->Json().value()["counts"].value("audit_rows", int64_t{-1}) : -1;
  }
};

TEST_F(QuotaTest, OwnerSetQuotasRefuseWith422NamingTheQuotaAndChangeNothing) {
  auto set = owner_->client().Patch("/v1/dashboard/settings",
                                    {{"max_active_claims_per_agent", 1}, {"max_metadata_bytes_per_agent", 100}});
  ASSERT_TRUE(set.ok());
  ASSERT_EQ(set->status, 200) << set->body;
  const nlohmann::json s = set->Json().value();
  EXPECT_EQ(s["max_active_claims_per_agent"], 1);
  EXPECT_EQ(s["max_metadata_bytes_per_agent"], 100);
  TestAgent a = owner_->AddAgent("a", 1);
  ApiClient ca = Client(a.key);
  const int64_t rows = AuditRows();

  nlohmann::json big = Claim(0, 30);
  big["metadata"] = {{"note", std::string(200, 'x')}};
  auto r = ca.Post("/v1/bookings", big);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 422) << r->body;
  nlohmann::json b = r->Json().value();
  EXPECT_EQ(b["error"], "quota_exceeded");
  EXPECT_EQ(b["quota"], "max_metadata_bytes_per_agent");
  EXPECT_EQ(b["limit"], 100);
  EXPECT_EQ(b["used"], 0);
  EXPECT_EQ(AuditRows(), rows);

  ASSERT_EQ(ca.Post("/v1/bookings", Claim(0, 30))->status, 201);
  r = ca.Post("/v1/holds", Claim(60, 90));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 422) << r->body;
  b = r->Json().value();
  EXPECT_EQ(b["error"], "quota_exceeded");
  EXPECT_EQ(b["quota"], "max_active_claims_per_agent");
  EXPECT_EQ(b["limit"], 1);
  EXPECT_EQ(b["used"], 1);
  EXPECT_EQ(AuditRows(), rows + 1);  // the one commit

  // Back to the daemon's defaults (1,000 claims, 1 MiB).
  set = owner_->client().Patch("/v1/dashboard/settings",
                               {{"max_active_claims_per_agent", nullptr}, {"max_metadata_bytes_per_agent", nullptr}});
  ASSERT_EQ(set->status, 200) << set->body;
  EXPECT_EQ(set->Json().value()["max_active_claims_per_agent"], 1000);
  EXPECT_EQ(set->Json().value()["max_metadata_bytes_per_agent"], 1048576);
  EXPECT_EQ(ca.Post("/v1/holds", Claim(60, 90))->status, 201);
}

TEST_F(QuotaTest, DaemonFlagsSetTheQuotaDefaults) {
  ASSERT_EQ(daemon_->Stop(), 0);
  StartDaemon({"--dev", "--max-active-claims", "1", "--max-metadata-bytes", "0"});
  auto s = owner_->client().Get("/v1/dashboard/settings");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->Json().value()["max_active_claims_per_agent"], 1);
  EXPECT_EQ(s->Json().value()["max_metadata_bytes_per_agent"], 0);
  TestAgent a = owner_->AddAgent("a", 1);
  ASSERT_EQ(Client(a.key).Post("/v1/bookings", Claim(0, 30))->status, 201);
  EXPECT_EQ(Client(a.key).Post("/v1/bookings", Claim(60, 90))->status, 422);
}

}  // namespace
}  // namespace agentdraft::testing
