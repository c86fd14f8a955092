#include "io.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <system_error>

namespace ferry::mmaplog {

int PosixIo::open(const std::string& path, int flags, int mode) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  return fd < 0 ? -errno : fd;
}
int PosixIo::close(int fd) { return ::close(fd) < 0 ? -errno : 0; }
ssize_t PosixIo::pwrite(int fd, const void* buf, size_t len, off_t off) {
  ssize_t n = ::pwrite(fd, buf, len, off);
  return n < 0 ? -errno : n;
}
ssize_t PosixIo::pread(int fd, void* buf, size_t len, off_t off) {
  ssize_t n = ::pread(fd, buf, len, off);
  return n < 0 ? -errno : n;
}
int PosixIo::ftruncate(int fd, off_t len) { return ::ftruncate(fd, len) < 0 ? -errno : 0; }
int PosixIo::fdatasync(int fd) { return ::fdatasync(fd) < 0 ? -errno : 0; }
void* PosixIo::mmap(int fd, size_t len, bool writable, int* err) {
  void* p = ::mmap(nullptr, len, PROT_READ | (writable ? PROT_WRITE : 0), MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) {
    *err = errno;
    return nullptr;
  }
  return p;
}
int PosixIo::munmap(void* addr, size_t len) { return ::munmap(addr, len) < 0 ? -errno : 0; }
int PosixIo::msync(void* addr, size_t len) {
  return ::msync(addr, len, MS_SYNC) < 0 ? -errno : 0;
}
int PosixIo::sync_data(int fd, uint64_t, uint64_t) {
  // fdatasync writes back every dirty page of the file, those dirtied
  // through a shared mapping included, and waits for the device cache.
  return ::fdatasync(fd) < 0 ? -errno : 0;
}
int PosixIo::unlink(const std::string& path) { return ::unlink(path.c_str()) < 0 ? -errno : 0; }
int PosixIo::rename(const std::string& from, const std::string& to) {
  return ::rename(from.c_str(), to.c_str()) < 0 ? -errno : 0;
}
int PosixIo::mkdirs(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  return ec ? -ec.value() : 0;
}
int PosixIo::sync_dir(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -errno;
  int rc = ::fsync(fd) < 0 ? -errno : 0;
  ::close(fd);
  return rc;
}
int PosixIo::list_dir(const std::string& path, std::vector<std::string>* names) {
  names->clear();
  DIR* d = ::opendir(path.c_str());
  if (!d) return -errno;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names->push_back(std::move(n));
  }
  ::closedir(d);
  return 0;
}
int PosixIo::disk_used_ratio(const std::string& path, double* ratio) {
  struct statvfs s {};
  if (::statvfs(path.c_str(), &s) < 0) return -errno;
  if (s.f_blocks == 0) {
    *ratio = 0;
    return 0;
  }
  // Like df: blocks reserved for root count as unavailable.
  double used = static_cast<double>(s.f_blocks - s.f_bfree);
  double total = used + static_cast<double>(s.f_bavail);
  *ratio = total > 0 ? used / total : 0;
  return 0;
}
int PosixIo::mtime_ms(const std::string& path, int64_t* out) {
  struct stat st {};
  if (::stat(path.c_str(), &st) < 0) return -errno;
  *out = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1'000'000;
  return 0;
}

int PosixIo::file_size(int fd, uint64_t* out) {
  struct stat st {};
  if (::fstat(fd, &st) < 0) return -errno;
  *out = static_cast<uint64_t>(st.st_size);
  return 0;
}
int64_t PosixIo::seek_data(int fd, uint64_t off, bool hole) {
  off_t r = ::lseek(fd, static_cast<off_t>(off), hole ? SEEK_HOLE : SEEK_DATA);
  return r < 0 ? -errno : static_cast<int64_t>(r);
}
int PosixIo::rmdir(const std::string& path) { return ::rmdir(path.c_str()) < 0 ? -errno : 0; }
int PosixIo::populate(void* addr, size_t len) {
#ifdef MADV_POPULATE_WRITE
  if (::madvise(addr, len, MADV_POPULATE_WRITE) == 0) return 0;
  if (errno != EINVAL) return -errno;
#endif
  // Older kernels: read-touch every page (no block allocation, but no
  // write to bytes another thread may be writing either).
  volatile const char* p = static_cast<const char*>(addr);
  long page = ::sysconf(_SC_PAGESIZE);
  for (size_t i = 0; i < len; i += static_cast<size_t>(page)) (void)p[i];
  return 0;
}

