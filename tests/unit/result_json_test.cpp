// The JSON result file: Google Benchmark's shape plus our fields, the round
// trip through to_json/from_json and through files, and the validation errors.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "report/result_json.h"
#include "support/sample_record.h"
#include "support/temp_dir.h"
#include "support/text.h"

namespace tb {
namespace {

using nlohmann::json;
using tbtest::expect_contains_all;
using tbtest::problem_result;
using tbtest::TempDir;

const char* const kPassed = "gemm:m=64,n=32,k=16,dtype=fp32";
const char* const kFailed = "gemm:m=8,n=8,k=8,ta=1,dtype=bf16";
const char* const kSeed = " --seed 42";  // the sample's reproducers end with it

// An entry of one of the sample's 2 repetitions, times in ms.
BenchmarkEntry entry(const std::string& run_type, std::int64_t iterations, double real_ms, double cpu_ms) {
  BenchmarkEntry e;
  e.run_type = run_type;
  e.repetitions = 2;
  e.iterations = iterations;
  e.real_time = real_ms;
  e.cpu_time = cpu_ms;
  e.time_unit = "ms";
  return e;
}

BenchmarkEntry iteration(int index, double ms) {
  BenchmarkEntry e = entry("iteration", 100, ms, ms * 1.5);
  e.repetition_index = index;
  return e;
}

BenchmarkEntry aggregate(const std::string& name, double value, const std::string& unit = "time") {
  BenchmarkEntry e = entry("aggregate", 2, value, value);
  e.aggregate_name = name;
  e.aggregate_unit = unit;
  return e;
}

RunRecord sample_record() {
  RunRecord rec;
  RunContext& c = rec.context;
  c.date = "2024-05-01T12:00:00+0200";
  c.host_name = "testhost";
  c.executable = "/usr/bin/trainbench";
  c.num_cpus = 2;
  c.mhz_per_cpu = 2500.5;
  c.cpu_scaling_enabled = true;
  c.library_build_type = "release";
  c.timestamp_utc = "2024-05-01T10:00:00Z";
  c.trainbench_version = "0.1.0";
  c.git_commit = "abcdef123456";
  c.build_type = "Release";
  c.compiler = "g++ 12.2.0";
  c.command_line = "trainbench run --backend cpu --problem 'gemm:m=64,n=32,k=16'";
  c.cpu_model = "Test CPU @ 2.5GHz";
  c.backend = "cpu";
  c.device.name = "Test CPU @ 2.5GHz";
  c.device.kind = "cpu";
  c.device.compute_units = 2;
  c.device.memory_bytes = 17179869184;
  c.device.shares_host_memory = true;
  c.device.memory_bandwidth_bytes_per_s = 0.0;
  c.device.peak_flop_per_s = {{DType::kFp32, 1.5e11}, {DType::kBf16, 3e11}, {DType::kFp8E4m3, 6e11}};
  c.device.peak_source = "measured: test";
  c.device.properties = {{"blas_config", "OpenBLAS 0.3.21"}, {"threads", "2"}};
  c.repetitions = 2;
  c.min_time_s = 0.5;
  c.warmup_time_s = 0.1;
  c.seed = 42;

  ProblemResult passed = problem_result(kPassed, ResultStatus::kPassed, kSeed);
  passed.implementation = "OpenBLAS cblas_sgemm";
  passed.flop = 65536;
  passed.min_bytes = 5120;
  passed.verification = {true, "gemm_normalized_abs", 1.25e-8, 3.2e-6, 2048, 2048, 0, "worst c[1,2]=0.5, reference 0.5"};
  passed.samples_s = {0.002, 0.004};
  passed.time_s = summarize(passed.samples_s);
  passed.iterations_per_sample = 100;
  passed.flop_per_s = 65536 / 0.003;
  passed.bytes_per_s = 5120 / 0.003;
  passed.fraction_of_peak = passed.flop_per_s / 1.5e11;
  passed.warnings = {"noisy: coefficient of variation 47.1% is above 5%"};
  passed.entries = {iteration(0, 2.0), iteration(1, 4.0), aggregate("mean", 3.0), aggregate("median", 3.0),
                    aggregate("stddev", 1.41), aggregate("cv", 0.47, "percentage")};

  ProblemResult failed = problem_result(kFailed, ResultStatus::kFailed, kSeed);
  failed.reason = "verification failed: max error 0.5 > tolerance 0.0078; worst c[0,0]=1, reference 0.5";
  failed.implementation = "oneDNN 2.6.3 matmul brg:avx512_core_bf16";
  failed.flop = 1024;
  failed.min_bytes = 384;
  failed.verification = {false, "gemm_normalized_abs", 0.5, 0.0078, 64, 64, 0, "worst c[0,0]=1, reference 0.5"};

  rec.results = {passed, failed, tbtest::skipped_fp16_result(kSeed)};
  return rec;
}

// The sample plus all-reduce results over MPI: a passed out-of-place and
// in-place pair of 1 MiB on 4 ranks (median 1e-4 s: algbw 1048576 / 1e-4 B/s,
// busbw x 1.5), a failed one with 3 wrong elements, and an error.
RunRecord collective_record() {
  RunRecord rec = sample_record();
  rec.context.processes = "MPI: 4 processes (Open MPI v4.1.4)";
  using tbtest::allreduce_result;
  rec.results.push_back(allreduce_result(1048576, 4, false, ResultStatus::kPassed, 1e-4));
  rec.results.push_back(allreduce_result(1048576, 4, true, ResultStatus::kPassed, 2e-4));
  rec.results.push_back(allreduce_result(1024, 4, false, ResultStatus::kFailed, 0.0, 3));
  rec.results.push_back(allreduce_result(65536, 4, true, ResultStatus::kError));
  for (std::size_t i = 3; i < rec.results.size(); ++i) {
    rec.results[i].collective->transport = "mpi";
    rec.results[i].collective->algo = i == 4 ? "mpi" : "ring";
  }
  rec.results[4].collective->op = "max";
  rec.results[3].entries = {iteration(0, 0.09), iteration(1, 0.1)};
  return rec;
}

void expect_equal(const BenchmarkEntry& a, const BenchmarkEntry& b) {
  EXPECT_EQ(a.run_type, b.run_type);
  EXPECT_EQ(a.aggregate_name, b.aggregate_name);
  EXPECT_EQ(a.aggregate_unit, b.aggregate_unit);
  EXPECT_EQ(a.repetitions, b.repetitions);
  EXPECT_EQ(a.repetition_index, b.repetition_index);
  EXPECT_EQ(a.iterations, b.iterations);
  EXPECT_EQ(a.real_time, b.real_time);
  EXPECT_EQ(a.cpu_time, b.cpu_time);
  EXPECT_EQ(a.time_unit, b.time_unit);
}

void expect_equal(const ProblemResult& a, const ProblemResult& b) {
  SCOPED_TRACE(a.problem);
  EXPECT_EQ(a.problem, b.problem);
  EXPECT_EQ(a.kernel, b.kernel);
  EXPECT_EQ(a.dtype, b.dtype);
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.reason, b.reason);
  EXPECT_EQ(a.implementation, b.implementation);
  EXPECT_EQ(a.provenance, b.provenance);
  EXPECT_EQ(a.flop, b.flop);
  EXPECT_EQ(a.min_bytes, b.min_bytes);
  EXPECT_EQ(a.verification.passed, b.verification.passed);
  EXPECT_EQ(a.verification.metric, b.verification.metric);
  EXPECT_EQ(a.verification.max_error, b.verification.max_error);
  EXPECT_EQ(a.verification.tolerance, b.verification.tolerance);
  EXPECT_EQ(a.verification.checked, b.verification.checked);
  EXPECT_EQ(a.verification.total, b.verification.total);
  EXPECT_EQ(a.verification.nonfinite, b.verification.nonfinite);
  EXPECT_EQ(a.verification.detail, b.verification.detail);
  EXPECT_EQ(a.verification.wrong, b.verification.wrong);
  EXPECT_EQ(a.time_s.count, b.time_s.count);
  EXPECT_EQ(a.time_s.median, b.time_s.median);
  EXPECT_EQ(a.time_s.p10, b.time_s.p10);
  EXPECT_EQ(a.time_s.p90, b.time_s.p90);
  EXPECT_EQ(a.time_s.cv, b.time_s.cv);
  EXPECT_EQ(a.samples_s, b.samples_s);
  EXPECT_EQ(a.iterations_per_sample, b.iterations_per_sample);
  EXPECT_EQ(a.flop_per_s, b.flop_per_s);
  EXPECT_EQ(a.bytes_per_s, b.bytes_per_s);
  EXPECT_EQ(a.fraction_of_peak, b.fraction_of_peak);
  EXPECT_EQ(a.warnings, b.warnings);
  ASSERT_EQ(a.collective.has_value(), b.collective.has_value());
  if (a.collective) {
    const CollectiveResult &x = *a.collective, &y = *b.collective;
    EXPECT_EQ(x.ranks, y.ranks);
    EXPECT_EQ(x.transport, y.transport);
    EXPECT_EQ(x.algo, y.algo);
    EXPECT_EQ(x.op, y.op);
    EXPECT_EQ(x.in_place, y.in_place);
    EXPECT_EQ(x.count, y.count);
    EXPECT_EQ(x.bus_factor, y.bus_factor);
    EXPECT_EQ(x.algbw_bytes_per_s, y.algbw_bytes_per_s);
    EXPECT_EQ(x.busbw_bytes_per_s, y.busbw_bytes_per_s);
    EXPECT_EQ(x.wrong_elements, y.wrong_elements);
  }
  EXPECT_EQ(a.reproducer, b.reproducer);
  ASSERT_EQ(a.entries.size(), b.entries.size());
  for (std::size_t i = 0; i < a.entries.size(); ++i) expect_equal(a.entries[i], b.entries[i]);
}

void expect_equal(const RunRecord& a, const RunRecord& b) {
  const RunContext &x = a.context, &y = b.context;
  EXPECT_EQ(x.date, y.date);
  EXPECT_EQ(x.host_name, y.host_name);
  EXPECT_EQ(x.executable, y.executable);
  EXPECT_EQ(x.num_cpus, y.num_cpus);
  EXPECT_EQ(x.mhz_per_cpu, y.mhz_per_cpu);
  EXPECT_EQ(x.cpu_scaling_enabled, y.cpu_scaling_enabled);
  EXPECT_EQ(x.library_build_type, y.library_build_type);
  EXPECT_EQ(x.timestamp_utc, y.timestamp_utc);
  EXPECT_EQ(x.trainbench_version, y.trainbench_version);
  EXPECT_EQ(x.git_commit, y.git_commit);
  EXPECT_EQ(x.build_type, y.build_type);
  EXPECT_EQ(x.compiler, y.compiler);
  EXPECT_EQ(x.command_line, y.command_line);
  EXPECT_EQ(x.cpu_model, y.cpu_model);
  EXPECT_EQ(x.backend, y.backend);
  EXPECT_EQ(x.processes, y.processes);
  EXPECT_EQ(x.device.name, y.device.name);
  EXPECT_EQ(x.device.kind, y.device.kind);
  EXPECT_EQ(x.device.compute_units, y.device.compute_units);
  EXPECT_EQ(x.device.memory_bytes, y.device.memory_bytes);
  EXPECT_EQ(x.device.shares_host_memory, y.device.shares_host_memory);
  EXPECT_EQ(x.device.peak_flop_per_s, y.device.peak_flop_per_s);
  EXPECT_EQ(x.device.peak_source, y.device.peak_source);
  EXPECT_EQ(x.device.properties, y.device.properties);
  EXPECT_EQ(x.repetitions, y.repetitions);
  EXPECT_EQ(x.min_time_s, y.min_time_s);
  EXPECT_EQ(x.warmup_time_s, y.warmup_time_s);
  EXPECT_EQ(x.seed, y.seed);
  ASSERT_EQ(a.results.size(), b.results.size());
  for (std::size_t i = 0; i < a.results.size(); ++i) expect_equal(a.results[i], b.results[i]);
}

// ---- Document shape ---------------------------------------------------------------

TEST(ResultJsonTest, ContextHasGoogleBenchmarkFieldsAndOurSchemaVersion) {
  const json doc = to_json(sample_record());
  ASSERT_TRUE(doc.is_object());
  const json& ctx = doc.at("context");
  EXPECT_EQ(ctx.at("json_schema_version"), 1);
  EXPECT_EQ(ctx.at("date"), "2024-05-01T12:00:00+0200");
  EXPECT_EQ(ctx.at("host_name"), "testhost");
  EXPECT_EQ(ctx.at("num_cpus"), 2);
  EXPECT_EQ(ctx.at("mhz_per_cpu"), 2500.5);
  EXPECT_EQ(ctx.at("cpu_scaling_enabled"), true);
  EXPECT_EQ(ctx.at("library_build_type"), "release");
  EXPECT_TRUE(ctx.at("caches").is_array());
  const json& tb = ctx.at("trainbench");
  EXPECT_EQ(tb.at("schema_version"), kResultSchemaVersion);
  EXPECT_EQ(tb.at("backend"), "cpu");
  EXPECT_EQ(tb.at("git_commit"), "abcdef123456");
  EXPECT_EQ(tb.at("device").at("peak_flop_per_s").at("fp32"), 1.5e11);
  EXPECT_EQ(tb.at("device").at("peak_flop_per_s").at("bf16"), 3e11);
  EXPECT_EQ(tb.at("device").at("peak_flop_per_s").at("fp8"), 6e11);
  EXPECT_EQ(tb.at("device").at("properties").at("threads"), "2");
  EXPECT_EQ(tb.at("options").at("seed"), 42);
}

TEST(ResultJsonTest, BenchmarksHaveGoogleBenchmarkShapeAndOurFields) {
  const json doc = to_json(sample_record());
  const json& benchmarks = doc.at("benchmarks");
  ASSERT_TRUE(benchmarks.is_array());
  ASSERT_EQ(benchmarks.size(), 6u) << "only the passed result has entries";
  const std::string run_name = std::string(kPassed) + "/cpu";
  for (const json& b : benchmarks) {
    SCOPED_TRACE(b.dump());
    for (const char* key : {"name", "run_name", "run_type", "repetitions", "real_time", "cpu_time", "time_unit",
                            "iterations", "threads", "family_index", "per_family_instance_index", "problem",
                            "backend", "dtype", "provenance", "verification_status"}) {
      EXPECT_TRUE(b.contains(key)) << key;
    }
    EXPECT_EQ(b.at("run_name"), run_name);
    EXPECT_EQ(b.at("repetitions"), 2);
    EXPECT_EQ(b.at("time_unit"), "ms");
    EXPECT_EQ(b.at("problem"), kPassed);
    EXPECT_EQ(b.at("backend"), "cpu");
    EXPECT_EQ(b.at("dtype"), "fp32");
    EXPECT_EQ(b.at("provenance"), "measured");
    EXPECT_EQ(b.at("verification_status"), "passed");
  }
  EXPECT_EQ(benchmarks[0].at("name"), run_name);
  EXPECT_EQ(benchmarks[0].at("run_type"), "iteration");
  EXPECT_EQ(benchmarks[0].at("repetition_index"), 0);
  EXPECT_FALSE(benchmarks[0].contains("aggregate_name"));
  EXPECT_EQ(benchmarks[1].at("real_time"), 4.0);
  EXPECT_EQ(benchmarks[1].at("cpu_time"), 6.0);
  EXPECT_EQ(benchmarks[1].at("repetition_index"), 1);

  EXPECT_EQ(benchmarks[2].at("name"), run_name + "_mean");
  EXPECT_EQ(benchmarks[2].at("run_type"), "aggregate");
  EXPECT_EQ(benchmarks[2].at("aggregate_name"), "mean");
  EXPECT_EQ(benchmarks[2].at("aggregate_unit"), "time");
  EXPECT_FALSE(benchmarks[2].contains("repetition_index"));
  EXPECT_EQ(benchmarks[3].at("aggregate_name"), "median");
  EXPECT_EQ(benchmarks[5].at("name"), run_name + "_cv");
  EXPECT_EQ(benchmarks[5].at("aggregate_unit"), "percentage");

  // Throughput only where the entry is a time: 65536 FLOP in 2 ms.
  EXPECT_DOUBLE_EQ(benchmarks[0].at("flop_per_s").get<double>(), 65536 / 2e-3);
  EXPECT_DOUBLE_EQ(benchmarks[3].at("flop_per_s").get<double>(), 65536 / 3e-3);
  EXPECT_FALSE(benchmarks[4].contains("flop_per_s")) << "stddev is not a time";
  EXPECT_FALSE(benchmarks[5].contains("flop_per_s")) << "cv is not a time";
}

TEST(ResultJsonTest, ThroughputHonoursEachEntrysTimeUnit) {
  RunRecord rec = sample_record();
  std::vector<BenchmarkEntry>& entries = rec.results[0].entries;
  entries[0].real_time = 2e6;  // 2 ms as ns
  entries[0].time_unit = "ns";
  entries[1].real_time = 4e3;  // 4 ms as us
  entries[1].time_unit = "us";
  const json benchmarks = to_json(rec).at("benchmarks");
  EXPECT_EQ(benchmarks[0].at("time_unit"), "ns");
  EXPECT_DOUBLE_EQ(benchmarks[0].at("flop_per_s").get<double>(), 65536 / 2e-3);
  EXPECT_EQ(benchmarks[1].at("time_unit"), "us");
  EXPECT_DOUBLE_EQ(benchmarks[1].at("flop_per_s").get<double>(), 65536 / 4e-3);
  const Expected<RunRecord> back = from_json(to_json(rec));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->results[0].entries[0].time_unit, "ns");
  EXPECT_EQ(back->results[0].entries[1].time_unit, "us");
}

