// Turns what the user asked for (problem strings, sweeps, suite files) into
// the list of concrete problems to run, rejecting bad input before anything runs.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "kernels/problem.h"

namespace tb {

// Problem strings of a suite file: one problem or sweep per line; blank lines
// and lines starting with '#' are ignored; a trailing "# ..." is a comment.
// Every line is expanded and parsed here, so errors name the file and line.
// "{devices}" in a line stands for `devices` (Backend::device_count()).
Expected<std::vector<std::string>> read_suite_file(const std::string& path, int devices = 1);

// The suite `trainbench run` runs when given no problem, for a backend name:
// benchmarks/suites/default.suite (CPU backends), gpu.suite (cuda), neuron.suite.
std::string default_suite_path(std::string_view backend);

// Replaces every "{devices}" in `text` by `devices`.
std::string substitute_devices(std::string text, int devices);

// The --problem strings, then every suite file's lines in order (read_suite_file).
Expected<std::vector<std::string>> problem_strings(const std::vector<std::string>& problems,
                                                   const std::vector<std::string>& suites, int devices = 1);

// Expands sweeps and parses every string; the error names the offending string.
Expected<std::vector<ProblemPtr>> build_plan(const std::vector<std::string>& problem_strings);

}  // namespace tb
