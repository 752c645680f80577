#include "common/file_modes.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace agentdraft {

namespace {

std::string ModeText(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

// Creates the last component of `path` 0700 (its parents as usual). Sets *created when this
// call made it; an existing one (even one that appeared meanwhile) is fine.
Status MakePrivateDir(const std::string& path, bool* created) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec) return Status::Unavailable("cannot create " + parent.string() + ": " + ec.message());
  if (::mkdir(path.c_str(), 0700) == 0) {
    *created = true;
  } else if (errno != EEXIST) {
    return Status::Unavailable(Errno("cannot create data directory " + path));
  }
  return Status::Ok();
}

}  // namespace

Result<DataDirState> PrepareDataDir(const std::string& given) {
  std::string path = given;
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  DataDirState state;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) return Status::Unavailable(Errno("cannot read data directory " + path));
    if (Status s = MakePrivateDir(path, &state.created); !s.ok()) return s;
    if (::stat(path.c_str(), &st) != 0) return Status::Unavailable(Errno("cannot read " + path));
  }
  if (!S_ISDIR(st.st_mode)) return Status::InvalidArgument("data directory " + path + " is not a directory");
  const std::string mode = ModeText(st.st_mode);
  if ((st.st_mode & S_IWOTH) != 0 && (st.st_mode & S_ISVTX) == 0) {
    return Status::InvalidArgument("data directory " + path + " is writable by every user (mode " +
                                   mode + "): anyone could replace its keys or its database; "
                                   "use a directory of your own, or run: chmod o-w " + path);
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    state.warning = "data directory " + path + " is writable by other users (mode " + mode +
                    "); a directory of the daemon's own (0700) is safer";
  }
  return state;
}

Status CheckPrivateFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || (st.st_mode & 077) == 0) return Status::Ok();
  return Status::InvalidArgument(path + " holds a private key but other users may read it (mode " +
                                 ModeText(st.st_mode) + "); run: chmod 600 " + path);
}

Status CreatePrivateFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Unavailable(Errno("cannot create " + path));
  ::close(fd);
  return Status::Ok();
}

std::string LooseModeWarning(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || (st.st_mode & 077) == 0) return "";
  return path + " is open to other users (mode " + ModeText(st.st_mode) + "); run: chmod 600 " + path;
}

}  // namespace agentdraft
