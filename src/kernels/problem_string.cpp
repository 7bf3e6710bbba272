#include "kernels/problem_string.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <utility>

#include "common/echo.h"

namespace tb {
namespace {

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t pos = text.find(sep, start);
    parts.push_back(text.substr(start, pos == std::string_view::npos ? pos : pos - start));
    if (pos == std::string_view::npos) return parts;
    start = pos + 1;
  }
}

bool is_identifier(std::string_view s) {
  if (s.empty() || !(s[0] >= 'a' && s[0] <= 'z')) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

struct Split {
  std::string kernel;
  std::vector<std::pair<std::string, std::string>> params;
};

Expected<Split> split_problem(std::string_view text) {
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos) {
    return bad_input("problem '" + echo_value(text) +
                     "' has no kernel prefix: expected 'kernel:key=value,...', e.g. gemm:m=1024,n=1024,k=1024");
  }
  Split out;
  out.kernel = std::string(text.substr(0, colon));
  if (!is_identifier(out.kernel)) {
    return bad_input("problem '" + echo_value(text) + "': kernel name '" + echo_value(out.kernel) +
                     "' is not a lower-case identifier");
  }
  const std::string_view body = text.substr(colon + 1);
  if (body.empty()) return out;
  for (std::string_view item : split(body, ',')) {
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0 || eq + 1 == item.size()) {
      return bad_input("problem '" + echo_value(text) + "': '" + echo_value(item) + "' is not of the form key=value");
    }
    std::string key(item.substr(0, eq));
    if (!is_identifier(key)) {
      return bad_input("problem '" + echo_value(text) + "': key '" + echo_value(key) +
                       "' is not a lower-case identifier");
    }
    for (const auto& [k, v] : out.params) {
      if (k == key) {
        return bad_input("problem '" + echo_value(text) + "': key '" + echo_value(key) + "' is given twice");
      }
    }
    out.params.emplace_back(std::move(key), std::string(item.substr(eq + 1)));
  }
  return out;
}

// The values a sweep item stands for. A range stops after `limit` + 1 values:
// enough for the caller to see that it exceeds the limit, without
// materializing an enormous range (m=1:1G:+1) first.
Expected<std::vector<std::string>> expand_value(std::string_view key, std::string_view value, std::size_t limit) {
  if (value.find('|') != std::string_view::npos) {
    std::vector<std::string> values;
    for (std::string_view v : split(value, '|')) {
      if (v.empty()) {
        return bad_input("list '" + echo_value(value) + "' for '" + echo_value(key) + "' has an empty item");
      }
      values.emplace_back(v);
    }
    return values;
  }
  if (value.find(':') == std::string_view::npos) return std::vector<std::string>{std::string(value)};

  const auto parts = split(value, ':');
  const std::string form = "expected start:stop:*factor or start:stop:+step, e.g. 1024:8192:*2";
  if (parts.size() != 3 || parts[2].size() < 2 || (parts[2][0] != '*' && parts[2][0] != '+')) {
    return bad_input("range '" + echo_value(value) + "' for '" + echo_value(key) + "': " + form);
  }
  TB_ASSIGN_OR_RETURN(const std::int64_t start, parse_size(key, parts[0]));
  TB_ASSIGN_OR_RETURN(const std::int64_t stop, parse_size(key, parts[1]));
  TB_ASSIGN_OR_RETURN(const std::int64_t step, parse_size(key, parts[2].substr(1)));
  const bool multiply = parts[2][0] == '*';
  if (start > stop) {
    return bad_input("range '" + echo_value(value) + "' for '" + echo_value(key) + "': start exceeds stop");
  }
  if ((multiply && (step < 2 || start == 0)) || (!multiply && step < 1)) {
    return bad_input("range '" + echo_value(value) + "' for '" + echo_value(key) +
                     "': the step must grow the value (factor >= 2 from a non-zero start, or increment >= 1)");
  }
  std::vector<std::string> values;
  for (std::int64_t v = start; v <= stop;) {
    values.push_back(std::to_string(v));
    if (values.size() > limit) break;
    if (multiply ? v > stop / step : v > stop - step) break;
    v = multiply ? v * step : v + step;
  }
  return values;
}

}  // namespace

Expected<std::int64_t> parse_size(std::string_view what, std::string_view text) {
  std::string_view digits = text;
  std::int64_t scale = 1;
  if (!digits.empty()) {
    switch (digits.back()) {
      case 'K': scale = std::int64_t{1} << 10; break;
      case 'M': scale = std::int64_t{1} << 20; break;
      case 'G': scale = std::int64_t{1} << 30; break;
      default: break;
    }
    if (scale != 1) digits.remove_suffix(1);
  }
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec == std::errc::result_out_of_range && end == digits.data() + digits.size() && digits.front() != '-') {
    return bad_input("'" + echo_value(std::string(what) + "=" + std::string(text)) +
                     "' is too large: expected at most " + std::to_string(std::numeric_limits<std::int64_t>::max()));
  }
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || value < 0) {
    return bad_input("'" + echo_value(std::string(what) + "=" + std::string(text)) +
                     "' is not a non-negative integer (optionally with suffix K, M or G)");
  }
  if (value > std::numeric_limits<std::int64_t>::max() / scale) {
    return bad_input("'" + echo_value(std::string(what) + "=" + std::string(text)) + "' is too large");
  }
  return value * scale;
}

