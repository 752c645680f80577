#include "daemon/store/dynamo/dynamo_store.h"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <set>
#include <thread>

#include <spdlog/spdlog.h>

#include "common/ids.h"
#include "daemon/store/dynamo/dynamo_records.h"

namespace agentdraft::store {

using nlohmann::json;
using namespace std::chrono_literals;

namespace {

constexpr int64_t kSlotsPerPage = 12;  // 5-minute buckets per item: one hour

json S(const std::string& v) { return {{"S", v}}; }
json N(int64_t v) { return {{"N", std::to_string(v)}}; }
json Key(const std::string& pk, const std::string& sk) { return {{"pk", S(pk)}, {"sk", S(sk)}}; }

std::string Pad(int64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%020lld", static_cast<long long>(v));
  return buf;
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

std::string PagePk(const std::string& owner, int64_t page) { return "BKT#" + owner + "#" + std::to_string(page); }
std::string ClaimPk(const std::string& owner) { return "CAL#" + owner; }
std::string ClaimSk(const std::string& id) { return "C#" + id; }
// An owner's counter-proposals, grouped by booking: "CTR#usr_…" / "bkg_…#ctr_…".
std::string CounterPk(const std::string& owner) { return "CTR#" + owner; }
std::string CounterSk(const std::string& booking, const std::string& id) { return booking + "#" + id; }
std::string IdemPk(const std::string& agent, const std::string& key) { return "IDEM#" + agent + "#" + key; }
std::string DeliverySk(int64_t seq, const std::string& sub) { return Pad(seq) + "#" + sub; }

// An item whose record is JSON in `d`, plus extra attributes.
json Item(const std::string& pk, const std::string& sk, const json& record) {
  json item = Key(pk, sk);
  item["d"] = S(record.dump());
  return item;
}

template <typename R>
Result<R> Decode(const json& item) {
  R r;
  try {
    dynamo::FromJson(json::parse(item.at("d").at("S").get<std::string>()), &r);
  } catch (const json::exception& e) {
    std::string where = item.contains("pk") ? item["pk"].value("S", "") + "/" + item["sk"].value("S", "") : "?";
    return Status::Internal("malformed item " + where + ": " + e.what());
  }
  return r;
}

bool Ends(ClaimState s) { return !IsActive(s); }

}  // namespace

DynamoStore::DynamoStore(DynamoStoreOptions options)
    : options_(std::move(options)), client_(std::make_unique<dynamo::DynamoClient>(options_.client)) {}

Result<std::unique_ptr<DynamoStore>> DynamoStore::Open(const DynamoStoreOptions& options) {
  if (options.table.empty()) return Status::InvalidArgument("no DynamoDB table named (--dynamodb-table)");
  std::unique_ptr<DynamoStore> store(new DynamoStore(options));
  dynamo::DynamoError error;
  auto described = store->client_->Call("DescribeTable", {{"TableName", options.table}}, &error);
  if (!described.ok()) {
    if (described.status().code() == StatusCode::kNotFound && options.create_table) {
      Status s = CreateTable(*store->client_, options.table);
      if (!s.ok() && s.code() != StatusCode::kAlreadyExists) return s;
    } else if (described.status().code() == StatusCode::kNotFound) {
      return Status::NotFound("DynamoDB table \"" + options.table + "\" does not exist at " +
                              (options.client.endpoint.empty() ? "region " + options.client.region
                                                               : options.client.endpoint) +
                              "; create it with `agentdraft dynamodb create-table` or --create-table");
    } else {
      return Status(described.status().code(),
                    "cannot reach DynamoDB table \"" + options.table + "\": " + described.status().message());
    }
  }
  store->writer_ = std::thread([s = store.get()] { s->WriterLoop(); });
  return store;
}

Status DynamoStore::CreateTable(dynamo::DynamoClient& client, const std::string& table) {
  json req = {{"TableName", table},
              {"AttributeDefinitions", {{{"AttributeName", "pk"}, {"AttributeType", "S"}},
                                        {{"AttributeName", "sk"}, {"AttributeType", "S"}}}},
              {"KeySchema", {{{"AttributeName", "pk"}, {"KeyType", "HASH"}},
                             {{"AttributeName", "sk"}, {"KeyType", "RANGE"}}}},
              {"BillingMode", "PAY_PER_REQUEST"}};
  dynamo::DynamoError error;
  auto created = client.Call("CreateTable", req, &error);
  if (!created.ok()) {
    if (error.type == "ResourceInUseException") {
      return Status::AlreadyExists("DynamoDB table \"" + table + "\" already exists");
    }
    return created.status();
  }
  // Wait until it is ACTIVE (immediate on DynamoDB Local; seconds on AWS).
  for (int i = 0; i < 600; ++i) {
    auto d = client.Call("DescribeTable", {{"TableName", table}});
    if (d.ok() && (*d)["Table"].value("TableStatus", "") == "ACTIVE") break;
    std::this_thread::sleep_for(100ms);
  }
  auto ttl = client.Call("UpdateTimeToLive",
                         {{"TableName", table},
                          {"TimeToLiveSpecification", {{"Enabled", true}, {"AttributeName", "ttl"}}}});
  if (!ttl.ok()) return Status(ttl.status().code(), "table created, but turning on TTL failed: " + ttl.status().message());
  return Status::Ok();
}

DynamoStore::~DynamoStore() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  if (writer_.joinable()) writer_.join();
}

// --- Writes ----------------------------------------------------------------------------

void DynamoStore::Apply(Decision decision, std::function<void(Status)> done) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back({std::move(decision), std::move(done)});
  }
  work_cv_.notify_one();
}

