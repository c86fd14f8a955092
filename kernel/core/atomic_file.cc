#include "atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace ferry::core {
namespace {

// Closes a descriptor on every path out.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release_close() {
    int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

ferry_status fail(std::string* why, const std::string& what, const std::string& path) {
  int e = errno;
  why->assign(what);
  why->append(" ");
  why->append(path);
  why->append(": ");
  why->append(std::strerror(e));
  return e == ENOSPC ? FERRY_E_DISK_FULL : FERRY_E_IO;
}

}  // namespace

ferry_status write_file_atomically(const std::string& path, std::string_view bytes,
                                   std::string* why, const BeforeRenameHook& hook) {
  const std::string tmp = path + ".tmp";
  {
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (fd.get() < 0) return fail(why, "open", tmp);
    size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        return fail(why, "write", tmp);
      }
      done += static_cast<size_t>(n);
    }
    if (::fdatasync(fd.get()) != 0) return fail(why, "fdatasync", tmp);
    if (fd.release_close() != 0) return fail(why, "close", tmp);
  }
  if (hook && !hook(tmp)) {
    why->assign("write of ");
    why->append(path);
    why->append(" interrupted before rename (test hook)");
    return FERRY_E_IO;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) return fail(why, "rename to", path);
  // The rename itself must survive a machine crash: sync the directory entry.
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  Fd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd.get() < 0) return fail(why, "open directory", dir);
  if (::fsync(dfd.get()) != 0) return fail(why, "fsync directory", dir);
  return FERRY_OK;
}

ferry_status read_file(const std::string& path, std::string* out, std::string* why) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return FERRY_E_NOT_FOUND;
    return fail(why, "open", path);
  }
  out->clear();
  char buf[64 * 1024];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(why, "read", path);
    }
    if (n == 0) break;
    out->append(buf, static_cast<size_t>(n));
  }
  return FERRY_OK;
}

}  // namespace ferry::core
