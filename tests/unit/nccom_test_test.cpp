// nccom-test: argument vectors, the table parser, the child-process runner,
// the whole path against tests/data/fake-nccom-test (FAKE_NCCOM_MODE picks its
// behaviour), and which all-reduce problems the Neuron backend sends to it.
#include "backends/neuron/nccom_test.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "backends/neuron/neuron_backend.h"
#include "kernels/allreduce/allreduce_problem.h"
#include "support/problem_helpers.h"

namespace tb {
namespace {

// Whether `text` contains `part` (gmock's HasSubstr without gmock).
::testing::AssertionResult Contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << part << "' is not in: " << text;
}

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

std::string error_of(const Status& s) { return s.ok() ? std::string("(ok)") : s.error().message; }
template <typename T>
std::string error_of(const Expected<T>& e) {
  return e.ok() ? std::string("(ok)") : e.error().message;
}

NccomRequest request(std::int64_t min_bytes, std::int64_t max_bytes, DType dtype) {
  NccomRequest r;
  r.executable = "/opt/aws/neuron/bin/nccom-test";
  r.ranks = 2;
  r.nodes = 1;
  r.min_bytes = min_bytes;
  r.max_bytes = max_bytes;
  r.dtype = dtype;
  return r;
}

// ---------------------------------------------------------------------------
// Arguments

TEST(NccomArguments, Fp32OneSizeIsCheckedWithMinEqualMax) {
  NccomRequest r = request(1073741824, 1073741824, DType::kFp32);
  const std::vector<std::string> expected = {"/opt/aws/neuron/bin/nccom-test", "all_reduce", "-r", "2", "-N", "1",
                                             "-b", "1073741824", "-e", "1073741824", "-n", "20", "-w", "5", "-d",
                                             "fp32", "-c"};
  EXPECT_EQ(nccom_test_arguments(r), expected);
  EXPECT_TRUE(check_nccom_request(r).ok()) << error_of(check_nccom_request(r));
}

// The operation first, -c last: since SDK 2.28 -c takes an optional value
// (random, all_ones), and --stats takes every word after it.
TEST(NccomArguments, NewerOptionsGoBeforeACheckThatComesLast) {
  NccomRequest r = request(1024, 1024, DType::kFp32);
  r.options.stats = true;
  r.options.non_interactive = true;
  const std::vector<std::string> expected = {"/opt/aws/neuron/bin/nccom-test", "all_reduce", "-r", "2", "-N", "1",
                                             "-b", "1024", "-e", "1024", "-n", "20", "-w", "5", "-d", "fp32",
                                             "--non-interactive", "--stats", "avg", "p50", "-c"};
  EXPECT_EQ(nccom_test_arguments(r), expected);
}

TEST(NccomArguments, Bf16SweepHasFactorAndNoCheck) {
  NccomRequest r = request(1024, 1 << 30, DType::kBf16);
  r.ranks = 64;
  r.nodes = 2;
  r.step_factor = 4;
  r.iters = 50;
  r.warmup = 10;
  const std::vector<std::string> expected = {"/opt/aws/neuron/bin/nccom-test", "all_reduce", "-r", "64", "-N", "2",
                                             "-b", "1024", "-e", "1073741824", "-f", "4", "-n", "50", "-w", "10",
                                             "-d", "bf16"};
  EXPECT_EQ(nccom_test_arguments(r), expected);
  EXPECT_TRUE(check_nccom_request(r).ok()) << error_of(check_nccom_request(r));
}

TEST(NccomArguments, DtypeNames) {
  EXPECT_EQ(nccom_dtype_name(DType::kFp32), "fp32");
  EXPECT_EQ(nccom_dtype_name(DType::kBf16), "bf16");
  EXPECT_EQ(nccom_dtype_name(DType::kFp16), "fp16");
  const std::vector<std::string> argv = nccom_test_arguments(request(2, 2, DType::kFp16));
  EXPECT_EQ(argv.back(), "fp16");  // no -c: we check fp32 only
  EXPECT_EQ(argv[1], "all_reduce");
}

TEST(NccomArguments, RejectsRequestsNccomTestWouldRefuse) {
  const auto message = [](auto edit) {
    NccomRequest r = request(1024, 4096, DType::kFp32);
    edit(r);
    const Status s = check_nccom_request(r);
    EXPECT_FALSE(s.ok());
    if (s.ok()) return std::string();
    EXPECT_EQ(s.error().code, ErrorCode::kBadInput);
    return s.error().message;
  };
  EXPECT_TRUE(Contains(message([](NccomRequest& r) { r.ranks = 0; }), "ranks must be at least 1, got 0"));
  EXPECT_TRUE(Contains(message([](NccomRequest& r) { r.nodes = 0; }), "nodes must be at least 1"));
  EXPECT_TRUE(Contains(message([](NccomRequest& r) { r.ranks = 3, r.nodes = 2; }), "multiple of nodes"));
  EXPECT_TRUE(Contains(message([](NccomRequest& r) { r.min_bytes = 2; }), "at least one fp32 element"));
  EXPECT_TRUE(Contains(message([](NccomRequest& r) { r.max_bytes = 512; }), "below the smallest"));
  EXPECT_TRUE(Contains(message([](NccomRequest& r) { r.max_bytes = 4098; }), "4098 B is not a whole number"));
  EXPECT_TRUE(Contains(message([](NccomRequest& r) { r.step_factor = 1; }), "step factor of at least 2"));
  EXPECT_TRUE(Contains(message([](NccomRequest& r) { r.iters = 0; }), "iterations must be at least 1"));
  EXPECT_TRUE(Contains(message([](NccomRequest& r) { r.warmup = -1; }), "warm-up"));
  EXPECT_TRUE(Contains(message([](NccomRequest& r) { r.executable.clear(); }), "executable path is empty"));
}

TEST(NccomArguments, ResolveExecutable) {
  const char* saved = std::getenv("TRAINBENCH_NCCOM_TEST");
  const std::string saved_value = saved ? saved : "";
  ::setenv("TRAINBENCH_NCCOM_TEST", "/env/nccom-test", 1);
  EXPECT_EQ(resolve_nccom_test("/flag/nccom-test"), "/flag/nccom-test");
  EXPECT_EQ(resolve_nccom_test(""), "/env/nccom-test");
  ::unsetenv("TRAINBENCH_NCCOM_TEST");
  const std::string fallback = resolve_nccom_test("");
  EXPECT_TRUE(fallback == "/opt/aws/neuron/bin/nccom-test" || fallback == "nccom-test") << fallback;
  if (saved) ::setenv("TRAINBENCH_NCCOM_TEST", saved_value.c_str(), 1);
}

// ---------------------------------------------------------------------------
// Parsing

// The SDK 2.10 guide's format (still in the current guide's first example):
// right-aligned columns, an integer time(us), then the footer.
constexpr const char* kDocumentedTable =
    "     size(B)    count(elems)     type    time(us)    algbw(GB/s)    busbw(GB/s)\n"
    "    33554432        33554432    uint8         768          40.69          40.69\n"
    "Avg bus bandwidth:      40.6901GB/s\n";

TEST(NccomParse, DocumentedExample) {
  const Expected<NccomResult> r = parse_nccom_output(kDocumentedTable);
  ASSERT_TRUE(r.ok()) << error_of(r);
  ASSERT_EQ(r->rows.size(), 1u);
  const NccomRow& row = r->rows[0];
  EXPECT_EQ(row.size_bytes, 33554432);
  EXPECT_EQ(row.count, 33554432);
  EXPECT_EQ(row.dtype, "uint8");
  EXPECT_EQ(row.time_us("time(us)"), 768.0);
  EXPECT_EQ(r->columns.size(), 6u);
  EXPECT_DOUBLE_EQ(row.algbw_GBps, 40.69);
  EXPECT_DOUBLE_EQ(row.busbw_GBps, 40.69);
  ASSERT_TRUE(r->avg_busbw_GBps.has_value());
  EXPECT_DOUBLE_EQ(*r->avg_busbw_GBps, 40.6901);
  // 33554432 B / 768 us = 43.69e9 B/s: the printed 40.69 is GiB/s.
  const NccomFigures f = nccom_figures(row, 2);
  EXPECT_NEAR(f.derived_algbw_bytes_per_s, 43.69e9, 0.01e9);
  EXPECT_NEAR(f.algbw_bytes_per_s, 40.69 * kGiB, 1.0);
  EXPECT_EQ(f.unit, NccomBandwidthUnit::kGiBps);
  EXPECT_TRUE(f.warning.empty()) << f.warning;
  // The guides up to SDK 2.27 call time(us) the P50.
  EXPECT_EQ(f.sample.statistic, "median");
  EXPECT_EQ(f.sample.column, "time(us)");
}

// The current guide's format (examples since SDK 2.24): time:avg(us), times
// with decimals, the footer after a TAB; its bandwidths computed in 1e9 B/s.
TEST(NccomParse, CurrentFormatIsTheMean) {
  const Expected<NccomResult> r = parse_nccom_output(
      "    size(B)    count(elems)     type    time:avg(us)    algbw(GB/s)    busbw(GB/s)\n"
      "    33554432        33554432    uint8          894.24          37.52          37.52\n"
      "Avg bus bandwidth:\t37.5230GB/s\n");
  ASSERT_TRUE(r.ok()) << error_of(r);
  const NccomRow& row = r->rows.at(0);
  EXPECT_EQ(row.time_us("avg"), 894.24);
  EXPECT_FALSE(row.time_us("p50").has_value());
  const NccomFigures f = nccom_figures(row, 2);
  EXPECT_EQ(f.sample.statistic, "mean");
  EXPECT_EQ(f.sample.column, "time:avg(us)");
  EXPECT_NEAR(f.time_s, 894.24e-6, 1e-12);
  // 33554432 B / 894.24 us = 37.52e9 B/s: printed in GB/s, not GiB/s (34.95).
  EXPECT_EQ(f.unit, NccomBandwidthUnit::kGBps);
  EXPECT_NEAR(f.algbw_bytes_per_s, 37.52e9, 1.0);
  EXPECT_TRUE(f.warning.empty()) << f.warning;
  EXPECT_DOUBLE_EQ(*r->avg_busbw_GBps, 37.523);
}

// --stats avg p25 p50 p90 p99 (the SDK 2.28 guide's example): one column per
// statistic; the median is time:p50(us); algbw comes from the average.
TEST(NccomParse, StatsColumnsGiveTheMedianAndKeepEveryStatistic) {
  const Expected<NccomResult> r = parse_nccom_output(
      "    size(B)    count(elems)    type    time:avg(us)    time:p25(us)    time:p50(us)    time:p90(us)    "
      "time:p99(us)    algbw(GB/s)    busbw(GB/s)\n"
      "       1024             256    fp32            10.0              10              10              11          "
      "    12           0.10           0.09\n"
      "     524288          131072    fp32           14.83              14              15              16          "
      "    17          35.34          30.92\n"
      "Avg bus bandwidth:\t9.1966GB/s\n");
  ASSERT_TRUE(r.ok()) << error_of(r);
  ASSERT_EQ(r->rows.size(), 2u);
  const NccomRow& row = r->rows[1];
  ASSERT_EQ(row.times.size(), 5u);
  EXPECT_EQ(row.times[0].statistic, "avg");
  EXPECT_EQ(row.times[4].statistic, "p99");
  EXPECT_EQ(row.time_us("p50"), 15.0);
  const NccomFigures f = nccom_figures(row, 8);
  EXPECT_EQ(f.sample.statistic, "median");
  EXPECT_EQ(f.sample.column, "time:p50(us)");
  EXPECT_NEAR(f.time_s, 15e-6, 1e-15);
  EXPECT_NEAR(f.derived_algbw_bytes_per_s, 524288 / 14.83e-6, 1.0);  // from the average
  EXPECT_EQ(f.unit, NccomBandwidthUnit::kGBps);
  // The guide's example is an all-gather (busbw = algbw x (n-1)/n), so read as
  // an all-reduce its busbw is flagged.
  EXPECT_TRUE(Contains(f.warning, "busbw 30.92")) << f.warning;
}

// --show-input-output-size adds two size columns after count(elems);
// --show-algorithm an algorithm column at the end; a column nobody documents
// yet is skipped.
TEST(NccomParse, ExtraSizeAlgorithmAndUnknownColumns) {
  const Expected<NccomResult> r = parse_nccom_output(
      "    size(B)    count(elems)    total_input_size(B)    total_output_size(B)    type    time:avg(us)    "
      "algbw(GB/s)    busbw(GB/s)    algorithm    future(x)\n"
      "     524288          131072                  16384                  524288    fp32           23.16          "
      "22.64          21.93         mesh    7\n"
      "Avg bus bandwidth:      7.7715GB/s\n");
  ASSERT_TRUE(r.ok()) << error_of(r);
  const NccomRow& row = r->rows.at(0);
  EXPECT_EQ(row.size_bytes, 524288);
  EXPECT_EQ(row.count, 131072);
  EXPECT_EQ(row.total_input_bytes, 16384);
  EXPECT_EQ(row.total_output_bytes, 524288);
  EXPECT_EQ(row.dtype, "fp32");
  EXPECT_EQ(row.time_us("avg"), 23.16);
  EXPECT_DOUBLE_EQ(row.algbw_GBps, 22.64);
  EXPECT_EQ(row.algorithm, "mesh");
}

TEST(NccomParse, ASecondTableIsRefused) {
  const std::string table = "size(B) count(elems) type time:avg(us) algbw(GB/s) busbw(GB/s)\n1024 256 fp32 6.19 0.17 0.16\n";
  const Expected<NccomResult> r = parse_nccom_output(table + table);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.error().message, "a second table"));
}

