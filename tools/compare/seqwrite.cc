// compare-seqwrite: the plain sequential write() workload 7 is held against —
// one file in --stream (a directory on the disk under test), write() calls
// of --batch x --size bytes (the bytes of one batch request) until --count
// messages or --duration, then one fdatasync inside the timed span (so the
// figure is the disk's, not the page cache's; workload 7's Ferry runs async
// flush, which writes the same bytes back in the background while it runs).
// The file is removed afterwards.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>

#include "gen_common.h"

int main(int argc, char** argv) {
  using namespace ferry::compare;
  GenOptions o;
  o.mode = "write";
  o.stream = ".";
  int rc = parse_options(argc, argv, "compare-seqwrite", "write", o);
  if (rc >= 0) return rc;
  std::string path = o.stream + "/compare-seqwrite." + std::to_string(::getpid());
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    std::perror(("compare-seqwrite: open " + path).c_str());
    return 3;
  }
  std::string chunk(o.size * o.batch, 'x');
  Counters c;
  uint64_t start = now_ns(), deadline = deadline_ns(o);
  uint64_t written_msgs = 0;
  while (now_ns() < deadline && (o.count == 0 || written_msgs < o.count)) {
    uint64_t t0 = now_ns();
    const char* p = chunk.data();
    size_t left = chunk.size();
    while (left > 0) {
      ssize_t w = ::write(fd, p, left);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) break;
      p += w;
      left -= static_cast<size_t>(w);
    }
    if (left != 0) {
      std::perror("compare-seqwrite: write");
      c.failure(o.batch);
      break;
    }
    written_msgs += o.batch;
    c.success(o.batch, chunk.size(), now_ns() - t0);
  }
  // The bytes are on the disk only after this: its time counts.
  double write_only = static_cast<double>(now_ns() - start) / 1e9;
  if (::fdatasync(fd) != 0) {
    std::perror("compare-seqwrite: fdatasync");
    c.failure();
  }
  double elapsed = static_cast<double>(now_ns() - start) / 1e9;
  ::close(fd);
  ::unlink(path.c_str());
  char note[160];
  std::snprintf(note, sizeof note, "write() of batch x size bytes then one fdatasync; write() alone %.0f MB/s",
                write_only > 0 ? static_cast<double>(c.bytes.load()) / write_only / 1e6 : 0.0);
  return print_summary("compare-seqwrite", o, c, elapsed, note);
}
