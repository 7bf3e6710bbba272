// Reading and writing result JSON with checked access: every error names the
// JSON path of the field ("field '$.results[2].time_s' is missing or not an
// object"), and non-finite numbers survive the round trip as strings where
// the writer stores them (verification.max_error); everywhere else a number
// must be finite, and times and counts must not be negative.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

#include "common/echo.h"
#include "common/error.h"

namespace tb::json_io {

using nlohmann::json;

// JSON has no infinity or NaN: non-finite numbers are written as the strings
// "inf", "-inf" and "nan" (a verification that met NaN outputs has an
// infinite max_error) and read back by Reader::num_or_nonfinite.
inline json number(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return v;
}

// A checked reader: every access names the JSON path in its error.
class Reader {
 public:
  Reader(const json& j, std::string path) : j_(j), path_(std::move(path)) {}

  Expected<Reader> object(const std::string& key) const {
    TB_ASSIGN_OR_RETURN(const json* v, get(key, json::value_t::object));
    return Reader(*v, path_ + "." + key);
  }
  Expected<const json*> array(const std::string& key) const { return get(key, json::value_t::array); }
  Expected<std::string> str(const std::string& key) const {
    TB_ASSIGN_OR_RETURN(const json* v, get(key, json::value_t::string));
    return v->get<std::string>();
  }
  // A finite number (a JSON number; the strings "inf", "nan" and anything else are refused).
  Expected<double> num(const std::string& key) const {
    const auto it = j_.find(key);
    if (it == j_.end()) return missing(key, "a number");
    if (!it->is_number() || !std::isfinite(it->get<double>())) {
      return bad_input("field '" + path_ + "." + key + "' is " + echo_value(it->dump()) + ": expected a number (finite)");
    }
    return it->get<double>();
  }
  // A finite number >= 0: times (s), FLOP, bytes, rates, counts.
  Expected<double> non_negative(const std::string& key) const {
    TB_ASSIGN_OR_RETURN(const double v, num(key));
    if (v < 0) return bad_input("field '" + path_ + "." + key + "' is " + json(v).dump() + ": expected a number >= 0");
    return v;
  }
  // A number, or one of the strings "inf", "-inf", "nan" (fields the writer
  // may store non-finite: json_io::number).
  Expected<double> num_or_nonfinite(const std::string& key) const {
    const auto it = j_.find(key);
    if (it != j_.end() && it->is_string()) {
      const std::string s = it->get<std::string>();
      if (s == "inf") return INFINITY;
      if (s == "-inf") return -INFINITY;
      if (s == "nan") return NAN;
    }
    if (it == j_.end() || !it->is_number()) return missing(key, "a number or \"inf\", \"-inf\", \"nan\"");
    return it->get<double>();
  }
  Expected<std::int64_t> integer(const std::string& key) const {
    const auto it = j_.find(key);
    if (it == j_.end() || !it->is_number_integer()) return missing(key, "an integer");
    return it->get<std::int64_t>();
  }
  Expected<bool> boolean(const std::string& key) const {
    TB_ASSIGN_OR_RETURN(const json* v, get(key, json::value_t::boolean));
    return v->get<bool>();
  }
  // Whether `key` is present (with any value): for optional fields.
  bool has(const std::string& key) const { return j_.contains(key); }
  bool is_null(const std::string& key) const { return j_.contains(key) && j_.at(key).is_null(); }
  const json& raw() const { return j_; }
  // A checked integer in [min, max]: the error names the field and the range.
  Expected<std::int64_t> integer_in(const std::string& key, std::int64_t min, std::int64_t max) const {
    TB_ASSIGN_OR_RETURN(const std::int64_t v, integer(key));
    if (v < min || v > max) {
      return bad_input("field '" + path_ + "." + key + "' is " + std::to_string(v) + ": expected " +
                       (max == std::numeric_limits<std::int64_t>::max()
                            ? "at least " + std::to_string(min)
                            : std::to_string(min) + " to " + std::to_string(max)));
    }
    return v;
  }
  const std::string& path() const { return path_; }

 private:
  Expected<const json*> get(const std::string& key, json::value_t type) const {
    const auto it = j_.find(key);
    if (it == j_.end() || it->type() != type) {
      return missing(key, type == json::value_t::object  ? "an object"
                          : type == json::value_t::array ? "an array"
                          : type == json::value_t::string ? "a string"
                                                          : "a boolean");
    }
    return &*it;
  }
  Error missing(const std::string& key, const char* expected) const {
    return bad_input("field '" + path_ + "." + key + "' is missing or not " + expected);
  }
  const json& j_;
  std::string path_;
};

}  // namespace tb::json_io
