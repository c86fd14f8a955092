#pragma once
// A directory under $TMPDIR removed (recursively) when the object dies.
#include <filesystem>
#include <string>

namespace ferry::test {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "ferry-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }
  // Keep the directory after the test (for post-mortem), e.g. on failure.
  void keep() { keep_ = true; }

 private:
  std::filesystem::path path_;
  bool keep_ = false;
};

}  // namespace ferry::test
