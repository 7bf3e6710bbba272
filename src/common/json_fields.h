// A struct's JSON fields, named once: one table per struct of (JSON name,
// member, check) that both the writer and the checked reader walk, so a field
// cannot be written under one name and read under another. The reader keeps
// json_reader.h's messages (every error names the field's JSON path); fields
// that are not scalars (maps, lists, enums, nested objects) stay hand-written
// beside the table.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <type_traits>
#include <variant>

#include "common/error.h"
#include "common/json_reader.h"

namespace tb::json_io {

enum class Check {
  kAny,          // strings, booleans, integers; a double must be finite
  kNonNegative,  // a finite double >= 0: times (s), FLOP, bytes, rates
  kNonFinite,    // a double that may be inf or NaN, written as "inf", "-inf", "nan" (json_io::number)
  kRange,        // an integer in [min, max]
};

template <class T>
struct Field {
  template <class M>
  Field(const char* json_name, M T::*m, Check c = Check::kAny, std::int64_t lo = 0, std::int64_t hi = 0,
        bool is_optional = false)
      : name(json_name), member(m), check(c), min(lo), max(hi), optional(is_optional) {}

  const char* name;  // the JSON key
  std::variant<std::string T::*, double T::*, std::int64_t T::*, int T::*, bool T::*> member;
  Check check;
  std::int64_t min, max;  // kRange
  bool optional;          // absent from older files: left at the struct's default when reading
};

// Sets every field of `fields` from `value` into the object `j`.
template <class T>
void write_fields(json& j, const T& value, std::span<const Field<T>> fields) {
  for (const Field<T>& f : fields) {
    std::visit(
        [&](auto member) {
          const auto& v = value.*member;
          if constexpr (std::is_same_v<std::remove_cvref_t<decltype(v)>, double>) {
            j[f.name] = f.check == Check::kNonFinite ? number(v) : json(v);
          } else {
            j[f.name] = v;
          }
        },
        f.member);
  }
}

namespace detail {

inline Status read_value(const Reader& r, const char* name, Check, std::string& out) {
  TB_ASSIGN_OR_RETURN(out, r.str(name));
  return {};
}
inline Status read_value(const Reader& r, const char* name, Check, bool& out) {
  TB_ASSIGN_OR_RETURN(out, r.boolean(name));
  return {};
}
inline Status read_value(const Reader& r, const char* name, Check check, double& out) {
  if (check == Check::kNonNegative) {
    TB_ASSIGN_OR_RETURN(out, r.non_negative(name));
  } else if (check == Check::kNonFinite) {
    TB_ASSIGN_OR_RETURN(out, r.num_or_nonfinite(name));
  } else {
    TB_ASSIGN_OR_RETURN(out, r.num(name));
  }
  return {};
}

}  // namespace detail

// Reads every field of `fields` from `r` into `value`, in table order; the
// first error is returned (naming the field's path).
template <class T>
Status read_fields(const Reader& r, T& value, std::span<const Field<T>> fields) {
  for (const Field<T>& f : fields) {
    if (f.optional && !r.has(f.name)) continue;
    TB_RETURN_IF_ERROR(std::visit(
        [&](auto member) -> Status {
          auto& out = value.*member;
          using V = std::remove_cvref_t<decltype(out)>;
          if constexpr (std::is_same_v<V, std::int64_t> || std::is_same_v<V, int>) {
            Expected<std::int64_t> n = f.check == Check::kRange ? r.integer_in(f.name, f.min, f.max) : r.integer(f.name);
            if (!n) return n.error();
            out = static_cast<V>(*n);
            return {};
          } else {
            return detail::read_value(r, f.name, f.check, out);
          }
        },
        f.member));
  }
  return {};
}

}  // namespace tb::json_io
