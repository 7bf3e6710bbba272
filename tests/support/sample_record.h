// Pieces of the sample RunRecords that the report tests render, write and
// read back (tests/unit/result_json_test.cpp, tests/unit/text_report_test.cpp,
// tests/unit/collective_report_test.cpp).
#pragma once

#include <cstdint>
#include <string>

#include "record/run_record.h"

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

// The canonical string of an fp32 sum all-reduce over threads with the ring:
// "allreduce:bytes=<bytes with its largest exact K/M/G suffix>,dtype=fp32,op=sum,ranks=<ranks>,
// inplace=<0|1>,algo=ring,transport=threads".
std::string allreduce_problem(std::int64_t bytes, int ranks, bool in_place);

// A result of allreduce_problem(bytes, ranks, in_place) as the runner records
// it, `collective` filled in (count = bytes / 4, bus factor 2 (ranks - 1) / ranks):
// - passed: samples {0.9, 1, 1.2} x median_s (median median_s), 100 iterations each,
//   algbw = bytes / median_s, busbw = algbw x bus factor; 0 wrong elements;
// - failed: verified with `wrong` wrong elements, not timed;
// - error: verified (0 wrong), then the timing failed;
// - skipped: not supported, no `collective` (as the runner leaves it).
tb::ProblemResult allreduce_result(std::int64_t bytes, int ranks, bool in_place, tb::ResultStatus status,
                                   double median_s = 1e-4, std::int64_t wrong = 0);

}  // namespace tbtest