void DynamoStore::Flush() {
  std::unique_lock<std::mutex> lock(mu_);
  done_cv_.wait(lock, [&] { return queue_.empty() && !busy_; });
}

void DynamoStore::WriterLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    work_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) break;  // stopping, and nothing left to answer
    Pending p = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    Status s = ApplyOne(p.decision);
    p.done(s);
    lock.lock();
    busy_ = false;
    done_cv_.notify_all();
  }
}

Status DynamoStore::ApplyOne(const Decision& d) {
  auto tx = BuildTransaction(d);
  if (!tx.ok()) return tx.status();
  if ((*tx)["TransactItems"].empty()) return Status::Ok();
  (*tx)["ClientRequestToken"] = NewId("", 32);
  dynamo::DynamoError error;
  auto r = client_->Call("TransactWriteItems", *tx, &error);
  if (r.ok()) return Status::Ok();
  if (r.status().code() == StatusCode::kConflict) return r.status();
  if (r.status().code() == StatusCode::kInvalidArgument) return Status::Internal(r.status().message());
  return Status::Unavailable(r.status().message());
}

namespace {

// The claims of a decision, last version of each, and which were inserted by it.
struct DecisionClaims {
  explicit DecisionClaims(const Decision& d) {
    for (const ClaimRecord& c : d.claims) {
      if (!by_id.count(c.id) && IsActive(c.state)) inserted.insert(c.id);
      by_id[c.id] = &c;
    }
  }
  std::map<std::string, const ClaimRecord*> by_id;
  std::set<std::string> inserted;
};

// The parts of one hour page's UpdateItem.
struct PageUpdate {
  std::vector<std::string> sets, removes, conds;
  json values = json::object();
};

std::string Join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

// Slot i must hold what `w` expects: nothing, or its expected claim — and when that claim
// leaves because of time (expired, evicted, displaced), the slot's own attributes must agree
// at the decision's time.
void AddSlotCondition(const std::string& i, const BucketWrite& w, const DecisionClaims& claims,
                      Time decided_at, PageUpdate& u) {
  if (w.expected_claim_id.empty()) {
    u.conds.push_back("attribute_not_exists(c" + i + ")");
    return;
  }
  u.conds.push_back("c" + i + " = :e" + i);
  u.values[":e" + i] = S(w.expected_claim_id);
  auto leaving = claims.by_id.find(w.expected_claim_id);
  if (leaving == claims.by_id.end() || !Ends(leaving->second->state)) return;
  switch (leaving->second->state) {
    case ClaimState::kExpired: u.conds.push_back("x" + i + " <= :now"); break;
    case ClaimState::kEvicted: u.conds.push_back("f" + i + " > :now"); break;
    case ClaimState::kDisplaced: u.conds.push_back("x" + i + " > :now"); break;
    default: return;
  }
  u.values[":now"] = N(ToMicros(decided_at));
}

// Slot i becomes `w.new_claim_id` (with the claim's attributes when the decision has its
// row), or empty.
void AddSlotWrite(const std::string& i, const BucketWrite& w, const DecisionClaims& claims, PageUpdate& u) {
  if (w.new_claim_id.empty()) {
    for (const char* a : {"c", "a", "k", "t", "x", "f"}) u.removes.push_back(a + i);
    return;
  }
  u.sets.push_back("c" + i + " = :c" + i);
  u.values[":c" + i] = S(w.new_claim_id);
  auto c = claims.by_id.find(w.new_claim_id);
  if (c == claims.by_id.end()) {
    // The claim's row is not part of this decision: the slot names it, nothing more.
    for (const char* a : {"a", "k", "t", "x", "f"}) u.removes.push_back(a + i);
    return;
  }
  const ClaimRecord& r = *c->second;
  for (const char* a : {"a", "k", "t", "x", "f"}) u.sets.push_back(a + i + " = :" + a + i);
  u.values[":a" + i] = S(r.agent_id);
  u.values[":k" + i] = S(r.kind == ClaimKind::kHold ? "hold" : "booking");
  u.values[":t" + i] = N(ToMicros(r.created_at));
  u.values[":x" + i] = N(ToMicros(r.expires_at));
  u.values[":f" + i] = N(ToMicros(r.frozen_at));
}

// Buckets, one Update per hour page.
void AddBucketPages(const std::string& table, const Decision& d, const DecisionClaims& claims, json& items) {
  std::map<std::pair<std::string, int64_t>, std::vector<std::pair<int64_t, const BucketWrite*>>> pages;
  for (const BucketWrite& w : d.buckets) {
    const int64_t page = FloorDiv(w.bucket, kSlotsPerPage);
    pages[{w.owner_id, page}].push_back({w.bucket - page * kSlotsPerPage, &w});
  }
  for (const auto& [key, slots] : pages) {
    PageUpdate u;
    for (const auto& [slot, w] : slots) {
      const std::string i = std::to_string(slot);
      AddSlotCondition(i, *w, claims, d.decided_at, u);
      AddSlotWrite(i, *w, claims, u);
    }
    std::string update;
    if (!u.sets.empty()) update += "SET " + Join(u.sets, ", ");
    if (!u.removes.empty()) update += (update.empty() ? "" : " ") + std::string("REMOVE ") + Join(u.removes, ", ");
    json item = {{"TableName", table},
                 {"Key", Key(PagePk(key.first, key.second), "B")},
                 {"UpdateExpression", update},
                 {"ConditionExpression", Join(u.conds, " AND ")}};
    if (!u.values.empty()) item["ExpressionAttributeValues"] = u.values;
    items.push_back({{"Update", item}});
  }
}

// Each claim's row, and for a new one the pointer from its id to its owner.
void AddClaims(const std::string& table, const DecisionClaims& claims, json& items) {
  for (const auto& [id, c] : claims.by_id) {
    json item = Item(ClaimPk(c->owner_id), ClaimSk(id), dynamo::ToJson(*c));
    item["st"] = S(ClaimStateName(c->state));
    items.push_back({{"Put", {{"TableName", table}, {"Item", item}}}});
    if (claims.inserted.count(id)) {
      json pointer = Key("CLM#" + id, "P");
      pointer["o"] = S(c->owner_id);
      items.push_back({{"Put", {{"TableName", table}, {"Item", pointer}}}});
    }
  }
}

// The audit rows (none may exist yet) and the head, on the condition that it is still the row
// before the first of them. Conflict when the rows leave a gap.
Status AddAudit(const std::string& table, const Decision& d, json& items) {
  if (d.audit.empty()) return Status::Ok();
  for (size_t k = 0; k < d.audit.size(); ++k) {
    const AuditRecord& a = d.audit[k];
    if (k > 0 && a.seq != d.audit[k - 1].seq + 1) {
      return Status::Conflict("audit rows " + std::to_string(d.audit[k - 1].seq) + " and " +
                              std::to_string(a.seq) + " leave a gap");
    }
    items.push_back({{"Put",
                      {{"TableName", table},
                       {"Item", Item("AUDIT", Pad(a.seq), dynamo::ToJson(a))},
                       {"ConditionExpression", "attribute_not_exists(pk)"}}}});
  }
  const int64_t before = d.audit.front().seq - 1;
  json head = {{"TableName", table},
               {"Key", Key("META", "HEAD")},
               {"UpdateExpression", "SET #seq = :seq, #hash = :hash"},
               {"ExpressionAttributeNames", {{"#seq", "seq"}, {"#hash", "hash"}}},
               {"ExpressionAttributeValues", {{":seq", N(d.audit.back().seq)}, {":hash", S(d.audit.back().hash)}}}};
  if (before == 0) {
    head["ConditionExpression"] = "attribute_not_exists(#seq)";
  } else {
    // The hash too: another daemon's rows may have brought the head to the same seq.
    head["ConditionExpression"] = "#seq = :before AND #hash = :prev";
    head["ExpressionAttributeValues"][":before"] = N(before);
    head["ExpressionAttributeValues"][":prev"] = S(d.audit.front().prev_hash);
  }
  items.push_back({{"Update", head}});
  return Status::Ok();
}

// Idempotency records (none may exist yet; with a TTL), counters, owners, agents, rules,
// webhook subscriptions and deliveries, sessions (with a TTL) and their ends, checkpoints.
void AddRecords(const std::string& table, const Decision& d, Duration idempotency_ttl, json& items) {
  for (const IdempotencyRecord& r : d.idempotency) {
    json item = Item(IdemPk(r.agent_id, r.key), "I", dynamo::ToJson(r));
    item["ct"] = N(ToMicros(r.created_at));
    item["ttl"] = N(ToMicros(r.created_at + idempotency_ttl + 1h) / 1000000);
    items.push_back({{"Put", {{"TableName", table}, {"Item", item}, {"ConditionExpression", "attribute_not_exists(pk)"}}}});
  }
  auto put_all = [&](const auto& records, const char* pk, auto sk_of) {
    std::map<std::string, json> by_sk;  // last version of each
    for (const auto& r : records) by_sk[sk_of(r)] = Item(pk, sk_of(r), dynamo::ToJson(r));
    for (auto& [sk, item] : by_sk) items.push_back({{"Put", {{"TableName", table}, {"Item", item}}}});
  };
  for (const CounterRecord& r : d.counters) {
    json item = Item(CounterPk(r.owner_id), CounterSk(r.booking_id, r.id), dynamo::ToJson(r));
    item["st"] = S(CounterStateName(r.state));
    items.push_back({{"Put", {{"TableName", table}, {"Item", item}}}});
  }
  put_all(d.owners, "OWNERS", [](const OwnerRecord& r) { return r.id; });
  put_all(d.agents, "AGENTS", [](const AgentRecord& r) { return r.id; });
  put_all(d.rules, "RULES", [](const RuleRecord& r) { return r.id; });
  put_all(d.subscriptions, "SUBS", [](const WebhookSubscription& r) { return r.id; });
  put_all(d.deliveries, "DLV", [](const WebhookDelivery& r) { return DeliverySk(r.audit_seq, r.subscription_id); });
  for (const SessionRecord& r : d.sessions) {
    json item = Item("SESS#" + r.token_hash, "S", dynamo::ToJson(r));
    item["ttl"] = N(ToMicros(r.expires_at) / 1000000 + 3600);
    items.push_back({{"Put", {{"TableName", table}, {"Item", item}}}});
  }
  for (const std::string& token_hash : d.ended_sessions) {
    items.push_back({{"Delete", {{"TableName", table}, {"Key", Key("SESS#" + token_hash, "S")}}}});
  }
  for (const CheckpointRecord& r : d.checkpoints) {
    items.push_back({{"Put",
                      {{"TableName", table},
                       {"Item", Item("CKPT", Pad(r.size), dynamo::ToJson(r))},
                       {"ConditionExpression", "attribute_not_exists(pk)"}}}});
  }
}

}  // namespace