std::string format_size(std::int64_t value) {
  for (const auto& [suffix, shift] : {std::pair{'G', 30}, std::pair{'M', 20}, std::pair{'K', 10}}) {
    const std::int64_t unit = std::int64_t{1} << shift;
    if (value != 0 && value % unit == 0) return std::to_string(value / unit) + suffix;
  }
  return std::to_string(value);
}

Expected<ProblemSpec> parse_problem_spec(std::string_view text) {
  TB_ASSIGN_OR_RETURN(Split s, split_problem(text));
  for (const auto& [key, value] : s.params) {
    if (value.find_first_of("|:") != std::string::npos) {
      return bad_input("problem '" + echo_value(text) + "': '" + echo_value(key + "=" + value) +
                       "' is a sweep; expand it first (sweeps are accepted by --problem and suite files)");
    }
  }
  return ProblemSpec{std::move(s.kernel), std::move(s.params)};
}

Expected<std::vector<std::string>> expand_sweep(std::string_view text, std::size_t max_points) {
  TB_ASSIGN_OR_RETURN(Split s, split_problem(text));
  std::vector<std::string> heads{s.kernel + ":"};
  for (std::size_t i = 0; i < s.params.size(); ++i) {
    const auto& [key, value] = s.params[i];
    TB_ASSIGN_OR_RETURN(std::vector<std::string> values, expand_value(key, value, max_points));
    if (heads.size() * values.size() > max_points) {
      return bad_input("sweep '" + echo_value(text) + "' expands to more than " + std::to_string(max_points) +
                       " problems");
    }
    std::vector<std::string> next;
    next.reserve(heads.size() * values.size());
    for (const std::string& head : heads) {
      for (const std::string& v : values) next.push_back(head + (i ? "," : "") + key + "=" + v);
    }
    heads = std::move(next);
  }
  return heads;
}

const std::string* ParamReader::find(std::string_view key) {
  known_.emplace(key);
  for (const auto& [k, v] : spec_.params) {
    if (k == key) return &v;
  }
  return nullptr;
}

Expected<std::int64_t> ParamReader::size(std::string_view key, std::int64_t min, std::int64_t max,
                                         std::optional<std::int64_t> fallback) {
  const std::string* text = find(key);
  if (text == nullptr) {
    if (fallback) return *fallback;
    return bad_input(spec_.kernel + " problem needs '" + std::string(key) + "=<integer>'");
  }
  TB_ASSIGN_OR_RETURN(const std::int64_t value, parse_size(key, *text));
  if (value < min || value > max) {
    return bad_input("'" + echo_value(std::string(key) + "=" + *text) + "' is out of range: expected " +
                     std::to_string(min) + " to " + std::to_string(max));
  }
  return value;
}

Expected<bool> ParamReader::flag(std::string_view key, bool fallback) {
  const std::string* text = find(key);
  if (text == nullptr) return fallback;
  if (*text == "0") return false;
  if (*text == "1") return true;
  return bad_input("'" + echo_value(std::string(key) + "=" + *text) + "' is not a flag: expected 0 or 1");
}

Expected<DType> ParamReader::dtype(std::string_view key, DType fallback) {
  const std::string* text = find(key);
  if (text == nullptr) return fallback;
  return parse_dtype(*text);
}

Expected<double> ParamReader::real(std::string_view key, double min, double max, std::optional<double> fallback) {
  const std::string* text = find(key);
  if (text == nullptr) {
    if (fallback) return *fallback;
    return bad_input(spec_.kernel + " problem needs '" + std::string(key) + "=<number>'");
  }
  double value = 0.0;
  const char* first = text->data();
  const char* last = text->data() + text->size();
  const auto [end, ec] = std::from_chars(first, last, value, std::chars_format::general);
  if (ec != std::errc() || end != last || !std::isfinite(value)) {
    return bad_input("'" + echo_value(std::string(key) + "=" + *text) +
                     "' is not a decimal number (e.g. 0.125 or 1e-3)");
  }
  if (value < min || value > max) {
    char range[64];
    std::snprintf(range, sizeof range, "%g to %g", min, max);
    return bad_input("'" + echo_value(std::string(key) + "=" + *text) + "' is out of range: expected " + range);
  }
  return value;
}

Expected<std::string> ParamReader::choice(std::string_view key, const std::vector<std::string_view>& accepted,
                                          std::string_view fallback) {
  const std::string* text = find(key);
  if (text == nullptr) return std::string(fallback);
  std::string list;
  for (std::string_view a : accepted) {
    if (*text == a) return *text;
    list += (list.empty() ? "" : ", ") + std::string(a);
  }
  return bad_input("'" + echo_value(std::string(key) + "=" + *text) + "' is not one of " + list);
}

Status ParamReader::finish() const {
  for (const auto& [key, value] : spec_.params) {
    if (!known_.contains(key)) {
      std::string accepted;
      for (const std::string& k : known_) accepted += (accepted.empty() ? "" : ", ") + k;
      return bad_input("unknown key '" + echo_value(key) + "' for kernel " + spec_.kernel + ": expected one of " +
                       accepted);
    }
  }
  return {};
}

}  // namespace tb
