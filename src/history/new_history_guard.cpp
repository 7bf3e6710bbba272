#include "history/new_history_guard.h"

#include <system_error>

namespace tb {

namespace fs = std::filesystem;

NewHistoryGuard::NewHistoryGuard(const std::string& path) : path_(path) {
  std::error_code ec;
  is_new_ = fs::symlink_status(path_, ec).type() == fs::file_type::not_found;
  if (!is_new_) return;
  for (fs::path dir = path_.parent_path(); !dir.empty() && dir != dir.parent_path(); dir = dir.parent_path()) {
    if (fs::exists(fs::symlink_status(dir, ec))) break;
    missing_dirs_.push_back(dir);
  }
}

NewHistoryGuard::~NewHistoryGuard() {
  if (!is_new_ || keep_) return;
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) fs::remove(path_.string() + suffix, ec);
  for (const fs::path& dir : missing_dirs_) fs::remove(dir, ec);  // only when empty
}

}  // namespace tb