TEST(ResultJsonTest, EachProblemHasItsOwnFamilyAndInstanceIndices) {
  // Google Benchmark's order: a family per kernel as first seen, an instance per problem of it.
  RunRecord rec = sample_record();
  ProblemResult attention = problem_result("attention:b=1,h=2,s=64,d=32,dtype=fp32", ResultStatus::kPassed, kSeed);
  attention.entries = {iteration(0, 1.0), iteration(1, 1.0)};
  ProblemResult second_gemm = problem_result("gemm:m=32,n=32,k=32,dtype=fp32", ResultStatus::kPassed, kSeed);
  second_gemm.entries = {iteration(0, 1.0), iteration(1, 1.0), aggregate("median", 1.0)};
  rec.results.push_back(attention);
  rec.results.push_back(second_gemm);
  std::map<std::string, std::pair<int, int>> index;  // by problem
  const json doc = to_json(rec);
  for (const json& b : doc.at("benchmarks")) {
    const std::pair<int, int> i{b.at("family_index"), b.at("per_family_instance_index")};
    const auto it = index.try_emplace(b.at("problem").get<std::string>(), i).first;
    EXPECT_EQ(it->second, i) << "every entry of a problem has the same indices: " << b.dump();
  }
  ASSERT_EQ(index.size(), 3u) << "the failed and skipped problems have no entries";
  EXPECT_EQ(index.at(kPassed), std::make_pair(0, 0));
  EXPECT_EQ(index.at(attention.problem), std::make_pair(1, 0));
  EXPECT_EQ(index.at(second_gemm.problem), std::make_pair(0, 1));
}

