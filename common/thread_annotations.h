// Clang's thread-safety analysis (-Wthread-safety): a mutex that is a capability, a scoped
// lock, and the attributes that say which lock guards what. Under another compiler the
// attributes compile to nothing, and Mutex is a plain std::mutex.
//
//   Mutex mu_;
//   int count_ GUARDED_BY(mu_);
//   void AddLocked() REQUIRES(mu_);
//   void Add() { MutexLock lock(mu_); AddLocked(); }
//
// Thread-safe.
#pragma once

#include <condition_variable>
#include <mutex>

#if defined(__clang__)
#define AGENTDRAFT_THREAD_ATTRIBUTE(x) __attribute__((x))
#else
#define AGENTDRAFT_THREAD_ATTRIBUTE(x)
#endif

#define CAPABILITY(x) AGENTDRAFT_THREAD_ATTRIBUTE(capability(x))
#define SCOPED_CAPABILITY AGENTDRAFT_THREAD_ATTRIBUTE(scoped_lockable)
#define GUARDED_BY(x) AGENTDRAFT_THREAD_ATTRIBUTE(guarded_by(x))
#define PT_GUARDED_BY(x) AGENTDRAFT_THREAD_ATTRIBUTE(pt_guarded_by(x))
#define REQUIRES(...) AGENTDRAFT_THREAD_ATTRIBUTE(requires_capability(__VA_ARGS__))
#define EXCLUDES(...) AGENTDRAFT_THREAD_ATTRIBUTE(locks_excluded(__VA_ARGS__))
#define ACQUIRE(...) AGENTDRAFT_THREAD_ATTRIBUTE(acquire_capability(__VA_ARGS__))
#define RELEASE(...) AGENTDRAFT_THREAD_ATTRIBUTE(release_capability(__VA_ARGS__))
#define ACQUIRED_BEFORE(...) AGENTDRAFT_THREAD_ATTRIBUTE(acquired_before(__VA_ARGS__))
#define NO_THREAD_SAFETY_ANALYSIS AGENTDRAFT_THREAD_ATTRIBUTE(no_thread_safety_analysis)

namespace agentdraft {

class CAPABILITY("mutex") Mutex {
 public:
  void Lock() ACQUIRE() { mu_.lock(); }
  void Unlock() RELEASE() { mu_.unlock(); }
  // For std::condition_variable_any and std::unique_lock.
  void lock() ACQUIRE() { mu_.lock(); }
  void unlock() RELEASE() { mu_.unlock(); }
  // Tells the analysis the caller holds this mutex (where it cannot see so itself).
  void AssertHeld() const AGENTDRAFT_THREAD_ATTRIBUTE(assert_capability(this)) {}

 private:
  std::mutex mu_;
};

// Holds `mu` for its scope; Unlock()/Lock() let go of it and take it again inside.
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) ACQUIRE(mu) : mu_(mu) { mu_.Lock(); }
  ~MutexLock() RELEASE() {
    if (held_) mu_.Unlock();
  }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

  void Unlock() RELEASE() {
    held_ = false;
    mu_.Unlock();
  }
  void Lock() ACQUIRE() {
    mu_.Lock();
    held_ = true;
  }
  // Waits on `cv` (which releases and retakes the mutex) for at most `d`.
  template <typename Rep, typename Period>
  void WaitFor(std::condition_variable_any& cv, std::chrono::duration<Rep, Period> d) {
    cv.wait_for(mu_, d);
  }

 private:
  Mutex& mu_;
  bool held_ = true;
};

}  // namespace agentdraft