// The published figures (AWS docs): 2 ranks on one trn1 chip, fp32: 1 KiB in
// 58 us; 1 GiB in about 18.9 ms with busbw about 52.8 GB/s.
constexpr const char* kTwoRankFp32Table =
    "       size(B)    count(elems)     type    time(us)    algbw(GB/s)    busbw(GB/s)\n"
    "          1024             256     fp32          58           0.02           0.02\n"
    "    1073741824       268435456     fp32       18940          52.80          52.80\n"
    "Avg bus bandwidth:      26.4100GB/s\n";

TEST(NccomParse, PublishedTwoRankFp32Figures) {
  const Expected<NccomResult> r = parse_nccom_output(kTwoRankFp32Table);
  ASSERT_TRUE(r.ok()) << error_of(r);
  ASSERT_EQ(r->rows.size(), 2u);
  EXPECT_EQ(r->rows[0].size_bytes, 1024);
  EXPECT_EQ(r->rows[0].count, 256);
  EXPECT_EQ(r->rows[0].time_us("time(us)"), 58.0);
  const NccomRow& big = r->rows[1];
  EXPECT_EQ(big.size_bytes, std::int64_t{1} << 30);
  EXPECT_EQ(big.count, std::int64_t{1} << 28);
  EXPECT_EQ(big.dtype, "fp32");
  EXPECT_DOUBLE_EQ(big.busbw_GBps, 52.80);
  EXPECT_DOUBLE_EQ(*r->avg_busbw_GBps, 26.41);

  const NccomFigures f = nccom_figures(big, 2);
  EXPECT_EQ(f.size_bytes, std::int64_t{1} << 30);
  EXPECT_EQ(f.count, std::int64_t{1} << 28);
  EXPECT_NEAR(f.time_s, 0.01894, 1e-12);
  EXPECT_DOUBLE_EQ(f.bus_factor, 1.0);
  EXPECT_NEAR(f.algbw_bytes_per_s, 52.80 * kGiB, 1.0);   // 56.69e9 B/s
  EXPECT_NEAR(f.busbw_bytes_per_s, 52.80 * kGiB, 1.0);
  EXPECT_NEAR(f.derived_algbw_bytes_per_s, 1073741824.0 / 0.01894, 1.0);  // 56.69e9 B/s
  EXPECT_NEAR(f.derived_algbw_bytes_per_s / f.algbw_bytes_per_s, 1.0, 0.001);
  EXPECT_TRUE(f.warning.empty()) << f.warning;
  // The 1 KiB row: bandwidths printed to 0.01 GiB/s, within rounding.
  EXPECT_TRUE(nccom_figures(r->rows[0], 2).warning.empty()) << nccom_figures(r->rows[0], 2).warning;
}