Result<json> DynamoStore::BuildTransaction(const Decision& d) const {
  const std::string& table = options_.table;
  json items = json::array();
  const DecisionClaims claims(d);
  AddBucketPages(table, d, claims, items);
  AddClaims(table, claims, items);
  if (Status s = AddAudit(table, d, items); !s.ok()) return s;
  AddRecords(table, d, options_.idempotency_ttl, items);
  if (items.size() > static_cast<size_t>(kDynamoMaxTransactItems)) {
    return Status::InvalidArgument("this change needs " + std::to_string(items.size()) +
                                   " DynamoDB writes; one transaction carries at most " +
                                   std::to_string(kDynamoMaxTransactItems));
  }
  return json{{"TransactItems", items}};
}

Result<std::string> DynamoStore::SharedSecret(const std::string& candidate) {
  json item = Key("META", "SECRET");
  item["v"] = S(candidate);
  auto put = client_->Call("PutItem", {{"TableName", options_.table},
                                       {"Item", item},
                                       {"ConditionExpression", "attribute_not_exists(pk)"}});
  if (!put.ok() && put.status().code() != StatusCode::kConflict) return put.status();
  auto stored = GetItem("META", "SECRET");
  if (!stored.ok()) return stored.status();
  if (!stored->has_value()) return Status::Internal("the key secret vanished from the table");
  return (**stored)["v"]["S"].get<std::string>();
}

