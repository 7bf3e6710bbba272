// Writes a synthetic nightly history as result files, for the history
// targets (benchmarks/measure-history.sh, docs/measurements.md): NIGHTS
// result files, one day apart, of PROBLEMS GEMM problems each with SAMPLES
// repetitions. Every file is a real run's file (TEMPLATE, written by
// trainbench run) with its results replaced: times drawn around 150 GFLOP/s
// with 3% Gaussian noise; every tenth problem gets a 15% slowdown from the
// middle night on, so the report has change points to draw.
//
// usage: synthetic_history TEMPLATE OUT_DIR NIGHTS PROBLEMS SAMPLES [SEED]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

#include "analysis/statistics.h"
#include "report/result_json.h"

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr, "usage: %s TEMPLATE OUT_DIR NIGHTS PROBLEMS SAMPLES [SEED]\n", argv[0]);
    return 2;
  }
  const tb::Expected<tb::RunRecord> loaded = tb::read_result_file(argv[1]);
  if (!loaded) {
    std::fprintf(stderr, "synthetic_history: %s\n", loaded.error().message.c_str());
    return 2;
  }
  const std::string out_dir = argv[2];
  const int nights = std::atoi(argv[3]), problems = std::atoi(argv[4]), samples = std::atoi(argv[5]);
  if (nights <= 0 || problems <= 0 || samples <= 0) {
    std::fprintf(stderr, "synthetic_history: NIGHTS, PROBLEMS and SAMPLES must be positive\n");
    return 2;
  }
  std::mt19937_64 gen(argc > 6 ? std::strtoull(argv[6], nullptr, 10) : 1);
  std::normal_distribution<double> noise(0.0, 0.03);
  std::filesystem::create_directories(out_dir);

  tb::ProblemResult prototype;
  for (const tb::ProblemResult& r : loaded->results) {
    if (r.status == tb::ResultStatus::kPassed) prototype = r;
  }
  prototype.entries.clear();
  prototype.warnings.clear();
  for (int night = 0; night < nights; ++night) {
    tb::RunRecord record = *loaded;
    record.model_run.reset();
    record.results.clear();
    // One night a day from 2025-01-01.
    const std::chrono::year_month_day date{std::chrono::sys_days{std::chrono::year{2025} / 1 / 1} +
                                           std::chrono::days{night}};
    char stamp[32];
    std::snprintf(stamp, sizeof stamp, "%04d-%02u-%02uT03:00:00Z", static_cast<int>(date.year()),
                  static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
    record.context.timestamp_utc = stamp;
    record.context.git_commit = "synthetic" + std::to_string(night);
    for (int p = 0; p < problems; ++p) {
      tb::ProblemResult r = prototype;
      const int m = 64 * (p + 1);
      r.problem = "gemm:m=" + std::to_string(m) + ",n=1024,k=1024,dtype=fp32";
      r.flop = 2.0 * m * 1024.0 * 1024.0;
      r.min_bytes = 4.0 * (m * 1024.0 + 1024.0 * 1024.0 + m * 1024.0);
      const double step = (p % 10 == 0 && night >= nights / 2) ? 1.15 : 1.0;
      r.samples_s.clear();
      for (int s = 0; s < samples; ++s) r.samples_s.push_back(r.flop / 150e9 * (1.0 + noise(gen)) * step);
      r.time_s = tb::summarize(r.samples_s);
      r.flop_per_s = r.flop / r.time_s.median;
      r.bytes_per_s = r.min_bytes / r.time_s.median;
      r.reproducer = "synthetic: not reproducible";
      record.results.push_back(std::move(r));
    }
    char name[64];
    std::snprintf(name, sizeof name, "/night%04d.json", night);
    if (tb::Status s = tb::write_result_file(out_dir + name, record); !s) {
      std::fprintf(stderr, "synthetic_history: %s\n", s.error().message.c_str());
      return 1;
    }
  }
  std::printf("%d result files of %d problems x %d samples in %s\n", nights, problems, samples, out_dir.c_str());
  return 0;
}
