// Problem strings: `kernel:key=value,key=value`, e.g.
//   gemm:m=4096,n=4096,k=4096,dtype=bf16
// A concrete string names one problem. A sweep string may give any value as
//   a list   `m=256|512|1024`
//   a range  `m=1024:8192:*2` (multiply) or `m=128:512:+128` (add); inclusive
// and expands to the cartesian product, keys varying rightmost-fastest.
// Sizes accept binary suffixes K, M, G (x1024, x1024^2, x1024^3).
// Grammar and canonical form: docs/problem-strings.md.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/dtype.h"
#include "common/error.h"

namespace tb {

struct ProblemSpec {
  std::string kernel;                                      // e.g. "gemm"
  std::vector<std::pair<std::string, std::string>> params;  // in the order given
};

// Splits a concrete problem string. Rejects sweep syntax, empty keys or values,
// duplicate keys, and a missing `kernel:` prefix, naming the offending text.
Expected<ProblemSpec> parse_problem_spec(std::string_view text);

// Expands a sweep string into concrete problem strings (a concrete string
// expands to itself). Refuses sweeps of more than `max_points` problems.
Expected<std::vector<std::string>> expand_sweep(std::string_view text, std::size_t max_points = 100000);

// Parses a non-negative integer with an optional K/M/G suffix; `what` names the
// value in the error ("m", "bytes").
Expected<std::int64_t> parse_size(std::string_view what, std::string_view text);

// Formats a size with the largest binary suffix that divides it exactly
// (67108864 -> "64M", 3072 -> "3K", 1536 -> "1536"); parse_size inverts it.
std::string format_size(std::int64_t value);

// Reads typed parameters out of a ProblemSpec and rejects keys nobody read.
class ParamReader {
 public:
  explicit ParamReader(const ProblemSpec& spec) : spec_(spec) {}

  // A size in [min, max]; `fallback` when absent (absent and no fallback: error).
  Expected<std::int64_t> size(std::string_view key, std::int64_t min, std::int64_t max,
                              std::optional<std::int64_t> fallback = std::nullopt);
  // 0 or 1.
  Expected<bool> flag(std::string_view key, bool fallback);
  Expected<DType> dtype(std::string_view key, DType fallback);
  // A finite decimal number in [min, max] (`0.125`, `1e-3`; no sign `+`, no
  // `inf` or `nan`, nothing after the number); `fallback` when absent (absent
  // and no fallback: error).
  Expected<double> real(std::string_view key, double min, double max, std::optional<double> fallback = std::nullopt);
  // One of `accepted`, verbatim (an enum-like string such as pass=fwd|bwd);
  // `fallback` when absent.
  Expected<std::string> choice(std::string_view key, const std::vector<std::string_view>& accepted,
                               std::string_view fallback);

  // Error naming the first key no reader asked for, and the keys this kernel accepts.
  Status finish() const;

 private:
  const std::string* find(std::string_view key);
  const ProblemSpec& spec_;
  std::set<std::string, std::less<>> known_;
};

}  // namespace tb