// --- Reads -----------------------------------------------------------------------------

Result<std::optional<json>> DynamoStore::GetItem(const std::string& pk, const std::string& sk) {
  auto r = client_->Call("GetItem", {{"TableName", options_.table}, {"Key", Key(pk, sk)}, {"ConsistentRead", true}});
  if (!r.ok()) return r.status();
  if (!r->contains("Item")) return std::optional<json>();
  return std::optional<json>((*r)["Item"]);
}

Status DynamoStore::QueryPages(const std::string& pk, const std::string& after_sk, bool forward, int page_size,
                               const std::function<bool(json&)>& visit) {
  json req = {{"TableName", options_.table},
              {"ConsistentRead", true},
              {"ScanIndexForward", forward},
              {"ExpressionAttributeValues", {{":pk", S(pk)}}}};
  if (after_sk.empty()) {
    req["KeyConditionExpression"] = "pk = :pk";
  } else {
    req["KeyConditionExpression"] = "pk = :pk AND sk > :sk";
    req["ExpressionAttributeValues"][":sk"] = S(after_sk);
  }
  if (page_size > 0) req["Limit"] = page_size;
  while (true) {
    auto r = client_->Call("Query", req);
    if (!r.ok()) return r.status();
    for (json& item : (*r)["Items"]) {
      if (!visit(item)) return Status::Ok();
    }
    if (!r->contains("LastEvaluatedKey")) return Status::Ok();
    req["ExclusiveStartKey"] = (*r)["LastEvaluatedKey"];
  }
}

