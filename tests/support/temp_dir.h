// A fresh temporary directory per test, removed with everything in it.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace tbtest {

class TempDir {
 public:
  // Creates <system temp dir>/<prefix>XXXXXX; a failure is a test failure.
  explicit TempDir(const std::string& prefix = "tb_unit_");
  // Removes the directory and its contents, read-only parts included.
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  bool created() const { return created_; }
  const std::filesystem::path& path() const { return path_; }
  // The path of `name` in the directory; nothing is created.
  std::string file(const std::string& name) const;
  // Writes `content` (bytes as they are) to `name` in the directory and returns its path.
  std::string write(const std::string& name, const std::string& content) const;
  // Names of the entries directly in the directory, in directory order.
  std::vector<std::string> entries() const;

 private:
  std::filesystem::path path_;
  bool created_ = false;
};

}  // namespace tbtest
