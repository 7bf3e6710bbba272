// The one measurement pipeline every backend goes through:
//   supported? -> seeded inputs -> prepare -> poison, run once, verify
//   -> Google Benchmark repetitions with device timers -> statistics.
// A problem that fails verification is never timed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "kernels/problem.h"
#include "runner/result.h"

namespace tb {

struct RunOptions {
  int repetitions = 5;          // timed repetitions (samples) per problem
  double min_time_s = 0.5;      // each repetition runs until at least this much device time (s)
  double warmup_time_s = 0.1;   // untimed runs before the first repetition (s), after the verification run
  std::uint64_t seed = 42;      // input fill and verification sampling seed
  int threads = 0;              // host threads (0 = all logical CPUs); the reproducer records the count used
};

// Bad input before anything runs: each option in range. The message names the option.
Status validate(const RunOptions& options);

// Checks that every problem's buffers fit in the memory available before anything
// is allocated; the error names the problem and the bytes needed.
Status check_memory(const Backend& backend, const DeviceInfo& device, const std::vector<ProblemPtr>& problems);

class Runner {
 public:
  Runner(Backend& backend, const DeviceInfo& device, RunOptions options);
  // Runs one problem end to end. Never throws; failures are in the result's status.
  ProblemResult run(const ProblemPtr& problem);

 private:
  std::string reproducer(const Problem& problem) const;
  Backend& backend_;
  const DeviceInfo& device_;
  RunOptions options_;
};

}  // namespace tb