TEST(ResultJsonTest, MedianOnlyWritesOneMedianEntryPerPassedProblem) {
  RunRecord rec = sample_record();
  rec.context.median_only = true;
  ProblemResult one_repetition = problem_result("gemm:m=32,n=32,k=32,dtype=fp32", ResultStatus::kPassed, kSeed);
  one_repetition.entries = {iteration(0, 5.0)};  // 5 ms; cpu 7.5 ms
  one_repetition.entries[0].repetitions = 1;
  ProblemResult projected = problem_result("gemm:m=16,n=16,k=16,dtype=fp32", ResultStatus::kPassed, kSeed);
  projected.provenance = "projected";
  projected.samples_s = {2.5e-6};  // no entries: nothing was timed
  rec.results.push_back(one_repetition);
  rec.results.push_back(projected);

  const json doc = to_json(rec);
  const json& benchmarks = doc.at("benchmarks");
  ASSERT_EQ(benchmarks.size(), 3u) << "one per passed problem: " << benchmarks.dump(2);
  for (const json& b : benchmarks) {
    EXPECT_EQ(b.at("run_type"), "aggregate");
    EXPECT_EQ(b.at("aggregate_name"), "median");
    EXPECT_EQ(b.at("name"), b.at("problem").get<std::string>() + "/cpu_median");
  }
  EXPECT_EQ(benchmarks[0].at("real_time"), 3.0) << "Google Benchmark's own median aggregate";
  EXPECT_EQ(benchmarks[0].at("time_unit"), "ms");
  EXPECT_DOUBLE_EQ(benchmarks[1].at("real_time").get<double>(), 5e6) << "the one repetition, in ns";
  EXPECT_DOUBLE_EQ(benchmarks[1].at("cpu_time").get<double>(), 7.5e6);
  EXPECT_EQ(benchmarks[1].at("iterations"), 1);
  EXPECT_DOUBLE_EQ(benchmarks[2].at("real_time").get<double>(), 2500.0) << "the projection's median, in ns";
  EXPECT_EQ(benchmarks[2].at("cpu_time"), 0.0) << "no thread was timed";
  EXPECT_EQ(benchmarks[2].at("provenance"), "projected");
  EXPECT_EQ(doc.at("context").at("trainbench").at("options").at("median_only"), true);

  // Read back and written again, the file keeps the same entries.
  const Expected<RunRecord> back = from_json(doc);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_TRUE(back->context.median_only);
  EXPECT_EQ(to_json(*back).at("benchmarks"), benchmarks);
}

