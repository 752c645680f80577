#include "race/replay.h"

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <numeric>

#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "daemon/engine/engine.h"
#include "daemon/store/sqlite_store.h"

namespace agentdraft::race {
namespace {

struct Answer {
  bool given = false;
  engine::Outcome outcome;
  Time decided_at;
};

// One replay: an engine, its store and clock, and what each step was answered.
class Run {
 public:
  explicit Run(const Scenario& sc) : sc_(sc), clock_(sc.start_time), answers_(sc.steps.size()) {}

  ~Run() {
    if (engine_) engine_->Stop();
  }

  Status Start() {
    store::SqliteStoreOptions so;
    so.path = ":memory:";
    so.reader_connections = 1;
    auto opened = store::SqliteStore::Open(so);
    if (!opened.ok()) return opened.status();
    store_ = std::move(opened.value());
    engine::EngineOptions eo;  // the daemon's defaults, for settings the file leaves out
    eo.run_timer_thread = false;
    eo.key_secret = "race-replay";
    engine_ = std::make_unique<engine::Engine>(*store_, clock_, eo);
    if (Status s = engine_->Start(); !s.ok()) return s;
    auto owner = engine_->directory().LocalOwner();
    if (!owner.ok()) return owner.status();
    owner_id_ = *owner;
    if (Status s = ApplySettings(); !s.ok()) return s;
    for (const ScenarioAgent& a : sc_.agents) {
      auto created = engine_->directory().CreateAgent(owner_id_, a.name, a.priority, {});
      if (!created.ok()) return Status::InvalidArgument("agent " + a.name + ": " + created.status().message());
      auto principal = engine_->directory().AuthenticateKey(created->plaintext_key);
      if (!principal.ok()) return principal.status();
      principals_.emplace(a.name, *principal);
      agent_names_[created->agent.record.id] = a.name;
    }
    return Status::Ok();
  }

  void Play() {
    std::vector<size_t> order(sc_.steps.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return sc_.steps[a].at < sc_.steps[b].at; });
    for (size_t i : order) {
      AdvanceTo(sc_.start_time + sc_.steps[i].at);
      Send(i);
      store_->Flush();
    }
    // Settle whatever still waits out a tie window, each at its deadline.
    for (Time next = Settle(); next != Time::max(); next = Settle()) clock_.Set(next);
    engine_->SweepExpiredHolds();
    store_->Flush();
  }

  ReplayResult Result() {
    ReplayResult r;
    for (size_t i = 0; i < sc_.steps.size(); ++i) {
      StepResult sr;
      sr.observed = Observe(i);
      if (sc_.steps[i].expect) sr.problems = Compare(*sc_.steps[i].expect, sr.observed);
      r.steps.push_back(std::move(sr));
    }
    return r;
  }

 private:
  Status ApplySettings() {
    const Settings& s = sc_.settings;
    engine::SettingsUpdate u;
    if (s.tie_window_ms) u.tie_window = std::chrono::milliseconds(*s.tie_window_ms);
    if (s.bump_window_seconds) u.bump_window = std::chrono::seconds(*s.bump_window_seconds);
    if (s.hold_ttl_seconds) u.hold_ttl = std::chrono::seconds(*s.hold_ttl_seconds);
    if (s.max_holds_per_agent) u.max_holds_per_agent = *s.max_holds_per_agent;
    auto got = engine_->directory().UpdateSettings(owner_id_, u);
    if (!got.ok()) return Status::InvalidArgument("settings: " + got.status().message());
    return Status::Ok();
  }

  // Decides what is due now and waits for the store; returns the next deadline.
  Time Settle() {
    const Time next = engine_->RunDue();
    store_->Flush();
    return next;
  }

  // Moves the clock to `t`, stopping at every tie-window deadline on the way.
  void AdvanceTo(Time t) {
    for (Time next = Settle(); next <= t; next = Settle()) clock_.Set(next);
    clock_.Set(std::max(t, clock_.Now()));
    Settle();
    engine_->SweepExpiredHolds();
    store_->Flush();
  }

  engine::Done Recorder(size_t i) {
    return [this, i](engine::Outcome o) {
      std::lock_guard<std::mutex> lock(mu_);
      answers_[i] = {true, o, clock_.Now()};
      if (o.status == 201) {
        const std::string id = ClaimId(nlohmann::json::parse(o.body, nullptr, false));
        if (!id.empty()) labels_.emplace(id, sc_.steps[i].id);  // the first 201 names it
      }
    };
  }

  static std::string ClaimId(const nlohmann::json& body) {
    if (!body.is_object()) return "";
    if (body.contains("booking_id")) return body["booking_id"].get<std::string>();
    if (body.contains("hold_id")) return body["hold_id"].get<std::string>();
    return "";
  }

