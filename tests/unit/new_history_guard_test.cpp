// NewHistoryGuard: a new history database that nothing was recorded into is
// removed with its side files and the directories created for it.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "history/history_db.h"
#include "history/new_history_guard.h"
#include "support/temp_dir.h"

namespace tb {
namespace {

namespace fs = std::filesystem;

// Creates the database (file, schema, WAL) the way history import does, then closes it.
void create_history(const std::string& path) {
  Expected<HistoryDb> db = HistoryDb::open(path, HistoryDb::Mode::kReadWrite);
  ASSERT_TRUE(db.ok()) << db.error().message;
  ASSERT_TRUE(fs::exists(path));
}

TEST(NewHistoryGuardTest, ANewDatabaseNotKeptIsRemovedWithItsDirectories) {
  const tbtest::TempDir dir;
  const std::string path = dir.file("a/b/history.db");
  {
    NewHistoryGuard guard(path);
    create_history(path);
  }
  EXPECT_TRUE(dir.entries().empty()) << "the database, its side files and a/b are gone";
}

TEST(NewHistoryGuardTest, AKeptDatabaseStays) {
  const tbtest::TempDir dir;
  const std::string path = dir.file("history.db");
  {
    NewHistoryGuard guard(path);
    create_history(path);
    guard.keep();
  }
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"history.db"});
}

TEST(NewHistoryGuardTest, AnExistingDatabaseIsNeverRemoved) {
  const tbtest::TempDir dir;
  const std::string path = dir.file("history.db");
  create_history(path);
  { NewHistoryGuard guard(path); }
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"history.db"});
}

}  // namespace
}  // namespace tb