Result<std::vector<json>> DynamoStore::QueryAll(const std::string& pk, const std::string& after_sk, bool forward,
                                                int limit) {
  std::vector<json> out;
  Status s = QueryPages(pk, after_sk, forward, limit, [&](json& item) {
    out.push_back(std::move(item));
    return limit <= 0 || static_cast<int>(out.size()) < limit;
  });
  if (!s.ok()) return s;
  return out;
}

Status DynamoStore::LoadHead(LoadedState& out) {
  auto head = GetItem("META", "HEAD");
  if (!head.ok()) return head.status();
  out.audit_head_hash = std::string(64, '0');
  if (head->has_value() && (**head).contains("seq")) {
    out.audit_head_seq = std::stoll((**head)["seq"]["N"].get<std::string>());
    out.audit_head_hash = (**head)["hash"]["S"].get<std::string>();
  }
  return Status::Ok();
}

Status DynamoStore::LoadOwnersAndAgents(LoadedState& out) {
  auto owners = QueryAll("OWNERS");
  if (!owners.ok()) return owners.status();
  for (const json& item : *owners) {
    auto o = Decode<OwnerRecord>(item);
    if (!o.ok()) return o.status();
    out.owners.push_back(std::move(*o));
  }
  std::sort(out.owners.begin(), out.owners.end(), [](const OwnerRecord& a, const OwnerRecord& b) {
    return std::tie(a.created_at, a.id) < std::tie(b.created_at, b.id);
  });
  auto agents = QueryAll("AGENTS");
  if (!agents.ok()) return agents.status();
  for (const json& item : *agents) {
    auto a = Decode<AgentRecord>(item);
    if (!a.ok()) return a.status();
    out.agents.push_back(std::move(*a));
  }
  std::sort(out.agents.begin(), out.agents.end(),
            [](const AgentRecord& a, const AgentRecord& b) { return a.rank_order < b.rank_order; });
  return Status::Ok();
}

