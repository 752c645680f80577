// End-to-end: an owner's audit export holds its own rows in full and nothing of another
// owner's but links (seq, prev_hash, hash), and still verifies offline with the daemon's key;
// the audit list and the checkpoint show an owner nothing of another's either (issue 17).
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "common/api_client.h"
#include "tests/cli/run_process.h"
#include "tests/e2e/e2e_support.h"
#include "tests/support/daemon_process.h"
#include "tests/support/dev_owner.h"
#include "tests/support/temp_dir.h"

namespace agentdraft::testing {
namespace {

using nlohmann::json;

// Everything of one owner that another owner must never read: ids, names, times' objects,
// the counter's note and the webhook's URL.
struct OwnerWorld {
  std::vector<std::string> secrets;
};

std::string Body(const Result<ApiResponse>& r) { return r.ok() ? r->body : r.status().ToString(); }

// Gives `owner` two agents, a booking won and lost, a counter-proposal with a note and a
// webhook; returns the strings that identify them. `name` makes every string the owner's own.
OwnerWorld Populate(DevOwner& owner, const std::string& name, int64_t slot) {
  OwnerWorld w;
  const TestAgent top = owner.AddAgent(name + "-exec-assistant", 1);
  const TestAgent low = owner.AddAgent(name + "-sales-bot", 3);
  ApiClient a = owner.AgentClient(top), b = owner.AgentClient(low);
  auto won = a.Post("/v1/bookings", Claim(slot, slot + 30));
  EXPECT_TRUE(won.ok() && won->status == 201) << Body(won);
  const std::string booking = won.ok() ? won->Json().value().value("booking_id", "") : "";
  auto lost = b.Post("/v1/bookings", Claim(slot, slot + 30));
  EXPECT_TRUE(lost.ok() && lost->status == 409) << Body(lost);
  const std::string note = name + " would rather meet at the Gare du Nord";
  const json slots = json::array({json{{"start", At(slot + 120)}, {"end", At(slot + 150)}}});
  auto counter =
      b.Post("/v1/bookings/" + booking + "/counter", {{"proposed", slots}, {"note", note}});
  EXPECT_TRUE(counter.ok() && counter->status == 201) << Body(counter);
  const std::string url = "https://hooks.example.com/" + name + "-private-hook";
  auto hook = owner.client().Post("/v1/dashboard/webhooks",
                                  {{"event_type", "booking.committed"}, {"url", url}});
  EXPECT_TRUE(hook.ok() && hook->status == 201) << Body(hook);
  w.secrets = {owner.user_id(),
               name + "@example.com",
               top.id,
               low.id,
               top.name,
               low.name,
               booking,
               note,
               url};
  if (counter.ok()) w.secrets.push_back(counter->Json().value().value("counter_id", "?"));
  if (hook.ok()) w.secrets.push_back(hook->Json().value().value("subscription_id", "?"));
  return w;
}

// The owner's export, checked line by line: no string of `other`'s anywhere, other owners' rows
// only as bare links, and at least one row of each kind. Returns the export.
std::string CheckedExport(DevOwner& owner, const OwnerWorld& other) {
  auto exported = owner.client().Get("/v1/audit/export");
  EXPECT_TRUE(exported.ok() && exported->status == 200) << Body(exported);
  if (!exported.ok()) return "";
  for (const std::string& secret : other.secrets) {
    EXPECT_EQ(exported->body.find(secret), std::string::npos) << "the export shows " << secret;
  }
  std::istringstream in(exported->body);
  int rows = 0, links = 0;
  for (std::string line; std::getline(in, line);) {
    const json j = json::parse(line);
    if (j["type"] == "row") {
      ++rows;
      EXPECT_EQ(j["user_id"], owner.user_id()) << line;
    } else if (j["type"] == "link") {
      ++links;
      std::set<std::string> keys;
      for (auto& [key, value] : j.items()) keys.insert(key);
      EXPECT_EQ(keys, (std::set<std::string>{"type", "seq", "prev_hash", "hash"})) << line;
    }
  }
  EXPECT_GT(rows, 5);
  EXPECT_GT(links, 5);
  return exported->body;
}

// `agentdraft audit verify` on the export, with the key the daemon gives this owner.
void ExpectVerifies(const TempDir& dir, DevOwner& owner, const std::string& text) {
  auto checkpoint = owner.client().Get("/v1/audit/checkpoint");
  ASSERT_TRUE(checkpoint.ok() && checkpoint->status == 200) << Body(checkpoint);
  const std::string key = checkpoint->Json().value().value("key", "");
  const std::string file = dir.File(owner.user_id() + ".jsonl");
  std::ofstream(file, std::ios::binary) << text;
  ProcessResult r = RunProcess({AGENTDRAFT_CLI_PATH, "audit", "verify", file, "--pubkey", key}, {});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find(" of " + owner.user_id() + " verified in full, "), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(" links checked, "), std::string::npos) << r.out;
}

TEST(AuditExport, AnOwnersExportShowsOtherOwnersRowsOnlyAsLinksAndVerifies) {
  TempDir dir;
  DaemonProcess daemon(dir.File("data"),
                       {"--dev", "--tie-window", "0ms", "--checkpoint-rows", "5"});
  Status started = daemon.Start();
  ASSERT_TRUE(started.ok()) << started.ToString();
  DevOwner alice(daemon.base_url(), "alice@example.com");
  const OwnerWorld alices = Populate(alice, "alice", 0);
  DevOwner bob(daemon.base_url(), "bob@example.com");
  const OwnerWorld bobs = Populate(bob, "bob", 0);
  // Alice's rows on both sides of Bob's: her export has links in its middle.
  const OwnerWorld alices_later = Populate(alice, "alice2", 300);

  const std::string bobs_export = CheckedExport(bob, alices);
  for (const std::string& secret : alices_later.secrets) {
    EXPECT_EQ(bobs_export.find(secret), std::string::npos) << "Bob's export shows " << secret;
  }
  ExpectVerifies(dir, bob, bobs_export);
  ExpectVerifies(dir, alice, CheckedExport(alice, bobs));
  EXPECT_EQ(daemon.Stop(), 0) << daemon.Log();
}

TEST(AuditExport, TheAuditListAndTheCheckpointShowAnOwnerNothingOfAnothers) {
  TempDir dir;
  DaemonProcess daemon(dir.File("data"), {"--dev", "--tie-window", "0ms"});
  Status started = daemon.Start();
  ASSERT_TRUE(started.ok()) << started.ToString();
  DevOwner alice(daemon.base_url(), "alice@example.com");
  const OwnerWorld alices = Populate(alice, "alice", 0);
  DevOwner bob(daemon.base_url(), "bob@example.com");
  const TestAgent bot = bob.AddAgent("bob-bot", 1);
  ApiClient bob_agent = bob.AgentClient(bot);
  for (ApiClient* client : {&bob.client(), &bob_agent}) {
    for (const std::string path : {"/v1/audit?limit=1000", "/v1/audit/checkpoint"}) {
      auto r = client->Get(path);
      ASSERT_TRUE(r.ok() && r->status == 200) << path << ": " << Body(r);
      for (const std::string& secret : alices.secrets) {
        EXPECT_EQ(r->body.find(secret), std::string::npos)
            << path << " shows " << secret << ": " << r->body;
      }
    }
  }
  EXPECT_EQ(daemon.Stop(), 0) << daemon.Log();
}

}  // namespace
}  // namespace agentdraft::testing