TEST(ResultJsonTest, FilesWithoutMedianOnlyReadAsEveryRepetition) {
  json doc = to_json(sample_record());
  doc["context"]["trainbench"]["options"].erase("median_only");
  const Expected<RunRecord> r = from_json(doc);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r->context.median_only);
  EXPECT_EQ(to_json(*r).at("benchmarks").size(), 6u);
}

TEST(ResultJsonTest, ResultsHaveOneRecordPerProblem) {
  const json doc = to_json(sample_record());
  const json& results = doc.at("results");
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0].at("status"), "passed");
  EXPECT_EQ(results[1].at("status"), "failed");
  EXPECT_EQ(results[2].at("status"), "skipped");
  EXPECT_EQ(results[1].at("verification").at("max_error"), 0.5);
  EXPECT_EQ(results[1].at("verification").at("passed"), false);
  EXPECT_EQ(results[2].at("reason"), "oneDNN has no fp16 matmul for this CPU");
  EXPECT_DOUBLE_EQ(results[0].at("time_s").at("median").get<double>(), 0.003);
  EXPECT_EQ(results[0].at("samples_s"), (json{0.002, 0.004}));
}

// ---- Round trips --------------------------------------------------------------------

TEST(ResultJsonTest, RoundTripsThroughJson) {
  const RunRecord rec = sample_record();
  const Expected<RunRecord> back = from_json(to_json(rec));
  ASSERT_TRUE(back.ok()) << back.error().message;
  expect_equal(rec, *back);
}

