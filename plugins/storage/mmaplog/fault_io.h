#pragma once
// An Io for tests: wraps another Io, injects failures by rule, and records
// for each file the prefix a successful sync made durable — what a machine
// that loses power would keep (the power-cut test truncates or garbles
// everything after it). Thread-safe.
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "io.h"

namespace ferry::mmaplog {

class FaultIo : public Io {
 public:
  enum class Op { Open, Pwrite, Pread, Ftruncate, Fdatasync, Mmap, Msync, Unlink, Rename, Populate,
                  WriteZeros, PopulateRead };

  // A failure to inject. A call matches when its op is `op` and its file
  // path contains `path_contains` (empty matches all). The first `skip`
  // matching calls pass; then `count` calls (-1: all) fail with `-error` —
  // or, for Pwrite with short_bytes > 0, write only short_bytes and report
  // that (a short write), leaving the rest unwritten.
  struct Rule {
    Op op;
    std::string path_contains;
    int error = 5;  // EIO
    int skip = 0;
    int count = -1;
    size_t short_bytes = 0;
  };

  explicit FaultIo(std::shared_ptr<Io> inner = std::make_shared<PosixIo>());

  void add_rule(const Rule& rule);
  void clear_rules();
  // Pretend the file system is this full (disk_used_ratio); < 0 = real value.
  void set_disk_used_ratio(double ratio);
  // Number of calls a rule made fail so far (all rules).
  int injected() const;

  // Durable prefix of `path` per the last successful syncs: msync of a
  // mapping covers up to the end of the synced range; fdatasync covers the
  // highest byte written with pwrite, or the whole mapped length for a file
  // mapped writable (the sync flushes every dirty page of the file);
  // sync_data(fd, from, end) covers exactly `end` (the caller wrote [0, end)
  // before calling); sync_filesystem covers every file as fdatasync would.
  // 0 when the file was never synced.
  uint64_t synced_prefix(const std::string& path) const;
  std::map<std::string, uint64_t> synced_prefixes() const;

  int open(const std::string& path, int flags, int mode) override;
  int close(int fd) override;
  ssize_t pwrite(int fd, const void* buf, size_t len, off_t off) override;
  // Bytes pread returned are counted (bytes_read): recovery's search for
  // "valid records follow" reads through it, and must stop at a long run
  // of zeros.
  ssize_t pread(int fd, void* buf, size_t len, off_t off) override;
  uint64_t bytes_read() const { return bytes_read_.load(); }
  int ftruncate(int fd, off_t len) override;
  int fdatasync(int fd) override;
  void* mmap(int fd, size_t len, bool writable, int* err) override;
  int munmap(void* addr, size_t len) override;
  int msync(void* addr, size_t len) override;
  // Fails on an Fdatasync rule, or on an Msync rule when the file is mapped
  // writable (its dirty bytes live in the mapping, as msync would flush).
  int sync_data(int fd, uint64_t from, uint64_t end) override;
  int unlink(const std::string& path) override;
  int rename(const std::string& from, const std::string& to) override;
  int mkdirs(const std::string& path) override;
  int sync_dir(const std::string& path) override;
  int list_dir(const std::string& path, std::vector<std::string>* names) override;
  int disk_used_ratio(const std::string& path, double* ratio) override;
  int mtime_ms(const std::string& path, int64_t* out) override;
  int file_size(int fd, uint64_t* out) override;
  // Passes through; counted (data_seeks): recovery looks past the log's end
  // with it, and a clean start must not.
  int64_t seek_data(int fd, uint64_t off, bool hole) override;
  uint64_t data_seeks() const { return data_seeks_.load(); }
  int rmdir(const std::string& path) override;
  int populate(void* addr, size_t len) override;
  int sync_filesystem(const std::string& path) override;
  // Zeros are not data: they never extend the durable prefix (a power cut
  // keeps what the last sync covered of the *data*). Rule op WriteZeros.
  // Counted as they reach the file: zero_writes(), and zeros_below_data()
  // = those starting below the end of what pwrite wrote to that file so far
  // (a zero write under a record; segment_prefill must never make one).
  int write_zeros(int fd, uint64_t off, uint64_t len) override;
  uint64_t zero_writes() const { return zero_writes_.load(); }
  uint64_t zeros_below_data() const { return zeros_below_data_.load(); }
  // Rule op PopulateRead (error EINVAL = a kernel without it). Every call
  // that reaches the file is counted: populate_reads().
  int populate_read(const void* addr, size_t len) override;
  struct PopulateCall {
    std::string path;
    uint64_t offset;  // in the file
    uint64_t len;
    int result;
  };
  std::vector<PopulateCall> populate_reads() const;
  int readahead(int fd, uint64_t off, uint64_t len) override;  // passes through
  // Passes through; counted, never durable (a power cut keeps only what a
  // sync covered).
  int start_writeback(int fd, uint64_t off, uint64_t len) override;
  uint64_t writebacks() const { return writebacks_.load(); }
  int wait_writeback(int fd, uint64_t off, uint64_t len) override;  // passes through

 private:
  std::string path_of_addr(const void* addr, uint64_t* file_off) const;
  struct RuleState {
    Rule rule;
    int seen = 0;
    int failed = 0;
  };
  struct Mapping {
    std::string path;
    size_t len;
    bool writable;
  };
  // Returns the rule to apply to this call, or nullptr. Caller holds mu_.
  RuleState* match(Op op, const std::string& path);
  std::string path_of(int fd) const;

  std::shared_ptr<Io> inner_;
  mutable std::mutex mu_;
  std::vector<RuleState> rules_;
  std::map<int, std::string> fd_paths_;
  std::map<uintptr_t, Mapping> mappings_;   // by start address
  std::map<std::string, uint64_t> written_; // highest pwrite end per path
  std::map<std::string, uint64_t> mapped_writable_; // largest writable mapping
  std::map<std::string, uint64_t> synced_;
  double disk_ratio_ = -1;
  int injected_ = 0;
  std::vector<PopulateCall> populate_reads_;
  std::atomic<uint64_t> writebacks_{0};
  std::atomic<uint64_t> data_seeks_{0};
  std::atomic<uint64_t> bytes_read_{0};
  std::atomic<uint64_t> zero_writes_{0};
  std::atomic<uint64_t> zeros_below_data_{0};
};

}  // namespace ferry::mmaplog
