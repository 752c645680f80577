#include "race/scenario.h"

#include <cmath>
#include <set>

#include "common/json_parse.h"

namespace agentdraft::race {
namespace {

// Parsing with a path for messages: every error names the key it is about.
class Reader {
 public:
  Status error;

  bool Fail(const std::string& where, const std::string& what) {
    if (error.ok()) error = Status::InvalidArgument(where + ": " + what);
    return false;
  }

  // Refuses keys other than `known`, so a typo is never silently ignored.
  bool OnlyKeys(const Json& obj, const std::string& where, const std::set<std::string>& known) {
    for (auto it = obj.begin(); it != obj.end(); ++it) {
      if (!known.count(it.key())) {
        std::string list;
        for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
        return Fail(where.empty() ? it.key() : where + "." + it.key(),
                    "unknown key (known: " + list + ")");
      }
    }
    return true;
  }

  bool String(const Json& obj, const char* key, const std::string& where, std::string* out,
              bool required) {
    auto it = obj.find(key);
    if (it == obj.end()) return required ? Fail(Join(where, key), "missing") : true;
    if (!it->is_string()) return Fail(Join(where, key), "must be a string");
    *out = it->get<std::string>();
    return true;
  }

  bool Int(const Json& obj, const char* key, const std::string& where, int64_t lo, int64_t hi,
           std::optional<int64_t>* out) {
    auto it = obj.find(key);
    if (it == obj.end()) return true;
    if (!it->is_number_integer()) return Fail(Join(where, key), "must be an integer");
    const int64_t v = it->get<int64_t>();
    if (v < lo || v > hi) {
      return Fail(Join(where, key),
                  "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
    }
    *out = v;
    return true;
  }

  bool TimeAt(const Json& obj, const char* key, const std::string& where, Time* out) {
    std::string text;
    if (!String(obj, key, where, &text, /*required=*/true)) return false;
    auto t = ParseRfc3339(text);
    if (!t.ok()) return Fail(Join(where, key), "not an RFC 3339 time: \"" + text + "\"");
    *out = *t;
    return true;
  }

  static std::string Join(const std::string& where, const char* key) {
    return where.empty() ? key : where + "." + key;
  }
};

bool ParseOp(const std::string& text, Op* op) {
  for (Op o : {Op::kCommit, Op::kHold, Op::kRelease, Op::kCancel}) {
    if (text == OpName(o)) {
      *op = o;
      return true;
    }
  }
  return false;
}

bool ReadSettings(Reader& in, const Json& doc, Settings* s) {
  auto it = doc.find("settings");
  if (it == doc.end()) return true;
  if (!it->is_object()) return in.Fail("settings", "must be an object");
  if (!in.OnlyKeys(*it, "settings",
                   {"tie_window_ms", "bump_window_seconds", "hold_ttl_seconds",
                    "max_holds_per_agent"})) {
    return false;
  }
  std::optional<int64_t> max_holds;
  const bool ok = in.Int(*it, "tie_window_ms", "settings", 0, 5000, &s->tie_window_ms) &&
                  in.Int(*it, "bump_window_seconds", "settings", 0, 86400, &s->bump_window_seconds) &&
                  in.Int(*it, "hold_ttl_seconds", "settings", 1, 86400, &s->hold_ttl_seconds) &&
                  in.Int(*it, "max_holds_per_agent", "settings", 1, 1000, &max_holds);
  if (max_holds) s->max_holds_per_agent = static_cast<int>(*max_holds);
  return ok;
}

bool ReadAgents(Reader& in, const Json& doc, std::vector<ScenarioAgent>* agents) {
  auto it = doc.find("agents");
  if (it == doc.end() || !it->is_array() || it->empty()) {
    return in.Fail("agents", "must be a non-empty array of {name, priority}");
  }
  std::set<std::string> names;
  for (size_t i = 0; i < it->size(); ++i) {
    const Json& a = (*it)[i];
    const std::string where = "agents[" + std::to_string(i) + "]";
    if (!a.is_object()) return in.Fail(where, "must be an object {name, priority}");
    if (!in.OnlyKeys(a, where, {"name", "priority"})) return false;
    ScenarioAgent agent;
    std::optional<int64_t> priority;
    if (!in.String(a, "name", where, &agent.name, true) ||
        !in.Int(a, "priority", where, 1, 1000000, &priority)) {
      return false;
    }
    if (!priority) return in.Fail(where + ".priority", "missing");
    if (agent.name.empty() || agent.name == kOwnerActor) {
      return in.Fail(where + ".name", "must be a name other than \"\" and \"@owner\"");
    }
    if (!names.insert(agent.name).second) {
      return in.Fail(where + ".name", "\"" + agent.name + "\" appears twice");
    }
    agent.priority = static_cast<int>(*priority);
    agents->push_back(std::move(agent));
  }
  return true;
}

bool ReadStep(Reader& in, const Json& s, size_t i, const std::set<std::string>& agents,
              const std::vector<Step>& earlier, Step* step) {
  const std::string where = "steps[" + std::to_string(i) + "]";
  if (!s.is_object()) return in.Fail(where, "must be an object");
  if (!in.OnlyKeys(s, where,
                   {"id", "at_ms", "agent", "op", "start", "end", "idempotency_key", "target",
                    "expect", "note"})) {
    return false;
  }
  step->id = "s" + std::to_string(i + 1);
  if (!in.String(s, "id", where, &step->id, false)) return false;
  for (const Step& e : earlier) {
    if (e.id == step->id) return in.Fail(where + ".id", "\"" + step->id + "\" is used twice");
  }
  auto at = s.find("at_ms");
  if (at == s.end() || !at->is_number() || at->get<double>() < 0 ||
      !std::isfinite(at->get<double>())) {
    return in.Fail(where + ".at_ms", "must be a number of milliseconds >= 0");
  }
  step->at = FromMs(at->get<double>());
  std::string op;
  if (!in.String(s, "op", where, &op, true)) return false;
  if (!ParseOp(op, &step->op)) {
    return in.Fail(where + ".op", "\"" + op + "\" is not one of commit, hold, release, cancel");
  }
  if (!in.String(s, "agent", where, &step->agent, true)) return false;
  const bool ends = step->op == Op::kRelease || step->op == Op::kCancel;
  if (step->agent == kOwnerActor ? !ends : !agents.count(step->agent)) {
    return in.Fail(where + ".agent", step->agent == kOwnerActor
                                         ? "the owner (@owner) can only release or cancel"
                                         : "no agent \"" + step->agent + "\" in agents");
  }
  if (step->op == Op::kCommit || step->op == Op::kHold) {
    if (!in.TimeAt(s, "start", where, &step->start) || !in.TimeAt(s, "end", where, &step->end) ||
        !in.String(s, "idempotency_key", where, &step->idempotency_key, false)) {
      return false;
    }
    if (s.contains("target")) return in.Fail(where + ".target", "only release and cancel take one");
  } else {
    if (s.contains("start") || s.contains("end") || s.contains("idempotency_key")) {
      return in.Fail(where, op + " takes a target, not start/end/idempotency_key");
    }
    if (!in.String(s, "target", where, &step->target, true)) return false;
    const Op wanted = step->op == Op::kRelease ? Op::kHold : Op::kCommit;
    bool found = false;
    for (const Step& e : earlier) found = found || (e.id == step->target && e.op == wanted);
    if (!found) {
      return in.Fail(where + ".target", "\"" + step->target + "\" is not an earlier " +
                                            OpName(wanted) + " step");
    }
  }
  if (auto e = s.find("expect"); e != s.end()) {
    if (!e->is_object()) return in.Fail(where + ".expect", "must be an object");
    step->expect = *e;
  }
  return true;
}

}  // namespace

const char* OpName(Op op) {
  switch (op) {
    case Op::kCommit: return "commit";
    case Op::kHold: return "hold";
    case Op::kRelease: return "release";
    case Op::kCancel: return "cancel";
  }
  return "?";
}

double ToMs(Duration d) { return static_cast<double>(d.count()) / 1000.0; }
Duration FromMs(double ms) { return Duration(static_cast<int64_t>(std::llround(ms * 1000.0))); }

Result<Scenario> ParseScenario(const std::string& text) {
  Scenario sc;
  Result<Json> parsed = ParseOrderedJson(text, {.max_depth = kDocumentJsonDepth});
  if (!parsed.ok()) return Status::InvalidArgument("the scenario " + parsed.status().message());
  sc.document = std::move(*parsed);
  const Json& doc = sc.document;
  Reader in;
  if (!doc.is_object()) return Status::InvalidArgument("a scenario is a JSON object");
  std::string format;
  if (!in.OnlyKeys(doc, "",
                   {"format", "name", "description", "start_time", "settings", "agents", "steps",
                    "recorded_from"}) ||
      !in.String(doc, "format", "", &format, true)) {
    return in.error;
  }
  if (format != kScenarioFormat) {
    return Status::InvalidArgument("format: \"" + format + "\" is not \"" + kScenarioFormat + "\"");
  }
  sc.start_time = *ParseRfc3339("2030-01-07T08:00:00Z");
  if (!in.String(doc, "name", "", &sc.name, false) ||
      !in.String(doc, "description", "", &sc.description, false) ||
      (doc.contains("start_time") && !in.TimeAt(doc, "start_time", "", &sc.start_time)) ||
      !ReadSettings(in, doc, &sc.settings) || !ReadAgents(in, doc, &sc.agents)) {
    return in.error;
  }
  auto steps = doc.find("steps");
  if (steps == doc.end() || !steps->is_array() || steps->empty()) {
    return Status::InvalidArgument("steps: must be a non-empty array");
  }
  std::set<std::string> names;
  for (const ScenarioAgent& a : sc.agents) names.insert(a.name);
  for (size_t i = 0; i < steps->size(); ++i) {
    Step step;
    if (!ReadStep(in, (*steps)[i], i, names, sc.steps, &step)) return in.error;
    sc.steps.push_back(std::move(step));
  }
  return sc;
}

Json WithExpectations(const Scenario& scenario, const std::vector<Json>& observed) {
  Json doc = scenario.document;
  Json& steps = doc["steps"];
  for (size_t i = 0; i < steps.size() && i < observed.size(); ++i) steps[i]["expect"] = observed[i];
  return doc;
}

}  // namespace agentdraft::race
