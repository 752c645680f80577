// CrashVfs: see crash_vfs.h. The shim's file is the unix VFS's file with a small header in
// front; every method forwards to it, keeping undo records on the way.
#include "tests/support/crash_vfs.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <map>
#include <mutex>
#include <vector>

namespace agentdraft::testing {

struct CrashVfs::State {
  sqlite3_vfs* real = nullptr;     // the unix VFS
  sqlite3_vfs* previous_default = nullptr;
  std::mutex mu;                   // every write, truncate, sync and delete, and Crash()
  std::atomic<bool> crashed{false};

  struct Undo {
    int64_t offset;
    std::string bytes;  // what was there before
  };
  struct File {
    int64_t synced_size = 0;
    std::vector<Undo> undo;  // since the last xSync, oldest first
  };
  std::map<std::string, File> files;  // GUARDED_BY(mu), by full path
  Stats stats;                        // GUARDED_BY(mu)
  int64_t writes_until_crash = 0;     // GUARDED_BY(mu): 0 = off

  void CrashLocked();  // REQUIRES: mu held
};

namespace {

using State = CrashVfs::State;

struct ShimFile {
  sqlite3_file base;    // pMethods = kShimMethods
  State* state;
  const char* path;     // nullptr for files without a name (temporary files): not tracked
  sqlite3_file* real;   // the unix file, right after this header
};

State* StateOf(sqlite3_vfs* vfs) { return static_cast<State*>(vfs->pAppData); }
ShimFile* Shim(sqlite3_file* f) { return reinterpret_cast<ShimFile*>(f); }
sqlite3_file* Real(sqlite3_file* f) { return Shim(f)->real; }

// The file's size on disk through the unix file. REQUIRES: state->mu held.
int64_t RealSize(sqlite3_file* real) {
  sqlite3_int64 size = 0;
  if (real->pMethods->xFileSize(real, &size) != SQLITE_OK) return -1;
  return size;
}

// Records the bytes in [offset, offset + amount) that exist now, before they change.
// REQUIRES: state->mu held.
int RecordUndo(ShimFile* f, int64_t offset, int64_t amount) {
  State::File& file = f->state->files[f->path];
  const int64_t size = RealSize(f->real);
  if (size < 0) return SQLITE_IOERR_FSTAT;
  const int64_t end = std::min(offset + amount, size);
  State::Undo undo{offset, {}};
  if (end > offset) {
    undo.bytes.resize(static_cast<size_t>(end - offset));
    int rc = f->real->pMethods->xRead(f->real, undo.bytes.data(), static_cast<int>(undo.bytes.size()), offset);
    if (rc != SQLITE_OK) return rc;
  }
  file.undo.push_back(std::move(undo));
  return SQLITE_OK;
}

int ShimClose(sqlite3_file* f) {
  // Unsynced writes outlive the handle (they sit in the page cache), so the undo records stay.
  return Real(f)->pMethods->xClose(Real(f));
}

int ShimRead(sqlite3_file* f, void* buf, int amount, sqlite3_int64 offset) {
  if (Shim(f)->state->crashed) return SQLITE_IOERR_READ;
  return Real(f)->pMethods->xRead(Real(f), buf, amount, offset);
}

int ShimWrite(sqlite3_file* f, const void* buf, int amount, sqlite3_int64 offset) {
  ShimFile* shim = Shim(f);
  std::lock_guard<std::mutex> lock(shim->state->mu);
  if (shim->state->crashed) return SQLITE_IOERR_WRITE;
  if (shim->state->writes_until_crash > 0 && --shim->state->writes_until_crash == 0) {
    shim->state->CrashLocked();
    return SQLITE_IOERR_WRITE;
  }
  if (shim->path != nullptr) {
    if (int rc = RecordUndo(shim, offset, amount); rc != SQLITE_OK) return rc;
    ++shim->state->stats.writes;
  }
  return shim->real->pMethods->xWrite(shim->real, buf, amount, offset);
}

int ShimTruncate(sqlite3_file* f, sqlite3_int64 size) {
  ShimFile* shim = Shim(f);
  std::lock_guard<std::mutex> lock(shim->state->mu);
  if (shim->state->crashed) return SQLITE_IOERR_TRUNCATE;
  if (shim->path != nullptr) {
    const int64_t now = RealSize(shim->real);
    if (now < 0) return SQLITE_IOERR_FSTAT;
    if (now > size) {
      if (int rc = RecordUndo(shim, size, now - size); rc != SQLITE_OK) return rc;
    }
  }
  return shim->real->pMethods->xTruncate(shim->real, size);
}

int ShimSync(sqlite3_file* f, int flags) {
  ShimFile* shim = Shim(f);
  std::lock_guard<std::mutex> lock(shim->state->mu);
  if (shim->state->crashed) return SQLITE_IOERR_FSYNC;
  int rc = shim->real->pMethods->xSync(shim->real, flags);
  if (rc == SQLITE_OK && shim->path != nullptr) {
    State::File& file = shim->state->files[shim->path];
    file.undo.clear();
    file.synced_size = RealSize(shim->real);
    ++shim->state->stats.syncs;
  }
  return rc;
}

int ShimFileSize(sqlite3_file* f, sqlite3_int64* size) {
  if (Shim(f)->state->crashed) return SQLITE_IOERR_FSTAT;
  return Real(f)->pMethods->xFileSize(Real(f), size);
}
int ShimLock(sqlite3_file* f, int level) { return Real(f)->pMethods->xLock(Real(f), level); }
int ShimUnlock(sqlite3_file* f, int level) { return Real(f)->pMethods->xUnlock(Real(f), level); }
int ShimCheckReservedLock(sqlite3_file* f, int* out) {
  return Real(f)->pMethods->xCheckReservedLock(Real(f), out);
}
int ShimFileControl(sqlite3_file* f, int op, void* arg) {
  return Real(f)->pMethods->xFileControl(Real(f), op, arg);
}
int ShimSectorSize(sqlite3_file* f) { return Real(f)->pMethods->xSectorSize(Real(f)); }
int ShimDeviceCharacteristics(sqlite3_file* f) {
  return Real(f)->pMethods->xDeviceCharacteristics(Real(f));
}
int ShimShmMap(sqlite3_file* f, int page, int page_size, int extend, void volatile** out) {
  return Real(f)->pMethods->xShmMap(Real(f), page, page_size, extend, out);
}
int ShimShmLock(sqlite3_file* f, int offset, int n, int flags) {
  return Real(f)->pMethods->xShmLock(Real(f), offset, n, flags);
}
void ShimShmBarrier(sqlite3_file* f) { Real(f)->pMethods->xShmBarrier(Real(f)); }
int ShimShmUnmap(sqlite3_file* f, int delete_flag) {
  return Real(f)->pMethods->xShmUnmap(Real(f), delete_flag);
}

// Version 2: the wal-index in shared memory, but no xFetch, so SQLite never reads pages
// through a memory map that would bypass the shim.
const sqlite3_io_methods kShimMethods = {
    2,
    ShimClose, ShimRead, ShimWrite, ShimTruncate, ShimSync, ShimFileSize,
    ShimLock, ShimUnlock, ShimCheckReservedLock, ShimFileControl, ShimSectorSize,
    ShimDeviceCharacteristics, ShimShmMap, ShimShmLock, ShimShmBarrier, ShimShmUnmap,
    nullptr, nullptr,
};

int ShimOpen(sqlite3_vfs* vfs, const char* name, sqlite3_file* f, int flags, int* out_flags) {
  State* state = StateOf(vfs);
  ShimFile* shim = Shim(f);
  shim->state = state;
  shim->path = name;  // SQLite keeps the name valid until xClose
  shim->real = reinterpret_cast<sqlite3_file*>(shim + 1);
  std::memset(shim->real, 0, static_cast<size_t>(state->real->szOsFile));
  int rc = state->real->xOpen(state->real, name, shim->real, flags, out_flags);
  if (rc != SQLITE_OK) {
    // The unix VFS closes its own half-open file; SQLite must not call our xClose.
    shim->base.pMethods = nullptr;
    return rc;
  }
  shim->base.pMethods = &kShimMethods;
  if (name != nullptr) {
    std::lock_guard<std::mutex> lock(state->mu);
    // First sight of this path: what is on disk already counts as durable.
    if (state->files.find(name) == state->files.end()) {
      state->files[name].synced_size = std::max<int64_t>(0, RealSize(shim->real));
    }
  }
  return SQLITE_OK;
}

int ShimDelete(sqlite3_vfs* vfs, const char* name, int sync_dir) {
  State* state = StateOf(vfs);
  std::lock_guard<std::mutex> lock(state->mu);
  if (state->crashed) return SQLITE_IOERR_DELETE;
  state->files.erase(name);
  return state->real->xDelete(state->real, name, sync_dir);
}

int ShimAccess(sqlite3_vfs* vfs, const char* name, int flags, int* out) {
  return StateOf(vfs)->real->xAccess(StateOf(vfs)->real, name, flags, out);
}
int ShimFullPathname(sqlite3_vfs* vfs, const char* name, int n, char* out) {
  return StateOf(vfs)->real->xFullPathname(StateOf(vfs)->real, name, n, out);
}
void* ShimDlOpen(sqlite3_vfs* vfs, const char* name) {
  return StateOf(vfs)->real->xDlOpen(StateOf(vfs)->real, name);
}
void ShimDlError(sqlite3_vfs* vfs, int n, char* out) {
  StateOf(vfs)->real->xDlError(StateOf(vfs)->real, n, out);
}
void (*ShimDlSym(sqlite3_vfs* vfs, void* handle, const char* symbol))(void) {
  return StateOf(vfs)->real->xDlSym(StateOf(vfs)->real, handle, symbol);
}
void ShimDlClose(sqlite3_vfs* vfs, void* handle) {
  StateOf(vfs)->real->xDlClose(StateOf(vfs)->real, handle);
}
int ShimRandomness(sqlite3_vfs* vfs, int n, char* out) {
  return StateOf(vfs)->real->xRandomness(StateOf(vfs)->real, n, out);
}
int ShimSleep(sqlite3_vfs* vfs, int micros) { return StateOf(vfs)->real->xSleep(StateOf(vfs)->real, micros); }
int ShimCurrentTime(sqlite3_vfs* vfs, double* out) {
  return StateOf(vfs)->real->xCurrentTime(StateOf(vfs)->real, out);
}
int ShimGetLastError(sqlite3_vfs* vfs, int n, char* out) {
  return StateOf(vfs)->real->xGetLastError(StateOf(vfs)->real, n, out);
}
int ShimCurrentTimeInt64(sqlite3_vfs* vfs, sqlite3_int64* out) {
  return StateOf(vfs)->real->xCurrentTimeInt64(StateOf(vfs)->real, out);
}

}  // namespace

CrashVfs::CrashVfs() : vfs_(new sqlite3_vfs{}) {
  auto* state = new State;
  state->previous_default = sqlite3_vfs_find(nullptr);
  state->real = sqlite3_vfs_find("unix");
  vfs_->iVersion = 2;
  vfs_->szOsFile = static_cast<int>(sizeof(ShimFile)) + state->real->szOsFile;
  vfs_->mxPathname = state->real->mxPathname;
  vfs_->zName = "crash";
  vfs_->pAppData = state;
  vfs_->xOpen = ShimOpen;
  vfs_->xDelete = ShimDelete;
  vfs_->xAccess = ShimAccess;
  vfs_->xFullPathname = ShimFullPathname;
  vfs_->xDlOpen = ShimDlOpen;
  vfs_->xDlError = ShimDlError;
  vfs_->xDlSym = ShimDlSym;
  vfs_->xDlClose = ShimDlClose;
  vfs_->xRandomness = ShimRandomness;
  vfs_->xSleep = ShimSleep;
  vfs_->xCurrentTime = ShimCurrentTime;
  vfs_->xGetLastError = ShimGetLastError;
  vfs_->xCurrentTimeInt64 = ShimCurrentTimeInt64;
  sqlite3_vfs_register(vfs_, /*makeDflt=*/1);
}

CrashVfs::~CrashVfs() {
  State* state = StateOf(vfs_);
  sqlite3_vfs_unregister(vfs_);
  if (state->previous_default != nullptr) sqlite3_vfs_register(state->previous_default, 1);
  delete state;
  delete vfs_;
}

bool CrashVfs::crashed() const { return StateOf(vfs_)->crashed; }

CrashVfs::Stats CrashVfs::stats() const {
  State* state = StateOf(vfs_);
  std::lock_guard<std::mutex> lock(state->mu);
  return state->stats;
}

void CrashVfs::Crash() {
  State* state = StateOf(vfs_);
  std::lock_guard<std::mutex> lock(state->mu);
  state->CrashLocked();
}

void CrashVfs::CrashAtWrite(int64_t n) {
  State* state = StateOf(vfs_);
  std::lock_guard<std::mutex> lock(state->mu);
  state->writes_until_crash = n;
}

void CrashVfs::State::CrashLocked() {
  State* state = this;
  if (state->crashed) return;
  state->crashed = true;
  // Straight to the files with POSIX calls: the connections' handles stay as they are (and
  // now refuse I/O); this is the disk after the power came back.
  for (auto& [path, file] : state->files) {
    int fd = ::open(path.c_str(), O_RDWR);
    if (fd < 0) continue;  // deleted since
    const off_t size_now = ::lseek(fd, 0, SEEK_END);
    if (file.undo.empty() && size_now == file.synced_size) {
      ::close(fd);
      continue;
    }
    ++state->stats.files_touched;
    for (auto it = file.undo.rbegin(); it != file.undo.rend(); ++it) {
      if (!it->bytes.empty()) {
        ssize_t n = ::pwrite(fd, it->bytes.data(), it->bytes.size(), it->offset);
        (void)n;
      }
      ++state->stats.undone_writes;
      state->stats.undone_bytes += static_cast<int64_t>(it->bytes.size());
    }
    if (size_now > file.synced_size) state->stats.undone_bytes += size_now - file.synced_size;
    if (::ftruncate(fd, file.synced_size) != 0) { /* the checker will notice */ }
    ::fsync(fd);
    ::close(fd);
    file.undo.clear();
  }
}

}  // namespace agentdraft::testing
