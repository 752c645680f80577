// The power-loss scenario and its checker: see power_loss.h.
#include "tests/powerloss/power_loss.h"

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "daemon/engine/audit_chain.h"
#include "daemon/engine/engine.h"
#include "daemon/store/sqlite_store.h"

namespace agentdraft::testing {
namespace {

using namespace std::chrono_literals;

// One acknowledged (2xx) answer.
struct Ack {
  enum class Kind { kCommit, kHold, kCancel, kRelease };
  Kind kind;
  std::string id;  // the booking or hold it is about
  nlohmann::json body;
};

const char* KindName(Ack::Kind k) {
  switch (k) {
    case Ack::Kind::kCommit: return "commit";
    case Ack::Kind::kHold: return "hold";
    case Ack::Kind::kCancel: return "cancel";
    case Ack::Kind::kRelease: return "release";
  }
  return "?";
}

engine::EngineOptions PowerLossEngineOptions(bool timer) {
  engine::EngineOptions o;
  o.key_secret = "power-loss-secret";
  o.run_timer_thread = timer;
  // Short, so that lower-ranked commits do take the tie-window path (answered by the timer
  // thread) without slowing the run down.
  o.tie_window = 2ms;
  return o;
}

store::SqliteStoreOptions StoreAt(const std::string& path, bool sync = true) {
  store::SqliteStoreOptions o;
  o.path = path;
  o.sync = sync;
  return o;
}

// What the old process acknowledged, shared by its worker threads.
struct Record {
  std::mutex mu;
  std::vector<Ack> acks;                    // GUARDED_BY(mu)
  std::set<std::string> cancels_sent;       // GUARDED_BY(mu): any outcome
  std::set<std::string> releases_sent;      // GUARDED_BY(mu): any outcome
};

// One worker: an agent committing, holding, converting its holds, cancelling and releasing,
// on 15-minute steps of a 4-hour window that every worker shares.
void Work(engine::Engine& engine, const engine::Principal& agent, int worker, uint64_t seed,
          Time base, Record& record, const std::function<bool()>& stop, const std::function<void()>& on_ack) {
  std::mt19937_64 rng(seed * 1000003 + static_cast<uint64_t>(worker));
  std::vector<std::string> bookings;  // acknowledged, maybe still active
  std::vector<std::pair<std::string, engine::ClaimRequest>> holds;
  int n = 0;
  auto random_slot = [&] {
    engine::ClaimRequest r;
    r.start = base + std::chrono::minutes(15 * static_cast<int>(rng() % 16));
    r.end = r.start + std::chrono::minutes(15 * static_cast<int>(1 + rng() % 3));
    r.idempotency_key = "w" + std::to_string(worker) + "-" + std::to_string(n++);
    return r;
  };
  auto take = [&](auto& list) {
    size_t i = rng() % list.size();
    auto item = list[i];
    list.erase(list.begin() + static_cast<std::ptrdiff_t>(i));
    return item;
  };
  while (!stop()) {
    const int dice = static_cast<int>(rng() % 100);
    std::optional<Ack> ack;
    if (dice < 40) {
      engine::Outcome o = engine::Await([&](engine::Done d) { engine.Commit(agent, random_slot(), d); });
      if (o.status == 201) {
        auto body = nlohmann::json::parse(o.body);
        bookings.push_back(body["booking_id"]);
        ack = Ack{Ack::Kind::kCommit, body["booking_id"], body};
      }
    } else if (dice < 60) {
      engine::ClaimRequest r = random_slot();
      engine::Outcome o = engine::Await([&](engine::Done d) { engine.Hold(agent, r, d); });
      if (o.status == 201) {
        auto body = nlohmann::json::parse(o.body);
        holds.emplace_back(body["hold_id"], r);
        ack = Ack{Ack::Kind::kHold, body["hold_id"], body};
      }
    } else if (dice < 75) {
      if (holds.empty()) continue;
      auto [hold_id, request] = take(holds);  // convert: a commit of the hold's own slot
      engine::ClaimRequest r = std::move(request);  // a lambda cannot capture a binding in clang 14
      r.hold_id = hold_id;
      r.idempotency_key = "w" + std::to_string(worker) + "-" + std::to_string(n++);
      engine::Outcome o = engine::Await([&](engine::Done d) { engine.Commit(agent, r, d); });
      if (o.status == 201) {
        auto body = nlohmann::json::parse(o.body);
        bookings.push_back(body["booking_id"]);
        ack = Ack{Ack::Kind::kCommit, body["booking_id"], body};
      }
    } else if (dice < 90) {
      if (bookings.empty()) continue;
      std::string id = take(bookings);
      {
        std::lock_guard<std::mutex> lock(record.mu);
        record.cancels_sent.insert(id);
      }
      engine::Outcome o = engine::Await([&](engine::Done d) { engine.Cancel(agent, id, d); });
      if (o.status == 200) ack = Ack{Ack::Kind::kCancel, id, nlohmann::json::parse(o.body)};
    } else {
      if (holds.empty()) continue;
      std::string id = take(holds).first;
      {
        std::lock_guard<std::mutex> lock(record.mu);
        record.releases_sent.insert(id);
      }
      engine::Outcome o = engine::Await([&](engine::Done d) { engine.Release(agent, id, d); });
      if (o.status == 200) ack = Ack{Ack::Kind::kRelease, id, nlohmann::json::parse(o.body)};
    }
    if (ack) {
      {
        std::lock_guard<std::mutex> lock(record.mu);
        record.acks.push_back(std::move(*ack));
      }
      on_ack();
    }
  }
}

// The checker: everything `record` acknowledged, looked up in the reopened file.
void Check(const std::string& path, const std::string& owner_id,
           const std::vector<std::string>& agent_ids, Record& record, PowerLossReport& report) {
  auto opened = store::SqliteStore::Open(StoreAt(path));
  if (!opened.ok()) {
    report.problems.push_back("reopening: " + opened.status().ToString());
    report.lost.push_back("all " + std::to_string(report.acks) + " acks (the file does not open)");
    return;
  }
  store::SqliteStore& st = **opened;
  if (Status s = st.IntegrityCheck(); !s.ok()) report.problems.push_back("integrity_check: " + s.ToString());

  // The chain, from row 1: hashes, links, consecutive seqs.
  std::map<int64_t, std::string> chain;  // seq → hash
  std::string prev = engine::AuditChain::ZeroHash();
  for (int64_t after = 0;;) {
    store::AuditQuery q;  // owner "": the whole chain
    q.after_seq = after;
    q.limit = 1000;
    auto rows = st.ListAudit(q);
    if (!rows.ok()) {
      report.problems.push_back("reading the audit log: " + rows.status().ToString());
      break;
    }
    if (rows->empty()) break;
    for (const auto& row : *rows) {
      if (row.seq != after + 1) report.problems.push_back("audit seq " + std::to_string(row.seq) + " follows " + std::to_string(after));
      if (row.prev_hash != prev) report.problems.push_back("audit row " + std::to_string(row.seq) + " does not link to its predecessor");
      if (!engine::AuditChain::Verify(row)) report.problems.push_back("audit row " + std::to_string(row.seq) + " has a wrong hash");
      chain[row.seq] = row.hash;
      prev = row.hash;
      after = row.seq;
    }
  }
  report.audit_rows = static_cast<int64_t>(chain.size());

  SystemClock clock;
  engine::Engine engine(st, clock, PowerLossEngineOptions(/*timer=*/false));
  if (Status s = engine.Start(); !s.ok()) report.problems.push_back("starting the engine: " + s.ToString());

  auto lost = [&](const std::string& what) { report.lost.push_back(what); };
  // The owner and its agents (acknowledged by the synchronous administrative calls).
  ++report.acks_checked;
  if (!engine.directory().Counts(owner_id).ok()) lost("owner " + owner_id);
  std::set<std::string> agents_found;
  for (const auto& a : engine.directory().ListAgents(owner_id)) agents_found.insert(a.record.id);
  for (const auto& id : agent_ids) {
    ++report.acks_checked;
    if (!agents_found.count(id)) lost("agent " + id);
  }

  auto claim = [&](const std::string& id) -> std::optional<store::ClaimRecord> {
    auto c = st.GetClaim(id);
    if (!c.ok()) return std::nullopt;
    return *c;
  };
  // `id` must exist in state `want` (by the answer about `what`).
  auto expect_state = [&](const std::string& what, const std::string& id, store::ClaimState want) {
    ++report.acks_checked;
    auto c = claim(id);
    if (!c) return lost(what + ": " + id + " is missing");
    if (c->state != want) {
      lost(what + ": " + id + " is " + store::ClaimStateName(c->state) + ", not " + store::ClaimStateName(want));
    }
  };
  auto expect_audit = [&](const std::string& what, const nlohmann::json& body) {
    if (!body.contains("audit_id")) return;
    ++report.acks_checked;
    const int64_t seq = body["audit_id"].get<int64_t>();
    auto it = chain.find(seq);
    if (it == chain.end()) return lost(what + ": audit row " + std::to_string(seq) + " is missing");
    if (it->second != body.value("audit_hash", "")) lost(what + ": audit row " + std::to_string(seq) + " has another hash");
  };

  std::lock_guard<std::mutex> lock(record.mu);
  for (const Ack& ack : record.acks) {
    const std::string what = std::string(KindName(ack.kind)) + " " + ack.id;
    switch (ack.kind) {
      case Ack::Kind::kCommit: {
        ++report.acks_checked;
        auto c = claim(ack.id);
        if (!c) {
          lost(what + ": booking is missing");
        } else if (c->state == store::ClaimState::kCancelled) {
          if (!record.cancels_sent.count(ack.id)) lost(what + ": cancelled, but nobody asked");
        } else if (c->state == store::ClaimState::kEvicted) {
          if (!claim(c->ended_by)) lost(what + ": evicted by " + c->ended_by + ", which does not exist");
        } else if (c->state != store::ClaimState::kCommitted) {
          lost(what + ": booking is " + store::ClaimStateName(c->state));
        }
        expect_audit(what, ack.body);
        for (const auto& h : ack.body.value("converted_hold_ids", nlohmann::json::array())) {
          expect_state(what + " converted", h.get<std::string>(), store::ClaimState::kConverted);
        }
        for (const auto& h : ack.body.value("displaced_hold_ids", nlohmann::json::array())) {
          expect_state(what + " displaced", h.get<std::string>(), store::ClaimState::kDisplaced);
        }
        for (const auto& b : ack.body.value("evicted_booking_ids", nlohmann::json::array())) {
          expect_state(what + " evicted", b.get<std::string>(), store::ClaimState::kEvicted);
        }
        break;
      }
      case Ack::Kind::kHold: {
        // Any state a hold can reach (held, converted, displaced, released, expired) will do;
        // missing will not.
        ++report.acks_checked;
        if (!claim(ack.id)) lost(what + ": hold is missing");
        expect_audit(what, ack.body);
        for (const auto& h : ack.body.value("displaced_hold_ids", nlohmann::json::array())) {
          expect_state(what + " displaced", h.get<std::string>(), store::ClaimState::kDisplaced);
        }
        break;
      }
      case Ack::Kind::kCancel:
        if (ack.body.value("status", "") == "CANCELLED") expect_state(what, ack.id, store::ClaimState::kCancelled);
        break;
      case Ack::Kind::kRelease:
        // A release of a hold that had already ended answers 200 with that end; only a
        // RELEASED answer says this request released it.
        if (ack.body.value("status", "") == "RELEASED") expect_state(what, ack.id, store::ClaimState::kReleased);
        break;
    }
  }
  engine.Stop();
}

}  // namespace

PowerLossReport RunPowerLoss(const std::string& dir, const PowerLossOptions& options) {
  PowerLossReport report;
  const std::string path = dir + "/agentdraft.db";
  Record record;
  std::string owner_id;
  std::vector<std::string> agent_ids;
  {
    CrashVfs vfs;  // the default VFS until the old process is gone
    auto opened = store::SqliteStore::Open(StoreAt(path, options.sqlite_sync));
    if (!opened.ok()) {
      report.problems.push_back("opening through the shim: " + opened.status().ToString());
      return report;
    }
    std::unique_ptr<store::SqliteStore> st = std::move(*opened);
    SystemClock clock;
    auto engine = std::make_unique<engine::Engine>(*st, clock, PowerLossEngineOptions(/*timer=*/true));
    if (Status s = engine->Start(); !s.ok()) {
      report.problems.push_back("starting the engine: " + s.ToString());
      return report;
    }
    auto grant = engine->directory().RedeemMagicToken(engine->directory().IssueMagicToken("power@example.com"));
    if (!grant.ok()) {
      report.problems.push_back("creating the owner: " + grant.status().ToString());
      return report;
    }
    owner_id = grant->owner.id;
    std::vector<engine::Principal> agents;
    for (int w = 0; w < options.workers; ++w) {
      auto created = engine->directory().CreateAgent(owner_id, "agent-" + std::to_string(w), 1 + w % 3, {});
      if (!created.ok()) {
        report.problems.push_back("creating an agent: " + created.status().ToString());
        return report;
      }
      agent_ids.push_back(created->agent.record.id);
      agents.push_back(*engine->directory().AuthenticateKey(created->plaintext_key));
    }
    report.acks = 1 + options.workers;

    // Two days ahead on a whole hour: clear of any "in the past" refusal.
    const int64_t hour = 3600LL * 1000000;
    const Time base = FromMicros((ToMicros(clock.Now()) / hour + 48) * hour);
    std::atomic<int> worker_acks{0};
    auto on_ack = [&] {
      if (++worker_acks == options.crash_after_acks && options.crash_at_write == 0) vfs.Crash();
    };
    auto stop = [&] { return vfs.crashed(); };
    // Everything so far made durable and checkpointed, as the daemon's idle checkpointer would
    // have it: a store that fails to sync its commits loses the commits, not the agents.
    st->Flush();
    (void)st->Checkpoint(/*truncate=*/false);
    if (options.crash_at_write > 0) vfs.CrashAtWrite(options.crash_at_write);
    std::vector<std::thread> threads;
    for (int w = 0; w < options.workers; ++w) {
      threads.emplace_back(Work, std::ref(*engine), std::cref(agents[w]), w, options.seed, base,
                           std::ref(record), std::cref(stop), std::cref(on_ack));
    }
    for (auto& t : threads) t.join();
    report.acks += worker_acks;
    // The old process dies: nothing it does from here reaches the disk.
    engine->Stop();
    engine.reset();
    st.reset();
    report.vfs = vfs.stats();
  }
  Check(path, owner_id, agent_ids, record, report);
  return report;
}

}  // namespace agentdraft::testing
