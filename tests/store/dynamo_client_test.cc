// DynamoClient against DynamoDB Local (tests/support/dynamodb_local.h), and through the fault
// proxy for the errors DynamoDB Local never produces by itself.
#include "daemon/store/dynamo/dynamo_client.h"

#include <gtest/gtest.h>

#include "tests/support/dynamodb_local.h"
#include "tests/support/fault_proxy.h"

namespace agentdraft::store::dynamo {
namespace {

using json = nlohmann::json;
using testing::DynamoDbLocal;
using testing::FaultProxy;

class DynamoClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!DynamoDbLocal::Available()) {
      if (testing::DynamoDbLocalRequired()) FAIL() << "DynamoDB Local is not installed and AGENTDRAFT_REQUIRE_DYNAMODB is set";
      GTEST_SKIP() << "DynamoDB Local is not installed (scripts/setup.sh installs it; "
                      "AGENTDRAFT_REQUIRE_DYNAMODB=1 turns this skip into a failure)";
    }
    endpoint_ = DynamoDbLocal::Shared().endpoint();
    ASSERT_FALSE(HasFailure());
    table_ = DynamoDbLocal::UniqueTableName("client");
    direct_ = std::make_unique<DynamoClient>(Options(endpoint_));
    auto created = direct_->Call("CreateTable", {{"TableName", table_},
                                                 {"AttributeDefinitions", {{{"AttributeName", "pk"}, {"AttributeType", "S"}}}},
                                                 {"KeySchema", {{{"AttributeName", "pk"}, {"KeyType", "HASH"}}}},
                                                 {"BillingMode", "PAY_PER_REQUEST"}});
    ASSERT_TRUE(created.ok()) << created.status().ToString();
  }

  static DynamoClientOptions Options(const std::string& endpoint) {
    DynamoClientOptions o;
    o.endpoint = endpoint;
    o.credentials = {"local", "local", ""};
    o.base_backoff = std::chrono::milliseconds(1);  // retries without slowing the suite
    o.max_backoff = std::chrono::milliseconds(4);
    return o;
  }

  // A client through a fresh fault proxy in front of DynamoDB Local.
  std::unique_ptr<DynamoClient> ProxiedClient(int max_attempts = 8) {
    proxy_ = std::make_unique<FaultProxy>(endpoint_);
    EXPECT_TRUE(proxy_->Start().ok());
    DynamoClientOptions o = Options(proxy_->endpoint());
    o.max_attempts = max_attempts;
    return std::make_unique<DynamoClient>(o);
  }

  json Put(const std::string& pk, const std::string& condition = "") {
    json put = {{"TableName", table_}, {"Item", {{"pk", {{"S", pk}}}}}};
    if (!condition.empty()) put["ConditionExpression"] = condition;
    return put;
  }

  // The item's attributes as "name=value ..." (strings and numbers), or "(none)".
  std::string Read(const std::string& pk) {
    auto got = direct_->Call("GetItem", {{"TableName", table_}, {"Key", {{"pk", {{"S", pk}}}}}, {"ConsistentRead", true}});
    if (!got.ok()) return got.status().ToString();
    if (!got->contains("Item")) return "(none)";
    std::string text;
    for (const auto& [name, value] : (*got)["Item"].items()) {
      text += (text.empty() ? "" : " ") + name + "=" + value.begin().value().get<std::string>();
    }
    return text;
  }

  std::string endpoint_;
  std::string table_;
  std::unique_ptr<DynamoClient> direct_;
  std::unique_ptr<FaultProxy> proxy_;
};

TEST_F(DynamoClientTest, PutThenGetReturnsTheItem) {
  json item = Put("a");
  item["Item"]["n"] = {{"N", "7"}};

  auto put = direct_->Call("PutItem", item);

  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_EQ(Read("a"), "n=7 pk=a");
  EXPECT_EQ(Read("missing"), "(none)");
}

TEST_F(DynamoClientTest, FailedConditionOnPutIsConflict) {
  ASSERT_TRUE(direct_->Call("PutItem", Put("a")).ok());
  DynamoError error;

  auto again = direct_->Call("PutItem", Put("a", "attribute_not_exists(pk)"), &error);

  EXPECT_EQ(again.status().code(), StatusCode::kConflict) << again.status().ToString();
  EXPECT_EQ(error.type, "ConditionalCheckFailedException");
  EXPECT_EQ(error.http_status, 400);
}