// Each owner's active claims and pending counter-proposals.
Status DynamoStore::LoadCalendars(LoadedState& out) {
  auto state_of = [](const json& item) { return item.contains("st") ? item["st"].value("S", "") : ""; };
  for (const OwnerRecord& o : out.owners) {
    auto claims = QueryAll(ClaimPk(o.id));
    if (!claims.ok()) return claims.status();
    for (const json& item : *claims) {
      const std::string st = state_of(item);
      if (st != "COMMITTED" && st != "HELD") continue;
      auto c = Decode<ClaimRecord>(item);
      if (!c.ok()) return c.status();
      out.active_claims.push_back(std::move(*c));
    }
    auto counters = QueryAll(CounterPk(o.id));
    if (!counters.ok()) return counters.status();
    for (const json& item : *counters) {
      if (state_of(item) != "PENDING") continue;
      auto c = Decode<CounterRecord>(item);
      if (!c.ok()) return c.status();
      out.open_counters.push_back(std::move(*c));
    }
  }
  return Status::Ok();
}

Status DynamoStore::LoadRules(LoadedState& out) {
  auto rules = QueryAll("RULES");
  if (!rules.ok()) return rules.status();
  for (const json& item : *rules) {
    auto r = Decode<RuleRecord>(item);
    if (!r.ok()) return r.status();
    if (!r->deleted_at) out.rules.push_back(std::move(*r));
  }
  std::sort(out.rules.begin(), out.rules.end(), [](const RuleRecord& a, const RuleRecord& b) {
    return std::tie(a.created_at, a.id) < std::tie(b.created_at, b.id);
  });
  return Status::Ok();
}

Result<LoadedState> DynamoStore::Load() {
  LoadedState out;
  // The head first: what is read after it is at least as new. Read last, a head could cover a
  // write (an agent, a claim) that the earlier queries missed, and a daemon comparing heads
  // would never reload to see it. Data newer than the head costs at most a conflict on the
  // head's condition, then a reload.
  if (Status s = LoadHead(out); !s.ok()) return s;
  if (Status s = LoadOwnersAndAgents(out); !s.ok()) return s;
  if (Status s = LoadCalendars(out); !s.ok()) return s;
  if (Status s = LoadRules(out); !s.ok()) return s;
  return out;
}

Result<int64_t> DynamoStore::AuditHeadSeq() {
  auto head = GetItem("META", "HEAD");
  if (!head.ok()) return head.status();
  if (!head->has_value() || !(**head).contains("seq")) return int64_t{0};
  return static_cast<int64_t>(std::stoll((**head)["seq"]["N"].get<std::string>()));
}

Result<std::string> DynamoStore::GetBucket(const std::string& owner_id, int64_t bucket) {
  const int64_t page = FloorDiv(bucket, kSlotsPerPage);
  auto item = GetItem(PagePk(owner_id, page), "B");
  if (!item.ok()) return item.status();
  const std::string attr = "c" + std::to_string(bucket - page * kSlotsPerPage);
  if (!item->has_value() || !(**item).contains(attr)) return std::string();
  return (**item)[attr]["S"].get<std::string>();
}