// 64 ranks on two trn1 nodes, 1 GiB fp32: about 41.8 ms, algbw 23.9, busbw 47.1.
TEST(NccomParse, PublishedSixtyFourRankFigures) {
  const Expected<NccomResult> r = parse_nccom_output(
      "size(B) count(elems) type time(us) algbw(GB/s) busbw(GB/s)\n"
      "1073741824 268435456 fp32 41800 23.92 47.10\n"
      "Avg bus bandwidth: 47.1000GB/s\n");
  ASSERT_TRUE(r.ok()) << error_of(r);
  const NccomFigures f = nccom_figures(r->rows.at(0), 64);
  EXPECT_DOUBLE_EQ(f.bus_factor, 2.0 * 63 / 64);
  EXPECT_NEAR(f.busbw_bytes_per_s, 47.10 * kGiB, 1.0);
  EXPECT_TRUE(f.warning.empty()) << f.warning;
}

TEST(NccomFigures, GigabytesAreGibibytes) {
  EXPECT_DOUBLE_EQ(nccom_gbps_to_bytes_per_s(1.0), 1073741824.0);
  EXPECT_DOUBLE_EQ(nccom_gbps_to_bytes_per_s(0.0), 0.0);
}

NccomRow gib_row(double time_us, double algbw, double busbw) {
  NccomRow row;
  row.size_bytes = 1073741824;
  row.count = 268435456;
  row.dtype = "fp32";
  row.times = {{"avg", time_us}};
  row.algbw_GBps = algbw;
  row.busbw_GBps = busbw;
  return row;
}

