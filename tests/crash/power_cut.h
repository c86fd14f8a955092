#pragma once
// What a machine losing power leaves of a directory, given the durable
// prefix of each file (mmaplog's FaultIo records it: the bytes covered by
// the last successful fdatasync/msync). Everything after that prefix is
// thrown away or garbled; files never synced keep nothing.
#include <cstdint>
#include <map>
#include <random>
#include <string>

namespace ferry::test::crash {

enum class Garble {
  Truncate,  // cut at the prefix; never-synced files vanish
  Zero,      // keep the size, zeros after the prefix (unwritten preallocation)
  Garbage,   // keep the size, random bytes after the prefix
  Torn,      // a few sectors past the prefix made it, then a torn page of garbage, then zeros
};

const char* garble_name(Garble g);

struct CutStats {
  uint64_t files = 0;
  uint64_t bytes_lost = 0;  // after the durable prefixes
  uint64_t files_removed = 0;
  std::string listing;  // one line per file: path, size, durable prefix, what was done
};

// Apply the cut to every regular file under `dir`. `durable` maps file
// paths (as the Io saw them) to their durable prefix. Modes Garbage and
// Torn apply to files whose path contains `garble_in` (empty: every file);
// the other files get Zero — what a file system shows for blocks that never
// reached the disk. `log_on_disk` is the commit log offset that an earlier
// round recovered and closed cleanly: segment bytes below it were on disk
// before this round began, so the cut keeps them even in a segment this
// round never synced (a closed segment is never written again).
CutStats power_cut(const std::string& dir, const std::map<std::string, uint64_t>& durable, Garble mode,
                   std::mt19937_64& rng, const std::string& garble_in = "", uint64_t log_on_disk = 0);

}  // namespace ferry::test::crash
