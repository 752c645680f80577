#include "race/record.h"

#include <algorithm>
#include <map>
#include <set>

namespace agentdraft::race {
namespace {

using nlohmann::json;

bool IsClaimRequest(const std::string& kind) {
  return kind == "booking.committed" || kind == "booking.rejected" || kind == "hold.created" ||
         kind == "hold.rejected";
}
bool IsRequest(const std::string& kind) {
  return IsClaimRequest(kind) || kind == "hold.released" || kind == "booking.cancelled";
}

std::string Str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

Time TimeOr(const std::string& text, Time fallback) {
  auto t = ParseRfc3339(text);
  return t.ok() ? *t : fallback;
}

// One request row of the log, with when it arrived.
struct Request {
  const json* row;
  std::string kind;
  Time arrival;
  int64_t seq;
  const json& payload() const { return (*row)["payload"]; }
  Time start() const { return TimeOr(Str(payload(), "start"), Time()); }
  Time end() const { return TimeOr(Str(payload(), "end"), Time()); }
};

class Recorder {
 public:
  Recorder(const json& rows, const json& agents, const RecordOptions& o) : o_(o) {
    for (const json& r : rows) {
      const std::string kind = Str(r, "kind");
      const Time at = TimeOr(Str(r, "at"), Time());
      if (kind == "booking.evicted" || kind == "booking.cancelled" || kind == "hold.released" ||
          kind == "hold.expired" || kind == "hold.displaced" || kind == "hold.converted") {
        ended_[Str(r, "resource")] = &r;
      }
      if (!IsRequest(kind)) continue;
      const Time arrival = IsClaimRequest(kind) ? TimeOr(Str(r["payload"], "arrived_at"), at) : at;
      requests_.push_back({&r, kind, arrival, r.value("seq", int64_t{0})});
    }
    for (const Request& r : requests_) {
      if (r.kind == "booking.committed" || r.kind == "hold.created") created_[Str(*r.row, "resource")] = &r;
    }
    for (const json& a : agents) agents_[Str(a, "agent_id")] = &a;
  }

  Result<Json> Build(const json& settings) {
    std::vector<const Request*> chosen = o_.last_race ? LastRace() : Window();
    if (chosen.empty()) {
      return Status::NotFound(o_.last_race ? "no race found: the audit log has no rejected claim"
                                           : "no request arrived in that time window");
    }
    chosen = WithReferencedClaims(std::move(chosen));
    std::sort(chosen.begin(), chosen.end(), [](const Request* a, const Request* b) {
      return a->arrival != b->arrival ? a->arrival < b->arrival : a->seq < b->seq;
    });
    for (size_t i = 0; i < chosen.size(); ++i) {
      const Request& r = *chosen[i];
      if (IsClaimRequest(r.kind) && (r.kind == "booking.committed" || r.kind == "hold.created")) {
        step_of_claim_[Str(*r.row, "resource")] = "s" + std::to_string(i + 1);
      }
    }
    for (const Request* r : chosen) chosen_seqs_.insert(r->seq);

    Json doc = Json::object();
    doc["format"] = kScenarioFormat;
    doc["name"] = o_.name;
    doc["description"] = "Recorded from the audit log of " + (o_.source.empty() ? "a daemon" : o_.source) +
                         ": rows " + std::to_string(chosen.front()->seq) + " to " +
                         std::to_string(chosen.back()->seq) + ".";
    const Time start = chosen.front()->arrival;
    doc["start_time"] = FormatRfc3339Micros(start);
    Json s = Json::object();
    for (const char* k : {"tie_window_ms", "bump_window_seconds", "hold_ttl_seconds", "max_holds_per_agent"}) {
      if (settings.contains(k)) s[k] = settings[k];
    }
    doc["settings"] = s;
    auto agents = Agents(chosen);
    if (!agents.ok()) return agents.status();
    doc["agents"] = *agents;
    Json steps = Json::array();
    for (size_t i = 0; i < chosen.size(); ++i) steps.push_back(Step(*chosen[i], i, start));
    doc["steps"] = steps;
    doc["recorded_from"] = {{"source", o_.source},
                            {"first_seq", chosen.front()->seq},
                            {"last_seq", chosen.back()->seq}};
    return doc;
  }

