// RAII for the SQLite handles the history store uses (internal to
// src/history/ and its tests): a connection, a prepared statement and a
// transaction. Every failure comes back as an Error whose message names the
// database path, what was being done and SQLite's own message.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "common/error.h"

struct sqlite3;
struct sqlite3_stmt;

namespace tb::sqlite {

// Statement text is bound by position (1-based, as SQLite counts).
class Statement {
 public:
  Statement() = default;
  Statement(Statement&&) noexcept;
  Statement& operator=(Statement&&) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();  // sqlite3_finalize

  // Resets the statement (ending a previous use) and binds `values` to
  // parameters 1..N. Values: integers, doubles, strings.
  template <typename... Values>
  Status bind(const Values&... values) {
    reset();
    int index = 0;
    Status status;
    ((status.ok() ? (void)(status = bind_one(++index, values)) : (void)0), ...);
    return status;
  }

  // One step: true when a row is available, false when done.
  Expected<bool> step();
  // Steps a statement that returns no rows (INSERT, UPDATE, DDL) and resets it.
  Status run();
  // Ends the current use (releases its read lock); bindings stay until the next bind().
  void reset();

  // Columns of the current row, 0-based. Text NULL reads as "".
  std::int64_t column_int(int column) const;
  double column_double(int column) const;
  std::string column_text(int column) const;
  bool column_is_null(int column) const;

 private:
  friend class Database;
  Statement(sqlite3_stmt* stmt, sqlite3* db, std::string path) : stmt_(stmt), db_(db), path_(std::move(path)) {}
  Status bind_one(int index, std::int64_t value);
  Status bind_one(int index, int value) { return bind_one(index, static_cast<std::int64_t>(value)); }
  Status bind_one(int index, double value);
  Status bind_one(int index, std::string_view value);
  Status bind_one(int index, const std::string& value) { return bind_one(index, std::string_view(value)); }
  Status bind_one(int index, const char* value) { return bind_one(index, std::string_view(value)); }
  Error error() const;  // kIo: "PATH: SQLite: <message>"

  sqlite3_stmt* stmt_ = nullptr;
  sqlite3* db_ = nullptr;  // the connection (for its error message)
  std::string path_;       // the database file (for error messages)
};

class Database {
 public:
  enum class Access { kReadOnly, kReadWrite, kReadWriteCreate };
  // sqlite3_open_v2 with a 5 s busy timeout and foreign keys on. The result
  // of SQLite's open is only a handle: SQLite reads the file lazily, so a
  // file that is not a database fails on the first statement (not_a_database()).
  static Expected<Database> open(const std::string& path, Access access);

  Database(Database&&) noexcept;
  Database& operator=(Database&&) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();  // sqlite3_close_v2 (closes once the last statement is finalized)

  const std::string& path() const { return path_; }

  // Prepares `sql` (one statement). `persistent`: kept and reused many times.
  Expected<Statement> prepare(std::string_view sql, bool persistent = false) const;
  // Runs one or more statements that return no rows.
  Status exec(const std::string& sql) const;
  // The first column of the first row of `sql` as an integer (a PRAGMA value, a count).
  Expected<std::int64_t> query_int(const std::string& sql) const;

  std::int64_t last_insert_rowid() const;
  // True when the last failure was SQLITE_NOTADB ("file is not a database").
  bool not_a_database() const;
  // True when the last failure was SQLITE_CORRUPT ("database disk image is malformed").
  bool corrupt() const;
  // True when the last failure was SQLITE_READONLY_ROLLBACK: a read-only
  // connection found a hot journal (PATH-journal of a writer killed
  // mid-transaction), which only a writer can roll back.
  bool needs_rollback() const;
  // "SQLite: <message>" for the last failure.
  std::string last_error() const;
  // kIo: "PATH: <doing>: SQLite: <message>".
  Error error(const std::string& doing) const;

 private:
  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_ = nullptr;
  std::string path_;
};

// BEGIN IMMEDIATE on construction (begin()); ROLLBACK on destruction unless
// commit() succeeded. Statements reused inside must be reset before commit.
class Transaction {
 public:
  static Expected<Transaction> begin(const Database& db);
  Transaction(Transaction&&) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();
  Status commit();

 private:
  explicit Transaction(const Database* db) : db_(db) {}
  const Database* db_ = nullptr;  // null once committed or rolled back; the Database must not move meanwhile
};

}  // namespace tb::sqlite
