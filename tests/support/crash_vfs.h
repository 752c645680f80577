// CrashVfs: a test-only SQLite VFS that can lose power.
//
// It wraps the default unix VFS. Writes reach the file at once (so every connection of the
// process reads what it wrote, as with a page cache), but until the file is fsynced through
// xSync each write keeps an undo record: the bytes it overwrote (and, for a truncate, the bytes
// it cut). Crash() then does what a power cut does to a page cache: for every file (database,
// WAL, journals) it undoes, newest first, everything written since that file's last xSync and
// restores its size, so the disk holds exactly what was made durable. From then on every
// write, sync, truncate, delete and read of the old connections fails, so the "dead process"
// cannot add anything; its connections can only be closed. A fresh process (a new store on
// the plain unix VFS, once the old connections are closed) then finds what survived.
//
// What it does not model: directory entries (a file created or deleted without an fsync of
// its directory keeps its new existence), torn or partially persisted writes (a write is
// either undone whole or kept), and the -shm wal-index (shared memory, rebuilt from the WAL by
// the first connection of a new process).
//
// Durability is per file, not per handle: an xSync through any handle of a path makes every
// write to that path durable, as fsync(2) does for an inode.
//
// Thread-safe. Use one at a time per process (it registers under the name "crash").
#pragma once

#include <cstdint>
#include <string>

struct sqlite3_vfs;

namespace agentdraft::testing {

class CrashVfs {
 public:
  // Registers the shim as SQLite's default VFS.
  CrashVfs();
  // Unregisters it, making the unix VFS the default again. REQUIRES: every connection opened
  // through the shim has been closed.
  ~CrashVfs();
  CrashVfs(const CrashVfs&) = delete;
  CrashVfs& operator=(const CrashVfs&) = delete;

  // Drops every unsynced write of every file and makes further I/O fail. Idempotent.
  void Crash();
  // Crashes inside the `n`-th xWrite from now (that write fails and never happens): a power
  // cut in the middle of a transaction or a checkpoint. 0 turns it off.
  void CrashAtWrite(int64_t n);
  bool crashed() const;

  struct Stats {
    int64_t writes = 0;          // xWrite calls that reached a tracked file
    int64_t syncs = 0;           // xSync calls
    int64_t undone_writes = 0;   // undo records applied by Crash()
    int64_t undone_bytes = 0;    // bytes restored or cut by Crash()
    int64_t files_touched = 0;   // files Crash() had to change
  };
  Stats stats() const;

  struct State;  // crash_vfs.cc

 private:
  sqlite3_vfs* vfs_;
};

}  // namespace agentdraft::testing