TEST(ResultJsonTest, RoundTripsThroughJsonText) {
  const RunRecord rec = sample_record();
  const Expected<RunRecord> back = from_json(json::parse(to_json(rec).dump(2)));
  ASSERT_TRUE(back.ok()) << back.error().message;
  expect_equal(rec, *back);
}

TEST(ResultJsonTest, LargeSeedRoundTrips) {
  RunRecord rec = sample_record();
  rec.context.seed = 0xFFFFFFFFFFFFFFF0ull;
  const Expected<RunRecord> back = from_json(json::parse(to_json(rec).dump()));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->context.seed, 0xFFFFFFFFFFFFFFF0ull);
}

TEST(ResultJsonTest, WriteAndReadResultFile) {
  const TempDir dir;
  const std::string path = dir.file("run.json");
  const RunRecord rec = sample_record();
  const Status written = write_result_file(path, rec);
  ASSERT_TRUE(written.ok()) << written.error().message;
  const Expected<RunRecord> back = read_result_file(path);
  ASSERT_TRUE(back.ok()) << back.error().message;
  expect_equal(rec, *back);
  // No temporary files left next to it.
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    ++files;
    EXPECT_EQ(entry.path().filename().string(), "run.json");
  }
  EXPECT_EQ(files, 1);
}

