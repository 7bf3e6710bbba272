// Sample runs for the history tests (history_db_test.cpp, history_crash_test.cpp).
#pragma once

#include <string>

#include "analysis/statistics.h"
#include "record/run_record.h"
#include "support/sample_record.h"

namespace tbtest {

// A passed fp32 GEMM "gemm:m=<m>,n=64,k=64,dtype=fp32" with samples
// {1.1, 0.9, 1.0, 1.3} x median_s (in that repetition order).
inline tb::ProblemResult passed_gemm(int m, double median_s) {
  tb::ProblemResult r =
      problem_result("gemm:m=" + std::to_string(m) + ",n=64,k=64,dtype=fp32", tb::ResultStatus::kPassed);
  r.implementation = "OpenBLAS sgemm";
  r.flop = 2.0 * m * 64 * 64;
  r.min_bytes = 4.0 * (m * 64 + 64 * 64 + m * 64);
  r.samples_s = {1.1 * median_s, 0.9 * median_s, 1.0 * median_s, 1.3 * median_s};
  r.time_s = tb::summarize(r.samples_s);
  r.iterations_per_sample = 10;
  r.flop_per_s = r.flop / r.time_s.median;
  r.bytes_per_s = r.min_bytes / r.time_s.median;
  r.fraction_of_peak = r.flop_per_s / 1e12;
  return r;
}

// A CPU run at `timestamp_utc` on host "nightly-1": `problems` passed GEMMs
// (m = 8, 16, ...; median 1e-3 s x (1 + i / 100)) and the skipped fp16 GEMM.
inline tb::RunRecord sample_run(const std::string& timestamp_utc, int problems = 2) {
  tb::RunRecord record;
  tb::RunContext& c = record.context;
  c.date = "2026-11-25T21:39:08+00:00";
  c.host_name = "nightly-1";
  c.executable = "trainbench";
  c.num_cpus = 16;
  c.library_build_type = "release";
  c.timestamp_utc = timestamp_utc;
  c.trainbench_version = "0.1.0";
  c.git_commit = "0123456789ab";
  c.build_type = "Release";
  c.compiler = "g++ 12.2.0";
  c.command_line = "trainbench run --backend cpu --suite nightly";
  c.cpu_model = "AMD EPYC 9R14";
  c.backend = "cpu";
  c.device.name = "AMD EPYC 9R14";
  c.device.kind = "cpu";
  c.device.compute_units = 16;
  c.device.memory_bandwidth_bytes_per_s = 3.5e11;
  c.device.peak_flop_per_s = {{tb::DType::kFp32, 1e12}, {tb::DType::kBf16, 4e12}};
  c.device.peak_source = "measured: FMA loop";
  c.device.properties = {{"blas_config", "OpenBLAS 0.3.21"}, {"threads", "16"}};
  c.repetitions = 4;
  c.min_time_s = 0.1;
  for (int i = 0; i < problems; ++i) record.results.push_back(passed_gemm(8 * (i + 1), 1e-3 * (1 + i / 100.0)));
  record.results.push_back(skipped_fp16_result());
  return record;
}

}  // namespace tbtest
