// File modes for what agentdraftd keeps on disk: its data directory, its keys and its
// database. Everything the daemon creates is for its own user only (directories 0700, files
// 0600); what it finds already there is checked, never changed.
//
// Thread-safe (no shared state). POSIX.
#pragma once

#include <string>

#include "common/status.h"

namespace agentdraft {

// What PrepareDataDir found or did.
struct DataDirState {
  bool created = false;  // made here, 0700
  std::string warning;   // "" or why an existing directory's mode is risky (log it)
};

// Makes `path` usable as the data directory. A missing directory is created 0700 (its missing
// parents with the usual mode); the result is checked. An existing one keeps its mode: the
// daemon never chmods a directory it did not create (it may be shared, or the user's own).
// InvalidArgument when `path` exists but is not a directory, or is writable by others without
// the sticky bit (anyone could replace the key or the database); a warning when it is group-
// or (sticky) world-writable. Unavailable when it cannot be created or read.
Result<DataDirState> PrepareDataDir(const std::string& path);

// Checks an existing file that holds a secret (a key): OK when it is missing or neither its
// group nor others have any permission on it; else InvalidArgument naming the file, its mode
// and the fix ("chmod 600 <path>"), as ssh does with private keys.
Status CheckPrivateFile(const std::string& path);

// Creates `path` empty with mode 0600 when it does not exist; an existing file is left as it
// is. Used before SQLite opens a database: SQLite gives its -wal, -shm and -journal files the
// database's mode, so they are 0600 too. Unavailable on failure.
Status CreatePrivateFile(const std::string& path);

// "" when group and others have no permission on `path` (or it is missing); else a warning
// naming the file, its mode and the fix ("… is open to other users (mode 0644); run: chmod
// 600 <path>").
std::string LooseModeWarning(const std::string& path);

}  // namespace agentdraft
