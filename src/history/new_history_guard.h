// A history database that a command is about to create. Unless keep() is
// called, the destructor removes what creating it left behind: the database
// file, its -wal, -shm and -journal files, and the directories above it that
// did not exist before. So an import that fails before recording anything
// into a new database leaves no file. For a database that existed already it
// does nothing.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace tb {

class NewHistoryGuard {
 public:
  // Before HistoryDb::open(path, kReadWrite); destroyed after that HistoryDb is closed.
  explicit NewHistoryGuard(const std::string& path);
  ~NewHistoryGuard();
  NewHistoryGuard(const NewHistoryGuard&) = delete;
  NewHistoryGuard& operator=(const NewHistoryGuard&) = delete;

  // Something was recorded: the new database stays.
  void keep() { keep_ = true; }

 private:
  std::filesystem::path path_;
  bool is_new_ = false;
  bool keep_ = false;
  std::vector<std::filesystem::path> missing_dirs_;  // above path_, deepest first
};

}  // namespace tb
