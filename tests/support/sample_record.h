// Pieces of the sample RunRecords that the report tests render, write and
// read back (tests/unit/result_json_test.cpp, tests/unit/text_report_test.cpp).
#pragma once

#include <string>

#include "runner/result.h"

namespace tbtest {

// The reproducer a CPU run prints for `problem`, followed by `options` (e.g. " --seed 42").
std::string cpu_reproducer(const std::string& problem, const std::string& options = "");

// A result of `problem`, a canonical problem string such as "gemm:m=8,n=8,k=8,dtype=fp16",
// with `status`: kernel and dtype read from the string, the reproducer
// cpu_reproducer(problem, reproducer_options), every other field at its default.
tb::ProblemResult problem_result(const std::string& problem, tb::ResultStatus status,
                                 const std::string& reproducer_options = "");

// The skipped problem of both samples: an fp16 gemm that this CPU's oneDNN cannot
// run, 1024 FLOP over 384 bytes, nothing measured.
inline constexpr const char* kSkippedFp16 = "gemm:m=8,n=8,k=8,dtype=fp16";
tb::ProblemResult skipped_fp16_result(const std::string& reproducer_options = "");

}  // namespace tbtest