  // The claim the target step got, or a placeholder id that names no claim (its answer had
  // not come, or was not a 201: ending it answers 404 as it would live).
  std::string TargetClaim(const std::string& target) {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, label] : labels_) {
      if (label == target) return id;
    }
    return "bkg_none_" + target;
  }

  void Send(size_t i) {
    const Step& s = sc_.steps[i];
    const engine::Principal p =
        s.agent == kOwnerActor ? engine::Principal::Owner(owner_id_) : principals_.at(s.agent);
    engine::ClaimRequest r;
    r.start = s.start;
    r.end = s.end;
    r.idempotency_key = s.idempotency_key;
    switch (s.op) {
      case Op::kCommit: return engine_->Commit(p, std::move(r), Recorder(i));
      case Op::kHold: return engine_->Hold(p, std::move(r), Recorder(i));
      case Op::kRelease: return engine_->Release(p, TargetClaim(s.target), Recorder(i));
      case Op::kCancel: return engine_->Cancel(p, TargetClaim(s.target), Recorder(i));
    }
  }

  std::string Label(const std::string& claim_id) const {
    auto it = labels_.find(claim_id);
    return it == labels_.end() ? claim_id : it->second;
  }

  // Who ended a claim: a claim (by step), an agent (by name), or the owner.
  std::string EndedBy(const std::string& who) const {
    if (labels_.count(who)) return labels_.at(who);
    if (agent_names_.count(who)) return agent_names_.at(who);
    return who == owner_id_ ? kOwnerActor : who;
  }

  Json Labels(const nlohmann::json& ids) const {
    Json out = Json::array();
    if (ids.is_array()) {
      for (const auto& id : ids) out.push_back(Label(id.get<std::string>()));
    }
    return out;
  }

  Json Observe(size_t i) {
    std::lock_guard<std::mutex> lock(mu_);
    const Step& step = sc_.steps[i];
    const Answer& a = answers_[i];
    Json o = Json::object();
    if (!a.given) {
      o["status"] = 0;
      o["error"] = "no_answer";
      return o;
    }
    const nlohmann::json body = nlohmann::json::parse(a.outcome.body, nullptr, false);
    o["status"] = a.outcome.status;
    if (a.outcome.status >= 300) {
      o["error"] = body.is_object() ? body.value("error", "") : "";
      if (a.outcome.status == 409 && body.contains("reason")) {
        o["reason"] = body["reason"];
        const std::string winner = body.value("winning_agent_id", "");
        o["winner"] = agent_names_.count(winner) ? agent_names_.at(winner) : winner;
      }
    } else if (a.outcome.status == 201) {
      const std::string id = ClaimId(body);
      if (Label(id) != step.id) o["replay_of"] = Label(id);
      for (const char* k : {"evicted", "displaced", "converted"}) {
        const std::string field = std::string(k) + (std::string(k) == "evicted" ? "_booking_ids" : "_hold_ids");
        Json labels = Labels(body.value(field, nlohmann::json::array()));
        if (!labels.empty()) o[k] = labels;
      }
    } else if (body.is_object() && body.contains("status")) {
      o["result"] = body["status"];
    }
    o["decided_at_ms"] = ToMs(a.decided_at - sc_.start_time);
    if (a.outcome.status == 201 && !o.contains("replay_of")) {
      auto claim = store_->GetClaim(ClaimId(body));
      if (claim.ok()) {
        std::string final_state = store::ClaimStateName(claim->state);
        if (!claim->ended_by.empty()) final_state += " by " + EndedBy(claim->ended_by);
        o["final"] = final_state;
      }
    }
    return o;
  }

  const Scenario& sc_;
  ManualClock clock_;
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<engine::Engine> engine_;
  std::string owner_id_;
  std::map<std::string, engine::Principal> principals_;    // by agent name
  std::map<std::string, std::string> agent_names_;          // agent id → name
  std::mutex mu_;                                           // guards answers_, labels_
  std::vector<Answer> answers_;                             // by step (file order)
  std::map<std::string, std::string> labels_;               // claim id → step id
};

}  // namespace

bool ReplayResult::ok() const { return mismatches() == 0; }

int ReplayResult::mismatches() const {
  int n = 0;
  for (const StepResult& s : steps) n += s.problems.empty() ? 0 : 1;
  return n;
}

std::vector<std::string> Compare(const Json& expect, const Json& observed) {
  std::vector<std::string> problems;
  for (auto it = expect.begin(); it != expect.end(); ++it) {
    auto got = observed.find(it.key());
    if (got == observed.end()) {
      problems.push_back(it.key() + ": expected " + it.value().dump() + ", got nothing");
    } else if (*got != it.value()) {
      problems.push_back(it.key() + ": expected " + it.value().dump() + ", got " + got->dump());
    }
  }
  return problems;
}

Result<ReplayResult> Replay(const Scenario& scenario) {
  // The engine's log lines ("loaded 0 owners") are about a throwaway engine: not for the user.
  struct Quiet {
    spdlog::level::level_enum was = spdlog::get_level();
    Quiet() { spdlog::set_level(spdlog::level::off); }
    ~Quiet() { spdlog::set_level(was); }
  } quiet;
  Run run(scenario);
  if (Status s = run.Start(); !s.ok()) return s;
  run.Play();
  return run.Result();
}

}  // namespace agentdraft::race
