// The owner's rules in the engine: the administration (create, list, update, delete, each one
// audit row) and the check a commit, a hold and availability make (rules.h).
#include <unordered_set>

#include "common/ids.h"
#include "daemon/engine/engine_internal.h"
#include "daemon/engine/views.h"

namespace agentdraft::engine {

using store::ClaimKind;
using store::ClaimRecord;

void Engine::FillRuleContextLocked(const Calendar& cal, Time now, RuleContext& ctx,
                                   const ClaimRecord* moving) const {
  ctx.zone_name = cal.owner.settings.timezone.value_or("UTC");
  auto zone = ZoneFor(ctx.zone_name);
  ctx.zone = zone.ok() ? *zone : nullptr;
  if (!zone.ok()) ctx.zone_name = "UTC";
  ctx.now = now;
  ctx.bookings = [&cal, moving](Time from, Time to, const std::function<void(const ClaimRecord&)>& each) {
    if (to <= from) return;
    const BucketRange range = BucketRange::Of(from, to);
    const ClaimRecord* last = nullptr;  // a claim occupies consecutive buckets
    std::unordered_set<const ClaimRecord*> seen;
    for (int64_t b = range.first; b < range.last; ++b) {
      auto it = cal.occupancy.find(b);
      if (it == cal.occupancy.end() || it->second == last) continue;
      last = it->second;
      if (last->kind == ClaimKind::kBooking && last != moving && last->start < to && from < last->end &&
          seen.insert(last).second) {
        each(*last);
      }
    }
  };
}

std::optional<Outcome> Engine::RuleViolationLocked(const Calendar& cal, const std::string& agent_id, Time start,
                                                   Time end, bool is_commit, Time now, bool caps_only,
                                                   const ClaimRecord* moving) {
  if (cal.rules.empty()) return std::nullopt;
  RuleContext ctx;
  FillRuleContextLocked(cal, now, ctx, moving);
  std::optional<Violation> v;
  if (caps_only) {
    std::vector<Rule> caps;
    for (const Rule& r : cal.rules) {
      if (r.kind == RuleKind::kCap) caps.push_back(r);
    }
    if (caps.empty()) return std::nullopt;
    v = CheckRules(caps, ctx, agent_id, start, end, is_commit);
  } else {
    v = CheckRules(cal.rules, ctx, agent_id, start, end, is_commit);
  }
  if (!v) return std::nullopt;
  return Outcome{422, ErrorBody("rule_violation", v->message, {{"rule", {{"id", v->rule_id}, {"kind", v->kind}}}})};
}

Result<Rule> Engine::ResolveRuleLocked(const std::string& owner_id, const nlohmann::json& body) {
  auto rule = ParseRule(body);
  if (!rule.ok()) return rule.status();
  if (rule->kind == RuleKind::kCap && !rule->agent_id.empty()) {
    store::AgentRecord* agent = FindAgentLocked(owner_id, rule->agent_id);
    if (agent == nullptr) return Status::InvalidArgument("agent_id: no agent \"" + rule->agent_id + "\" of yours");
    rule->agent_id = agent->id;
  }
  return rule;
}

Result<store::RuleRecord> Engine::CreateRule(const std::string& owner_id, const nlohmann::json& body) {
  std::lock_guard<std::mutex> lock(mu_);
  RefreshIfStaleLocked();  // another daemon may have written since
  Calendar* cal = FindCalendar(owner_id);
  if (cal == nullptr) return Status::NotFound("no owner " + owner_id);
  auto rule = ResolveRuleLocked(owner_id, body);
  if (!rule.ok()) return rule.status();
  const Time now = clock_.Now();
  store::RuleRecord rec{NewId("rul_"), owner_id, RuleKindName(rule->kind), rule->Spec().dump(), now, now, std::nullopt};
  rule->id = rec.id;
  const int64_t seq_before = chain_.head_seq();
  const std::string hash_before = chain_.head_hash();
  store::Decision d;
  d.rules.push_back(rec);
  nlohmann::json payload = rule->Spec();
  payload["kind"] = rec.kind;
  d.audit.push_back(chain_.Append(now, owner_id, owner_id, "", "rule.created", rec.id, payload));
  if (Status st = ApplyAdminLocked(std::move(d), seq_before, hash_before); !st.ok()) return st;
  cal->rule_records.push_back(rec);
  cal->rules.push_back(std::move(*rule));
  return rec;
}

std::vector<store::RuleRecord> Engine::ListRules(const std::string& owner_id) {
  std::lock_guard<std::mutex> lock(mu_);
  Calendar* cal = FindCalendar(owner_id);
  return cal == nullptr ? std::vector<store::RuleRecord>{} : cal->rule_records;
}

Result<store::RuleRecord> Engine::GetRule(const std::string& owner_id, const std::string& rule_id) {
  std::lock_guard<std::mutex> lock(mu_);
  Calendar* cal = FindCalendar(owner_id);
  if (cal != nullptr) {
    for (const store::RuleRecord& r : cal->rule_records) {
      if (r.id == rule_id) return r;
    }
  }
  return Status::NotFound("no rule " + rule_id);
}

Result<store::RuleRecord> Engine::UpdateRule(const std::string& owner_id, const std::string& rule_id,
                                             const nlohmann::json& body) {
  std::lock_guard<std::mutex> lock(mu_);
  RefreshIfStaleLocked();  // another daemon may have written since
  Calendar* cal = FindCalendar(owner_id);
  size_t i = 0;
  while (cal != nullptr && i < cal->rule_records.size() && cal->rule_records[i].id != rule_id) ++i;
  if (cal == nullptr || i == cal->rule_records.size()) return Status::NotFound("no rule " + rule_id);
  store::RuleRecord rec = cal->rule_records[i];
  nlohmann::json full = body.is_object() ? body : nlohmann::json::object();
  if (full.contains("kind") && full["kind"] != rec.kind) {
    return Status::InvalidArgument("kind: a rule's kind cannot change (delete it and add another)");
  }
  full["kind"] = rec.kind;
  auto rule = ResolveRuleLocked(owner_id, full);
  if (!rule.ok()) return rule.status();
  rule->id = rec.id;
  const nlohmann::json before = nlohmann::json::parse(rec.spec_json);
  rec.spec_json = rule->Spec().dump();
  rec.updated_at = clock_.Now();
  const int64_t seq_before = chain_.head_seq();
  const std::string hash_before = chain_.head_hash();
  store::Decision d;
  d.rules.push_back(rec);
  d.audit.push_back(chain_.Append(rec.updated_at, owner_id, owner_id, "", "rule.updated", rec.id,
                                  {{"kind", rec.kind}, {"from", before}, {"to", rule->Spec()}}));
  if (Status st = ApplyAdminLocked(std::move(d), seq_before, hash_before); !st.ok()) return st;
  cal->rule_records[i] = rec;
  cal->rules[i] = std::move(*rule);
  return rec;
}

Status Engine::DeleteRule(const std::string& owner_id, const std::string& rule_id) {
  std::lock_guard<std::mutex> lock(mu_);
  RefreshIfStaleLocked();  // another daemon may have written since
  Calendar* cal = FindCalendar(owner_id);
  size_t i = 0;
  while (cal != nullptr && i < cal->rule_records.size() && cal->rule_records[i].id != rule_id) ++i;
  if (cal == nullptr || i == cal->rule_records.size()) return Status::NotFound("no rule " + rule_id);
  store::RuleRecord rec = cal->rule_records[i];
  rec.deleted_at = clock_.Now();
  const int64_t seq_before = chain_.head_seq();
  const std::string hash_before = chain_.head_hash();
  store::Decision d;
  d.rules.push_back(rec);
  nlohmann::json payload = nlohmann::json::parse(rec.spec_json);
  payload["kind"] = rec.kind;
  d.audit.push_back(chain_.Append(*rec.deleted_at, owner_id, owner_id, "", "rule.deleted", rec.id, payload));
  if (Status st = ApplyAdminLocked(std::move(d), seq_before, hash_before); !st.ok()) return st;
  cal->rule_records.erase(cal->rule_records.begin() + static_cast<std::ptrdiff_t>(i));
  cal->rules.erase(cal->rules.begin() + static_cast<std::ptrdiff_t>(i));
  return Status::Ok();
}

}  // namespace agentdraft::engine
