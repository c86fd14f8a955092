#pragma once
// The commit log: one sequence of fixed-size segments for all topics.
//
// Concurrency. One writer thread (the loop) appends: begin_batch, reserve
// per record, end_batch — one lock acquisition per batch. Any thread may
// pin segments for reading, sync, or read the offsets. An allocator thread
// creates the next segment before the head needs it and keeps a bounded
// window ahead of the head faulted in (mmap path), so neither a rollover nor
// a fresh page stalls the writer in the common case.
//
// Durability. Appended bytes are in the page cache (mmap) or written with
// pwrite; sync() makes them durable (msync / fdatasync) — "appended, not yet
// flushed" until then.
#include <ferry/record.h>
#include <ferry/status.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "options.h"
#include "segment.h"

namespace ferry::mmaplog {

class CommitLog {
 public:
  CommitLog(const Options& opt, Io& io, const Env& env);
  ~CommitLog();
  CommitLog(const CommitLog&) = delete;
  CommitLog& operator=(const CommitLog&) = delete;

  // Turn staging writes once this much is staged, before the turn ends: a
  // bound on the buffer, and big enough that a loop turn of 64 re-sent
  // 1 KiB messages (or a few batches of 32) is one pwrite.
  static constexpr size_t kStageLimit = 1 << 20;

  using RecordFn = std::function<void(const ferry_record_view&, uint64_t offset)>;
  // Load segments and recover: verify every record from `scan_from` on
  // (clamped to the first segment), calling on_record for each; stop at the
  // first bad or absent record. A torn tail (nothing valid after it) is
  // truncated; a bad record with valid ones after it is refused (error names
  // the offset) unless opt.truncate_on_corruption. *recovered_end is the
  // new write offset. *truncated says whether bytes were dropped.
  // `clean_end`: where a clean shutdown left the log (UINT64_MAX after a
  // crash): an absent record exactly there is that end, so the rest of the
  // segment — a whole segment of zeros with segment_prefill — is not read.
  ferry_status open(uint64_t scan_from, uint64_t clean_end, const RecordFn& on_record, std::string* error,
                    bool* truncated);
  // The longest run of zero bytes recovery's search for "valid records
  // follow" reads before it concludes nothing was written past it: twice
  // the largest record max_message_size allows (a record's non-zero header
  // bounds any zero run inside written records to less than one record;
  // the factor 2 keeps a log written with a max_message_size up to twice
  // the current one safe), plus 64 KiB for the header, topic and
  // properties, rounded up to 64 KiB. 8.06 MiB for the 4 MiB default.
  static uint64_t zero_run_bound(uint64_t max_message_size) {
    return (2 * max_message_size + (128 << 10) - 1) / (64 << 10) * (64 << 10);
  }
  void start();
  void stop();

  // ---- writer (one thread) ----
  void begin_batch();
  // Space for a `size`-byte record at the head (rolling to the next segment
  // behind a blank record when it does not fit). *dst is where to encode,
  // *offset the record's commit log offset.
  ferry_status reserve(uint32_t size, char** dst, uint64_t* offset, std::string* error);
  // Refuse a batch while an earlier turn's staged bytes could not be
  // written (turn staging only): retries that write first. [writer, in a batch]
  ferry_status check_writable(std::string* error);
  // End the batch. The pwrite path writes the staged bytes — unless the
  // host ends turns (end_turn was called): then they stay staged until the
  // turn ends or kStageLimit bytes are staged. *new_head is the end of the
  // batch's records (staged or written). On a write error: without turn
  // staging the head falls back to the last written byte (the prefix before
  // it is in the log); with it the bytes stay staged and the error is
  // sticky (check_writable) until a retry writes them.
  ferry_status end_batch(uint64_t* new_head, std::string* error);
  // The host's loop turn ended: write everything staged with one pwrite, so
  // *write_offset (= write_offset()) covers every record appended so far.
  // The first call turns staging across batches on (pwrite path): a host
  // that never calls it gets every batch written before append returns.
  ferry_status end_turn(uint64_t* write_offset, std::string* error);
  // Raw bytes starting exactly at the head (a slave): verified by the caller.
  ferry_status append_raw(const char* bytes, size_t len, std::string* error);

