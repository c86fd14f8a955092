#pragma once
// The file operations layer. Every byte mmaplog reads or writes on disk goes
// through an Io, so tests can inject EIO / ENOSPC / short writes and record
// what a power cut would keep (FaultIo). Errors are returned as -errno, never
// thrown; PosixIo is a thin pass-through.
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace ferry::mmaplog {

class Io {
 public:
  virtual ~Io() = default;
  // File descriptors: >= 0 or -errno.
  virtual int open(const std::string& path, int flags, int mode) = 0;
  virtual int close(int fd) = 0;
  // Bytes transferred or -errno. A short count is legal (callers loop).
  virtual ssize_t pwrite(int fd, const void* buf, size_t len, off_t off) = 0;
  virtual ssize_t pread(int fd, void* buf, size_t len, off_t off) = 0;
  virtual int ftruncate(int fd, off_t len) = 0;
  virtual int fdatasync(int fd) = 0;
  // Map `len` bytes of fd from file offset 0. nullptr and *err = errno on failure.
  virtual void* mmap(int fd, size_t len, bool writable, int* err) = 0;
  virtual int munmap(void* addr, size_t len) = 0;
  // Flush [addr, addr+len) of a mapping made by mmap() (MS_SYNC). 0 or -errno.
  virtual int msync(void* addr, size_t len) = 0;
  // Make bytes [0, end) of fd durable, whether they were written with pwrite
  // or through a writable mapping of fd, plus the metadata needed to read
  // them back. `from` is where the bytes not yet durable begin. The commit
  // log's sync: one fdatasync costs a third of an msync of the same dirty
  // range here (docs/benchmarks.md, "Flush and durability"). 0 or -errno.
  virtual int sync_data(int fd, uint64_t from, uint64_t end) = 0;
  virtual int unlink(const std::string& path) = 0;
  virtual int rename(const std::string& from, const std::string& to) = 0;
  virtual int mkdirs(const std::string& path) = 0;
  // fsync a directory so creates, renames and unlinks in it survive a crash.
  virtual int sync_dir(const std::string& path) = 0;
  // Names in a directory (no "." / ".."); -ENOENT when it does not exist.
  virtual int list_dir(const std::string& path, std::vector<std::string>* names) = 0;
  // Used fraction (0..1) of the file system holding path.
  virtual int disk_used_ratio(const std::string& path, double* ratio) = 0;
  // Last modification time of a file, ms since the epoch.
  virtual int mtime_ms(const std::string& path, int64_t* out) = 0;
  virtual int file_size(int fd, uint64_t* out) = 0;
  // lseek SEEK_DATA / SEEK_HOLE: next data (or hole) offset at or after off;
  // -ENXIO when there is no more data.
  virtual int64_t seek_data(int fd, uint64_t off, bool hole) = 0;
  virtual int rmdir(const std::string& path) = 0;
  // Fault in [addr, addr+len) of a writable mapping for writing, allocating
  // blocks (MADV_POPULATE_WRITE): after it, writes there cannot SIGBUS for
  // lack of space. 0 or -errno (-ENOSPC when the disk is full).
  virtual int populate(void* addr, size_t len) = 0;
  // syncfs(2) on the file system holding path: one call instead of
  // thousands of fdatasyncs when many small files are dirty.
  virtual int sync_filesystem(const std::string& path) = 0;
  // Write `len` zero bytes at `off` (pwrite path: blocks ahead of the head
  // written and synced before data lands there, so a group-commit fdatasync
  // finds them allocated). Not data: FaultIo's durable-prefix bookkeeping
  // ignores it. 0 or -errno.
  virtual int write_zeros(int fd, uint64_t off, uint64_t len) = 0;
  // Map [addr, addr+len) of a mapping for reading in one call
  // (MADV_POPULATE_READ) instead of a fault per page; pages past the end of
  // the file's data are zero-filled. Advice: 0 or -errno, -EINVAL when the
  // kernel does not know it (before Linux 5.14).
  virtual int populate_read(const void* addr, size_t len) = 0;
  // Read [off, off+len) of the file into the page cache (readahead(2)):
  // over a hole, clean zero-filled pages a later pwrite copies into.
  // Advice, changes no byte: 0 or -errno.
  virtual int readahead(int fd, uint64_t off, uint64_t len) = 0;
  // Start writing [off, off+len) of fd back to the device without waiting
  // for it (sync_file_range SYNC_FILE_RANGE_WRITE). Makes nothing durable
  // (no device cache flush, no metadata): a later sync_data still decides
  // durability, it only finds less left to write. Advice: 0 or -errno.
  virtual int start_writeback(int fd, uint64_t off, uint64_t len) = 0;
  // Wait until the write-back already started on [off, off+len) of fd has
  // completed (sync_file_range SYNC_FILE_RANGE_WAIT_BEFORE): no device cache
  // flush, no metadata, durable nothing. Lets a background writer pace
  // itself to the disk instead of queueing megabytes ahead of a sync.
  // Advice: 0 or -errno. Added in session 11 (segment_prefill); the default
  // does not wait, so an Io written before it still builds.
  virtual int wait_writeback(int /*fd*/, uint64_t /*off*/, uint64_t /*len*/) { return 0; }
};

// The real thing.
class PosixIo : public Io {
 public:
  int open(const std::string& path, int flags, int mode) override;
  int close(int fd) override;
  ssize_t pwrite(int fd, const void* buf, size_t len, off_t off) override;
  ssize_t pread(int fd, void* buf, size_t len, off_t off) override;
  int ftruncate(int fd, off_t len) override;
  int fdatasync(int fd) override;
  void* mmap(int fd, size_t len, bool writable, int* err) override;
  int munmap(void* addr, size_t len) override;
  int msync(void* addr, size_t len) override;
  int sync_data(int fd, uint64_t from, uint64_t end) override;
  int unlink(const std::string& path) override;
  int rename(const std::string& from, const std::string& to) override;
  int mkdirs(const std::string& path) override;
  int sync_dir(const std::string& path) override;
  int list_dir(const std::string& path, std::vector<std::string>* names) override;
  int disk_used_ratio(const std::string& path, double* ratio) override;
  int mtime_ms(const std::string& path, int64_t* out) override;
  int file_size(int fd, uint64_t* out) override;
  int64_t seek_data(int fd, uint64_t off, bool hole) override;
  int rmdir(const std::string& path) override;
  int populate(void* addr, size_t len) override;
  int sync_filesystem(const std::string& path) override;
  int write_zeros(int fd, uint64_t off, uint64_t len) override;
  int populate_read(const void* addr, size_t len) override;
  int readahead(int fd, uint64_t off, uint64_t len) override;
  int start_writeback(int fd, uint64_t off, uint64_t len) override;
  int wait_writeback(int fd, uint64_t off, uint64_t len) override;
};

// Write the whole buffer (looping over short writes). 0 or -errno.
int write_all(Io& io, int fd, const void* buf, size_t len, off_t off);
// Read exactly len bytes unless EOF. Bytes read or -errno.
ssize_t read_full(Io& io, int fd, void* buf, size_t len, off_t off);

}  // namespace ferry::mmaplog