TEST(NccomFigures, ReadsEachRowInTheUnitItsFiguresFit) {
  // 1 GiB in 18.9 ms is 56.81e9 B/s = 52.91 GiB/s: either printing is read right.
  NccomFigures f = nccom_figures(gib_row(18900.0, 56.81, 56.81), 2);
  EXPECT_EQ(f.unit, NccomBandwidthUnit::kGBps);
  EXPECT_NEAR(f.busbw_bytes_per_s, 56.81e9, 1.0);
  EXPECT_TRUE(f.warning.empty()) << f.warning;
  f = nccom_figures(gib_row(18900.0, 52.91, 52.91), 2);
  EXPECT_EQ(f.unit, NccomBandwidthUnit::kGiBps);
  EXPECT_NEAR(f.busbw_bytes_per_s, 52.91 * kGiB, 1.0);
  EXPECT_TRUE(f.warning.empty()) << f.warning;
}

TEST(NccomFigures, WarnsWhenPrintedBandwidthFitsNeitherUnit) {
  EXPECT_TRUE(Contains(nccom_figures(gib_row(18900.0, 45.00, 45.00), 2).warning, "fits neither GiB/s"));
  // busbw that is not algbw x 2(n-1)/n.
  EXPECT_TRUE(Contains(nccom_figures(gib_row(18900.0, 52.91, 80.00), 2).warning, "busbw"));
}

TEST(NccomParse, ToleratesBannersExtraColumnsTabsAndCarriageReturns) {
  const Expected<NccomResult> r = parse_nccom_output(
      "nccom-test version 2.x\r\n"
      "2026-Nov-26 03:00:00 INFO some runtime log line\n"
      "\tsize(B)\tcount(elems)\ttype\tredop\ttime(us)\talgbw(GB/s)\tbusbw(GB/s)\t#wrong\r\n"
      "\t1024\t256\tfp32\tsum\t58\t0.02\t0.02\t0\r\n"
      "\n"
      "   2048   512   fp32   sum   60.5   0.03   0.03   0   \r\n"
      "Avg bus bandwidth:\t0.0250 GB/s\r\n"
      "\n");
  ASSERT_TRUE(r.ok()) << error_of(r);
  ASSERT_EQ(r->rows.size(), 2u);
  EXPECT_EQ(r->rows[1].size_bytes, 2048);
  EXPECT_EQ(r->rows[1].count, 512);
  EXPECT_EQ(r->rows[1].dtype, "fp32");
  EXPECT_EQ(r->rows[1].time_us("time(us)"), 60.5);
  EXPECT_DOUBLE_EQ(r->rows[1].algbw_GBps, 0.03);
  EXPECT_DOUBLE_EQ(*r->avg_busbw_GBps, 0.025);
}

TEST(NccomParse, FooterIsOptional) {
  const Expected<NccomResult> r =
      parse_nccom_output("size(B) count(elems) type time(us) algbw(GB/s) busbw(GB/s)\n1024 256 fp32 58 0.02 0.02\n");
  ASSERT_TRUE(r.ok()) << error_of(r);
  EXPECT_FALSE(r->avg_busbw_GBps.has_value());
}

TEST(NccomParse, FailureRowNamesSizeAndLogFile) {
  const Expected<NccomResult> r = parse_nccom_output(
      "       size(B)    count(elems)     type    time(us)    algbw(GB/s)    busbw(GB/s)\n"
      "          1024             256     fp32          58           0.02           0.02\n"
      "       1048576          262144     fp32    Failure running neuron-bench - log file /tmp/nccom_test_log_x1.log\n"
      "1 errors found - test failed\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kRunFailure);
  EXPECT_TRUE(Contains(r.error().message, "size 1048576 B"));
  EXPECT_TRUE(Contains(r.error().message, "log file /tmp/nccom_test_log_x1.log"));
  EXPECT_TRUE(Contains(r.error().message, "'1 errors found - test failed'"));
}

TEST(NccomParse, SeveralFailureRows) {
  const Expected<NccomResult> r = parse_nccom_output(
      "size(B) count(elems) type time(us) algbw(GB/s) busbw(GB/s)\n"
      "1024 256 fp32 Failure running neuron-bench - log file /tmp/a.log\n"
      "2048 512 fp32 Failure running neuron-bench - log file /tmp/b.log\n"
      "2 errors found - test failed\n");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.error().message, "size 1024 B (log file /tmp/a.log); for size 2048 B (log file /tmp/b.log)"));
  EXPECT_TRUE(Contains(r.error().message, "2 errors found"));
}

TEST(NccomParse, FailureRowWithoutLeadingColumnsAndErrorsFoundAlone) {
  Expected<NccomResult> r = parse_nccom_output("Failure running neuron-bench - log file /tmp/c.log\n");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.error().message, "a size (not printed"));
  EXPECT_TRUE(Contains(r.error().message, "log file /tmp/c.log"));
  r = parse_nccom_output("size(B) count(elems) type time(us) algbw(GB/s) busbw(GB/s)\n3 errors found - test failed\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kRunFailure);
  EXPECT_TRUE(Contains(r.error().message, "it reports '3 errors found - test failed'"));
}

