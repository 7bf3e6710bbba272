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
  // A collective (its problems' collective() is set): timed by bandwidth, run
  // by a backend's communication library (or a vendor tool), not a compute kernel.
  bool collective = false;
};

// The one list of kernels: the problem-string parser, `trainbench list
// kernels`, the efficiency table's rows, the Neuron manifest's entries and a
// training step's time classes all take their kernels from here.
const std::vector<KernelInfo>& kernels();

// The registry's entry for `name`; null when no kernel has that name.
const KernelInfo* find_kernel(std::string_view name);

// The names of the kernels for which `keep` is true, in registry order, joined
// as prose: "gemm and attention" (conjunction "and"), "gemm, attention or allreduce".
std::string kernel_names(bool (*keep)(const KernelInfo&), std::string_view conjunction);
inline bool any_kernel(const KernelInfo&) { return true; }
inline bool compute_kernel(const KernelInfo& k) { return !k.collective; }

// `text` (a problem or sweep string) with its kernel's implicit sweep appended
// when it does not name that key; otherwise `text` unchanged.
std::string with_implicit_sweep(std::string_view text);

// Parses a concrete problem string; the error names an unknown kernel and lists the known ones.
Expected<ProblemPtr> parse_problem(std::string_view text);

}  // namespace tb