 private:
  std::vector<const Request*> Window() const {
    std::vector<const Request*> out;
    for (const Request& r : requests_) {
      if ((!o_.since || r.arrival >= *o_.since) && (!o_.until || r.arrival < *o_.until)) {
        out.push_back(&r);
      }
    }
    return out;
  }

  std::vector<const Request*> LastRace() const {
    const Request* last = nullptr;
    for (const Request& r : requests_) {
      if (r.kind == "booking.rejected" || r.kind == "hold.rejected") last = &r;
    }
    if (last == nullptr) return {};
    std::vector<const Request*> slot;  // claim requests on an overlapping interval
    for (const Request& r : requests_) {
      if (IsClaimRequest(r.kind) && r.start() < last->end() && last->start() < r.end()) {
        slot.push_back(&r);
      }
    }
    std::sort(slot.begin(), slot.end(),
              [](const Request* a, const Request* b) { return a->arrival < b->arrival; });
    size_t at = std::find(slot.begin(), slot.end(), last) - slot.begin();
    size_t lo = at, hi = at;
    while (lo > 0 && slot[lo]->arrival - slot[lo - 1]->arrival <= o_.race_gap) --lo;
    while (hi + 1 < slot.size() && slot[hi + 1]->arrival - slot[hi]->arrival <= o_.race_gap) ++hi;
    return {slot.begin() + lo, slot.begin() + hi + 1};
  }

  // The claims a row refers to.
  static std::vector<std::string> References(const Request& r) {
    std::vector<std::string> ids;
    const json& p = r.payload();
    if (r.kind == "booking.rejected" || r.kind == "hold.rejected") ids.push_back(Str(p, "winning_claim_id"));
    for (const char* k : {"converted_hold_ids", "displaced_hold_ids", "evicted_booking_ids"}) {
      if (p.contains(k) && p[k].is_array()) {
        for (const json& id : p[k]) ids.push_back(id.get<std::string>());
      }
    }
    if (r.kind == "hold.released" || r.kind == "booking.cancelled") ids.push_back(Str(*r.row, "resource"));
    return ids;
  }

  std::vector<const Request*> WithReferencedClaims(std::vector<const Request*> chosen) const {
    std::set<const Request*> have(chosen.begin(), chosen.end());
    for (size_t i = 0; i < chosen.size(); ++i) {  // grows while it runs
      for (const std::string& id : References(*chosen[i])) {
        auto it = created_.find(id);
        if (it != created_.end() && have.insert(it->second).second) chosen.push_back(it->second);
      }
    }
    return chosen;
  }

  std::string AgentOf(const Request& r) const {
    return IsClaimRequest(r.kind) ? Str(r.payload(), "agent_id") : Str(*r.row, "actor");
  }

  Result<Json> Agents(const std::vector<const Request*>& chosen) {
    std::map<std::string, int> priority_then;  // agent id → priority in its first row
    for (const Request* r : chosen) {
      const std::string id = AgentOf(*r);
      if (!agents_.count(id)) {
        if (!IsClaimRequest(r->kind)) continue;  // the owner releasing or cancelling
        return Status::NotFound("row " + std::to_string(r->seq) + ": agent " + id +
                                " is not one of this owner's agents");
      }
      if (!priority_then.count(id)) {
        priority_then[id] = r->payload().value("priority", (*agents_[id]).value("priority", 1));
      }
    }
    std::vector<const json*> used;
    for (const auto& [id, a] : agents_) {
      if (priority_then.count(id)) used.push_back(a);
    }
    std::sort(used.begin(), used.end(), [](const json* a, const json* b) {
      return a->value("rank", 0) < b->value("rank", 0);
    });
    Json out = Json::array();
    for (const json* a : used) {
      out.push_back({{"name", Str(*a, "name")}, {"priority", priority_then[Str(*a, "agent_id")]}});
    }
    return out;
  }

  std::string NameOf(const std::string& id) const {
    auto it = agents_.find(id);
    return it == agents_.end() ? std::string(kOwnerActor) : Str(*it->second, "name");
  }