// A verification that met NaN outputs has max_error = inf; JSON has no
// infinity, so it is written as the string "inf" and must read back as inf.
TEST(ResultJsonTest, ResultWithInfiniteMaxErrorRoundTripsThroughAFile) {
  const TempDir dir;
  const std::string path = dir.file("run.json");
  RunRecord rec = sample_record();
  rec.results[1].verification.max_error = INFINITY;
  rec.results[1].verification.nonfinite = 64;
  ASSERT_TRUE(write_result_file(path, rec).ok());
  const Expected<RunRecord> back = read_result_file(path);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_TRUE(std::isinf(back->results[1].verification.max_error));
}

// A change to a valid document, and what the error must contain.
struct Mutation {
  const char* what;
  std::function<void(json&)> apply;
  std::vector<std::string> needles;
};

// ---- Collectives ------------------------------------------------------------------

TEST(ResultJsonTest, CollectiveFieldsCarryUnitsInTheirNames) {
  const json doc = to_json(collective_record());
  EXPECT_EQ(doc.at("context").at("processes"), "MPI: 4 processes (Open MPI v4.1.4)");
  EXPECT_FALSE(doc.at("context").at("trainbench").contains("processes"));
  const json& results = doc.at("results");
  ASSERT_EQ(results.size(), 7u);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_FALSE(results[i].contains("collective")) << "gemm result " << i;
  const json& c = results[3].at("collective");
  EXPECT_EQ(c.size(), 10u) << c.dump();
  EXPECT_EQ(c.at("ranks"), 4);
  EXPECT_EQ(c.at("transport"), "mpi");
  EXPECT_EQ(c.at("algo"), "ring");
  EXPECT_EQ(c.at("op"), "sum");
  EXPECT_EQ(c.at("in_place"), false);
  EXPECT_EQ(c.at("count_elements"), 262144);
  EXPECT_EQ(c.at("bus_factor"), 1.5);
  EXPECT_DOUBLE_EQ(c.at("algbw_bytes_per_s").get<double>(), 1048576 / 1e-4);
  EXPECT_DOUBLE_EQ(c.at("busbw_bytes_per_s").get<double>(), 1048576 / 1e-4 * 1.5);
  EXPECT_EQ(c.at("wrong_elements"), 0);
  EXPECT_EQ(results[4].at("collective").at("in_place"), true);
  EXPECT_EQ(results[5].at("collective").at("wrong_elements"), 3);
  EXPECT_EQ(results[5].at("verification").at("wrong_elements"), 3);
  EXPECT_EQ(results[5].at("collective").at("algbw_bytes_per_s"), 0.0) << "not timed";
  // The passed collective's GB entries stay in GB's shape, named by the problem.
  const json& benchmarks = doc.at("benchmarks");
  ASSERT_EQ(benchmarks.size(), 8u);
  EXPECT_EQ(benchmarks[6].at("name"), results[3].at("problem").get<std::string>() + "/cpu");
  EXPECT_FALSE(benchmarks[6].contains("collective"));
}

TEST(ResultJsonTest, CollectiveRecordRoundTripsThroughJsonText) {
  const RunRecord rec = collective_record();
  const Expected<RunRecord> back = from_json(json::parse(to_json(rec).dump(2)));
  ASSERT_TRUE(back.ok()) << back.error().message;
  expect_equal(rec, *back);
  EXPECT_EQ(back->context.processes, "MPI: 4 processes (Open MPI v4.1.4)");
  ASSERT_TRUE(back->results[4].collective.has_value());
  EXPECT_EQ(back->results[4].collective->op, "max");
  EXPECT_TRUE(back->results[4].collective->in_place);
  EXPECT_FALSE(back->results[0].collective.has_value());
}

TEST(ResultJsonTest, CollectiveRecordRoundTripsThroughAFile) {
  const TempDir dir;
  const std::string path = dir.file("run.json");
  const RunRecord rec = collective_record();
  ASSERT_TRUE(write_result_file(path, rec).ok());
  const Expected<RunRecord> back = read_result_file(path);
  ASSERT_TRUE(back.ok()) << back.error().message;
  expect_equal(rec, *back);
}

// Files written before collectives have no processes, no collective objects
// and no verification.wrong_elements: they read as a single process without
// collectives.
TEST(ResultJsonTest, OlderFilesWithoutCollectiveFieldsAreAccepted) {
  json doc = to_json(collective_record());
  doc["context"].erase("processes");
  for (json& r : doc["results"]) {
    r.erase("collective");
    r["verification"].erase("wrong_elements");
  }
  const Expected<RunRecord> back = from_json(doc);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->context.processes, "single process");
  ASSERT_EQ(back->results.size(), 7u);
  for (const ProblemResult& r : back->results) {
    EXPECT_FALSE(r.collective.has_value()) << r.problem;
    EXPECT_EQ(r.verification.wrong, 0) << r.problem;
  }
}