TEST(NccomParse, DriverMissingIsUnavailable) {
  const Expected<NccomResult> r = parse_nccom_output("Neuron DKMS Driver is not running!\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(Contains(r.error().message, "Neuron DKMS Driver is not running!"));
  EXPECT_TRUE(Contains(r.error().message, "aws-neuronx-dkms"));
}

TEST(NccomParse, GarbageHasNoTable) {
  const Expected<NccomResult> r = parse_nccom_output("\n\nSegmentation fault (core dumped)\nmore text\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kRunFailure);
  EXPECT_TRUE(Contains(r.error().message, "no result table"));
  EXPECT_TRUE(Contains(r.error().message, "its output begins: 'Segmentation fault (core dumped)'"));
  const Expected<NccomResult> empty = parse_nccom_output("");
  ASSERT_FALSE(empty.ok());
  EXPECT_TRUE(Contains(empty.error().message, "its output was empty"));
}

TEST(NccomParse, MalformedNumbersQuoteTheLine) {
  const std::string header = "size(B) count(elems) type time(us) algbw(GB/s) busbw(GB/s)\n";
  const auto message = [&](const std::string& row) {
    const Expected<NccomResult> r = parse_nccom_output(header + row + "\n");
    EXPECT_FALSE(r.ok()) << row;
    return r.ok() ? std::string() : r.error().message;
  };
  std::string m = message("1024 256 fp32 5x8 0.02 0.02");
  EXPECT_TRUE(Contains(m, "time(us) is '5x8'"));
  EXPECT_TRUE(Contains(m, "'1024 256 fp32 5x8 0.02 0.02'"));
  EXPECT_TRUE(Contains(message("1k 256 fp32 58 0.02 0.02"), "size(B) is '1k'"));
  EXPECT_TRUE(Contains(message("0 0 fp32 58 0.02 0.02"), "size(B) is '0', expected a positive integer"));
  EXPECT_TRUE(Contains(message("1024 256 fp32 0 0.02 0.02"), "time(us) is '0'"));
  EXPECT_TRUE(Contains(message("1024 256 fp32 58 nan 0.02"), "algbw(GB/s) is 'nan'"));
  EXPECT_TRUE(Contains(message("1024 256 fp32 58 0.02 -1"), "busbw(GB/s) is '-1'"));
  EXPECT_TRUE(Contains(message("1024 256 fp32 58 0.02"), "a row has 5 columns, the header 6"));
  EXPECT_TRUE(Contains(message("1024 256 fp32 58 0.02 0.02 7"), "a row has 7 columns, the header 6"));
  EXPECT_TRUE(Contains(message("1024 256 fp32 58 0.02 0.02\nwarning: something odd"),
              "unexpected line 'warning: something odd'"));
  EXPECT_TRUE(Contains(message("Avg bus bandwidth: fast"), "'Avg bus bandwidth: fast'"));
  EXPECT_TRUE(Contains(message("1024 256 fp32 58 0.02 0.02\nAvg bus bandwidth: 0.02GB/s\n2048 512 fp32 60 0.03 0.03"),
              "unexpected line '2048 512 fp32 60 0.03 0.03'"));
}

TEST(NccomParse, HeaderProblems) {
  Expected<NccomResult> r = parse_nccom_output("size(B) count(elems) type time(us) algbw(GB/s)\n1024 256 fp32 58 0.02\n");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.error().message, "lacks the column 'busbw(GB/s)'"));
  r = parse_nccom_output("size(B) count(elems) type algbw(GB/s) busbw(GB/s)\n1024 256 fp32 0.02 0.02\n");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.error().message, "lacks the column 'time:avg(us)' or 'time(us)'"));
  r = parse_nccom_output("size(B) count(elems) type time(us) algbw(GB/s) busbw(GB/s)\nAvg bus bandwidth: 0GB/s\n");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.error().message, "no result rows"));
}

// ---------------------------------------------------------------------------
// run_with_timeout and the fake nccom-test

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// True when `pid` is gone or a zombie, waiting up to 2 s for it.
bool process_gone(pid_t pid) {
  for (int i = 0; i < 200; ++i) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text;
    if (!std::getline(stat, text)) return true;
    const std::size_t close = text.rfind(')');
    if (close != std::string::npos && close + 2 < text.size() && (text[close + 2] == 'Z' || text[close + 2] == 'X')) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class NccomFake : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string tag = "trainbench-nccom-" + std::to_string(::getpid()) + "-";
    pid_file_ = std::filesystem::temp_directory_path() / (tag + "pid");
    args_file_ = std::filesystem::temp_directory_path() / (tag + "args");
    std::filesystem::remove(pid_file_);
    std::filesystem::remove(args_file_);
  }
  void TearDown() override {
    ::unsetenv("FAKE_NCCOM_MODE");
    ::unsetenv("FAKE_NCCOM_FORMAT");
    ::unsetenv("FAKE_NCCOM_UNIT");
    ::unsetenv("FAKE_NCCOM_PIDFILE");
    ::unsetenv("FAKE_NCCOM_ARGSFILE");
    std::filesystem::remove(pid_file_);
    std::filesystem::remove(args_file_);
  }
  static void mode(const char* m) { ::setenv("FAKE_NCCOM_MODE", m, 1); }
  NccomRequest fake_request(std::int64_t min_bytes, std::int64_t max_bytes, DType dtype) const {
    NccomRequest r = request(min_bytes, max_bytes, dtype);
    r.executable = FAKE_NCCOM_TEST;
    r.step_factor = 1024;
    return r;
  }
  pid_t sleep_pid() const { return static_cast<pid_t>(std::stol(read_text(pid_file_))); }

  std::filesystem::path pid_file_, args_file_;
};