  // ---- any thread ----
  // End of the bytes in the file: staged bytes are never below it, so no
  // reader, sync or checkpoint sees them.
  uint64_t write_offset() const { return write_offset_.load(std::memory_order_acquire); }
  uint64_t min_offset() const { return min_offset_.load(std::memory_order_acquire); }
  uint64_t synced_offset() const { return synced_.load(std::memory_order_acquire); }
  // The segment holding `offset`, or nullptr (before min / no such segment).
  SegmentPtr pin(uint64_t offset) const;
  std::vector<SegmentPtr> segments() const;
  ferry_status sync(uint64_t upto, uint64_t* synced, std::string* error);
  // Drop the oldest segment (retention). Never the one holding the head.
  // The file is unlinked now; its mapping lives while pinned.
  bool delete_oldest(std::string* path);
  const std::string& dir() const { return dir_; }
  uint64_t segment_size() const { return opt_.segment_size; }
  // The dispatcher (one thread) is about to read records from `pos` up to
  // `limit` in `seg` through its mapping: pwrite path only, map the 2 MiB
  // pieces holding them with one MADV_POPULATE_READ per piece instead of a
  // page fault per 4 KiB (the rest of the piece past the head included: its
  // zeroed pages are the writer's next ones). Advice only.
  void populate_for_read(const Segment& seg, uint64_t pos, uint64_t limit);
  // Where the bytes of `seg` from `pos` stop being mapped for reading (pos
  // itself when its piece is not): a dispatch on the writer's thread reads
  // only below it and leaves the populate (milliseconds) to the dispatcher.
  uint64_t read_mapped_end(const Segment& seg, uint64_t pos) const;
  // Mapping-backed bytes [offset, offset+len) are resident (mincore).
  bool resident(const Segment& seg, uint64_t offset, uint64_t len) const;

 private:
  SegmentPtr create_segment(uint64_t base, std::string* error);
  // [open] Before anything changes: every segment file starts at a multiple
  // of segment_size and is no longer than it (else segment_size changed).
  ferry_status check_segment_files(const std::vector<uint64_t>& bases, std::string* error);
  // [open] A missing segment between two others: the ones after the gap are
  // removed when they hold no valid record (or recovery_on_corruption =
  // "truncate"); else FERRY_E_CORRUPTED, nothing changed.
  ferry_status drop_after_gap(std::vector<SegmentPtr>* segs, std::string* error);
  SegmentPtr take_next(uint64_t base, std::string* error);
  ferry_status ensure_faulted(uint64_t end, std::string* error);
  // pwrite path with pwrite_prefault: the writer pwrites up to `end`; ask
  // the allocator for the window ahead of it when it runs low.
  void claim_for_pwrite(uint64_t end);
  // Ask the allocator to fault in (or read ahead) prefault_window past `end`.
  void request_window(uint64_t end);
  bool prefaults() const;
  // Allocator (mmap path): zeros, then populate, over [faulted_, target) of
  // the segment holding `from`, never below zero_floor_.
  void zero_ahead(uint64_t from, uint64_t target);
  void advise_head(const SegmentPtr& seg, bool head);
  // Writer, head at the active segment's end: the next segment becomes the
  // active one (head and staging start at its base). FERRY_E_IO when it
  // cannot be had (*error says why).
  ferry_status roll(std::string* error);
  ferry_status flush_staged(std::string* error);
  void allocator_loop();
  // Writer: publish bytes in the file (write_offset_) and, every
  // writeback_bytes, wake the pre-fault thread to start their write-back.
  void publish_written(uint64_t pos);
  // Pre-fault thread: start write-back of whole pages written since the last call.
  bool writeback_due() const;
  void start_writeback();
  // Pre-fault thread (segment_prefill): zero-write the next piece of `seg`
  // at or above fill_floor_ and start its write-back; false when the segment
  // is done or the write failed.
  bool prefill_piece(const SegmentPtr& seg);
  // Pre-fault thread: the fill of `seg` (the next segment, or the active one
  // ahead of the writer) may go on, the writer being at `write_offset`.
  bool prefill_due(const Segment& seg, uint64_t write_offset) const;
  // Pre-fault thread: fill `seg` from its start (pieces below fill_floor_ are
  // skipped).
  void start_fill(const SegmentPtr& seg);
  // [pre-fault thread, alloc_mu_ held] The first of the writer's segment
  // and next_ whose fill has not begun, or null.
  SegmentPtr next_fill();
  // open(), a brand-new log (segment_prefill): zero-write the first 16 MiB
  // of its first segment and fdatasync, before any append. Returns the
  // bytes written (less after a write error, logged).
  uint64_t prefill_first(const SegmentPtr& seg);
  bool fills() const;
  // Writer, before it writes below `end` (pwrite path): raise fill_floor_
  // kFillClaim past `end` so no zero piece lands below it; waits only for a
  // piece already in flight below the new floor (none while the fill keeps
  // its gap ahead).
  void fence_fill(uint64_t end);
  // Recovery: is there a valid record (magic + checksum + PHYSICALOFFSET
  // = its position) in `seg` at or after log offset `from`? The search
  // stops at the first run of zeros (holes count) of zero_run_bound()
  // bytes: no record can follow one (docs/storage.md, "Recovery"), and
  // with segment_prefill the rest of the head's segment is such a run.
  // *zeros_from = the segment offset where that run began (the bytes from
  // there on were not all read), or the segment's size when the search
  // read to its end or found a record. Reads through io_ (pread).
  bool valid_record_after(const SegmentPtr& seg, uint64_t from, uint64_t* zeros_from) const;
  // Zero the non-zero bytes of [from, to) (log offset from, segment offset
  // to) of seg, then fdatasync if anything was written.
  ferry_status zero_range(const SegmentPtr& seg, uint64_t from, uint64_t to, std::string* error);
  // Recovery: make the segment's bytes from segment offset `at` (a page
  // boundary) a hole — truncate there and extend back — so what the search
  // did not read (past a run of zeros) cannot hold a record a later crash
  // would find; fdatasync. 0 or -errno.
  int drop_rest(const SegmentPtr& seg, uint64_t at);