  // What ended a claim, if the scenario contains its cause.
  std::optional<std::string> Final(const std::string& claim_id, bool is_hold) const {
    auto it = ended_.find(claim_id);
    if (it == ended_.end()) return is_hold ? std::nullopt : std::optional<std::string>("COMMITTED");
    const json& row = *it->second;
    const std::string kind = Str(row, "kind");
    const json& p = row["payload"];
    auto by_claim = [&](const char* state, const char* field) -> std::optional<std::string> {
      auto step = step_of_claim_.find(Str(p, field));
      if (step == step_of_claim_.end()) return std::nullopt;
      return std::string(state) + " by " + step->second;
    };
    auto by_request = [&](const char* state) -> std::optional<std::string> {
      if (!chosen_seqs_.count(row.value("seq", int64_t{0}))) return std::nullopt;
      return std::string(state) + " by " + NameOf(Str(row, "actor"));
    };
    if (kind == "booking.evicted") return by_claim("EVICTED", "evicted_by");
    if (kind == "hold.displaced") return by_claim("DISPLACED", "displaced_by");
    if (kind == "hold.converted") return by_claim("CONVERTED", "booking_id");
    if (kind == "booking.cancelled") return by_request("CANCELLED");
    if (kind == "hold.released") return by_request("RELEASED");
    return std::nullopt;  // expired: when depends on how long the replay runs
  }

  Json Step(const Request& r, size_t i, Time start) const {
    Json s = Json::object();
    s["id"] = "s" + std::to_string(i + 1);
    s["at_ms"] = ToMs(r.arrival - start);
    s["agent"] = NameOf(AgentOf(r));
    Json expect = Json::object();
    const json& p = r.payload();
    if (IsClaimRequest(r.kind)) {
      const bool hold = r.kind.rfind("hold.", 0) == 0;
      s["op"] = hold ? "hold" : "commit";
      s["start"] = Str(p, "start");
      s["end"] = Str(p, "end");
      if (r.kind == "booking.rejected" || r.kind == "hold.rejected") {
        expect["status"] = 409;
        expect["error"] = "outranked";
        expect["reason"] = Str(p, "reason");
        expect["winner"] = NameOf(Str(p, "winning_agent_id"));
      } else {
        expect["status"] = 201;
        for (const auto& [key, field] : {std::pair{"evicted", "evicted_booking_ids"},
                                         std::pair{"displaced", "displaced_hold_ids"},
                                         std::pair{"converted", "converted_hold_ids"}}) {
          Json labels = Json::array();
          if (p.contains(field)) {
            for (const json& id : p[field]) labels.push_back(Label(id.get<std::string>()));
          }
          if (!labels.empty()) expect[key] = labels;
        }
        if (auto f = Final(Str(*r.row, "resource"), hold)) expect["final"] = *f;
      }
    } else {
      s["op"] = r.kind == "hold.released" ? "release" : "cancel";
      s["target"] = Label(Str(*r.row, "resource"));
      expect["status"] = 200;
      expect["result"] = r.kind == "hold.released" ? "RELEASED" : "CANCELLED";
    }
    s["expect"] = expect;
    return s;
  }

  std::string Label(const std::string& claim_id) const {
    auto it = step_of_claim_.find(claim_id);
    return it == step_of_claim_.end() ? claim_id : it->second;
  }

  const RecordOptions& o_;
  std::vector<Request> requests_;                       // in seq order
  std::map<std::string, const Request*> created_;       // the row that made each claim
  std::map<std::string, const json*> ended_;            // the row that ended each claim
  std::map<std::string, const json*> agents_;           // by agent id
  std::map<std::string, std::string> step_of_claim_;    // claim id → step id
  std::set<int64_t> chosen_seqs_;
};

}  // namespace

Result<Json> RecordScenario(const nlohmann::json& rows, const nlohmann::json& agents,
                            const nlohmann::json& settings, const RecordOptions& options) {
  if (!rows.is_array() || !agents.is_array()) return Status::InvalidArgument("rows and agents must be arrays");
  Recorder recorder(rows, agents, options);
  return recorder.Build(settings);
}

}  // namespace agentdraft::race
