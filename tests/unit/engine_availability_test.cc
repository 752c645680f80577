// Availability: bounded answers with a cursor, and computed without the engine's lock. The
// engine on a FakeClock and SQLite in memory.
#include <future>
#include <thread>

#include "tests/unit/engine_test_support.h"

namespace agentdraft::testing {
namespace {

TEST_F(EngineTest, AvailabilityAnswersAtMostMaxSlotsWithACursorToTheRest) {
  auto a = AddAgent("a", 1);
  ASSERT_EQ(options_.max_availability_slots, 10000);
  // The largest query there is: 31 days at a 1-minute grid (44,611 slots of 30 minutes).
  engine::AvailabilityQuery q{SlotBase(), SlotBase() + 24h * 31, 30min, 1min, false};
  int64_t total = 0, pages = 0;
  std::string expected_next = FormatRfc3339(SlotBase());
  for (;;) {
    auto page = nlohmann::json::parse(engine_->Availability(a, q).body);
    ++pages;
    ASSERT_EQ(page["slots"].front()["start"], expected_next);
    total += static_cast<int64_t>(page["slots"].size());
    if (!page["truncated"].get<bool>()) {
      EXPECT_FALSE(page.contains("next_range_start"));
      break;
    }
    ASSERT_EQ(page["slots"].size(), 10000u);
    expected_next = page["next_range_start"];
    q.range_start = *ParseRfc3339(expected_next);
  }
  EXPECT_EQ(total, 31 * 24 * 60 - 29);
  EXPECT_EQ(pages, 5);
}

TEST_F(EngineTest, AvailabilityIsComputedWithoutTheEngineLock) {
  auto a = AddAgent("a", 1);
  // Restart the engine with a hook that, while the slots are being computed, commits from
  // another thread: it gets its 201 only if nothing holds the engine's lock meanwhile.
  engine_->Stop();
  engine_ = std::make_unique<engine::Engine>(*store_, clock_, options_);
  std::future<Reply> committed;
  bool commit_finished = false;
  engine::EngineHooks hooks;
  hooks.availability_unlocked = [&] {
    committed = std::async(std::launch::async, [&] { return Commit(a, Slot(0, 30)); });
    commit_finished = committed.wait_for(60s) == std::future_status::ready;
  };
  engine_->SetHooks(hooks);
  ASSERT_TRUE(engine_->Start().ok());
  engine::AvailabilityQuery q{SlotBase(), SlotBase() + 1h, 30min, 30min, false};
  auto answer = nlohmann::json::parse(engine_->Availability(a, q).body);
  ASSERT_TRUE(commit_finished) << "the commit waited for the availability query";
  EXPECT_EQ(committed.get().status, 201);
  // The answer is the calendar as it was when the query took its copy.
  EXPECT_EQ(answer["slots"].size(), 2u);
}

}  // namespace
}  // namespace agentdraft::testing