TEST(ResultJsonTest, FromJsonRejectsMalformedCollectivesNamingTheField) {
  const std::vector<Mutation> mutations = {
      {"collective not an object", [](json& d) { d["results"][3]["collective"] = "ring"; },
       {"'$.results[3].collective'", "an object"}},
      {"collective null", [](json& d) { d["results"][3]["collective"] = nullptr; },
       {"'$.results[3].collective'", "an object"}},
      {"ranks missing", [](json& d) { d["results"][3]["collective"].erase("ranks"); },
       {"'$.results[3].collective.ranks'", "missing"}},
      {"ranks not an integer", [](json& d) { d["results"][4]["collective"]["ranks"] = 2.5; },
       {"'$.results[4].collective.ranks'", "an integer"}},
      {"ranks zero", [](json& d) { d["results"][3]["collective"]["ranks"] = 0; },
       {"'$.results[3].collective.ranks'", "is 0", "expected 1 to"}},
      {"transport not a string", [](json& d) { d["results"][3]["collective"]["transport"] = 1; },
       {"'$.results[3].collective.transport'", "a string"}},
      {"algo missing", [](json& d) { d["results"][3]["collective"].erase("algo"); },
       {"'$.results[3].collective.algo'"}},
      {"op not a string", [](json& d) { d["results"][3]["collective"]["op"] = json::array(); },
       {"'$.results[3].collective.op'", "a string"}},
      {"in_place not a boolean", [](json& d) { d["results"][4]["collective"]["in_place"] = 1; },
       {"'$.results[4].collective.in_place'", "a boolean"}},
      {"count not an integer", [](json& d) { d["results"][3]["collective"]["count_elements"] = "262144"; },
       {"'$.results[3].collective.count_elements'", "an integer"}},
      {"count negative", [](json& d) { d["results"][3]["collective"]["count_elements"] = -1; },
       {"'$.results[3].collective.count_elements'", "is -1", "at least 0"}},
      {"bus factor not a number", [](json& d) { d["results"][3]["collective"]["bus_factor"] = "1.5"; },
       {"'$.results[3].collective.bus_factor'", "a number"}},
      {"algbw missing", [](json& d) { d["results"][3]["collective"].erase("algbw_bytes_per_s"); },
       {"'$.results[3].collective.algbw_bytes_per_s'"}},
      {"busbw not a number", [](json& d) { d["results"][3]["collective"]["busbw_bytes_per_s"] = true; },
       {"'$.results[3].collective.busbw_bytes_per_s'", "a number"}},
      {"wrong negative", [](json& d) { d["results"][5]["collective"]["wrong_elements"] = -3; },
       {"'$.results[5].collective.wrong_elements'", "at least 0"}},
      {"wrong not an integer", [](json& d) { d["results"][5]["collective"]["wrong_elements"] = 3.5; },
       {"'$.results[5].collective.wrong_elements'", "an integer"}},
      {"verification wrong not an integer", [](json& d) { d["results"][5]["verification"]["wrong_elements"] = "3"; },
       {"'$.results[5].verification.wrong_elements'", "an integer"}},
      {"processes not a string", [](json& d) { d["context"]["processes"] = 4; },
       {"'$.context.processes'", "a string"}},
  };
  for (const Mutation& m : mutations) {
    SCOPED_TRACE(m.what);
    json doc = to_json(collective_record());
    m.apply(doc);
    const Expected<RunRecord> r = from_json(doc);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kBadInput);
    expect_contains_all(r.error().message, m.needles);
  }
}

// `trainbench show` reports a broken result file as bad input (exit 2) naming the file and the field.
TEST(ResultJsonTest, ReadResultFileNamesTheFileAndTheCollectiveField) {
  const TempDir dir;
  json doc = to_json(collective_record());
  doc["results"][4]["collective"]["ranks"] = "four";
  const std::string path = dir.write("broken.json", doc.dump(2));
  const Expected<RunRecord> r = read_result_file(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kBadInput);
  expect_contains_all(r.error().message, {"'" + path + "'", "'$.results[4].collective.ranks'", "an integer"});
}

// ---- Rejections ---------------------------------------------------------------------

