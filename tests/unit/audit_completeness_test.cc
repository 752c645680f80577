// Every state change appears exactly once in the audit chain: a random workload (commits,
// holds, releases, cancels, evictions, displacements, conversions, expiries, agent and
// settings changes) on a fake clock, then the final state is walked against the log.
#include <map>
#include <random>
#include <set>

#include "daemon/engine/audit_chain.h"
#include "tests/unit/engine_test_support.h"

namespace agentdraft::testing {
namespace {

using store::ClaimKind;
using store::ClaimState;

class AuditCompletenessTest : public EngineTest {};

TEST_F(AuditCompletenessTest, TheFinalStateAndTheLogAgreeRowForRow) {
  std::mt19937 rng(20261124);
  std::vector<engine::Principal> agents;
  for (int i = 0; i < 6; ++i) agents.push_back(AddAgent("agent-" + std::to_string(i), 1 + i % 4));
  std::vector<std::string> holds, bookings;
  std::vector<std::shared_future<Reply>> waiting;
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };

  for (int step = 0; step < 600; ++step) {
    const engine::Principal& a = agents[pick(agents.size())];
    const int slot = static_cast<int>(pick(12)) * 15;  // overlapping 30-minute claims
    switch (pick(9)) {
      case 0: case 1: case 2: {
        auto f = CommitAsync(a, Slot(slot, slot + 30));
        waiting.push_back(f);
        break;
      }
      case 3: case 4: {
        Reply r = Hold(a, Slot(slot, slot + 30));
        if (r.status == 201) holds.push_back(r.body["hold_id"]);
        break;
      }
      // The draws are sequenced one per statement: the order in which a compiler evaluates a
      // call's arguments is unspecified, and the workload must be the same under g++ and clang.
      case 5:
        if (!holds.empty()) {
          const std::string& id = holds[pick(holds.size())];
          (void)Release(pick(2) ? a : Owner(), id);
        }
        break;
      case 6:
        if (!bookings.empty()) {
          const std::string& id = bookings[pick(bookings.size())];
          (void)Cancel(pick(3) ? a : Owner(), id);
        }
        break;
      case 7:
        clock_.Advance(std::chrono::seconds(pick(20)));
        engine_->RunDue();
        if (pick(4) == 0) engine_->SweepExpiredHolds();
        break;
      case 8:
        if (pick(10) == 0) {
          engine::AgentUpdate u;
          u.priority = 1 + static_cast<int>(pick(4));
          ASSERT_TRUE(engine_->directory().UpdateAgent(owner_id_, a.agent_id, u).ok());
        } else {
          SettleTieWindow();
        }
        break;
    }
    for (auto it = waiting.begin(); it != waiting.end();) {
      if (!Ready(*it)) {
        ++it;
        continue;
      }
      Reply r = it->get();
      if (r.status == 201) bookings.push_back(r.body["booking_id"]);
      it = waiting.erase(it);
    }
  }
  SettleTieWindow();
  for (auto& f : waiting) {
    ASSERT_TRUE(Ready(f));
    if (f.get().status == 201) bookings.push_back(f.get().body["booking_id"]);
  }
  engine::SettingsUpdate u;
  u.bump_window = std::chrono::seconds(45);
  ASSERT_TRUE(engine_->directory().UpdateSettings(owner_id_, u).ok());
  ASSERT_TRUE(engine_->directory().RevokeKey(owner_id_, agents[0].agent_id).ok());
  store_->Flush();

  store::AuditQuery aq;
  aq.owner_id = owner_id_;
  aq.limit = 1000000;
  auto rows = store_->ListAudit(aq);
  ASSERT_TRUE(rows.ok());
  // The chain: seq 1, 2, 3, … each linked to the one before and matching its content.
  std::string prev = engine::AuditChain::ZeroHash();
  std::map<std::string, std::map<std::string, int>> kinds_by_resource;
  for (size_t i = 0; i < rows->size(); ++i) {
    const store::AuditRecord& r = (*rows)[i];
    ASSERT_EQ(r.seq, static_cast<int64_t>(i) + 1);
    ASSERT_EQ(r.prev_hash, prev) << "row " << r.seq;
    ASSERT_TRUE(engine::AuditChain::Verify(r)) << "row " << r.seq;
    prev = r.hash;
    kinds_by_resource[r.resource][r.kind]++;
  }

  store::ClaimQuery cq;
  cq.owner_id = owner_id_;
  cq.limit = 1000000;
  auto claims = store_->ListClaims(cq);
  ASSERT_TRUE(claims.ok());
  std::map<ClaimState, int> seen;
  std::set<std::string> claim_ids;
  for (const store::ClaimRecord& c : *claims) {
    claim_ids.insert(c.id);
    seen[c.state]++;
    std::map<std::string, int> expected;
    if (c.kind == ClaimKind::kBooking) {
      expected["booking.committed"] = 1;
      if (c.state == ClaimState::kCancelled) expected["booking.cancelled"] = 1;
      if (c.state == ClaimState::kEvicted) expected["booking.evicted"] = 1;
    } else {
      expected["hold.created"] = 1;
      if (c.state == ClaimState::kReleased) expected["hold.released"] = 1;
      if (c.state == ClaimState::kExpired) expected["hold.expired"] = 1;
      if (c.state == ClaimState::kDisplaced) expected["hold.displaced"] = 1;
      if (c.state == ClaimState::kConverted) expected["hold.converted"] = 1;
    }
    // Rejections name the winning claim as their resource: they are not changes of it.
    std::map<std::string, int> actual = kinds_by_resource[c.id];
    actual.erase("booking.rejected");
    actual.erase("hold.rejected");
    EXPECT_EQ(actual, expected) << c.id << " is " << store::ClaimStateName(c.state);
  }
  // No row about a claim that does not exist.
  for (const store::AuditRecord& r : *rows) {
    if (r.kind.rfind("booking.", 0) == 0 || r.kind.rfind("hold.", 0) == 0) {
      EXPECT_TRUE(claim_ids.count(r.resource)) << r.kind << " " << r.resource;
    }
  }
  // Agents and settings: one row per change.
  for (const auto& a : agents) EXPECT_EQ(kinds_by_resource[a.agent_id]["agent.created"], 1);
  EXPECT_EQ(kinds_by_resource[agents[0].agent_id]["agent.key_revoked"], 1);
  EXPECT_EQ(kinds_by_resource[owner_id_]["settings.updated"], 1);
  // The workload reached every state, so the walk proved something about each.
  for (ClaimState s : {ClaimState::kCommitted, ClaimState::kCancelled, ClaimState::kEvicted,
                       ClaimState::kReleased, ClaimState::kExpired, ClaimState::kDisplaced,
                       ClaimState::kConverted}) {
    EXPECT_GT(seen[s], 0) << store::ClaimStateName(s);
  }
}

}  // namespace
}  // namespace agentdraft::testing