TEST_F(DynamoClientTest, TransactionWithFailedConditionIsConflictWithReasonsPerItem) {
  ASSERT_TRUE(direct_->Call("PutItem", Put("taken")).ok());
  DynamoError error;
  DynamoCallStats stats;

  auto tx = direct_->Call("TransactWriteItems",
                          {{"TransactItems", {{{"Put", Put("free")}}, {{"Put", Put("taken", "attribute_not_exists(pk)")}}}}},
                          &error, &stats);

  EXPECT_EQ(tx.status().code(), StatusCode::kConflict) << tx.status().ToString();
  EXPECT_EQ(error.type, "TransactionCanceledException");
  EXPECT_EQ(error.cancellation_reasons, (std::vector<std::string>{"None", "ConditionalCheckFailed"}));
  EXPECT_EQ(stats.attempts, 1);
  EXPECT_EQ(Read("free"), "(none)");
}

// DynamoDB's limit since 2022 (it was 25), which DynamoDB Local 3.x enforces too.
TEST_F(DynamoClientTest, TransactionTakesAtMost100Items) {
  auto items = [&](int n, const std::string& prefix) {
    json list = json::array();
    for (int i = 0; i < n; ++i) list.push_back({{"Put", Put(prefix + std::to_string(i))}});
    return json{{"TransactItems", list}};
  };

  auto hundred = direct_->Call("TransactWriteItems", items(100, "a"));
  auto hundred_and_one = direct_->Call("TransactWriteItems", items(101, "b"));

  EXPECT_TRUE(hundred.ok()) << hundred.status().ToString();
  EXPECT_EQ(hundred_and_one.status().code(), StatusCode::kInvalidArgument) << hundred_and_one.status().ToString();
}

TEST_F(DynamoClientTest, UnknownTableIsNotFound) {
  DynamoError error;

  auto got = direct_->Call("GetItem", {{"TableName", "no-such-table"}, {"Key", {{"pk", {{"S", "a"}}}}}}, &error);

  EXPECT_EQ(got.status().code(), StatusCode::kNotFound) << got.status().ToString();
  EXPECT_EQ(error.type, "ResourceNotFoundException");
}

TEST_F(DynamoClientTest, MalformedRequestIsInvalidArgumentWithoutRetry) {
  DynamoError error;
  DynamoCallStats stats;

  auto put = direct_->Call("PutItem", {{"TableName", table_}, {"Item", {{"other", {{"S", "x"}}}}}}, &error, &stats);

  EXPECT_EQ(put.status().code(), StatusCode::kInvalidArgument) << put.status().ToString();
  EXPECT_EQ(error.type, "ValidationException");
  EXPECT_EQ(stats.attempts, 1);
}

TEST_F(DynamoClientTest, TransactionConflictIsRetriedUntilItSucceeds) {
  auto client = ProxiedClient();
  proxy_->Inject(FaultProxy::Fault::kTransactionConflict, "TransactWriteItems", 2);
  DynamoCallStats stats;

  auto tx = client->Call("TransactWriteItems", {{"TransactItems", {{{"Put", Put("a")}}, {{"Put", Put("b")}}}}},
                         nullptr, &stats);

  ASSERT_TRUE(tx.ok()) << tx.status().ToString();
  EXPECT_EQ(stats.attempts, 3);
  EXPECT_EQ(proxy_->injected(), 2);
  EXPECT_EQ(proxy_->forwarded(), 1);
  EXPECT_EQ(Read("a") + ", " + Read("b"), "pk=a, pk=b");
  EXPECT_EQ(client->total_retries(), 2);
}

TEST_F(DynamoClientTest, ThrottlingIsRetried) {
  auto client = ProxiedClient();
  proxy_->Inject(FaultProxy::Fault::kThrottle, "PutItem", 2);
  DynamoCallStats stats;

  auto put = client->Call("PutItem", Put("a"), nullptr, &stats);

  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_EQ(stats.attempts, 3);
  EXPECT_EQ(Read("a"), "pk=a");
}

