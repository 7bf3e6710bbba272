// Errors as values. Library code never exits or throws across layers: it
// returns an Error whose message names the bad value and what was expected,
// and the CLI maps the code to an exit status (docs/cli.md).
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace tb {

enum class ErrorCode {
  kBadInput,     // the user gave something we cannot accept (exit 2)
  kUnavailable,  // a backend or vendor library is missing on this machine (exit 2)
  kIo,           // a file could not be read or written (exit 2)
  kRunFailure,   // a kernel failed to run or to verify (exit 1)
};

// Process exit status for an error of this code: 2 for bad input, 1 for run failures.
int exit_status(ErrorCode code);

struct Error {
  ErrorCode code;
  std::string message;  // one sentence a user can act on; no trailing newline
};

inline Error bad_input(std::string message) { return {ErrorCode::kBadInput, std::move(message)}; }
inline Error unavailable(std::string message) { return {ErrorCode::kUnavailable, std::move(message)}; }
inline Error io_error(std::string message) { return {ErrorCode::kIo, std::move(message)}; }
inline Error run_failure(std::string message) { return {ErrorCode::kRunFailure, std::move(message)}; }

// A value or an Error. Access to value() when !ok() is a programming error.
template <typename T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Expected(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<T>(v_); }
  const T& value() const& { assert(ok()); return std::get<T>(v_); }
  T&& value() && { assert(ok()); return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { assert(!ok()); return std::get<Error>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Success, or an Error.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT(google-explicit-constructor)
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { assert(!ok_); return error_; }

 private:
  Error error_{ErrorCode::kRunFailure, {}};
  bool ok_ = true;
};

}  // namespace tb

// Propagates an error from an expression yielding Status or Expected<T>.
#define TB_RETURN_IF_ERROR(expr)                  \
  do {                                            \
    auto tb_status_ = (expr);                     \
    if (!tb_status_.ok()) return tb_status_.error(); \
  } while (0)

#define TB_CONCAT_INNER(a, b) a##b
#define TB_CONCAT(a, b) TB_CONCAT_INNER(a, b)
// Declares `lhs` from an Expected<T> expression, returning its error on failure.
#define TB_ASSIGN_OR_RETURN(lhs, expr) TB_ASSIGN_OR_RETURN_IMPL(TB_CONCAT(tb_expected_, __LINE__), lhs, expr)
#define TB_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return tmp.error();             \
  lhs = std::move(tmp).value()