TEST_F(NccomFake, EchoRunsWithoutAShell) {
  const Expected<ProcessOutput> r = run_with_timeout({"/bin/echo", "a  b", "$(touch /nonexistent)", ";", "*"}, 5.0);
  ASSERT_TRUE(r.ok()) << error_of(r);
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_EQ(r->out, "a  b $(touch /nonexistent) ; *\n");
  EXPECT_EQ(r->err, "");
  EXPECT_GE(r->seconds, 0.0);
  EXPECT_LT(r->seconds, 5.0);
}

TEST_F(NccomFake, EchoFoundOnPath) {
  const Expected<ProcessOutput> r = run_with_timeout({"echo", "hi"}, 5.0);
  ASSERT_TRUE(r.ok()) << error_of(r);
  EXPECT_EQ(r->out, "hi\n");
}

TEST_F(NccomFake, MissingExecutableNamesPathAndOverride) {
  Expected<ProcessOutput> r = run_with_timeout({"/nonexistent/dir/nccom-test", "-r", "2", "allr"}, 5.0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(Contains(r.error().message, "'/nonexistent/dir/nccom-test': no such file"));
  EXPECT_TRUE(Contains(r.error().message, "--nccom-test"));
  EXPECT_TRUE(Contains(r.error().message, "TRAINBENCH_NCCOM_TEST"));
  r = run_with_timeout({"trainbench-no-such-program-4f2a"}, 5.0);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.error().message, "not found on PATH"));
  r = run_with_timeout({}, 5.0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kBadInput);
}

TEST_F(NccomFake, NotExecutable) {
  const Expected<ProcessOutput> r =
      run_with_timeout({TRAINBENCH_TEST_DATA_DIR "/aws-offer-ec2-small.json"}, 5.0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(Contains(r.error().message, "not an executable program"));
}

TEST_F(NccomFake, KilledBySignal) {
  const Expected<ProcessOutput> r = run_with_timeout({"/bin/sh", "-c", "echo dying; kill -SEGV $$"}, 5.0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kRunFailure);
  EXPECT_TRUE(Contains(r.error().message, "was killed by signal 11"));
  EXPECT_TRUE(Contains(r.error().message, "'dying'"));
}

TEST_F(NccomFake, HangTimesOutAndKillsTheProcessGroup) {
  mode("hang");
  ::setenv("FAKE_NCCOM_PIDFILE", pid_file_.c_str(), 1);
  const auto start = std::chrono::steady_clock::now();
  const Expected<ProcessOutput> r = run_with_timeout({FAKE_NCCOM_TEST, "-r", "2", "allr"}, 0.5);
  const double elapsed = seconds_since(start);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kRunFailure);
  EXPECT_TRUE(Contains(r.error().message, "timed out after 0.5 s"));
  EXPECT_TRUE(Contains(r.error().message, std::string(FAKE_NCCOM_TEST) + " -r 2 allr"));
  EXPECT_GE(elapsed, 0.5);
  EXPECT_LT(elapsed, 2.0);
  EXPECT_TRUE(process_gone(sleep_pid())) << "the fake's sleep (pid " << sleep_pid() << ") survived";
}

TEST_F(NccomFake, HangIgnoringSigtermIsKilled) {
  mode("hang-ignore-term");
  ::setenv("FAKE_NCCOM_PIDFILE", pid_file_.c_str(), 1);
  const auto start = std::chrono::steady_clock::now();
  const Expected<ProcessOutput> r = run_with_timeout({FAKE_NCCOM_TEST, "-r", "2", "allr"}, 0.3, 0.3);
  const double elapsed = seconds_since(start);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.error().message, "timed out after 0.3 s"));
  EXPECT_LT(elapsed, 2.0);
  EXPECT_TRUE(process_gone(sleep_pid())) << "the fake's sleep (pid " << sleep_pid() << ") survived";
}

TEST_F(NccomFake, LargeOutputOnBothStreamsDoesNotDeadlock) {
  mode("flood");
  const Expected<ProcessOutput> r = run_with_timeout({FAKE_NCCOM_TEST, "-r", "4", "-d", "fp32", "allr"}, 30.0);
  ASSERT_TRUE(r.ok()) << error_of(r);
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_EQ(r->err.size(), 2000000u);
  EXPECT_GT(r->out.size(), 1000000u);
  // The log lines before the header are skipped.
  const Expected<NccomResult> parsed = parse_nccom_output(r->out);
  ASSERT_TRUE(parsed.ok()) << error_of(parsed);
  ASSERT_EQ(parsed->rows.size(), 1u);
  EXPECT_EQ(parsed->rows[0].size_bytes, 32 << 20);
}

TEST_F(NccomFake, NonzeroExitIsReturnedNotAnError) {
  mode("nonzero-exit");
  const Expected<ProcessOutput> r = run_with_timeout({FAKE_NCCOM_TEST, "-r", "2", "allr"}, 5.0);
  ASSERT_TRUE(r.ok()) << error_of(r);
  EXPECT_EQ(r->exit_code, 2);
  EXPECT_TRUE(Contains(r->err, "invalid int value"));
  EXPECT_EQ(r->out, "");
}