Result<ClaimRecord> DynamoStore::GetClaim(const std::string& id) {
  auto pointer = GetItem("CLM#" + id, "P");
  if (!pointer.ok()) return pointer.status();
  if (!pointer->has_value()) return Status::NotFound("no claim " + id);
  auto item = GetItem(ClaimPk((**pointer)["o"]["S"].get<std::string>()), ClaimSk(id));
  if (!item.ok()) return item.status();
  if (!item->has_value()) return Status::NotFound("no claim " + id);
  return Decode<ClaimRecord>(**item);
}

Result<std::vector<ClaimRecord>> DynamoStore::ListClaims(const ClaimQuery& q) {
  auto items = QueryAll(ClaimPk(q.owner_id));
  if (!items.ok()) return items.status();
  std::vector<ClaimRecord> out;
  for (const json& item : *items) {
    auto c = Decode<ClaimRecord>(item);
    if (!c.ok()) return c.status();
    if (q.agent_id && c->agent_id != *q.agent_id) continue;
    if (q.kind && c->kind != *q.kind) continue;
    if (q.state && c->state != *q.state) continue;
    if (q.range_start && !(c->end > *q.range_start)) continue;
    if (q.range_end && !(c->start < *q.range_end)) continue;
    out.push_back(std::move(*c));
  }
  std::sort(out.begin(), out.end(), [](const ClaimRecord& a, const ClaimRecord& b) {
    return std::tie(a.start, a.id) < std::tie(b.start, b.id);
  });
  if (static_cast<int>(out.size()) > q.limit) out.resize(std::max(q.limit, 0));
  return out;
}

Result<std::optional<IdempotencyRecord>> DynamoStore::GetIdempotency(const std::string& agent_id,
                                                                     const std::string& key) {
  auto item = GetItem(IdemPk(agent_id, key), "I");
  if (!item.ok()) return item.status();
  if (!item->has_value()) return std::optional<IdempotencyRecord>();
  auto r = Decode<IdempotencyRecord>(**item);
  if (!r.ok()) return r.status();
  return std::optional<IdempotencyRecord>(std::move(*r));
}

Result<int64_t> DynamoStore::PurgeIdempotency(Time cutoff) {
  int64_t purged = 0;
  json req = {{"TableName", options_.table},
              {"FilterExpression", "begins_with(pk, :p) AND ct < :cut"},
              {"ProjectionExpression", "pk, sk"},
              {"ExpressionAttributeValues", {{":p", S("IDEM#")}, {":cut", N(ToMicros(cutoff))}}}};
  while (true) {
    auto r = client_->Call("Scan", req);
    if (!r.ok()) return r.status();
    for (const json& item : (*r)["Items"]) {
      auto del = client_->Call("DeleteItem", {{"TableName", options_.table}, {"Key", item}});
      if (!del.ok()) return del.status();
      ++purged;
    }
    if (!r->contains("LastEvaluatedKey")) break;
    req["ExclusiveStartKey"] = (*r)["LastEvaluatedKey"];
  }
  return purged;
}

Result<std::vector<AuditRecord>> DynamoStore::ListAudit(const AuditQuery& q) {
  std::vector<AuditRecord> out;
  if (q.limit <= 0) return out;
  Status failed;
  Status s = QueryPages("AUDIT", Pad(q.after_seq), /*forward=*/true, 500, [&](const json& item) {
    auto a = Decode<AuditRecord>(item);
    if (!a.ok()) {
      failed = a.status();
      return false;
    }
    if (!q.owner_id.empty() && a->owner_id != q.owner_id) return true;
    if (q.visible_to_agent && a->actor != *q.visible_to_agent && a->subject != *q.visible_to_agent) return true;
    if (q.resource && a->resource != *q.resource) return true;
    if (q.kind && a->kind != *q.kind) return true;
    out.push_back(std::move(*a));
    return static_cast<int>(out.size()) < q.limit;
  });
  if (!s.ok()) return s;
  if (!failed.ok()) return failed;
  return out;
}