  const Options& opt_;
  Io& io_;
  const Env& env_;
  std::string dir_;

  mutable std::mutex seg_mu_;            // segments_ shape
  std::vector<SegmentPtr> segments_;
  std::atomic<uint64_t> write_offset_{0};
  std::atomic<uint64_t> min_offset_{0};
  std::atomic<uint64_t> synced_{0};
  std::mutex sync_mu_;

  // Writer state (writer thread only).
  std::mutex write_mu_;                  // the one lock per batch
  SegmentPtr active_;
  uint64_t head_ = 0;
  uint64_t batch_start_ = 0;
  std::vector<char> staging_;            // pwrite path: appended, not yet written
  uint64_t staged_from_ = 0;             // commit offset of staging_[0] = written end
  bool turn_staging_ = false;            // the host calls end_turn: stage across batches
  ferry_status write_failed_ = FERRY_OK; // a staged write failed: the bytes wait for a retry
  std::string write_error_;

  // Allocator thread.
  std::mutex alloc_mu_;
  std::condition_variable alloc_cv_;
  SegmentPtr next_;
  uint64_t failed_base_ = UINT64_MAX;    // creation failed: do not spin on it
  uint64_t creating_ = UINT64_MAX;       // base the allocator is creating now
  std::condition_variable created_cv_;
  // mmap: the head may write below this; the allocator never writes there.
  std::atomic<uint64_t> faulted_{0};
  std::mutex zero_mu_;                   // one zero write vs a writer past faulted_
  std::atomic<uint64_t> zero_floor_{0};  // the allocator never zeroes below this
  std::atomic<uint64_t> fault_request_{0};
  bool stopping_ = false;
  std::thread allocator_;
  std::string alloc_error_;
  // segment_prefill. The fill writes a piece only at or above fill_floor_
  // (a commit log offset), publishing the piece's start in fill_busy_ first
  // and checking the floor after (both seq_cst, under fill_mu_ held across
  // the write); the writer raises the floor past what it is about to write
  // (fence_fill) and then reads fill_busy_: either the fill sees the new
  // floor or the writer sees the piece and waits for fill_mu_. So no zero
  // ever lands under a record, in the next segment or the active one.
  std::mutex fill_mu_;
  std::atomic<uint64_t> fill_floor_{0};
  std::atomic<uint64_t> fill_busy_{UINT64_MAX};
  uint64_t fill_claimed_ = 0;            // writer: fill_floor_ as it last raised it
  SegmentPtr fill_seg_;                  // pre-fault thread: the segment being filled
  uint64_t filled_ = 0;                  // pre-fault thread: fill_seg_ zero-written (or skipped) below this
  uint64_t fill_from_w_ = 0;             // pre-fault thread: write_offset() when fill_seg_'s fill began
  uint64_t fill_started_base_ = 0;       // pre-fault thread: base of the last segment whose fill began
  uint64_t fill_back_[2] = {UINT64_MAX, UINT64_MAX};  // pre-fault thread: the last two pieces (write-back in flight)
  bool fill_idle_ = false;               // pre-fault thread: no append since fill_idle_at_
  uint64_t fill_idle_at_ = 0;
  uint64_t writeback_asked_ = 0;         // writer: write_offset_ at the last wake for write-back
  uint64_t writeback_done_ = 0;          // pre-fault thread: write-back started below this

  // Whoever dispatches (Store's dispatch_run_mu_ held): populate_for_read.
  uint64_t read_populated_ = 0;          // pieces below this are mapped
  bool populate_unsupported_ = false;    // the kernel refused MADV_POPULATE_READ
};

}  // namespace ferry::mmaplog