TEST(ResultJsonTest, FromJsonRejectsBadDocumentsNamingTheField) {
  const std::vector<Mutation> mutations = {
      {"missing status", [](json& d) { d["results"][0].erase("status"); }, {"'$.results[0].status'", "missing"}},
      {"status not a string", [](json& d) { d["results"][1]["status"] = 3; }, {"'$.results[1].status'", "a string"}},
      {"flop not a number", [](json& d) { d["results"][0]["flop"] = "many"; }, {"'$.results[0].flop'", "a number"}},
      {"count not an integer", [](json& d) { d["results"][0]["time_s"]["count"] = 1.5; },
       {"'$.results[0].time_s.count'", "an integer"}},
      {"checked not an integer", [](json& d) { d["results"][2]["verification"]["checked_elements"] = "x"; },
       {"'$.results[2].verification.checked_elements'"}},
      {"unknown status", [](json& d) { d["results"][2]["status"] = "exploded"; }, {"'exploded'"}},
      {"schema version", [](json& d) { d["context"]["trainbench"]["schema_version"] = kResultSchemaVersion + 1; },
       {"schema_version " + std::to_string(kResultSchemaVersion + 1), "not supported"}},
      {"no trainbench context", [](json& d) { d["context"].erase("trainbench"); }, {"'$.context.trainbench'"}},
      {"no context", [](json& d) { d.erase("context"); }, {"'$.context'"}},
      {"results not an array", [](json& d) { d["results"] = json::object(); }, {"'$.results'", "an array"}},
      {"result not an object", [](json& d) { d["results"][1] = 5; }, {"'$.results[1]'", "not an object"}},
      {"benchmark not an object", [](json& d) { d["benchmarks"][0] = "x"; }, {"'$.benchmarks[0]'"}},
      {"benchmark without problem", [](json& d) { d["benchmarks"][3].erase("problem"); },
       {"'$.benchmarks[3].problem'"}},
      {"benchmark of an unknown problem", [](json& d) { d["benchmarks"][0]["problem"] = "gemm:m=1,n=1,k=1,dtype=fp32"; },
       {"'$.benchmarks[0].problem'", "gemm:m=1,n=1,k=1,dtype=fp32", "$.results"}},
      {"bad run type", [](json& d) { d["benchmarks"][1]["run_type"] = "bogus"; },
       {"'$.benchmarks[1].run_type'", "bogus"}},
      {"aggregate without name", [](json& d) { d["benchmarks"][2].erase("aggregate_name"); },
       {"'$.benchmarks[2].aggregate_name'"}},
      {"warnings not strings", [](json& d) { d["results"][0]["warnings"] = json::array({1}); },
       {"'$.results[0].warnings'"}},
      {"sample not a number", [](json& d) { d["results"][0]["samples_s"][1] = "slow"; }, {"'$.results[0].samples_s'"}},
      {"peak not a number", [](json& d) { d["context"]["trainbench"]["device"]["peak_flop_per_s"]["fp32"] = "fast"; },
       {"peak_flop_per_s.fp32"}},
      {"peak of an unknown dtype",
       [](json& d) { d["context"]["trainbench"]["device"]["peak_flop_per_s"]["fp64"] = 1.0; },
       {"'fp64'"}},
      {"property not a string", [](json& d) { d["context"]["trainbench"]["device"]["properties"]["threads"] = 2; },
       {"properties.threads"}},
      {"device name missing", [](json& d) { d["context"]["trainbench"]["device"].erase("name"); },
       {"'$.context.trainbench.device.name'"}},
      {"seed not an integer", [](json& d) { d["context"]["trainbench"]["options"]["seed"] = "42"; },
       {"'$.context.trainbench.options.seed'"}},
      {"unknown time unit", [](json& d) { d["benchmarks"][1]["time_unit"] = "fortnight"; },
       {"'$.benchmarks[1].time_unit'", "fortnight", "ns, us, ms or s"}},
      {"median_only not a boolean", [](json& d) { d["context"]["trainbench"]["options"]["median_only"] = "yes"; },
       {"'$.context.trainbench.options.median_only'"}},
  };
  for (const Mutation& m : mutations) {
    SCOPED_TRACE(m.what);
    json doc = to_json(sample_record());
    m.apply(doc);
    const Expected<RunRecord> r = from_json(doc);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kBadInput);
    expect_contains_all(r.error().message, m.needles);
  }
}

TEST(ResultJsonTest, FromJsonRejectsNonObjects) {
  for (const json& doc : {json::array(), json(3), json("text"), json(nullptr)}) {
    const Expected<RunRecord> r = from_json(doc);
    ASSERT_FALSE(r.ok()) << doc.dump();
    EXPECT_EQ(r.error().code, ErrorCode::kBadInput);
    expect_contains_all(r.error().message, {"not a JSON object"});
  }
}

TEST(ResultJsonTest, ReadResultFileErrorsNameTheFile) {
  struct Case {
    const char* name;
    std::optional<std::string> content;  // none: the file does not exist
    ErrorCode code;
    std::vector<std::string> needles;  // besides the quoted path
  };
  const TempDir dir;
  for (const Case& c : {Case{"invalid.json", "{\"context\": ", ErrorCode::kBadInput, {"not valid JSON"}},
                        Case{"missing.json", std::nullopt, ErrorCode::kIo, {}},
                        Case{"wrong.json", "{\"benchmarks\": []}", ErrorCode::kBadInput, {"'$.context'"}}}) {
    SCOPED_TRACE(c.name);
    const std::string path = c.content ? dir.write(c.name, *c.content) : dir.file(c.name);
    const Expected<RunRecord> r = read_result_file(path);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, c.code);
    expect_contains_all(r.error().message, {"'" + path + "'"});
    expect_contains_all(r.error().message, c.needles);
  }
}

}  // namespace
}  // namespace tb
