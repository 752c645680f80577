// The store contract suite: one value-parameterized GoogleTest suite (StoreContract) that every
// agentdraft::store::Store must pass with identical results (TESTING.md "store contract").
// The tests themselves are in store_contract_test.cc; they only use the Store interface.
//
// A store takes part through a StoreFactory. SQLite on a file and SQLite in memory are
// instantiated in store_contract_test.cc. Another store joins from its own translation unit,
// without touching the tests; for DynamoDB Local, e.g. tests/store/dynamodb_store_contract_test.cc:
//
//   #include "tests/store/store_contract.h"
//   #include "tests/support/dynamodb_local.h"
//
//   namespace agentdraft::store {
//   namespace {
//   std::unique_ptr<Store> OpenDynamo(const std::string& temp_dir) {
//     // temp_dir is unique per test: derive the table name from it, so that a reopen finds
//     // the same table (and tests never share one).
//     auto store = DynamoDbStore::Open({.endpoint = testing::DynamoDbLocal::Shared().endpoint(),
//                                       .table = TableNameFor(temp_dir)});
//     EXPECT_TRUE(store.ok()) << store.status().ToString();
//     return store.ok() ? std::move(store).value() : nullptr;
//   }
//   std::string DynamoSkipReason() {
//     return testing::DynamoDbLocal::Available() || getenv("AGENTDRAFT_REQUIRE_DYNAMODB")
//                ? "" : "DynamoDB Local is not installed";
//   }
//   INSTANTIATE_TEST_SUITE_P(
//       DynamoDbLocal, StoreContract,
//       ::testing::Values(StoreFactory{"DynamoDbLocal", OpenDynamo, OpenDynamo, DynamoSkipReason}),
//       StoreFactoryName);
//   }  // namespace
//   }  // namespace agentdraft::store
//
// and the file is added to tests/store_sources.cmake. Tests are then named
// DynamoDbLocal/StoreContract.<Test>/DynamoDbLocal (ctest -R StoreContract runs them all).
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "daemon/store/store.h"
#include "tests/support/temp_dir.h"

namespace agentdraft::store {

// How the suite opens one kind of store.
struct StoreFactory {
  // The instance's name in test names: letters and digits only ("SqliteFile").
  std::string name;
  // Opens an empty store. `temp_dir` is a fresh directory of the test's own (removed after the
  // test); a file-backed store keeps its files there, a remote one may derive a namespace
  // (a table name) from it. Returns nullptr after a failed EXPECT/ADD_FAILURE: the test fails.
  std::function<std::unique_ptr<Store>(const std::string& temp_dir)> open;
  // Opens the same data again after the previous Store was destroyed: the durability tests.
  // Null when the store cannot outlive its object (SQLite in memory); those tests then skip.
  std::function<std::unique_ptr<Store>(const std::string& temp_dir)> reopen;
  // Why the store cannot run here ("" when it can); every test then skips with that reason.
  // Null: always runs.
  std::function<std::string()> skip_reason;
};

// The fixture of every contract test: a fresh store per test.
class StoreContract : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override {
    if (GetParam().skip_reason) {
      const std::string reason = GetParam().skip_reason();
      if (!reason.empty()) GTEST_SKIP() << GetParam().name << ": " << reason;
    }
    store_ = GetParam().open(dir_.path());
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_NE(store_, nullptr) << GetParam().name << ": open returned no store";
  }
  void TearDown() override {
    if (store_) store_->Flush();
    store_.reset();
  }

  Store& store() { return *store_; }
  bool CanReopen() const { return static_cast<bool>(GetParam().reopen); }
  // Destroys the store (its destructor drains pending decisions) and reopens the same data.
  // REQUIRES: CanReopen().
  void Reopen() {
    store_.reset();
    store_ = GetParam().reopen(dir_.path());
    ASSERT_NE(store_, nullptr) << GetParam().name << ": reopen returned no store";
  }

  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

// How GoogleTest prints a factory (instead of its bytes).
inline void PrintTo(const StoreFactory& factory, std::ostream* os) { *os << factory.name; }

// The name generator for INSTANTIATE_TEST_SUITE_P: the factory's name.
inline std::string StoreFactoryName(const ::testing::TestParamInfo<StoreFactory>& info) {
  return info.param.name;
}

}  // namespace agentdraft::store
