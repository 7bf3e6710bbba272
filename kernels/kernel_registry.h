// The kernels trainbench knows, and the parser that turns a concrete problem
// string into a Problem. Add a kernel by adding one entry to kernels().
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "kernels/problem.h"
#include "kernels/problem_string.h"

namespace tb {

struct KernelInfo {
  std::string name;     // the problem-string prefix
  std::string summary;  // one line
  std::string keys;     // accepted keys with defaults
  std::string example;  // a concrete problem string
  Expected<ProblemPtr> (*parse)(const ProblemSpec&);
  // A "key=a|b" sweep added to a problem string that does not name the key
  // (allreduce: "inplace=0|1", out-of-place and in-place as nccl-tests reports them).
  std::string implicit_sweep = {};
};

const std::vector<KernelInfo>& kernels();

// `text` (a problem or sweep string) with its kernel's implicit sweep appended
// when it does not name that key; otherwise `text` unchanged.
std::string with_implicit_sweep(std::string_view text);

// Parses a concrete problem string; the error names an unknown kernel and lists the known ones.
Expected<ProblemPtr> parse_problem(std::string_view text);

}  // namespace tb
