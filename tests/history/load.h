// The load side of the history harness: a real agentdraftd (or several on one DynamoDB
// table) with several owners (calendars) and agents, many client threads claiming
// overlapping slots over HTTP and over the owner's Unix socket, and a nemesis that
// SIGKILLs/restarts and SIGSTOPs/SIGCONTs the daemon (one daemon at a time). Every
// request lands in a History; `info` requests are retried with the same idempotency key once
// the daemon is back (and the retries are recorded too).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "tests/history/checkers.h"
#include "tests/history/history.h"
#include "tests/support/daemon_process.h"
#include "tests/support/dev_owner.h"
#include "tests/support/temp_dir.h"

namespace agentdraft::testing::history {

struct LoadOptions {
  int clients = 32;
  int calendars = 4;
  std::chrono::milliseconds duration{60000};
  uint64_t seed = 1;
  int grid_hours = 24;  // claims start on a 15-min grid inside this many hours per calendar
  std::chrono::milliseconds request_timeout{1500};
  // Nemesis: 0 = none. Every `kill_every` one event; every `pause_one_in`-th event is a
  // SIGSTOP of `pause` instead of a kill (0 = kills only).
  std::chrono::milliseconds kill_every{0};
  int pause_one_in = 0;
  std::chrono::milliseconds pause{1800};
  // Owner settings for every calendar.
  int tie_window_ms = 20;
  int bump_window_seconds = 3;
  int hold_ttl_seconds = 4;
  // 0: one daemon on SQLite. N > 0: N daemons on one table of the tests' DynamoDB Local.
  // Clients are spread over the daemons; an `info` request is retried at the next daemon
  // that is up; the nemesis kills or pauses one daemon at a time, in turn; the final state
  // is read from the table, and each daemon's audit export is verified with its own key.
  int dynamodb_daemons = 0;
  // > 0: the stampede instead of random claims. Every client commits the same 30-minute slot
  // (slot r in round r), all released together at a barrier, for this many rounds; the
  // duration then only bounds the nemesis.
  int stampede_rounds = 0;
  // Daemon binary ("" = agentdraftd) and its environment (AGENTDRAFT_PLANT=…).
  std::string daemon_binary;
  std::map<std::string, std::string> daemon_env;
};

// Releases `parties` threads together, over and over (the stampede's rounds). Blocks on a
// condition variable: std::barrier in libstdc++ 12 spins, and 64 spinning clients starve the
// daemons of a 2-core host.
class RoundBarrier {
 public:
  explicit RoundBarrier(int parties) : parties_(parties) {}
  void ArriveAndWait() {
    std::unique_lock<std::mutex> lock(mu_);
    const int64_t round = round_;
    if (++arrived_ == parties_) {
      arrived_ = 0;
      ++round_;
      cv_.notify_all();
      return;
    }
    cv_.wait(lock, [&] { return round_ != round; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  const int parties_;
  int arrived_ = 0;
  int64_t round_ = 0;
};

// The daemon's current address; "down" while the nemesis has it killed or restarting.
class Endpoint {
 public:
  void SetUp(std::string base_url);
  void SetDown();
  // Blocks until the daemon is up (or `deadline`); returns {base_url, generation}, or an
  // empty url at the deadline.
  std::pair<std::string, int> WaitUp(std::chrono::steady_clock::time_point deadline);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool up_ = false;
  std::string base_url_;
  int generation_ = 0;
};

// One run: set up, drive, collect, check.
class Run {
 public:
  explicit Run(LoadOptions options);
  ~Run();

  // Starts the daemon, signs in the owners (the first one is the socket's owner), sets
  // their settings and creates the agents. A failure is returned, not asserted.
  Status Setup();
  // Drives the load (and the nemesis) for options.duration, then lets every client resolve
  // its `info` requests. Returns when all threads are done.
  void Drive();
  // Reads the final state through the API and, after a clean stop, from the SQLite file.
  FinalState Collect();

  const History& history() const { return history_; }
  int kills() const { return kills_; }
  int pauses() const { return pauses_; }
  // Problems the nemesis saw: a failed integrity_check or restart.
  std::vector<std::string> nemesis_problems() const;
  const LoadOptions& options() const { return options_; }

 private:
  struct Agent {
    TestAgent agent;
    int calendar = 0;
  };
  void Client(int process);
  void Nemesis(std::chrono::steady_clock::time_point end);
  Status RestartDaemon(int d);
  // The final state from the SQLite file (one daemon) or from the DynamoDB table.
  void ReadFile(FinalState& s);
  void ReadTable(FinalState& s);
  // Every daemon's audit export, verified offline with that daemon's key.
  void VerifyExports(FinalState& s);

  LoadOptions options_;
  TempDir dir_;
  std::string table_;  // DynamoDB mode
  std::vector<std::unique_ptr<DaemonProcess>> daemons_;
  std::vector<std::string> socket_paths_;  // by daemon (fixed across restarts)
  std::vector<std::unique_ptr<Endpoint>> endpoints_;  // by daemon
  std::vector<std::unique_ptr<DevOwner>> owners_;  // signed in at daemon 0
  std::vector<Agent> agents_;
  std::unique_ptr<RoundBarrier> round_start_;  // the stampede's
  History history_;
  std::atomic<bool> stop_{false};
  int kills_ = 0;
  int pauses_ = 0;
  mutable std::mutex problems_mu_;
  std::vector<std::string> nemesis_problems_;
};

// "ok" or the first problem PRAGMA integrity_check reports, on the file opened read-only.
std::string IntegrityCheck(const std::string& db_path);

}  // namespace agentdraft::testing::history
