// agentdraft-availability-bench: how long the engine takes to answer a 7-day availability
// query (the server-side part of GET /v1/availability) on a calendar with many bookings and
// rules. The engine runs in process on SQLite in memory, as it does inside agentdraftd.
//
//   agentdraft-availability-bench [--bookings 10000] [--rules 50] [--queries 2000]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "daemon/engine/engine.h"
#include "daemon/store/sqlite_store.h"

using namespace agentdraft;
using namespace std::chrono_literals;

int main(int argc, char** argv) {
  int bookings = 10000, rules = 50, queries = 2000;
  CLI::App app{"agentdraft-availability-bench: 7-day availability on a busy calendar with rules"};
  app.add_option("--bookings", bookings)->capture_default_str();
  app.add_option("--rules", rules)->capture_default_str();
  app.add_option("--queries", queries)->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  store::SqliteStoreOptions so;
  so.path = ":memory:";
  auto st = store::SqliteStore::Open(so);
  if (!st.ok()) return 1;
  const Time start = *ParseRfc3339("2030-01-07T00:00:00Z");  // a Monday
  ManualClock clock(start - 24h);
  engine::EngineOptions eo;
  eo.run_timer_thread = false;
  eo.key_secret = "bench";
  eo.max_active_claims_per_agent = engine::kMaxActiveClaimsSetting;  // one agent makes every booking
  engine::Engine engine(**st, clock, eo);
  if (!engine.Start().ok()) return 1;
  const std::string owner = *engine.directory().LocalOwner();
  engine::SettingsUpdate su;
  su.timezone = "Europe/Berlin";
  su.tie_window = 0ms;
  (void)engine.directory().UpdateSettings(owner, su);
  auto top = *engine.directory().AuthenticateKey(engine.directory().CreateAgent(owner, "top", 1, {})->plaintext_key);
  auto asker = *engine.directory().AuthenticateKey(engine.directory().CreateAgent(owner, "asker", 2, {})->plaintext_key);

  // Bookings: 30 minutes each, one every 90 minutes from the start (10,000 span 625 days).
  std::mt19937 rng(7);
  for (int i = 0; i < bookings; ++i) {
    engine::ClaimRequest r;
    r.start = start + std::chrono::minutes(90 * i);
    r.end = r.start + 30min;
    engine::Outcome o = engine::Await([&](engine::Done d) { engine.Commit(top, r, d); });
    if (o.status != 201) {
      std::fprintf(stderr, "booking %d: %d %s\n", i, o.status, o.body.c_str());
      return 1;
    }
  }
  // Rules: a mix of every kind, none of which closes the whole week.
  const char* days[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
  for (int i = 0; i < rules; ++i) {
    nlohmann::json body;
    switch (i % 6) {
      case 0: body = {{"kind", "business_hours"}, {"days", {days[i % 7]}}, {"from", "07:00"}, {"to", "21:00"}}; break;
      case 1: body = {{"kind", "focus"}, {"days", {days[(i / 6) % 7]}}, {"from", "12:00"}, {"to", "12:30"}}; break;
      case 2: {
        const Time s = start + std::chrono::hours(24 * 100 + 7 * i);
        body = {{"kind", "focus"}, {"start", FormatRfc3339(s)}, {"end", FormatRfc3339(s + 1h)}};
        break;
      }
      case 3: body = {{"kind", "buffer"}, {"before_minutes", 5}, {"after_minutes", 5}}; break;
      case 4: body = {{"kind", "cap"}, {"max_bookings", 20}}; break;
      default: body = i % 2 ? nlohmann::json{{"kind", "notice"}, {"minutes", 60}} : nlohmann::json{{"kind", "horizon"}, {"days", 3650}};
    }
    if (!engine.directory().CreateRule(owner, body).ok()) {
      std::fprintf(stderr, "rule %s refused\n", body.dump().c_str());
      return 1;
    }
  }
  // Queries: 7 days somewhere in the booked stretch, 30-minute slots, 5-minute granularity.
  std::vector<double> ms;
  size_t slots = 0;
  for (int q = 0; q < queries; ++q) {
    engine::AvailabilityQuery query;
    query.range_start = start + std::chrono::hours(24 * std::uniform_int_distribution<int>(1, 600)(rng));
    query.range_end = query.range_start + std::chrono::hours(24 * 7);
    const auto t0 = std::chrono::steady_clock::now();
    engine::Outcome o = engine.Availability(asker, query);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    slots += nlohmann::json::parse(o.body)["slots"].size();
  }
  std::sort(ms.begin(), ms.end());
  auto pct = [&](double p) { return ms[std::min(ms.size() - 1, static_cast<size_t>(p * ms.size()))]; };
  std::printf("bookings %d, rules %d, queries %d (7 days, 30-minute slots, 5-minute granularity)\n", bookings, rules, queries);
  std::printf("p50 %.3f ms  p90 %.3f ms  p99 %.3f ms  max %.3f ms  (%.0f free slots per answer)\n", pct(0.5), pct(0.9),
              pct(0.99), ms.back(), double(slots) / queries);
  engine.Stop();
  return 0;
}
