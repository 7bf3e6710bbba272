#include "history/sqlite_handle.h"

#include <sqlite3.h>

namespace tb::sqlite {

namespace {

constexpr int kBusyTimeoutMs = 5000;  // another writer holding the lock: wait up to 5 s

std::string sqlite_message(sqlite3* db) { return std::string("SQLite: ") + sqlite3_errmsg(db); }

}  // namespace

// ---- Statement ----

Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)), db_(other.db_), path_(std::move(other.path_)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
    db_ = other.db_;
    path_ = std::move(other.path_);
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Error Statement::error() const {
  return io_error(path_ + ": " + sqlite_message(db_));
}

Status Statement::bind_one(int index, std::int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK) return error();
  return {};
}

Status Statement::bind_one(int index, double value) {
  const int rc = sqlite3_bind_double(stmt_, index, value);
  if (rc != SQLITE_OK) return error();
  return {};
}

Status Statement::bind_one(int index, std::string_view value) {
  const int rc = sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK) return error();
  return {};
}

Expected<bool> Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return error();
}

Status Statement::run() {
  const int rc = sqlite3_step(stmt_);
  sqlite3_reset(stmt_);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) return error();
  return {};
}

void Statement::reset() { sqlite3_reset(stmt_); }

std::int64_t Statement::column_int(int column) const { return sqlite3_column_int64(stmt_, column); }

double Statement::column_double(int column) const { return sqlite3_column_double(stmt_, column); }

std::string Statement::column_text(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr) return {};
  const auto size = static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column));
  return std::string(reinterpret_cast<const char*>(text), size);
}

bool Statement::column_is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

// ---- Database ----

Expected<Database> Database::open(const std::string& path, Access access) {
  int flags = SQLITE_OPEN_NOMUTEX;  // one connection per thread
  switch (access) {
    case Access::kReadOnly: flags |= SQLITE_OPEN_READONLY; break;
    case Access::kReadWrite: flags |= SQLITE_OPEN_READWRITE; break;
    case Access::kReadWriteCreate: flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE; break;
  }
  sqlite3* handle = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &handle, flags, nullptr);
  Database db(handle, path);  // closes the handle on every path, failed opens included
  if (rc != SQLITE_OK) {
    return io_error(path + ": cannot open the history database: " +
                    (handle ? sqlite_message(handle) : std::string("SQLite: out of memory")));
  }
  sqlite3_extended_result_codes(handle, 1);
  sqlite3_busy_timeout(handle, kBusyTimeoutMs);
  // Neither pragma touches the file.
  TB_RETURN_IF_ERROR(db.exec("PRAGMA foreign_keys = ON"));
  return db;
}

Database::Database(Database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), path_(std::move(other.path_)) {}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
    path_ = std::move(other.path_);
  }
  return *this;
}

Database::~Database() { sqlite3_close_v2(db_); }

Error Database::error(const std::string& doing) const { return io_error(path_ + ": " + doing + ": " + last_error()); }

Expected<Statement> Database::prepare(std::string_view sql, bool persistent) const {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                    persistent ? SQLITE_PREPARE_PERSISTENT : 0u, &stmt, nullptr);
  Statement statement(stmt, db_, path_);
  if (rc != SQLITE_OK) return io_error(path_ + ": " + last_error());
  return statement;
}

Status Database::exec(const std::string& sql) const {
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    return io_error(path_ + ": " + last_error());
  }
  return {};
}

Expected<std::int64_t> Database::query_int(const std::string& sql) const {
  TB_ASSIGN_OR_RETURN(Statement statement, prepare(sql));
  TB_ASSIGN_OR_RETURN(const bool row, statement.step());
  if (!row) return io_error(path_ + ": '" + sql + "' returned no row");
  return statement.column_int(0);
}

std::int64_t Database::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

bool Database::not_a_database() const { return (sqlite3_extended_errcode(db_) & 0xff) == SQLITE_NOTADB; }

bool Database::corrupt() const { return (sqlite3_extended_errcode(db_) & 0xff) == SQLITE_CORRUPT; }

bool Database::needs_rollback() const { return sqlite3_extended_errcode(db_) == SQLITE_READONLY_ROLLBACK; }

std::string Database::last_error() const { return sqlite_message(db_); }

// ---- Transaction ----

Expected<Transaction> Transaction::begin(const Database& db) {
  // IMMEDIATE: take the write lock now, so a concurrent writer waits (busy
  // timeout) here rather than failing half-way through the transaction.
  TB_RETURN_IF_ERROR(db.exec("BEGIN IMMEDIATE"));
  return Transaction(&db);
}

Transaction::Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}

Transaction::~Transaction() {
  if (db_ != nullptr) (void)db_->exec("ROLLBACK");
}

Status Transaction::commit() {
  const Database* db = std::exchange(db_, nullptr);
  const Status status = db->exec("COMMIT");
  if (!status.ok()) (void)db->exec("ROLLBACK");
  return status;
}

}  // namespace tb::sqlite