TEST_F(NccomFake, OkSweepThroughRunNccomTest) {
  mode("ok");
  ::setenv("FAKE_NCCOM_ARGSFILE", args_file_.c_str(), 1);
  const NccomRequest req = fake_request(1024, 1 << 30, DType::kFp32);
  const Expected<NccomResult> r = run_nccom_test(req, 30.0);
  ASSERT_TRUE(r.ok()) << error_of(r);
  // The fake got exactly our argument vector.
  std::vector<std::string> expected = nccom_test_arguments(req);
  expected.erase(expected.begin());
  std::string joined;
  for (const std::string& a : expected) joined += a + "\n";
  EXPECT_EQ(read_text(args_file_), joined);

  ASSERT_EQ(r->rows.size(), 3u);
  const std::int64_t sizes[] = {1024, 1 << 20, 1 << 30};
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(r->rows[i].size_bytes, sizes[i]);
    EXPECT_EQ(r->rows[i].count, sizes[i] / 4);
    EXPECT_EQ(r->rows[i].dtype, "fp32");
    const NccomFigures f = nccom_figures(r->rows[i], req.ranks);
    EXPECT_TRUE(f.warning.empty()) << f.warning;
  }
  // The model behind the fake reproduces the published 2-rank 1 GiB figures.
  EXPECT_NEAR(r->rows[2].time_us("avg").value_or(0.0), 18900.0, 100.0);
  EXPECT_NEAR(r->rows[2].busbw_GBps, 52.8, 0.2);
  ASSERT_TRUE(r->avg_busbw_GBps.has_value());
}

TEST_F(NccomFake, Bf16OneSize) {
  mode("ok");
  const Expected<NccomResult> r = run_nccom_test(fake_request(4 << 20, 4 << 20, DType::kBf16), 30.0);
  ASSERT_TRUE(r.ok()) << error_of(r);
  ASSERT_EQ(r->rows.size(), 1u);
  EXPECT_EQ(r->rows[0].dtype, "bf16");
  EXPECT_EQ(r->rows[0].count, 2 << 20);
}

TEST_F(NccomFake, FailureRow) {
  mode("failure-row");
  const Expected<NccomResult> r = run_nccom_test(fake_request(1024, 1 << 20, DType::kFp32), 30.0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kRunFailure);
  EXPECT_TRUE(Contains(r.error().message, "size 1048576 B (log file /tmp/nccom-test-fake/neuron-bench-1048576.log)"));
  EXPECT_TRUE(Contains(r.error().message, "1 errors found - test failed"));
}

TEST_F(NccomFake, DriverMissing) {
  mode("driver-missing");
  const Expected<NccomResult> r = run_nccom_test(fake_request(1024, 1024, DType::kFp32), 30.0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(Contains(r.error().message, "Neuron DKMS Driver is not running!"));
}

TEST_F(NccomFake, Garbage) {
  mode("garbage");
  const Expected<NccomResult> r = run_nccom_test(fake_request(1024, 1024, DType::kFp32), 30.0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kRunFailure);
  EXPECT_TRUE(Contains(r.error().message, "no result table"));
  EXPECT_TRUE(Contains(r.error().message, "'Welcome to nccom-test 9.9 (unexpected banner)'"));
}

TEST_F(NccomFake, NonzeroExit) {
  mode("nonzero-exit");
  const Expected<NccomResult> r = run_nccom_test(fake_request(1024, 1024, DType::kFp32), 30.0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kRunFailure);
  EXPECT_TRUE(Contains(r.error().message, "exited with status 2"));
  EXPECT_TRUE(Contains(r.error().message, "invalid int value"));
}

TEST_F(NccomFake, Hang) {
  mode("hang");
  ::setenv("FAKE_NCCOM_PIDFILE", pid_file_.c_str(), 1);
  const auto start = std::chrono::steady_clock::now();
  const Expected<NccomResult> r = run_nccom_test(fake_request(1024, 1024, DType::kFp32), 0.5);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.error().message, "timed out after 0.5 s"));
  EXPECT_TRUE(Contains(r.error().message, "all_reduce"));
  EXPECT_LT(seconds_since(start), 2.0);
  EXPECT_TRUE(process_gone(sleep_pid()));
}

