#pragma once
// After a crash: open the storage over the same directory (its recovery
// runs), then check that every acknowledged message is there, byte-identical
// (body, topic, queue, offsets, whole-record checksum), and that each
// queue's offsets run contiguously from its minimum to its maximum.
#include <cstdint>
#include <string>
#include <vector>

#include "ferry_test/fake_host.h"

namespace ferry::test::crash {

struct Acked {
  uint64_t seq = 0;
  uint64_t commit_offset = 0;
  uint32_t size = 0;
  int32_t queue_id = 0;
  uint64_t queue_offset = 0;
};

// Parse "A seq commit size queue qoff" lines; appends to out, returns the
// number parsed. Incomplete trailing text is left in `buffer`.
size_t parse_acks(std::string* buffer, std::vector<Acked>* out);

struct VerifyReport {
  std::vector<std::string> problems;  // empty: all good
  uint64_t records_read = 0;          // through the queues
  uint64_t write_offset = 0;          // after recovery
  bool ok() const { return problems.empty(); }
  std::string text() const;
};

VerifyReport verify_log(const std::string& data_dir, const std::vector<Acked>& acked);

}  // namespace ferry::test::crash