int PosixIo::populate_read(const void* addr, size_t len) {
#ifdef MADV_POPULATE_READ
  return ::madvise(const_cast<void*>(addr), len, MADV_POPULATE_READ) == 0 ? 0 : -errno;
#else
  (void)addr;
  (void)len;
  return -EINVAL;
#endif
}

int PosixIo::readahead(int fd, uint64_t off, uint64_t len) {
  return ::readahead(fd, static_cast<off64_t>(off), len) == 0 ? 0 : -errno;
}

int PosixIo::start_writeback(int fd, uint64_t off, uint64_t len) {
  return ::sync_file_range(fd, static_cast<off64_t>(off), static_cast<off64_t>(len),
                           SYNC_FILE_RANGE_WRITE) == 0
             ? 0
             : -errno;
}

int PosixIo::wait_writeback(int fd, uint64_t off, uint64_t len) {
  return ::sync_file_range(fd, static_cast<off64_t>(off), static_cast<off64_t>(len),
                           SYNC_FILE_RANGE_WAIT_BEFORE) == 0
             ? 0
             : -errno;
}

int PosixIo::sync_filesystem(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -errno;
  int rc = ::syncfs(fd) < 0 ? -errno : 0;
  ::close(fd);
  return rc;
}

int PosixIo::write_zeros(int fd, uint64_t off, uint64_t len) {
  // Up to 2 MiB per call, from one 64 KiB buffer: the kernel sizes the
  // page-cache folio it creates by the write, and a 2 MiB folio is mapped
  // with one PMD entry — 4 KiB folios cost the appender a TLB (and on this
  // VM a shadow page table) miss per page (docs/benchmarks.md, Storage,
  // session 5).
  static const char kZeros[64 * 1024] = {};
  constexpr int kIov = 32;
  iovec iov[kIov];
  while (len > 0) {
    int cnt = 0;
    uint64_t n = 0;
    for (; cnt < kIov && n < len; ++cnt) {
      iov[cnt].iov_base = const_cast<char*>(kZeros);
      iov[cnt].iov_len = static_cast<size_t>(std::min<uint64_t>(len - n, sizeof kZeros));
      n += iov[cnt].iov_len;
    }
    ssize_t w = ::pwritev(fd, iov, cnt, static_cast<off_t>(off));
    if (w < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    if (w == 0) return -EIO;
    off += static_cast<uint64_t>(w);
    len -= static_cast<uint64_t>(w);
  }
  return 0;
}

int write_all(Io& io, int fd, const void* buf, size_t len, off_t off) {
  auto* p = static_cast<const char*>(buf);
  while (len > 0) {
    ssize_t n = io.pwrite(fd, p, len, off);
    if (n < 0) {
      if (n == -EINTR) continue;
      return static_cast<int>(n);
    }
    if (n == 0) return -EIO;
    p += n;
    len -= static_cast<size_t>(n);
    off += n;
  }
  return 0;
}

ssize_t read_full(Io& io, int fd, void* buf, size_t len, off_t off) {
  auto* p = static_cast<char*>(buf);
  size_t done = 0;
  while (done < len) {
    ssize_t n = io.pread(fd, p + done, len - done, off + static_cast<off_t>(done));
    if (n < 0) {
      if (n == -EINTR) continue;
      return n;
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return static_cast<ssize_t>(done);
}

}  // namespace ferry::mmaplog
