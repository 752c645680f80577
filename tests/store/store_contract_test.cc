// The store contract (daemon/store/store.h), tested through the Store interface only, on every
// store: SQLite on a file and SQLite in memory here; others join from their own file
// (tests/store/store_contract.h says how).
//
// Every record read back is compared field by field with what was written (SameRecord), so a
// store that drops or rounds a field fails with the field's name. Times carry microseconds
// (records.h: Time is µs), except CheckpointRecord::at, which records.h keeps in milliseconds.
#include "tests/store/store_contract.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "daemon/store/sqlite_store.h"
#include "tests/store/record_compare.h"

// Decisions and queries are written as designated initializers ({.buckets = …}); the fields
// left out are default-initialized on purpose (GCC 12 warns about each one).
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace agentdraft::store {
namespace {

// --- Status helpers --------------------------------------------------------------------------

#define EXPECT_OK(expr)                                                \
  do {                                                                 \
    const Status status_ = (expr);                                     \
    EXPECT_TRUE(status_.ok()) << #expr << " → " << status_.ToString(); \
  } while (0)
#define ASSERT_OK(expr)                                                \
  do {                                                                 \
    const Status status_ = (expr);                                     \
    ASSERT_TRUE(status_.ok()) << #expr << " → " << status_.ToString(); \
  } while (0)
#define EXPECT_CONFLICT(expr)                                                                 \
  do {                                                                                        \
    const Status status_ = (expr);                                                            \
    EXPECT_EQ(status_.code(), StatusCode::kConflict) << #expr << " → " << status_.ToString(); \
  } while (0)

// The value of a read that must succeed (a failure is reported, and a default value returned).
template <typename T>
T Must(Result<T> r, const char* what) {
  EXPECT_TRUE(r.ok()) << what << " → " << r.status().ToString();
  return r.ok() ? std::move(r).value() : T{};
}
#define MUST(expr) Must((expr), #expr)

// --- Test data: every field set, and distinct ---------------------------------------------------

constexpr int64_t kBucketUs = 300'000'000;  // 5 minutes
// A time with microseconds, so that a store keeping less precision fails. In the future (2030):
// DynamoDB's TTL sweeper deletes items whose `ttl` has passed, so records dated in the past
// could vanish mid-test on DynamoDB Local.
const Time kContractT0 = FromMicros(1'900'000'000'000'000 + 123'457);
Time At(int64_t seconds, int64_t micros = 0) {
  return kContractT0 + std::chrono::seconds(seconds) + Duration(micros);
}
Time BucketStart(int64_t b) { return FromMicros(b * kBucketUs); }

std::string Hash(int64_t seq) {
  char buf[65];
  std::snprintf(buf, sizeof buf, "%064llx", static_cast<unsigned long long>(seq * 0x9e3779b1));
  return seq == 0 ? std::string(64, '0') : std::string(buf);
}

OwnerRecord Owner(const std::string& id) {
  OwnerRecord o;
  o.id = id;
  o.email = id + "@example.test";
  o.created_at = At(1, 1);
  o.settings.tie_window = Duration(2'500'001);
  o.settings.bump_window = Duration(60'000'003);
  o.settings.hold_ttl = Duration(300'000'007);
  o.settings.max_holds_per_agent = 3;
  o.settings.timezone = "Europe/Berlin";
  o.settings.max_active_claims_per_agent = 40;
  o.settings.max_metadata_bytes_per_agent = 5'000'000'000;
  return o;
}

AgentRecord Agent(const std::string& id, const std::string& owner_id, int64_t rank_order) {
  AgentRecord a;
  a.id = id;
  a.owner_id = owner_id;
  a.name = "name-" + id;
  a.priority = 2;
  a.rank_order = rank_order;
  a.scopes = {"claims:write", "audit:read", "claims:read"};  // not sorted: order is kept
  a.key_prefix = "ak_" + id.substr(4, 4);
  a.key_hash = "kh-" + id;
  a.created_at = At(2, 2);
  return a;
}

ClaimRecord Booking(const std::string& id, const std::string& owner_id, const std::string& agent_id,
                    Time start, Time end) {
  ClaimRecord c;
  c.id = id;
  c.owner_id = owner_id;
  c.agent_id = agent_id;
  c.kind = ClaimKind::kBooking;
  c.state = ClaimState::kCommitted;
  c.start = start;
  c.end = end;
  c.created_at = At(3, 3);
  c.frozen_at = At(63, 3);
  c.metadata_json = R"({"ticket":"T-1","note":"caf\u00e9 ✓"})";
  c.title = "Sync ✓ " + id;
  c.invitee_json = R"({"name":"Ada","email":"ada@example.test"})";
  c.idempotency_key = "idem-" + id;
  return c;
}
ClaimRecord Hold(const std::string& id, const std::string& owner_id, const std::string& agent_id,
                 Time start, Time end) {
  ClaimRecord c = Booking(id, owner_id, agent_id, start, end);
  c.kind = ClaimKind::kHold;
  c.state = ClaimState::kHeld;
  c.expires_at = At(303, 3);
  c.frozen_at = Time();
  return c;
}
// A booking of buckets [b, b + n).
ClaimRecord BookingOfBuckets(const std::string& id, const std::string& owner_id, int64_t b, int n) {
  return Booking(id, owner_id, "agt_1", BucketStart(b), BucketStart(b + n));
}
// The bucket writes that give buckets [b, b + n) of `owner_id` to `id`, expecting `expected`.
std::vector<BucketWrite> Buckets(const std::string& owner_id, int64_t b, int n,
                                 const std::string& expected, const std::string& id) {
  std::vector<BucketWrite> out;
  for (int i = 0; i < n; ++i) out.push_back({owner_id, b + i, expected, id});
  return out;
}

AuditRecord Audit(int64_t seq, const std::string& owner_id, const std::string& actor,
                  const std::string& subject, const std::string& kind,
                  const std::string& resource) {
  return {seq,           At(seq * 10, seq),
          owner_id,      actor,
          subject,       kind,
          resource,      R"({"seq":)" + std::to_string(seq) + "}",
          Hash(seq - 1), Hash(seq)};
}
AuditRecord Audit(int64_t seq) {
  return Audit(seq, "usr_1", "agt_1", "agt_1", "booking.committed", "bkg_" + std::to_string(seq));
}

IdempotencyRecord Idem(const std::string& agent_id, const std::string& key,
                       Time created_at = At(4, 4)) {
  return {agent_id,  key, "fp-" + key, 201, "{\"id\":\"bkg_1\",\"key\":\"" + key + "\"}\n",
          created_at};
}
SessionRecord Session(const std::string& token_hash, const std::string& owner_id) {
  return {token_hash, owner_id, At(5, 5), At(5 + 86400, 5)};
}
CheckpointRecord Checkpoint(int64_t size) {
  // Milliseconds only: records.h keeps a checkpoint's time in milliseconds.
  return {size, Hash(size), FromMicros(1'780'000'000'123'000 + size * 1000), std::string(64, 'b'),
          "sig-" + std::to_string(size) + std::string(120, 'c')};
}
WebhookSubscription Subscription(const std::string& id, const std::string& owner_id,
                                 Time created_at = At(6, 6)) {
  return {
      id,         owner_id,    "booking.evicted", "https://hooks.example.test/" + id, "whsec_" + id,
      created_at, std::nullopt};
}
WebhookDelivery MakeDelivery(const std::string& id, const std::string& subscription_id,
                             const std::string& owner_id, int64_t audit_seq,
                             DeliveryState state = DeliveryState::kPending) {
  WebhookDelivery d;
  d.id = id;
  d.subscription_id = subscription_id;
  d.owner_id = owner_id;
  d.audit_seq = audit_seq;
  d.event_type = "booking.evicted";
  d.body = R"({"id":")" + id + R"(","seq":)" + std::to_string(audit_seq) + "}";
  d.state = state;
  d.attempts = 1;
  d.created_at = At(7, 7);
  d.next_attempt_at = At(37, 7);
  if (state != DeliveryState::kPending) d.finished_at = At(38, 8);
  d.last_status = 503;
  d.last_error = "HTTP 503";
  return d;
}
RuleRecord Rule(const std::string& id, const std::string& owner_id, Time created_at) {
  return {id,          owner_id,
          "focus",     R"({"days":["mon","tue"],"start":"09:00","end":"11:00"})",
          created_at,  created_at + Duration(1),
          std::nullopt};
}

CounterRecord Counter(const std::string& id, const std::string& owner_id, const std::string& booking_id,
                      Time created_at, CounterState state = CounterState::kPending) {
  CounterRecord c;
  c.id = id;
  c.owner_id = owner_id;
  c.booking_id = booking_id;
  c.booking_agent_id = "agt_1";
  c.agent_id = "agt_2";
  c.proposed = {{At(600, 1), At(900)}, {At(1200), At(1500, 7)}};
  c.note = "could you take the later one? — ünïcode";
  c.state = state;
  c.created_at = created_at;
  if (state != CounterState::kPending) c.ended_at = created_at + Duration(5);
  return c;
}

// --- Whole-store snapshots ---------------------------------------------------------------------

// Buckets the snapshot reads (the tests below use no others).
const std::vector<int64_t> kSnapshotBuckets = {100, 101, 102, 200, 201, 300, 301};

// Everything readable through the interface about the owners, agents, keys and tokens the
// tests use, one record a line: two equal snapshots mean an equal store.
std::string Snapshot(Store& s) {
  std::string out;
  auto line = [&](const std::string& what, const std::string& text) {
    out += what + " " + text + "\n";
  };
  LoadedState loaded = MUST(s.Load());
  for (const auto& r : SortedById(loaded.owners)) line("owner", Render(r));
  for (const auto& r : SortedById(loaded.agents)) line("agent", Render(r));
  for (const auto& r : SortedById(loaded.active_claims)) line("active", Render(r));
  for (const auto& r : loaded.rules) line("rule", Render(r));
  for (const auto& r : SortedById(loaded.open_counters)) line("open counter", Render(r));
  line("head", std::to_string(loaded.audit_head_seq) + " " + loaded.audit_head_hash);
  for (const std::string owner : {"usr_1", "usr_2", "usr_3"}) {
    ClaimQuery q;
    q.owner_id = owner;
    q.limit = 1000;
    for (const auto& r : MUST(s.ListClaims(q))) line("claim", Render(r));
    for (int64_t b : kSnapshotBuckets) {
      line("bucket", owner + "/" + std::to_string(b) + "=" + MUST(s.GetBucket(owner, b)));
    }
    for (const std::string booking : {"bkg_a", "bkg_b"}) {
      for (const auto& r : MUST(s.ListCounters(owner, booking))) line("counter", Render(r));
    }
  }
  AuditQuery aq;
  aq.limit = 1000;
  for (const auto& r : MUST(s.ListAudit(aq))) line("audit", Render(r));
  for (const std::string agent : {"agt_1", "agt_2", "agt_3"}) {
    for (const std::string key : {"k1", "k2", "k3"}) {
      auto r = MUST(s.GetIdempotency(agent, key));
      if (r) line("idempotency", Render(*r));
    }
  }
  for (const std::string token : {"tok_1", "tok_2"}) {
    auto r = MUST(s.GetSession(token));
    if (r) line("session", Render(*r));
  }
  for (const auto& r : MUST(s.ListCheckpoints())) line("checkpoint", Render(r));
  auto latest = MUST(s.LatestCheckpoint());
  line("latest checkpoint", latest ? std::to_string(latest->size) : "none");
  for (const auto& r : MUST(s.ListSubscriptions(""))) line("subscription", Render(r));
  DeliveryQuery dq;
  dq.limit = 1000;
  for (const auto& r : MUST(s.ListDeliveries(dq))) line("delivery", Render(r));
  return out;
}

// A store holding one of everything.
Decision Seed() {
  Decision d;
  d.owners = {Owner("usr_1"), Owner("usr_2")};
  d.agents = {Agent("agt_1", "usr_1", 1), Agent("agt_2", "usr_1", 2)};
  d.buckets = Buckets("usr_1", 100, 2, "", "bkg_a");
  auto more = Buckets("usr_1", 300, 1, "", "bkg_z");
  d.buckets.insert(d.buckets.end(), more.begin(), more.end());
  d.claims = {BookingOfBuckets("bkg_a", "usr_1", 100, 2),
              BookingOfBuckets("bkg_z", "usr_1", 300, 1)};
  d.audit = {Audit(1)};
  d.idempotency = {Idem("agt_1", "k1")};
  d.sessions = {Session("tok_1", "usr_1")};
  d.checkpoints = {Checkpoint(1)};
  d.subscriptions = {Subscription("sub_1", "usr_1")};
  d.deliveries = {MakeDelivery("dlv_1", "sub_1", "usr_1", 1)};
  d.rules = {Rule("rul_1", "usr_1", At(8))};
  d.counters = {Counter("ctr_1", "usr_1", "bkg_a", At(8))};
  return d;
}

// After Seed(), a decision that changes something of every kind: it succeeds on its own.
Decision ChangeEverything() {
  Decision d;
  OwnerRecord owner = Owner("usr_1");
  owner.settings = {};
  owner.email = "renamed@example.test";
  d.owners = {owner, Owner("usr_3")};
  AgentRecord revoked = Agent("agt_1", "usr_1", 1);
  revoked.revoked_at = At(9, 9);
  d.agents = {revoked, Agent("agt_3", "usr_1", 3)};
  d.buckets = {
      {"usr_1", 100, "bkg_a", "bkg_b"}, {"usr_1", 101, "bkg_a", ""}, {"usr_1", 200, "", "bkg_b"}};
  ClaimRecord evicted = BookingOfBuckets("bkg_a", "usr_1", 100, 2);
  evicted.state = ClaimState::kEvicted;
  evicted.ended_at = At(9, 9);
  evicted.ended_by = "bkg_b";
  d.claims = {evicted, BookingOfBuckets("bkg_b", "usr_1", 100, 1)};
  d.audit = {Audit(2), Audit(3)};
  d.idempotency = {Idem("agt_2", "k2")};
  d.sessions = {Session("tok_2", "usr_2")};
  d.checkpoints = {Checkpoint(2)};
  WebhookSubscription deleted = Subscription("sub_1", "usr_1");
  deleted.deleted_at = At(9, 9);
  d.subscriptions = {deleted, Subscription("sub_2", "usr_2")};
  d.deliveries = {MakeDelivery("dlv_1", "sub_1", "usr_1", 1, DeliveryState::kDelivered),
                  MakeDelivery("dlv_2", "sub_2", "usr_2", 2)};
  RuleRecord rule = Rule("rul_1", "usr_1", At(8));
  rule.deleted_at = At(9, 9);
  d.rules = {rule, Rule("rul_2", "usr_2", At(9))};
  CounterRecord expired = Counter("ctr_1", "usr_1", "bkg_a", At(8), CounterState::kExpired);
  d.counters = {expired, Counter("ctr_2", "usr_1", "bkg_b", At(9))};
  return d;
}

// --- The tests ---------------------------------------------------------------------------------

TEST_P(StoreContract, NameIsSqliteOrDynamodb) {
  const std::string name = store().Name();
  EXPECT_TRUE(name == "sqlite" || name == "dynamodb") << name;
}

TEST_P(StoreContract, AnEmptyStoreHasNothing) {
  LoadedState loaded = MUST(store().Load());
  EXPECT_TRUE(loaded.owners.empty() && loaded.agents.empty() && loaded.active_claims.empty() &&
              loaded.rules.empty());
  EXPECT_EQ(loaded.audit_head_seq, 0);
  EXPECT_EQ(loaded.audit_head_hash, std::string(64, '0'));
  EXPECT_EQ(MUST(store().GetBucket("usr_1", 100)), "");
  EXPECT_TRUE(MUST(store().ListAudit({})).empty());
  EXPECT_TRUE(MUST(store().ListCheckpoints()).empty());
  EXPECT_FALSE(MUST(store().LatestCheckpoint()).has_value());
  EXPECT_TRUE(MUST(store().ListSubscriptions("")).empty());
  EXPECT_TRUE(MUST(store().ListDeliveries({})).empty());
  EXPECT_FALSE(MUST(store().GetSession("tok_1")).has_value());
  EXPECT_EQ(MUST(store().PurgeIdempotency(At(1000))), 0);
}

TEST_P(StoreContract, ApplyWritesEveryKindOfRecordAndReadsThemBackExactly) {
  const Decision seed = Seed();
  ASSERT_OK(store().ApplySync(seed));
  LoadedState loaded = MUST(store().Load());
  EXPECT_RECORDS_EQ(SortedById(seed.owners), SortedById(loaded.owners));
  EXPECT_RECORDS_EQ(SortedById(seed.agents), SortedById(loaded.agents));
  EXPECT_RECORDS_EQ(SortedById(seed.claims), SortedById(loaded.active_claims));
  EXPECT_RECORDS_EQ(seed.rules, loaded.rules);
  EXPECT_EQ(loaded.audit_head_seq, 1);
  EXPECT_EQ(loaded.audit_head_hash, Hash(1));
  EXPECT_RECORD_EQ(seed.claims[0], MUST(store().GetClaim("bkg_a")));
  EXPECT_EQ(MUST(store().GetBucket("usr_1", 100)), "bkg_a");
  EXPECT_EQ(MUST(store().GetBucket("usr_1", 101)), "bkg_a");
  EXPECT_EQ(MUST(store().GetBucket("usr_1", 102)), "");
  EXPECT_RECORDS_EQ(seed.audit, MUST(store().ListAudit({})));
  auto idem = MUST(store().GetIdempotency("agt_1", "k1"));
  ASSERT_TRUE(idem.has_value());
  EXPECT_RECORD_EQ(seed.idempotency[0], *idem);
  auto session = MUST(store().GetSession("tok_1"));
  ASSERT_TRUE(session.has_value());
  EXPECT_RECORD_EQ(seed.sessions[0], *session);
  EXPECT_RECORDS_EQ(seed.checkpoints, MUST(store().ListCheckpoints()));
  EXPECT_RECORDS_EQ(seed.subscriptions, MUST(store().ListSubscriptions("usr_1")));
  EXPECT_RECORDS_EQ(seed.deliveries, MUST(store().ListDeliveries({})));
  EXPECT_RECORDS_EQ(seed.counters, MUST(store().ListCounters("usr_1", "bkg_a")));
  EXPECT_RECORDS_EQ(seed.counters, loaded.open_counters);
}

TEST_P(StoreContract, ADecisionChangingEverythingLandsWhole) {
  ASSERT_OK(store().ApplySync(Seed()));
  const Decision d = ChangeEverything();
  ASSERT_OK(store().ApplySync(d));
  LoadedState loaded = MUST(store().Load());
  const Decision seed = Seed();
  EXPECT_RECORDS_EQ(SortedById(std::vector<OwnerRecord>{d.owners[0], seed.owners[1], d.owners[1]}),
                    SortedById(loaded.owners));
  EXPECT_RECORDS_EQ(SortedById(std::vector<AgentRecord>{d.agents[0], seed.agents[1], d.agents[1]}),
                    SortedById(loaded.agents));
  EXPECT_RECORDS_EQ(SortedById(std::vector<ClaimRecord>{d.claims[1], seed.claims[1]}),
                    SortedById(loaded.active_claims));
  EXPECT_RECORD_EQ(d.claims[0], MUST(store().GetClaim("bkg_a")));
  EXPECT_RECORDS_EQ(std::vector<RuleRecord>{d.rules[1]}, loaded.rules);
  EXPECT_EQ(loaded.audit_head_seq, 3);
  EXPECT_EQ(loaded.audit_head_hash, Hash(3));
  EXPECT_EQ(MUST(store().GetBucket("usr_1", 100)), "bkg_b");
  EXPECT_EQ(MUST(store().GetBucket("usr_1", 101)), "");
  EXPECT_EQ(MUST(store().GetBucket("usr_1", 200)), "bkg_b");
  EXPECT_RECORDS_EQ((std::vector<AuditRecord>{Audit(1), Audit(2), Audit(3)}),
                    MUST(store().ListAudit({})));
  EXPECT_TRUE(MUST(store().GetIdempotency("agt_2", "k2")).has_value());
  EXPECT_TRUE(MUST(store().GetSession("tok_2")).has_value());
  EXPECT_EQ(Keys(MUST(store().ListCheckpoints())), "1,2");
  EXPECT_RECORDS_EQ(std::vector<WebhookSubscription>{d.subscriptions[1]},
                    MUST(store().ListSubscriptions("")));
  EXPECT_RECORDS_EQ(d.deliveries, MUST(store().ListDeliveries({})));
  EXPECT_RECORDS_EQ(std::vector<CounterRecord>{d.counters[0]}, MUST(store().ListCounters("usr_1", "bkg_a")));
  EXPECT_RECORDS_EQ(std::vector<CounterRecord>{d.counters[1]}, loaded.open_counters);
}

// --- Atomicity: a decision whose condition fails writes nothing --------------------------------

// Seed(), then ChangeEverything() broken by `breaker` must be a Conflict that leaves the store
// as it was; the unbroken decision then still applies (nothing of the failed one was reserved).
void ExpectConflictWritesNothing(Store& store, const std::function<void(Decision&)>& breaker) {
  ASSERT_OK(store.ApplySync(Seed()));
  const std::string before = Snapshot(store);
  Decision broken = ChangeEverything();
  breaker(broken);
  EXPECT_CONFLICT(store.ApplySync(broken));
  EXPECT_EQ(before, Snapshot(store));
  EXPECT_OK(store.ApplySync(ChangeEverything()));
}

TEST_P(StoreContract, ConflictOnATakenBucketWritesNothingOfTheDecision) {
  ExpectConflictWritesNothing(store(), [](Decision& d) {
    d.buckets.push_back({"usr_1", 300, "", "bkg_b"});  // bkg_z holds it
  });
}

TEST_P(StoreContract, ConflictOnTheWrongOccupantWritesNothingOfTheDecision) {
  ExpectConflictWritesNothing(store(), [](Decision& d) {
    d.buckets.push_back({"usr_1", 300, "bkg_other", "bkg_b"});
  });
}

TEST_P(StoreContract, ConflictOnAnOccupantOfAFreeBucketWritesNothingOfTheDecision) {
  ExpectConflictWritesNothing(store(), [](Decision& d) {
    d.buckets.push_back({"usr_1", 301, "bkg_z", "bkg_b"});  // 301 is free
  });
}

TEST_P(StoreContract, ConflictOnFreeingAnotherClaimsBucketWritesNothingOfTheDecision) {
  ExpectConflictWritesNothing(store(), [](Decision& d) {
    d.buckets.push_back({"usr_1", 300, "bkg_other", ""});
  });
}

TEST_P(StoreContract, ConflictOnAnAuditGapWritesNothingOfTheDecision) {
  ExpectConflictWritesNothing(store(), [](Decision& d) { d.audit = {Audit(3), Audit(4)}; });
}

TEST_P(StoreContract, ConflictOnAnExistingAuditSeqWritesNothingOfTheDecision) {
  ExpectConflictWritesNothing(store(), [](Decision& d) { d.audit.push_back(Audit(1)); });
}

TEST_P(StoreContract, ConflictOnAnExistingIdempotencyKeyWritesNothingOfTheDecision) {
  ExpectConflictWritesNothing(store(), [](Decision& d) {
    IdempotencyRecord again = Idem("agt_1", "k1");
    again.fingerprint = "another request";
    d.idempotency.push_back(again);
  });
}

TEST_P(StoreContract, ConflictOnAnIdempotencyKeyTwiceInTheDecisionWritesNothingOfIt) {
  ExpectConflictWritesNothing(store(),
                              [](Decision& d) { d.idempotency.push_back(Idem("agt_2", "k2")); });
}

TEST_P(StoreContract, ConflictOnAnExistingCheckpointSizeWritesNothingOfTheDecision) {
  ExpectConflictWritesNothing(store(), [](Decision& d) { d.checkpoints.push_back(Checkpoint(1)); });
}

TEST_P(StoreContract, ConflictOnACheckpointSizeTwiceInTheDecisionWritesNothingOfIt) {
  ExpectConflictWritesNothing(store(), [](Decision& d) { d.checkpoints.push_back(Checkpoint(2)); });
}

// --- Buckets -----------------------------------------------------------------------------------

TEST_P(StoreContract, ABucketExpectedFreeMustBeFree) {
  Decision a;
  a.buckets = Buckets("usr_1", 100, 1, "", "bkg_a");
  ASSERT_OK(store().ApplySync(a));
  Decision b;
  b.buckets = Buckets("usr_1", 100, 1, "", "bkg_b");
  EXPECT_CONFLICT(store().ApplySync(b));
  EXPECT_EQ(MUST(store().GetBucket("usr_1", 100)), "bkg_a");
}

TEST_P(StoreContract, MovingABucketRequiresItsCurrentOccupant) {
  ASSERT_OK(store().ApplySync({.buckets = Buckets("usr_1", 100, 1, "", "bkg_a")}));
  EXPECT_CONFLICT(store().ApplySync({.buckets = Buckets("usr_1", 100, 1, "bkg_other", "bkg_b")}));
  EXPECT_CONFLICT(
      store().ApplySync({.buckets = Buckets("usr_1", 101, 1, "bkg_a", "bkg_b")}));  // free
  EXPECT_EQ(MUST(store().GetBucket("usr_1", 100)), "bkg_a");
  EXPECT_EQ(MUST(store().GetBucket("usr_1", 101)), "");
  EXPECT_OK(store().ApplySync({.buckets = Buckets("usr_1", 100, 1, "bkg_a", "bkg_b")}));
  EXPECT_EQ(MUST(store().GetBucket("usr_1", 100)), "bkg_b");
}

TEST_P(StoreContract, FreeingABucketRequiresItsOccupantAndLetsTheNextClaimIn) {
  ASSERT_OK(store().ApplySync({.buckets = Buckets("usr_1", 100, 2, "", "bkg_a")}));
  EXPECT_CONFLICT(store().ApplySync({.buckets = Buckets("usr_1", 100, 2, "bkg_other", "")}));
  EXPECT_CONFLICT(store().ApplySync({.buckets = Buckets("usr_1", 102, 1, "bkg_a", "")}));  // free
  EXPECT_OK(store().ApplySync({.buckets = Buckets("usr_1", 100, 2, "bkg_a", "")}));
  EXPECT_EQ(MUST(store().GetBucket("usr_1", 100)), "");
  EXPECT_EQ(MUST(store().GetBucket("usr_1", 101)), "");
  EXPECT_CONFLICT(store().ApplySync({.buckets = Buckets("usr_1", 100, 1, "bkg_a", "")}));  // twice
  EXPECT_OK(store().ApplySync({.buckets = Buckets("usr_1", 101, 1, "", "bkg_c")}));
  EXPECT_EQ(MUST(store().GetBucket("usr_1", 101)), "bkg_c");
}

TEST_P(StoreContract, BucketsOfDifferentOwnersAreIndependent) {
  ASSERT_OK(store().ApplySync({.buckets = Buckets("usr_1", 100, 1, "", "bkg_a")}));
  EXPECT_OK(store().ApplySync({.buckets = Buckets("usr_2", 100, 1, "", "bkg_b")}));
  EXPECT_EQ(MUST(store().GetBucket("usr_1", 100)), "bkg_a");
  EXPECT_EQ(MUST(store().GetBucket("usr_2", 100)), "bkg_b");
  EXPECT_EQ(MUST(store().GetBucket("usr_3", 100)), "");
}

// --- Claims ------------------------------------------------------------------------------------

TEST_P(StoreContract, ClaimsAreReplacedWholeById) {
  ClaimRecord first = Hold("hld_1", "usr_1", "agt_1", At(600), At(1200, 1));
  ASSERT_OK(store().ApplySync({.claims = {first}}));
  EXPECT_RECORD_EQ(first, MUST(store().GetClaim("hld_1")));
  ClaimRecord second;  // every field but the owner different (and the optional ones' defaults)
  second.id = "hld_1";
  second.owner_id = "usr_1";  // a claim's owner never changes (store.h)
  second.agent_id = "agt_2";
  second.kind = ClaimKind::kBooking;
  second.state = ClaimState::kConverted;
  second.start = At(900, 5);
  second.end = At(1500, 6);
  second.created_at = At(4, 7);
  second.expires_at = At(5, 8);
  second.frozen_at = At(6, 9);
  second.ended_at = At(7, 10);
  second.ended_by = "bkg_9";
  second.metadata_json = "{}";
  ASSERT_OK(store().ApplySync({.claims = {second}}));
  EXPECT_RECORD_EQ(second, MUST(store().GetClaim("hld_1")));
  second.ended_at.reset();
  ASSERT_OK(store().ApplySync({.claims = {second}}));
  EXPECT_RECORD_EQ(second, MUST(store().GetClaim("hld_1")));
  ClaimQuery q;
  q.owner_id = "usr_1";
  EXPECT_EQ(Keys(MUST(store().ListClaims(q))), "hld_1");  // one row, not one per version
}

TEST_P(StoreContract, GetClaimOfAnUnknownIdIsNotFound) {
  ASSERT_OK(store().ApplySync(Seed()));
  EXPECT_EQ(store().GetClaim("bkg_unknown").status().code(), StatusCode::kNotFound);
}

// The claims ListClaims is tested on; minutes after a base time with microseconds.
Time Minute(int m) { return At(3600 + m * 60, 7); }
std::vector<ClaimRecord> ClaimsToList() {
  ClaimRecord cancelled = Booking("bkg_z", "usr_1", "agt_1", Minute(30), Minute(40));
  cancelled.state = ClaimState::kCancelled;
  ClaimRecord expired = Hold("hld_c5", "usr_1", "agt_1", Minute(5), Minute(12));
  expired.state = ClaimState::kExpired;
  return {cancelled,  // inserted before bkg_y, which has the same start: order by id
          Booking("bkg_y", "usr_1", "agt_2", Minute(30), Minute(35)),
          Booking("bkg_c1", "usr_1", "agt_1", Minute(10), Minute(20)),
          Hold("hld_c2", "usr_1", "agt_2", Minute(20), Minute(30)),
          expired,
          Booking("bkg_o", "usr_2", "agt_3", Minute(10), Minute(20))};
}

TEST_P(StoreContract, ListClaimsFiltersAndOrdersByStartThenId) {
  const std::vector<ClaimRecord> claims = ClaimsToList();
  ASSERT_OK(store().ApplySync({.claims = {claims[0], claims[1], claims[2]}}));
  ASSERT_OK(store().ApplySync({.claims = {claims[3], claims[4], claims[5]}}));
  auto list = [&](ClaimQuery q) { return Keys(MUST(store().ListClaims(q))); };
  ClaimQuery all{.owner_id = "usr_1"};
  EXPECT_EQ(list(all), "hld_c5,bkg_c1,hld_c2,bkg_y,bkg_z");
  EXPECT_EQ(list({.owner_id = "usr_2"}), "bkg_o");
  EXPECT_EQ(list({.owner_id = "usr_9"}), "");
  EXPECT_EQ(list({.owner_id = "usr_1", .agent_id = "agt_1"}), "hld_c5,bkg_c1,bkg_z");
  EXPECT_EQ(list({.owner_id = "usr_1", .kind = ClaimKind::kHold}), "hld_c5,hld_c2");
  EXPECT_EQ(list({.owner_id = "usr_1", .kind = ClaimKind::kBooking}), "bkg_c1,bkg_y,bkg_z");
  EXPECT_EQ(list({.owner_id = "usr_1", .state = ClaimState::kCommitted}), "bkg_c1,bkg_y");
  EXPECT_EQ(list({.owner_id = "usr_1", .state = ClaimState::kExpired}), "hld_c5");
  EXPECT_EQ(list({.owner_id = "usr_1",
                  .agent_id = "agt_2",
                  .kind = ClaimKind::kBooking,
                  .state = ClaimState::kCommitted,
                  .range_start = Minute(0)}),
            "bkg_y");
  // ClaimRecords are returned whole.
  auto got = MUST(store().ListClaims(all));
  EXPECT_RECORDS_EQ(
      (std::vector<ClaimRecord>{claims[4], claims[2], claims[3], claims[1], claims[0]}), got);
}

TEST_P(StoreContract, ListClaimsRangeMeansOverlapWithHalfOpenIntervals) {
  const std::vector<ClaimRecord> claims = ClaimsToList();
  ASSERT_OK(store().ApplySync({.claims = claims}));
  auto list = [&](std::optional<Time> start, std::optional<Time> end) {
    return Keys(
        MUST(store().ListClaims({.owner_id = "usr_1", .range_start = start, .range_end = end})));
  };
  // end > range_start: a claim ending exactly at range_start is out.
  EXPECT_EQ(list(Minute(20), std::nullopt), "hld_c2,bkg_y,bkg_z");
  EXPECT_EQ(list(Minute(20) - Duration(1), std::nullopt), "bkg_c1,hld_c2,bkg_y,bkg_z");
  // start < range_end: a claim starting exactly at range_end is out.
  EXPECT_EQ(list(std::nullopt, Minute(20)), "hld_c5,bkg_c1");
  EXPECT_EQ(list(std::nullopt, Minute(20) + Duration(1)), "hld_c5,bkg_c1,hld_c2");
  EXPECT_EQ(list(Minute(12), Minute(20)), "bkg_c1");
  EXPECT_EQ(list(Minute(12) - Duration(1), Minute(20) + Duration(1)), "hld_c5,bkg_c1,hld_c2");
  EXPECT_EQ(list(Minute(31), Minute(32)), "bkg_y,bkg_z");
  EXPECT_EQ(list(Minute(40), Minute(50)), "");
}

TEST_P(StoreContract, ListClaimsReturnsAtMostLimitInOrder) {
  ASSERT_OK(store().ApplySync({.claims = ClaimsToList()}));
  EXPECT_EQ(Keys(MUST(store().ListClaims({.owner_id = "usr_1", .limit = 2}))), "hld_c5,bkg_c1");
  EXPECT_EQ(
      Keys(MUST(store().ListClaims({.owner_id = "usr_1", .range_start = Minute(20), .limit = 2}))),
      "hld_c2,bkg_y");
  EXPECT_EQ(Keys(MUST(store().ListClaims({.owner_id = "usr_1", .agent_id = "agt_1", .limit = 1}))),
            "hld_c5");
}

// --- Audit -------------------------------------------------------------------------------------

TEST_P(StoreContract, AuditHeadSeqIsTheNewestDurableRow) {
  EXPECT_EQ(MUST(store().AuditHeadSeq()), 0);
  ASSERT_OK(store().ApplySync({.audit = {Audit(1), Audit(2), Audit(3)}}));
  EXPECT_EQ(MUST(store().AuditHeadSeq()), 3);
  EXPECT_CONFLICT(store().ApplySync({.audit = {Audit(5)}}));
  EXPECT_EQ(MUST(store().AuditHeadSeq()), 3);
  ASSERT_OK(store().ApplySync({.audit = {Audit(4)}}));
  EXPECT_EQ(MUST(store().AuditHeadSeq()), MUST(store().Load()).audit_head_seq);
}

TEST_P(StoreContract, AuditSeqsMustFollowTheHeadWithoutGaps) {
  EXPECT_CONFLICT(store().ApplySync({.audit = {Audit(2)}}));  // the head is 0
  EXPECT_CONFLICT(store().ApplySync({.audit = {Audit(0)}}));
  ASSERT_OK(store().ApplySync({.audit = {Audit(1)}}));
  EXPECT_CONFLICT(store().ApplySync({.audit = {Audit(1)}}));            // exists
  EXPECT_CONFLICT(store().ApplySync({.audit = {Audit(3)}}));            // a gap
  EXPECT_CONFLICT(store().ApplySync({.audit = {Audit(2), Audit(4)}}));  // a gap inside
  EXPECT_CONFLICT(store().ApplySync({.audit = {Audit(3), Audit(2)}}));  // out of order
  EXPECT_CONFLICT(store().ApplySync({.audit = {Audit(2), Audit(2)}}));  // twice
  EXPECT_EQ(Keys(MUST(store().ListAudit({}))), "1");
  EXPECT_OK(store().ApplySync({.audit = {Audit(2), Audit(3), Audit(4)}}));
  LoadedState loaded = MUST(store().Load());
  EXPECT_EQ(loaded.audit_head_seq, 4);
  EXPECT_EQ(loaded.audit_head_hash, Hash(4));
  EXPECT_RECORDS_EQ((std::vector<AuditRecord>{Audit(1), Audit(2), Audit(3), Audit(4)}),
                    MUST(store().ListAudit({})));
}

std::vector<AuditRecord> AuditToList() {
  return {Audit(1, "usr_1", "agt_1", "agt_1", "booking.committed", "bkg_1"),
          Audit(2, "usr_1", "agt_2", "agt_1", "booking.evicted", "bkg_1"),
          Audit(3, "usr_2", "agt_9", "agt_9", "booking.committed", "bkg_9"),
          Audit(4, "usr_1", "usr_1", "", "agent.created", "agt_3"),
          Audit(5, "usr_1", "agt_2", "agt_2", "hold.created", "hld_2"),
          Audit(6, "usr_1", "usr_1", "agt_1", "booking.cancelled", "bkg_1")};
}

TEST_P(StoreContract, ListAuditFiltersInSeqOrder) {
  const std::vector<AuditRecord> rows = AuditToList();
  ASSERT_OK(store().ApplySync({.audit = {rows[0], rows[1]}}));
  ASSERT_OK(store().ApplySync({.audit = {rows[2]}}));
  ASSERT_OK(store().ApplySync({.audit = {rows[3], rows[4], rows[5]}}));
  auto list = [&](AuditQuery q) { return Keys(MUST(store().ListAudit(q))); };
  EXPECT_EQ(list({}), "1,2,3,4,5,6");  // owner "": every owner's rows
  EXPECT_EQ(list({.owner_id = "usr_1"}), "1,2,4,5,6");
  EXPECT_EQ(list({.owner_id = "usr_2"}), "3");
  EXPECT_EQ(list({.owner_id = "usr_9"}), "");
  // visible_to_agent: the agent is the actor or the subject (a resource naming it is not enough).
  EXPECT_EQ(list({.owner_id = "usr_1", .visible_to_agent = "agt_1"}), "1,2,6");
  EXPECT_EQ(list({.owner_id = "usr_1", .visible_to_agent = "agt_2"}), "2,5");
  EXPECT_EQ(list({.visible_to_agent = "agt_3"}), "");
  EXPECT_EQ(list({.visible_to_agent = "agt_9"}), "3");
  EXPECT_EQ(list({.resource = "bkg_1"}), "1,2,6");
  EXPECT_EQ(list({.kind = "booking.committed"}), "1,3");
  EXPECT_EQ(list({.owner_id = "usr_1",
                  .visible_to_agent = "agt_1",
                  .resource = "bkg_1",
                  .kind = "booking.evicted"}),
            "2");
  EXPECT_EQ(list({.owner_id = "usr_1", .after_seq = 2}), "4,5,6");
  EXPECT_EQ(list({.after_seq = 6}), "");
  EXPECT_EQ(list({.owner_id = "usr_1", .limit = 2}), "1,2");
  EXPECT_EQ(list({.owner_id = "usr_1", .after_seq = 2, .limit = 2}), "4,5");  // the next page
  EXPECT_EQ(list({.visible_to_agent = "agt_1", .after_seq = 1, .limit = 1}), "2");
  EXPECT_RECORDS_EQ(rows, MUST(store().ListAudit({})));
}

// --- Idempotency -------------------------------------------------------------------------------

TEST_P(StoreContract, GetIdempotencyReturnsTheWholeRecordOrNullopt) {
  const IdempotencyRecord rec = Idem("agt_1", "k1", At(4, 999'999));
  ASSERT_OK(store().ApplySync({.idempotency = {rec}}));
  auto got = MUST(store().GetIdempotency("agt_1", "k1"));
  ASSERT_TRUE(got.has_value());
  EXPECT_RECORD_EQ(rec, *got);
  EXPECT_FALSE(MUST(store().GetIdempotency("agt_1", "k2")).has_value());
  EXPECT_FALSE(MUST(store().GetIdempotency("agt_2", "k1")).has_value());
}

TEST_P(StoreContract, AnIdempotencyKeyIsPerAgent) {
  ASSERT_OK(store().ApplySync({.idempotency = {Idem("agt_1", "k1")}}));
  EXPECT_CONFLICT(store().ApplySync({.idempotency = {Idem("agt_1", "k1")}}));
  EXPECT_OK(store().ApplySync({.idempotency = {Idem("agt_2", "k1")}}));
  EXPECT_TRUE(MUST(store().GetIdempotency("agt_2", "k1")).has_value());
}

TEST_P(StoreContract, PurgeIdempotencyDeletesRecordsCreatedBeforeTheCutoff) {
  // Inserted in created_at order, as store.h requires; some several to a decision.
  for (int i = 0; i < 10; i += 2) {
    ASSERT_OK(store().ApplySync(
        {.idempotency = {Idem("agt_1", "k" + std::to_string(i), At(i, 1)),
                         Idem("agt_2", "k" + std::to_string(i + 1), At(i + 1, 1))}}));
  }
  EXPECT_EQ(MUST(store().PurgeIdempotency(At(0, 1))), 0);  // k0 is at the cutoff: kept
  EXPECT_EQ(MUST(store().PurgeIdempotency(At(4, 1))), 4);  // k0..k3
  EXPECT_FALSE(MUST(store().GetIdempotency("agt_2", "k3")).has_value());
  EXPECT_TRUE(MUST(store().GetIdempotency("agt_1", "k4")).has_value());
  EXPECT_EQ(MUST(store().PurgeIdempotency(At(4, 1))), 0);
  EXPECT_EQ(MUST(store().PurgeIdempotency(At(7, 1))), 3);  // k4..k6; k7 is at the cutoff
  EXPECT_EQ(MUST(store().PurgeIdempotency(At(100))), 3);
  EXPECT_FALSE(MUST(store().GetIdempotency("agt_2", "k9")).has_value());
  // A purged key is free again.
  EXPECT_OK(store().ApplySync({.idempotency = {Idem("agt_1", "k0", At(200))}}));
}

// --- Sessions, checkpoints ---------------------------------------------------------------------

TEST_P(StoreContract, GetSessionReturnsTheWholeRecordOrNullopt) {
  const SessionRecord s1 = Session("tok_1", "usr_1"), s2 = Session("tok_2", "usr_2");
  ASSERT_OK(store().ApplySync({.sessions = {s1, s2}}));
  auto got = MUST(store().GetSession("tok_2"));
  ASSERT_TRUE(got.has_value());
  EXPECT_RECORD_EQ(s2, *got);
  EXPECT_FALSE(MUST(store().GetSession("tok_3")).has_value());
}

TEST_P(StoreContract, CheckpointsListInSizeOrderAndTheLatestIsTheLargest) {
  const CheckpointRecord c1 = Checkpoint(1), c2 = Checkpoint(2), c3 = Checkpoint(3);
  ASSERT_OK(store().ApplySync({.checkpoints = {c2}}));
  ASSERT_OK(store().ApplySync({.checkpoints = {c3, c1}}));
  EXPECT_RECORDS_EQ((std::vector<CheckpointRecord>{c1, c2, c3}), MUST(store().ListCheckpoints()));
  auto latest = MUST(store().LatestCheckpoint());
  ASSERT_TRUE(latest.has_value());
  EXPECT_RECORD_EQ(c3, *latest);
  CheckpointRecord again = Checkpoint(2);
  again.signature_hex = "another signature";
  EXPECT_CONFLICT(store().ApplySync({.checkpoints = {again}}));
  EXPECT_RECORDS_EQ((std::vector<CheckpointRecord>{c1, c2, c3}), MUST(store().ListCheckpoints()));
}

// --- Webhooks ----------------------------------------------------------------------------------

TEST_P(StoreContract, ListSubscriptionsOfOneOwnerOrAllWithoutDeletedOnes) {
  const WebhookSubscription s0 = Subscription("sub_0", "usr_1", At(1)),
                            s9 = Subscription("sub_9", "usr_2", At(3)),
                            s1 = Subscription("sub_1", "usr_1", At(5)),
                            s2 = Subscription("sub_2", "usr_1", At(5));
  ASSERT_OK(store().ApplySync({.subscriptions = {s2, s1, s9, s0}}));
  EXPECT_RECORDS_EQ((std::vector<WebhookSubscription>{s0, s9, s1, s2}),
                    MUST(store().ListSubscriptions("")));
  EXPECT_EQ(Keys(MUST(store().ListSubscriptions("usr_1"))), "sub_0,sub_1,sub_2");
  EXPECT_EQ(Keys(MUST(store().ListSubscriptions("usr_3"))), "");
  WebhookSubscription deleted = s1;
  deleted.deleted_at = At(9, 9);
  WebhookSubscription changed = s2;  // replaced whole
  changed.event_type = "*";
  changed.url = "https://elsewhere.example.test/x";
  changed.secret = "whsec_new";
  changed.created_at = At(6, 1);
  ASSERT_OK(store().ApplySync({.subscriptions = {deleted, changed}}));
  EXPECT_RECORDS_EQ((std::vector<WebhookSubscription>{s0, changed}),
                    MUST(store().ListSubscriptions("usr_1")));
  EXPECT_EQ(Keys(MUST(store().ListSubscriptions(""))), "sub_0,sub_9,sub_2");
}

std::vector<WebhookDelivery> DeliveriesToList() {
  return {MakeDelivery("dlv_5", "sub_b", "usr_1", 3),
          MakeDelivery("dlv_4", "sub_a", "usr_1", 3, DeliveryState::kFailed),
          MakeDelivery("dlv_3", "sub_c", "usr_2", 2),
          MakeDelivery("dlv_2", "sub_a", "usr_1", 1, DeliveryState::kDelivered),
          MakeDelivery("dlv_1", "sub_b", "usr_1", 1)};
}

TEST_P(StoreContract, ListDeliveriesFiltersInAuditSeqThenSubscriptionOrder) {
  const std::vector<WebhookDelivery> ds = DeliveriesToList();
  ASSERT_OK(store().ApplySync({.deliveries = {ds[0], ds[1]}}));
  ASSERT_OK(store().ApplySync({.deliveries = {ds[2], ds[3], ds[4]}}));
  auto list = [&](DeliveryQuery q) { return Keys(MUST(store().ListDeliveries(q))); };
  EXPECT_EQ(list({}), "dlv_2,dlv_1,dlv_3,dlv_4,dlv_5");
  EXPECT_EQ(list({.subscription_id = "sub_a"}), "dlv_2,dlv_4");
  EXPECT_EQ(list({.owner_id = "usr_1"}), "dlv_2,dlv_1,dlv_4,dlv_5");
  EXPECT_EQ(list({.owner_id = "usr_3"}), "");
  EXPECT_EQ(list({.state = DeliveryState::kPending}), "dlv_1,dlv_3,dlv_5");
  EXPECT_EQ(list({.state = DeliveryState::kFailed}), "dlv_4");
  EXPECT_EQ(list({.after_seq = 1}), "dlv_3,dlv_4,dlv_5");
  EXPECT_EQ(list({.after_seq = 3}), "");
  EXPECT_EQ(list({.limit = 2}), "dlv_2,dlv_1");
  EXPECT_EQ(list({.after_seq = 1, .limit = 2}), "dlv_3,dlv_4");
  EXPECT_EQ(list({.subscription_id = "sub_b",
                  .owner_id = "usr_1",
                  .state = DeliveryState::kPending,
                  .after_seq = 1}),
            "dlv_5");
  EXPECT_RECORDS_EQ((std::vector<WebhookDelivery>{ds[3], ds[4], ds[2], ds[1], ds[0]}),
                    MUST(store().ListDeliveries({})));
}

TEST_P(StoreContract, DeliveriesAreReplacedWholeById) {
  WebhookDelivery d = MakeDelivery("dlv_1", "sub_a", "usr_1", 4);
  ASSERT_OK(store().ApplySync({.deliveries = {d}}));
  d.state = DeliveryState::kDelivered;
  d.attempts = 3;
  d.next_attempt_at = At(99, 1);
  d.finished_at = At(100, 2);
  d.last_status = 200;
  d.last_error = "";
  d.body = "{}";
  ASSERT_OK(store().ApplySync({.deliveries = {d}}));
  EXPECT_RECORDS_EQ(std::vector<WebhookDelivery>{d}, MUST(store().ListDeliveries({})));
  EXPECT_EQ(Keys(MUST(store().ListDeliveries({.state = DeliveryState::kPending}))), "");
  d.state = DeliveryState::kPending;  // and back, with finished_at unset again
  d.finished_at.reset();
  ASSERT_OK(store().ApplySync({.deliveries = {d}}));
  EXPECT_RECORDS_EQ(std::vector<WebhookDelivery>{d},
                    MUST(store().ListDeliveries({.state = DeliveryState::kPending})));
}

// --- Load: owners, agents, claims, rules -------------------------------------------------------

TEST_P(StoreContract, OwnersAreReplacedWholeWithTheirSettings) {
  OwnerRecord full = Owner("usr_1");
  OwnerRecord none = Owner("usr_2");
  none.settings = {};
  OwnerRecord zero = Owner("usr_3");  // an explicit 0 is not "unset"
  zero.settings = {};
  zero.settings.tie_window = Duration(0);
  zero.settings.max_holds_per_agent = 0;
  zero.settings.timezone = "";
  ASSERT_OK(store().ApplySync({.owners = {full, none, zero}}));
  EXPECT_RECORDS_EQ((std::vector<OwnerRecord>{full, none, zero}),
                    SortedById(MUST(store().Load()).owners));
  OwnerRecord changed = Owner("usr_1");
  changed.email = "new@example.test";
  changed.created_at = At(50, 5);
  changed.settings.bump_window.reset();
  changed.settings.timezone = "America/New_York";
  ASSERT_OK(store().ApplySync({.owners = {changed}}));
  EXPECT_RECORDS_EQ((std::vector<OwnerRecord>{changed, none, zero}),
                    SortedById(MUST(store().Load()).owners));
}

TEST_P(StoreContract, AgentsAreReplacedWholeById) {
  AgentRecord a = Agent("agt_1", "usr_1", 7);
  AgentRecord b = Agent("agt_2", "usr_1", 3);
  b.scopes = {};
  ASSERT_OK(store().ApplySync({.owners = {Owner("usr_1"), Owner("usr_2")}, .agents = {a, b}}));
  EXPECT_RECORDS_EQ((std::vector<AgentRecord>{a, b}), SortedById(MUST(store().Load()).agents));
  AgentRecord changed;  // every field different
  changed.id = "agt_1";
  changed.owner_id = "usr_2";
  changed.name = "renamed";
  changed.priority = 1;
  changed.rank_order = 42;
  changed.scopes = {"audit:read"};
  changed.key_prefix = "ak_zzzz";
  changed.key_hash = "kh-rotated";
  changed.created_at = At(70, 7);
  changed.revoked_at = At(71, 1);
  ASSERT_OK(store().ApplySync({.agents = {changed}}));
  EXPECT_RECORDS_EQ((std::vector<AgentRecord>{changed, b}),
                    SortedById(MUST(store().Load()).agents));
  changed.revoked_at.reset();
  ASSERT_OK(store().ApplySync({.agents = {changed}}));
  EXPECT_RECORDS_EQ((std::vector<AgentRecord>{changed, b}),
                    SortedById(MUST(store().Load()).agents));
}

TEST_P(StoreContract, LoadReturnsActiveClaimsIncludingExpiredHolds) {
  std::vector<ClaimRecord> claims;
  for (ClaimState s : {ClaimState::kCommitted, ClaimState::kCancelled, ClaimState::kEvicted}) {
    claims.push_back(
        Booking(std::string("bkg_") + ClaimStateName(s), "usr_1", "agt_1", At(600), At(900)));
    claims.back().state = s;
  }
  for (ClaimState s : {ClaimState::kHeld, ClaimState::kReleased, ClaimState::kExpired,
                       ClaimState::kDisplaced, ClaimState::kConverted}) {
    claims.push_back(
        Hold(std::string("hld_") + ClaimStateName(s), "usr_2", "agt_2", At(600), At(900)));
    claims.back().state = s;
  }
  ClaimRecord stale = Hold("hld_stale", "usr_1", "agt_1", At(600), At(900));
  stale.expires_at = FromMicros(1);  // long past, still HELD: the engine expires it after Load
  claims.push_back(stale);
  ASSERT_OK(store().ApplySync({.claims = claims, .owners = {Owner("usr_1"), Owner("usr_2")}}));
  EXPECT_RECORDS_EQ(SortedById(std::vector<ClaimRecord>{claims[0], claims[3], stale}),
                    SortedById(MUST(store().Load()).active_claims));
}

TEST_P(StoreContract, CountersAreListedPerBookingInCreationOrderAndReplacedWhole) {
  const CounterRecord late = Counter("ctr_a", "usr_1", "bkg_a", At(10)),
                      early = Counter("ctr_b", "usr_1", "bkg_a", At(5)),
                      other = Counter("ctr_c", "usr_1", "bkg_ab", At(7)),
                      elsewhere = Counter("ctr_d", "usr_2", "bkg_a", At(1));
  ASSERT_OK(store().ApplySync({.counters = {late, other}}));
  ASSERT_OK(store().ApplySync({.counters = {early, elsewhere}}));
  EXPECT_RECORDS_EQ((std::vector<CounterRecord>{early, late}), MUST(store().ListCounters("usr_1", "bkg_a")));
  EXPECT_RECORDS_EQ(std::vector<CounterRecord>{other}, MUST(store().ListCounters("usr_1", "bkg_ab")));
  EXPECT_RECORDS_EQ(std::vector<CounterRecord>{elsewhere}, MUST(store().ListCounters("usr_2", "bkg_a")));
  EXPECT_TRUE(MUST(store().ListCounters("usr_1", "bkg_none")).empty());

  CounterRecord accepted = late;
  accepted.state = CounterState::kAccepted;
  accepted.ended_at = At(11, 1);
  accepted.accepted_slot = 0;  // an explicit 0 stays set
  accepted.new_booking_id = "bkg_new";
  ASSERT_OK(store().ApplySync({.counters = {accepted}}));
  EXPECT_RECORDS_EQ((std::vector<CounterRecord>{early, accepted}), MUST(store().ListCounters("usr_1", "bkg_a")));
}

TEST_P(StoreContract, LoadReturnsPendingCountersOnly) {
  std::vector<CounterRecord> counters;
  for (CounterState s : {CounterState::kPending, CounterState::kAccepted, CounterState::kRejected,
                         CounterState::kExpired}) {
    counters.push_back(Counter(std::string("ctr_") + CounterStateName(s), "usr_1", "bkg_a", At(10), s));
  }
  counters.push_back(Counter("ctr_other_owner", "usr_2", "bkg_b", At(10)));
  ASSERT_OK(store().ApplySync({.owners = {Owner("usr_1"), Owner("usr_2")}, .counters = counters}));
  EXPECT_RECORDS_EQ(SortedById(std::vector<CounterRecord>{counters[0], counters[4]}),
                    SortedById(MUST(store().Load()).open_counters));
}

TEST_P(StoreContract, LoadReturnsRulesNotDeletedInCreationOrder) {
  const RuleRecord b = Rule("rul_b", "usr_1", At(10)), a = Rule("rul_a", "usr_2", At(10)),
                   c = Rule("rul_c", "usr_1", At(5)), d = Rule("rul_d", "usr_1", At(20));
  ASSERT_OK(store().ApplySync({.rules = {b, d}}));
  ASSERT_OK(store().ApplySync({.rules = {a, c}}));
  EXPECT_RECORDS_EQ((std::vector<RuleRecord>{c, a, b, d}), MUST(store().Load()).rules);
  RuleRecord deleted = d;
  deleted.deleted_at = At(30, 3);
  RuleRecord changed = a;
  changed.kind = "buffer";
  changed.spec_json = R"({"before":"10m"})";
  changed.updated_at = At(31, 1);
  ASSERT_OK(store().ApplySync({.rules = {deleted, changed}}));
  EXPECT_RECORDS_EQ((std::vector<RuleRecord>{c, changed, b}), MUST(store().Load()).rules);
}

// --- Ordering, concurrency, Flush --------------------------------------------------------------

TEST_P(StoreContract, ALaterDecisionSeesEveryEarlierOneWithoutWaiting) {
  std::mutex mu;
  std::vector<std::string> answers;
  auto record = [&](const std::string& what) {
    return [&, what](Status s) {
      std::lock_guard<std::mutex> lock(mu);
      answers.push_back(what + "=" + StatusCodeName(s.code()));
    };
  };
  store().Apply({.buckets = Buckets("usr_1", 100, 1, "", "bkg_a")}, record("a"));
  store().Apply({.buckets = Buckets("usr_1", 100, 1, "bkg_a", "bkg_b"), .audit = {Audit(1)}},
                record("b"));
  store().Apply({.buckets = Buckets("usr_1", 100, 1, "", "bkg_c"), .audit = {Audit(2)}},
                record("c"));
  store().Apply({.audit = {Audit(2)}, .idempotency = {Idem("agt_1", "k1")}}, record("d"));
  store().Apply({.idempotency = {Idem("agt_1", "k1")}}, record("e"));
  store().Flush();
  std::string got;
  for (const std::string& a : answers) got += a + " ";
  EXPECT_EQ(got, "a=OK b=OK c=Conflict d=OK e=Conflict ");
  EXPECT_EQ(MUST(store().GetBucket("usr_1", 100)), "bkg_b");
  EXPECT_EQ(MUST(store().Load()).audit_head_seq, 2);
}

TEST_P(StoreContract, ConcurrentDecisionsAreAnsweredOnceEachInSubmissionOrder) {
  constexpr int kThreads = 8, kPerThread = 40, kTotal = kThreads * kPerThread;
  std::mutex submit_mu;  // fixes the submission order: i
  int submitted = 0;
  int64_t next_seq = 0;
  std::mutex answer_mu;
  std::vector<int> answer_order;
  std::vector<int> calls(kTotal, 0);
  std::vector<StatusCode> codes(kTotal, StatusCode::kInternal);
  std::vector<StatusCode> want(kTotal);
  auto submit = [&] {
    for (int n = 0; n < kPerThread; ++n) {
      std::lock_guard<std::mutex> lock(submit_mu);
      const int i = submitted++;
      // Every 5th decision takes the previous decision's bucket: a conflict, whose audit row
      // (the next seq) the decision after it then uses.
      const bool conflict = i % 5 == 4;
      const std::string id = "bkg_" + std::to_string(i);
      Decision d;
      d.buckets = Buckets("usr_1", conflict ? i - 1 : i, 1, "", id);
      d.claims = {BookingOfBuckets(id, "usr_1", conflict ? i - 1 : i, 1)};
      d.audit = {Audit(conflict ? next_seq + 1 : ++next_seq)};
      want[i] = conflict ? StatusCode::kConflict : StatusCode::kOk;
      store().Apply(std::move(d), [&, i](Status s) {
        std::lock_guard<std::mutex> answer_lock(answer_mu);
        answer_order.push_back(i);
        ++calls[i];
        codes[i] = s.code();
      });
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back(submit);
  for (auto& t : threads) t.join();
  store().Flush();
  std::lock_guard<std::mutex> lock(answer_mu);
  ASSERT_EQ(answer_order.size(), static_cast<size_t>(kTotal));
  for (int i = 0; i < kTotal; ++i) {
    EXPECT_EQ(answer_order[i], i) << "answers out of submission order at " << i;
    EXPECT_EQ(calls[i], 1) << "decision " << i;
    EXPECT_EQ(codes[i], want[i]) << "decision " << i;
    if (HasFailure()) break;
  }
  EXPECT_EQ(MUST(store().Load()).audit_head_seq, next_seq);
  EXPECT_EQ(MUST(store().ListAudit({.limit = 1000})).size(), static_cast<size_t>(next_seq));
  EXPECT_EQ(MUST(store().GetBucket("usr_1", 3)), "bkg_3");  // not bkg_4
  EXPECT_EQ(store().GetClaim("bkg_4").status().code(), StatusCode::kNotFound);
}

TEST_P(StoreContract, FlushWaitsForEveryEarlierDecision) {
  store().Flush();  // nothing pending: returns
  constexpr int kDecisions = 200;
  std::atomic<int> answered{0};
  for (int i = 0; i < kDecisions; ++i) {
    const std::string id = "bkg_" + std::to_string(i);
    store().Apply({.buckets = Buckets("usr_1", i, 1, "", id),
                   .claims = {BookingOfBuckets(id, "usr_1", i, 1)}},
                  [&](Status s) {
                    EXPECT_TRUE(s.ok()) << s.ToString();
                    ++answered;
                  });
  }
  store().Flush();
  EXPECT_EQ(answered.load(), kDecisions);
  EXPECT_EQ(MUST(store().ListClaims({.owner_id = "usr_1", .limit = 1000})).size(),
            static_cast<size_t>(kDecisions));
}

// --- Durability --------------------------------------------------------------------------------

TEST_P(StoreContract, ReopeningKeepsEverything) {
  if (!CanReopen()) GTEST_SKIP() << GetParam().name << " cannot be reopened";
  ASSERT_OK(store().ApplySync(Seed()));
  ASSERT_OK(store().ApplySync(ChangeEverything()));
  const std::string before = Snapshot(store());
  Reopen();
  EXPECT_EQ(before, Snapshot(store()));
}

TEST_P(StoreContract, AcknowledgedDecisionsSurviveReopening) {
  if (!CanReopen()) GTEST_SKIP() << GetParam().name << " cannot be reopened";
  constexpr int kDecisions = 50;
  std::atomic<int> ok{0};
  for (int i = 0; i < kDecisions; ++i) {
    const std::string id = "bkg_" + std::to_string(i);
    store().Apply({.buckets = Buckets("usr_1", i, 1, "", id),
                   .claims = {BookingOfBuckets(id, "usr_1", i, 1)},
                   .audit = {Audit(i + 1)}},
                  [&](Status s) { ok += s.ok(); });
  }
  store().Flush();
  ASSERT_EQ(ok.load(), kDecisions);
  Reopen();
  EXPECT_EQ(MUST(store().ListClaims({.owner_id = "usr_1", .limit = 1000})).size(),
            static_cast<size_t>(kDecisions));
  EXPECT_EQ(MUST(store().Load()).audit_head_seq, kDecisions);
}

TEST_P(StoreContract, AReopenedStoreKeepsEnforcingItsConditions) {
  if (!CanReopen()) GTEST_SKIP() << GetParam().name << " cannot be reopened";
  ASSERT_OK(store().ApplySync(Seed()));
  Reopen();
  EXPECT_CONFLICT(store().ApplySync({.buckets = Buckets("usr_1", 100, 1, "", "bkg_b")}));
  EXPECT_CONFLICT(store().ApplySync({.audit = {Audit(1)}}));
  EXPECT_CONFLICT(store().ApplySync({.audit = {Audit(3)}}));
  EXPECT_CONFLICT(store().ApplySync({.idempotency = {Idem("agt_1", "k1")}}));
  EXPECT_CONFLICT(store().ApplySync({.checkpoints = {Checkpoint(1)}}));
  EXPECT_OK(store().ApplySync(
      {.buckets = Buckets("usr_1", 100, 1, "bkg_a", "bkg_b"), .audit = {Audit(2)}}));
  EXPECT_EQ(MUST(store().Load()).audit_head_hash, Hash(2));
}

// --- The SQLite instances ----------------------------------------------------------------------

std::unique_ptr<Store> OpenSqlite(const std::string& path) {
  SqliteStoreOptions options;
  options.path = path;
  auto store = SqliteStore::Open(options);
  EXPECT_TRUE(store.ok()) << path << ": " << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

StoreFactory SqliteFile() {
  auto open = [](const std::string& dir) { return OpenSqlite(dir + "/agentdraft.db"); };
  return {"SqliteFile", open, open, nullptr};
}

StoreFactory SqliteMemory() {
  return {"SqliteMemory", [](const std::string&) { return OpenSqlite(":memory:"); }, nullptr,
          nullptr};
}

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreContract, ::testing::Values(SqliteFile(), SqliteMemory()),
                         StoreFactoryName);

}  // namespace
}  // namespace agentdraft::store

// This file's macros stop here: the test binaries are unity builds (tests/CMakeLists.txt).
#undef EXPECT_OK
#undef ASSERT_OK
#undef EXPECT_CONFLICT
#undef MUST