TEST_F(DynamoClientTest, ServerErrorIsRetried) {
  auto client = ProxiedClient();
  proxy_->Inject(FaultProxy::Fault::kServerError, "*", 1);
  DynamoCallStats stats;

  auto put = client->Call("PutItem", Put("a"), nullptr, &stats);

  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_EQ(stats.attempts, 2);
}

// The first answer is lost after DynamoDB Local applied the transaction; the client sends the
// same body again. With the ClientRequestToken, the retry must not apply it a second time.
TEST_F(DynamoClientTest, DroppedAnswerToTokenedTransactionIsRetriedAndAppliedOnce) {
  auto client = ProxiedClient();
  proxy_->Inject(FaultProxy::Fault::kDropResponse, "TransactWriteItems", 1);
  const json bump = {{"TableName", table_},
                     {"Key", {{"pk", {{"S", "counter"}}}}},
                     {"UpdateExpression", "ADD n :one"},
                     {"ExpressionAttributeValues", {{":one", {{"N", "1"}}}}}};
  DynamoError error;
  DynamoCallStats stats;

  auto tx = client->Call("TransactWriteItems",
                         {{"ClientRequestToken", "token-" + table_},
                          {"TransactItems", {{{"Put", Put("booked", "attribute_not_exists(pk)")}}, {{"Update", bump}}}}},
                         &error, &stats);

  EXPECT_TRUE(tx.ok()) << tx.status().ToString();
  EXPECT_EQ(stats.attempts, 2);
  EXPECT_EQ(proxy_->forwarded(), 2);
  EXPECT_EQ(Read("booked") + ", " + Read("counter"), "pk=booked, n=1 pk=counter");
}

TEST_F(DynamoClientTest, TokenReusedForAnotherTransactionIsInvalidArgument) {
  const std::string token = "token-" + table_;
  ASSERT_TRUE(direct_->Call("TransactWriteItems", {{"ClientRequestToken", token}, {"TransactItems", {{{"Put", Put("a")}}}}}).ok());
  DynamoError error;

  auto other = direct_->Call("TransactWriteItems", {{"ClientRequestToken", token}, {"TransactItems", {{{"Put", Put("b")}}}}},
                             &error);

  EXPECT_EQ(other.status().code(), StatusCode::kInvalidArgument) << other.status().ToString();
  EXPECT_EQ(error.type, "IdempotentParameterMismatchException");
  EXPECT_EQ(Read("b"), "(none)");
}

TEST_F(DynamoClientTest, ExhaustedRetriesAreUnavailable) {
  auto client = ProxiedClient(/*max_attempts=*/3);
  proxy_->Inject(FaultProxy::Fault::kServerError, "*", 3);
  DynamoError error;
  DynamoCallStats stats;

  auto put = client->Call("PutItem", Put("a"), &error, &stats);

  EXPECT_EQ(put.status().code(), StatusCode::kUnavailable) << put.status().ToString();
  EXPECT_EQ(stats.attempts, 3);
  EXPECT_EQ(error.http_status, 500);
  EXPECT_EQ(error.type, "InternalServerError");
  EXPECT_EQ(Read("a"), "(none)");
}

TEST_F(DynamoClientTest, EndlessTransactionConflictIsUnavailable) {
  auto client = ProxiedClient(/*max_attempts=*/2);
  proxy_->Inject(FaultProxy::Fault::kTransactionConflict, "TransactWriteItems", 2);
  DynamoError error;

  auto tx = client->Call("TransactWriteItems", {{"TransactItems", {{{"Put", Put("a")}}}}}, &error);

  EXPECT_EQ(tx.status().code(), StatusCode::kUnavailable) << tx.status().ToString();
  EXPECT_EQ(error.cancellation_reasons, std::vector<std::string>{"TransactionConflict"});
}

TEST_F(DynamoClientTest, NoServerIsUnavailable) {
  auto client = ProxiedClient(/*max_attempts=*/2);
  proxy_->Stop();  // nothing listens on its port any more
  DynamoError error;

  auto put = client->Call("PutItem", Put("a"), &error);

  EXPECT_EQ(put.status().code(), StatusCode::kUnavailable) << put.status().ToString();
  EXPECT_EQ(error.http_status, 0);
}

}  // namespace
}  // namespace agentdraft::store::dynamo