TEST_F(NccomFake, MissingExecutableAndBadRequest) {
  NccomRequest req = fake_request(1024, 1024, DType::kFp32);
  req.executable = "/nonexistent/nccom-test";
  Expected<NccomResult> r = run_nccom_test(req, 5.0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(Contains(r.error().message, "/nonexistent/nccom-test"));
  req.ranks = 0;
  r = run_nccom_test(req, 5.0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kBadInput);
}

// ---- The formats of the fake, which follow the guide's versions ----

TEST_F(NccomFake, ProbeFindsStatsOnlyWhereTheToolListsThem) {
  ::unsetenv("FAKE_NCCOM_FORMAT");
  NccomOptions o = probe_nccom_test(FAKE_NCCOM_TEST, 10.0);
  EXPECT_TRUE(o.stats);
  EXPECT_TRUE(o.non_interactive);
  for (const char* format : {"old", "avg-only"}) {
    ::setenv("FAKE_NCCOM_FORMAT", format, 1);
    o = probe_nccom_test(FAKE_NCCOM_TEST, 10.0);
    EXPECT_FALSE(o.stats) << format;
    EXPECT_FALSE(o.non_interactive) << format;
  }
  ::unsetenv("FAKE_NCCOM_FORMAT");
  o = probe_nccom_test("/nonexistent/nccom-test", 10.0);
  EXPECT_FALSE(o.stats) << "a tool that cannot run has no options; the run reports why";
}

TEST_F(NccomFake, StatsRunGivesTheMedianAndTheMean) {
  mode("ok");
  NccomRequest req = fake_request(1 << 20, 1 << 20, DType::kFp32);
  req.options = probe_nccom_test(FAKE_NCCOM_TEST, 10.0);
  ASSERT_TRUE(req.options.stats);
  const Expected<NccomResult> r = run_nccom_test(req, 30.0);
  ASSERT_TRUE(r.ok()) << error_of(r);
  const NccomRow& row = r->rows.at(0);
  ASSERT_TRUE(row.time_us("avg") && row.time_us("p50"));
  const NccomFigures f = nccom_figures(row, 2);
  EXPECT_EQ(f.sample.column, "time:p50(us)");
  EXPECT_NEAR(f.time_s, *row.time_us("p50") * 1e-6, 1e-15);
  EXPECT_NEAR(*row.time_us("p50"), *row.time_us("avg"), 0.011);  // the fake's symmetric spread
  EXPECT_TRUE(f.warning.empty()) << f.warning;
}

TEST_F(NccomFake, OldFormatAndDecimalUnitsParse) {
  mode("ok");
  ::setenv("FAKE_NCCOM_FORMAT", "old", 1);
  Expected<NccomResult> r = run_nccom_test(fake_request(1 << 30, 1 << 30, DType::kFp32), 30.0);
  ::unsetenv("FAKE_NCCOM_FORMAT");
  ASSERT_TRUE(r.ok()) << error_of(r);
  NccomFigures f = nccom_figures(r->rows.at(0), 2);
  EXPECT_EQ(f.sample.column, "time(us)");
  EXPECT_EQ(f.unit, NccomBandwidthUnit::kGiBps);
  ::setenv("FAKE_NCCOM_UNIT", "gb", 1);
  r = run_nccom_test(fake_request(1 << 30, 1 << 30, DType::kFp32), 30.0);
  ::unsetenv("FAKE_NCCOM_UNIT");
  ASSERT_TRUE(r.ok()) << error_of(r);
  f = nccom_figures(r->rows.at(0), 2);
  EXPECT_EQ(f.sample.column, "time:avg(us)");
  EXPECT_EQ(f.unit, NccomBandwidthUnit::kGBps);
  EXPECT_TRUE(f.warning.empty()) << f.warning;
}

// The order trainbench used before: -c right before the operation. A current
// nccom-test reads the operation as -c's value and refuses it.
TEST_F(NccomFake, CheckBeforeTheOperationIsRefusedByACurrentTool) {
  const Expected<ProcessOutput> r =
      run_with_timeout({FAKE_NCCOM_TEST, "-r", "2", "-b", "1024", "-e", "1024", "-d", "fp32", "-c", "all_reduce"}, 10.0);
  ASSERT_TRUE(r.ok()) << error_of(r);
  EXPECT_EQ(r->exit_code, 2);
  EXPECT_TRUE(Contains(r->err, "invalid choice: 'all_reduce'"));
}

TEST(NccomLocate, FindsAnExecutableOrSaysWhereItLooked) {
  const Expected<std::string> found = locate_nccom_test(FAKE_NCCOM_TEST);
  ASSERT_TRUE(found.ok()) << error_of(found);
  EXPECT_EQ(*found, FAKE_NCCOM_TEST);
  const Expected<std::string> missing = locate_nccom_test("/nonexistent/nccom-test");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(Contains(missing.error().message, "/nonexistent/nccom-test"));
}

// ---- Which all-reduce problems the Neuron backend measures ----

TEST(NeuronAllreduceSupport, RingTheDefaultRunsThroughNccomTest) {
  const auto p = parse_as<AllreduceProblem>("allreduce:bytes=1M,ranks=2,inplace=0");
  ASSERT_NE(p, nullptr);
  ASSERT_EQ(p->algo(), AllreduceAlgo::kRing);
  const Support s = neuron_allreduce_support(*p);
  EXPECT_TRUE(s.supported) << s.reason;
}

TEST(NeuronAllreduceSupport, NcclAndMpiAreUnsupportedNamingTheirBackend) {
  struct Case {
    const char* algo;
    const char* needle;
  };
  for (const Case c : {Case{"nccl", "algo=nccl (NCCL) runs on --backend cuda"},
                       Case{"mpi", "algo=mpi (MPI_Allreduce) runs on --backend cpu"}}) {
    const std::string text = std::string("allreduce:bytes=1M,ranks=2,inplace=0,algo=") + c.algo +
                             (std::string(c.algo) == "mpi" ? ",transport=mpi" : "");
    const auto p = parse_as<AllreduceProblem>(text);
    ASSERT_NE(p, nullptr);
    const Support s = neuron_allreduce_support(*p);
    EXPECT_FALSE(s.supported) << text;
    EXPECT_TRUE(Contains(s.reason, "neuron: all-reduce runs through nccom-test")) << text;
    EXPECT_TRUE(Contains(s.reason, c.needle)) << text;
  }
}

TEST(NeuronAllreduceSupport, OnlyFp32IsChecked) {
  const auto p = parse_as<AllreduceProblem>("allreduce:bytes=1M,ranks=2,inplace=0,dtype=bf16");
  ASSERT_NE(p, nullptr);
  const Support s = neuron_allreduce_support(*p);
  EXPECT_FALSE(s.supported);
  EXPECT_TRUE(Contains(s.reason, "fp32 only"));
}

TEST(NeuronAllreduceSupport, MaxAndMinAreNotWhatNccomTestRuns) {
  for (const char* op : {"max", "min"}) {
    const auto p = parse_as<AllreduceProblem>(std::string("allreduce:bytes=1M,ranks=2,inplace=0,op=") + op);
    ASSERT_NE(p, nullptr);
    const Support s = neuron_allreduce_support(*p);
    EXPECT_FALSE(s.supported) << op;
    EXPECT_TRUE(Contains(s.reason, "no reduction-op option")) << op;
    EXPECT_TRUE(Contains(s.reason, std::string("op=") + op)) << op;
  }
}

TEST(NeuronAllreduceSupport, AGemmIsNotAnAllReduce) {
  const Expected<ProblemPtr> gemm = parse_problem("gemm:m=64,n=32,k=16,dtype=fp32");
  ASSERT_TRUE(gemm.ok()) << gemm.error().message;
  const Support s = neuron_allreduce_support(**gemm);
  EXPECT_FALSE(s.supported);
  EXPECT_TRUE(Contains(s.reason, "is not an all-reduce"));
}

}  // namespace
}  // namespace tb
