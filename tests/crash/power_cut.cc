#include "power_cut.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>
#include <vector>

namespace ferry::test::crash {
namespace fs = std::filesystem;

const char* garble_name(Garble g) {
  switch (g) {
    case Garble::Truncate: return "truncate";
    case Garble::Zero: return "zero";
    case Garble::Garbage: return "garbage";
    case Garble::Torn: return "torn";
  }
  return "?";
}

namespace {

void write_at(int fd, const std::vector<unsigned char>& bytes, uint64_t off) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::pwrite(fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(off + done));
    if (n <= 0) throw std::runtime_error("power_cut: pwrite failed");
    done += static_cast<size_t>(n);
  }
}

std::vector<unsigned char> random_bytes(size_t n, std::mt19937_64& rng) {
  std::vector<unsigned char> b(n);
  for (auto& c : b) c = static_cast<unsigned char>(rng());
  return b;
}

// A commit log segment is named by its 20-digit start offset.
bool segment_base(const fs::path& f, uint64_t* base) {
  const std::string name = f.filename().string();
  if (name.size() != 20 || name.find_first_not_of("0123456789") != std::string::npos) return false;
  *base = std::stoull(name);
  return true;
}

}  // namespace

CutStats power_cut(const std::string& dir, const std::map<std::string, uint64_t>& durable, Garble mode,
                   std::mt19937_64& rng, const std::string& garble_in, uint64_t log_on_disk) {
  std::map<std::string, uint64_t> by_path;
  for (const auto& [p, n] : durable) by_path[fs::weakly_canonical(p).string()] = n;
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) files.push_back(e.path());
  }
  CutStats st;
  for (const auto& f : files) {
    st.files++;
    uint64_t size = fs::file_size(f);
    auto it = by_path.find(fs::weakly_canonical(f).string());
    uint64_t keep = it == by_path.end() ? 0 : std::min(it->second, size);
    if (uint64_t base = 0; f.parent_path().filename() == "commitlog" && segment_base(f, &base) && log_on_disk > base) {
      keep = std::max(keep, std::min(size, log_on_disk - base));
    }
    st.bytes_lost += size - keep;
    st.listing += "    " + fs::relative(f, dir).string() + " size " + std::to_string(size) + " durable " +
                  std::to_string(keep) + (it == by_path.end() ? " (never synced)" : "") + "\n";
    if (keep == size) continue;
    if (mode == Garble::Truncate) {
      if (keep == 0) {
        fs::remove(f);
        st.files_removed++;
      } else {
        fs::resize_file(f, keep);
      }
      continue;
    }
    Garble m = mode;
    if ((m == Garble::Garbage || m == Garble::Torn) && !garble_in.empty() &&
        f.string().find(garble_in) == std::string::npos) {
      m = Garble::Zero;
    }
    int fd = ::open(f.c_str(), O_WRONLY);
    if (fd < 0) throw std::runtime_error("power_cut: open " + f.string());
    uint64_t at = keep;
    if (m == Garble::Torn) {
      // Writeback got some 512-byte sectors past the sync point (left as
      // they are), then one page was torn, then nothing.
      at = std::min(size, keep + 512 * (rng() % 17));
      uint64_t torn = std::min<uint64_t>(size - at, 4096);
      write_at(fd, random_bytes(static_cast<size_t>(torn), rng), at);
      at += torn;
    }
    const size_t chunk = 1 << 16;
    while (at < size) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(chunk, size - at));
      write_at(fd, m == Garble::Garbage ? random_bytes(n, rng) : std::vector<unsigned char>(n, 0), at);
      at += n;
    }
    ::close(fd);
  }
  return st;
}

}  // namespace ferry::test::crash