Result<std::optional<SessionRecord>> DynamoStore::GetSession(const std::string& token_hash) {
  auto item = GetItem("SESS#" + token_hash, "S");
  if (!item.ok()) return item.status();
  if (!item->has_value()) return std::optional<SessionRecord>();
  auto r = Decode<SessionRecord>(**item);
  if (!r.ok()) return r.status();
  return std::optional<SessionRecord>(std::move(*r));
}

Result<std::vector<CheckpointRecord>> DynamoStore::ListCheckpoints() {
  auto items = QueryAll("CKPT");
  if (!items.ok()) return items.status();
  std::vector<CheckpointRecord> out;
  for (const json& item : *items) {
    auto r = Decode<CheckpointRecord>(item);
    if (!r.ok()) return r.status();
    out.push_back(std::move(*r));
  }
  return out;
}

Result<std::optional<CheckpointRecord>> DynamoStore::LatestCheckpoint() {
  auto items = QueryAll("CKPT", "", /*forward=*/false, /*limit=*/1);
  if (!items.ok()) return items.status();
  if (items->empty()) return std::optional<CheckpointRecord>();
  auto r = Decode<CheckpointRecord>(items->front());
  if (!r.ok()) return r.status();
  return std::optional<CheckpointRecord>(std::move(*r));
}

Result<std::vector<CounterRecord>> DynamoStore::ListCounters(const std::string& owner_id,
                                                             const std::string& booking_id) {
  const std::string prefix = booking_id + "#";
  std::vector<CounterRecord> out;
  Status failed;
  Status s = QueryPages(CounterPk(owner_id), prefix, /*forward=*/true, 0, [&](json& item) {
    if (item["sk"].value("S", "").rfind(prefix, 0) != 0) return false;  // past this booking's
    auto c = Decode<CounterRecord>(item);
    if (!c.ok()) {
      failed = c.status();
      return false;
    }
    out.push_back(std::move(*c));
    return true;
  });
  if (!s.ok()) return s;
  if (!failed.ok()) return failed;
  std::sort(out.begin(), out.end(), [](const CounterRecord& a, const CounterRecord& b) {
    return std::tie(a.created_at, a.id) < std::tie(b.created_at, b.id);
  });
  return out;
}

Result<std::vector<WebhookSubscription>> DynamoStore::ListSubscriptions(const std::string& owner_id) {
  auto items = QueryAll("SUBS");
  if (!items.ok()) return items.status();
  std::vector<WebhookSubscription> out;
  for (const json& item : *items) {
    auto r = Decode<WebhookSubscription>(item);
    if (!r.ok()) return r.status();
    if (r->deleted_at || (!owner_id.empty() && r->owner_id != owner_id)) continue;
    out.push_back(std::move(*r));
  }
  std::sort(out.begin(), out.end(), [](const WebhookSubscription& a, const WebhookSubscription& b) {
    return std::tie(a.created_at, a.id) < std::tie(b.created_at, b.id);
  });
  return out;
}

Result<std::vector<WebhookDelivery>> DynamoStore::ListDeliveries(const DeliveryQuery& q) {
  std::vector<WebhookDelivery> out;
  if (q.limit <= 0) return out;
  // Sort keys are "<seq>#<subscription>": everything after seq q.after_seq sorts after "<seq>#~".
  Status failed;
  Status s = QueryPages("DLV", Pad(q.after_seq) + "#~", /*forward=*/true, 500, [&](const json& item) {
    auto dl = Decode<WebhookDelivery>(item);
    if (!dl.ok()) {
      failed = dl.status();
      return false;
    }
    if (q.subscription_id && dl->subscription_id != *q.subscription_id) return true;
    if (q.owner_id && dl->owner_id != *q.owner_id) return true;
    if (q.state && dl->state != *q.state) return true;
    out.push_back(std::move(*dl));
    return static_cast<int>(out.size()) < q.limit;
  });
  if (!s.ok()) return s;
  if (!failed.ok()) return failed;
  return out;
}

}  // namespace agentdraft::store
