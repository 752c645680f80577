// The owner's rules in the directory: create, list, update, delete, each one audit row
// (rules.h). The check a commit, a hold and availability make is the core's (engine_rules.cc).
#include "common/ids.h"
#include "daemon/engine/directory_impl.h"
#include "daemon/engine/views.h"

namespace agentdraft::engine {

namespace {
// Where rule `rule_id` is in `cal`'s rule_records (and rules); nullopt when `cal` is null or
// has no such rule.
std::optional<size_t> RuleIndex(const Calendar* cal, const std::string& rule_id) {
  if (cal == nullptr) return std::nullopt;
  for (size_t i = 0; i < cal->rule_records.size(); ++i) {
    if (cal->rule_records[i].id == rule_id) return i;
  }
  return std::nullopt;
}
}  // namespace

Result<Rule> DirectoryImpl::ResolveRuleLocked(const std::string& owner_id, const nlohmann::json& body) {
  auto rule = ParseRule(body);
  if (!rule.ok()) return rule.status();
  if (rule->kind == RuleKind::kCap && !rule->agent_id.empty()) {
    store::AgentRecord* agent = s_.FindAgentLocked(owner_id, rule->agent_id);
    if (agent == nullptr) return Status::InvalidArgument("agent_id: no agent \"" + rule->agent_id + "\" of yours");
    rule->agent_id = agent->id;
  }
  return rule;
}

Result<store::RuleRecord> DirectoryImpl::CreateRule(const std::string& owner_id, const nlohmann::json& body) {
  MutexLock lock(s_.mu);
  s_.RefreshIfStaleLocked();  // another daemon may have written since
  Calendar* cal = s_.FindCalendarLocked(owner_id);
  if (cal == nullptr) return Status::NotFound("no owner " + owner_id);
  auto rule = ResolveRuleLocked(owner_id, body);
  if (!rule.ok()) return rule.status();
  const Time now = s_.clock.Now();
  store::RuleRecord rec{NewId("rul_"), owner_id, RuleKindName(rule->kind), rule->Spec().dump(), now, now, std::nullopt};
  rule->id = rec.id;
  const int64_t seq_before = s_.chain.head_seq();
  const std::string hash_before = s_.chain.head_hash();
  store::Decision d;
  d.rules.push_back(rec);
  nlohmann::json payload = rule->Spec();
  payload["kind"] = rec.kind;
  d.audit.push_back(s_.chain.Append(now, owner_id, owner_id, "", "rule.created", rec.id, payload));
  if (Status st = s_.ApplyAdminLocked(std::move(d), seq_before, hash_before); !st.ok()) return st;
  cal->rule_records.push_back(rec);
  cal->rules.push_back(std::move(*rule));
  return rec;
}

std::vector<store::RuleRecord> DirectoryImpl::ListRules(const std::string& owner_id) {
  MutexLock lock(s_.mu);
  Calendar* cal = s_.FindCalendarLocked(owner_id);
  return cal == nullptr ? std::vector<store::RuleRecord>{} : cal->rule_records;
}

Result<store::RuleRecord> DirectoryImpl::GetRule(const std::string& owner_id, const std::string& rule_id) {
  MutexLock lock(s_.mu);
  const Calendar* cal = s_.FindCalendarLocked(owner_id);
  const std::optional<size_t> found = RuleIndex(cal, rule_id);
  if (!found) return Status::NotFound("no rule " + rule_id);
  return cal->rule_records[*found];
}

Result<store::RuleRecord> DirectoryImpl::UpdateRule(const std::string& owner_id, const std::string& rule_id,
                                             const nlohmann::json& body) {
  MutexLock lock(s_.mu);
  s_.RefreshIfStaleLocked();  // another daemon may have written since
  Calendar* cal = s_.FindCalendarLocked(owner_id);
  const std::optional<size_t> found = RuleIndex(cal, rule_id);
  if (!found) return Status::NotFound("no rule " + rule_id);
  const size_t i = *found;
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
  rec.updated_at = s_.clock.Now();
  const int64_t seq_before = s_.chain.head_seq();
  const std::string hash_before = s_.chain.head_hash();
  store::Decision d;
  d.rules.push_back(rec);
  d.audit.push_back(s_.chain.Append(rec.updated_at, owner_id, owner_id, "", "rule.updated", rec.id,
                                  {{"kind", rec.kind}, {"from", before}, {"to", rule->Spec()}}));
  if (Status st = s_.ApplyAdminLocked(std::move(d), seq_before, hash_before); !st.ok()) return st;
  cal->rule_records[i] = rec;
  cal->rules[i] = std::move(*rule);
  return rec;
}

Status DirectoryImpl::DeleteRule(const std::string& owner_id, const std::string& rule_id) {
  MutexLock lock(s_.mu);
  s_.RefreshIfStaleLocked();  // another daemon may have written since
  Calendar* cal = s_.FindCalendarLocked(owner_id);
  const std::optional<size_t> found = RuleIndex(cal, rule_id);
  if (!found) return Status::NotFound("no rule " + rule_id);
  const size_t i = *found;
  store::RuleRecord rec = cal->rule_records[i];
  rec.deleted_at = s_.clock.Now();
  const int64_t seq_before = s_.chain.head_seq();
  const std::string hash_before = s_.chain.head_hash();
  store::Decision d;
  d.rules.push_back(rec);
  nlohmann::json payload = nlohmann::json::parse(rec.spec_json);
  payload["kind"] = rec.kind;
  d.audit.push_back(s_.chain.Append(*rec.deleted_at, owner_id, owner_id, "", "rule.deleted", rec.id, payload));
  if (Status st = s_.ApplyAdminLocked(std::move(d), seq_before, hash_before); !st.ok()) return st;
  cal->rule_records.erase(cal->rule_records.begin() + static_cast<std::ptrdiff_t>(i));
  cal->rules.erase(cal->rules.begin() + static_cast<std::ptrdiff_t>(i));
  return Status::Ok();
}

}  // namespace agentdraft::engine
