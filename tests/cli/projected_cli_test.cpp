// End-to-end tests of `trainbench run --backend projected --instance NAME`:
// each problem's time projected onto one catalog instance (docs/cost.md),
// nothing run, every figure labelled `projected`. Expected times are computed
// here by hand from the shipped catalog and efficiency table (read with
// tb_cost), so that the tests follow the data rather than copy it.
//
// Filter: --gtest_filter='Projected*'.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "catalog/efficiency.h"
#include "catalog/instance_catalog.h"
#include "cli_test_support.h"

namespace tbtest {
namespace {

constexpr const char* kGemm = "gemm:m=4096,n=4096,k=4096,dtype=bf16";
constexpr double kGemmFlop = 2.0 * 4096.0 * 4096.0 * 4096.0;
constexpr double kGemmBytes = 3.0 * 4096.0 * 4096.0 * 2.0;  // A, B read and C written once, bf16

tb::Instance shipped_instance(const std::string& name) {
  const tb::Expected<tb::InstanceCatalog> catalog = tb::read_instance_catalog(tb::default_instance_catalog_path());
  if (!catalog) ADD_FAILURE() << catalog.error().message;
  const tb::Expected<tb::Instance> instance =
      catalog ? catalog->find(name) : tb::Expected<tb::Instance>(tb::bad_input(""));
  if (!instance) ADD_FAILURE() << name << ": " << instance.error().message;
  return instance ? *instance : tb::Instance{};
}

tb::EfficiencyRow shipped_efficiency(const std::string& device_class, const std::string& kernel) {
  const tb::Expected<tb::EfficiencyTable> table = tb::read_efficiency_table(tb::default_efficiency_table_path());
  if (!table) ADD_FAILURE() << table.error().message;
  const tb::Expected<tb::EfficiencyRow> row =
      table ? table->find(device_class, kernel) : tb::Expected<tb::EfficiencyRow>(tb::bad_input(""));
  if (!row) ADD_FAILURE() << device_class << "/" << kernel << ": " << row.error().message;
  return row ? *row : tb::EfficiencyRow{};
}

// The roofline of the bf16 4096^3 GEMM on p5.48xlarge, by hand, with compute efficiency `compute`.
double gemm_on_p5_s(double compute) {
  const tb::Instance p5 = shipped_instance("p5.48xlarge");
  const tb::EfficiencyRow row = shipped_efficiency("H100-SXM", "gemm");
  const double compute_s = kGemmFlop / (p5.peak_bf16_tflops.value_or(0) * 1e12 * compute);
  const double memory_s = kGemmBytes / (p5.memory_bandwidth_gb_per_s.value_or(0) * 1e9 * row.memory);
  return std::max(compute_s, memory_s) + row.launch_overhead_s;
}

class ProjectedRun : public CliTest {
 protected:
  // trainbench run --backend projected ARGS... --out out_
  ProcessResult project(const std::vector<std::string>& args) const {
    std::vector<std::string> all = {"run", "--backend", "projected"};
    all.insert(all.end(), args.begin(), args.end());
    all.insert(all.end(), {"--out", out_.string()});
    return trainbench(all);
  }
  // The one result file under out_ (fails the test otherwise).
  json result_json() const {
    const std::vector<fs::path> files = json_files(out_);
    EXPECT_EQ(files.size(), 1u);
    return files.empty() ? json() : read_json(files[0]);
  }
  // The results of the one result file, by problem string.
  json result_for(const std::string& problem) const {
    const json doc = result_json();
    for (const json& r : doc["results"]) {
      if (r["problem"] == problem) return r;
    }
    ADD_FAILURE() << "no result for " << problem;
    return json();
  }
};

double relative_difference(double a, double b) { return std::abs(a - b) / std::abs(b); }

TEST_F(ProjectedRun, GemmOnP5IsTheHandComputedRooflineLabelledProjected) {
  const ProcessResult r = project({"--instance", "p5.48xlarge", "--problem", kGemm});
  ASSERT_TRUE(exited_with(r, 0));
  // The table row: status column `projected`, and the closing line.
  bool row_found = false;
  for (const std::string& line : lines_of(r.out)) {
    const std::vector<std::string> words = words_of(line);
    if (words.empty() || words[0] != kGemm) continue;
    row_found = true;
    ASSERT_GE(words.size(), 3u) << line;
    EXPECT_EQ(words[1], "projected") << line;  // backend
    EXPECT_EQ(words[2], "projected") << line;  // status
  }
  EXPECT_TRUE(row_found) << r.out;
  EXPECT_NE(r.out.find("projected: nothing ran on this machine; figures are a roofline projection for p5.48xlarge"),
            std::string::npos)
      << r.out;

  const json doc = result_json();
  EXPECT_EQ(doc["context"]["trainbench"]["backend"], "projected");
  EXPECT_EQ(doc["context"]["trainbench"]["device"]["kind"], "projected");
  EXPECT_TRUE(doc["benchmarks"].empty()) << "nothing was timed: no Google Benchmark entries";
  ASSERT_EQ(doc["results"].size(), 1u);
  const json& res = doc["results"][0];
  EXPECT_EQ(res["provenance"], "projected");
  EXPECT_EQ(res["verification"]["metric"], "none");
  EXPECT_EQ(res["verification"]["passed"], false) << "nothing was verified";
  const double expected_s = gemm_on_p5_s(shipped_efficiency("H100-SXM", "gemm").compute);
  const double time_s = res["time_s"]["median"].get<double>();
  EXPECT_LT(relative_difference(time_s, expected_s), 1e-9) << time_s << " vs " << expected_s;
  EXPECT_EQ(res["time_s"]["count"], 1);
  EXPECT_EQ(res["samples_s"].size(), 1u);
  EXPECT_LT(relative_difference(res["flop_per_s"].get<double>(), kGemmFlop / expected_s), 1e-9);
  const double peak = shipped_instance("p5.48xlarge").peak_bf16_tflops.value_or(0) * 1e12;
  EXPECT_LT(relative_difference(res["fraction_of_peak"].get<double>(), kGemmFlop / expected_s / peak), 1e-9);
  EXPECT_EQ(res["reproducer"], std::string("trainbench run --backend projected --instance p5.48xlarge --problem '") +
                                   kGemm + "'");
  EXPECT_EQ(res["implementation"].get<std::string>().rfind("projection: roofline, efficiency compute ", 0), 0u)
      << res["implementation"];
}

TEST_F(ProjectedRun, EfficiencyOverrideScalesTheComputeBoundTime) {
  const ProcessResult r =
      project({"--instance", "p5.48xlarge", "--problem", kGemm, "--efficiency", "gemm.compute=0.4"});
  ASSERT_TRUE(exited_with(r, 0));
  const json res = result_for(kGemm);
  const double time_s = res["time_s"]["median"].get<double>();
  EXPECT_LT(relative_difference(time_s, gemm_on_p5_s(0.4)), 1e-9) << time_s;
  // Compute-bound: the time less the launch overhead scales as 1 / efficiency.
  const tb::EfficiencyRow row = shipped_efficiency("H100-SXM", "gemm");
  const double ratio = (time_s - row.launch_overhead_s) / (gemm_on_p5_s(row.compute) - row.launch_overhead_s);
  EXPECT_LT(relative_difference(ratio, row.compute / 0.4), 1e-9) << ratio;
  EXPECT_NE(res["reproducer"].get<std::string>().find(" --efficiency gemm.compute=0.4"), std::string::npos)
      << res["reproducer"];
}

TEST_F(ProjectedRun, AllReduceOnTrn1UsesNeuronLinkWithinAnInstanceAndTheNetworkAcross) {
  const ProcessResult r = project({"--instance", "trn1.32xlarge", "--problem",
                                   "allreduce:bytes=64M,dtype=bf16,ranks=16|32,inplace=0"});
  ASSERT_TRUE(exited_with(r, 0));
  EXPECT_NE(r.out.find("# Avg bus bandwidth"), std::string::npos) << "the nccl-tests table renders:\n" << r.out;
  const tb::Instance trn1 = shipped_instance("trn1.32xlarge");
  const tb::EfficiencyRow row = shipped_efficiency("Trainium", "allreduce");
  const double bytes = 64.0 * 1024 * 1024;
  const double intra = trn1.intra_node_link_gb_per_s.value_or(0) * 1e9;
  const double network_share = trn1.network_gbit_per_s.value_or(0) * 1e9 / 8.0 / trn1.accelerator_count;
  ASSERT_EQ(trn1.accelerator_count, 16) << "ranks=16 fills one instance, ranks=32 spans two";
  for (const int ranks : {16, 32}) {
    const double link = ranks <= trn1.accelerator_count ? intra : std::min(intra, network_share);
    const double expected_s = row.alpha_s + bytes * 2.0 * (ranks - 1) / ranks / (link * row.link);
    const json res =
        result_for("allreduce:bytes=64M,dtype=bf16,op=sum,ranks=" + std::to_string(ranks) + ",inplace=0,algo=ring,"
                   "transport=threads");
    ASSERT_TRUE(res.is_object());
    EXPECT_EQ(res["provenance"], "projected");
    const double time_s = res["time_s"]["median"].get<double>();
    EXPECT_LT(relative_difference(time_s, expected_s), 1e-9) << ranks << " ranks: " << time_s << " vs " << expected_s;
    const json& c = res["collective"];
    EXPECT_EQ(c["ranks"], ranks);
    EXPECT_EQ(c["wrong_elements"], 0);
    EXPECT_LT(relative_difference(c["algbw_bytes_per_s"].get<double>(), bytes / expected_s), 1e-9);
    EXPECT_LT(relative_difference(c["busbw_bytes_per_s"].get<double>(), bytes / expected_s * 2.0 * (ranks - 1) / ranks),
              1e-9);
    EXPECT_EQ(res["fraction_of_peak"], -1.0);
  }
  EXPECT_LT(network_share, intra) << "the 32-rank ring is limited by the network";
}

TEST_F(ProjectedRun, CsvCarriesProvenance) {
  const ProcessResult r = project({"--instance", "p5.48xlarge", "--problem", kGemm, "--format", "csv"});
  ASSERT_TRUE(exited_with(r, 0));
  const auto rows = parse_csv(r.out);
  ASSERT_EQ(rows.size(), 2u) << r.out;
  const std::size_t provenance = column(rows[0], "provenance");
  EXPECT_EQ(rows[1][provenance], "projected");
  EXPECT_EQ(rows[1][column(rows[0], "verification_metric")], "none");
  EXPECT_EQ(rows[1][column(rows[0], "verification_max_error")], "") << "nothing was verified";
}

TEST_F(ProjectedRun, ListBackendsListsProjected) {
  const ProcessResult r = trainbench({"list", "backends"});
  ASSERT_TRUE(exited_with(r, 0));
  bool found = false;
  for (const std::string& line : lines_of(r.out)) found |= starts_with(line, "projected: available: ");
  EXPECT_TRUE(found) << r.out;
}

TEST_F(ProjectedRun, WithoutAnInstanceIsBadInput) {
  expect_bad_input(project({"--problem", kGemm}), {"--instance NAME", "exactly one"});
}

TEST_F(ProjectedRun, TwoInstancesAreBadInput) {
  expect_bad_input(project({"--instance", "p5.48xlarge,trn1.32xlarge", "--problem", kGemm}),
                   {"exactly one", "p5.48xlarge", "trn1.32xlarge"});
  expect_bad_input(project({"--instance", "p5.48xlarge", "--instance", "trn1.32xlarge", "--problem", kGemm}),
                   {"exactly one"});
}

TEST_F(ProjectedRun, AnUnknownInstanceIsBadInputWithTheNearestName) {
  expect_bad_input(project({"--instance", "p5.48xlarg", "--problem", kGemm}), {"p5.48xlarg", "did you mean",
                                                                               "p5.48xlarge"});
}

TEST_F(ProjectedRun, ACpuInstanceWithoutPeaksIsBadInput) {
  expect_bad_input(project({"--instance", "c7a.xlarge", "--problem", kGemm}),
                   {"c7a.xlarge", "cannot be projected", "peak_bf16_tflops"});
}

TEST_F(ProjectedRun, Fp8GemmUsesTheCatalogsFp8PeakOrIsRefused) {
  const std::string fp8 = "gemm:m=4096,n=4096,k=4096,tb=1,dtype=fp8";
  // First (it checks that nothing was written): A100 has no fp8.
  expect_bad_input(project({"--instance", "p4d.24xlarge", "--problem", fp8}), {"p4d.24xlarge", "peak_fp8_tflops"});
  const ProcessResult r = project({"--instance", "p5.48xlarge", "--problem", fp8});
  ASSERT_TRUE(exited_with(r, 0));
  const json doc = result_json();
  const double peak = shipped_instance("p5.48xlarge").peak_fp8_tflops.value_or(0) * 1e12;
  ASSERT_GT(peak, 0.0);
  EXPECT_EQ(doc["context"]["trainbench"]["device"]["peak_flop_per_s"]["fp8"].get<double>(), peak);
  const json res = result_for(fp8);
  EXPECT_EQ(res["dtype"], "fp8");
  EXPECT_DOUBLE_EQ(res["min_bytes"].get<double>(), 2.0 * 4096 * 4096 * 1 + 4096.0 * 4096 * 2);  // A, B e4m3; C bf16
  EXPECT_LT(relative_difference(res["fraction_of_peak"].get<double>(), res["flop_per_s"].get<double>() / peak), 1e-9);
}

TEST_F(ProjectedRun, WithModelIsBadInput) {
  expect_bad_input(project({"--instance", "p5.48xlarge", "--model", "llama3.2-1b"}),
                   {"run --model already projects", "--instance"});
}

}  // namespace
}  // namespace tbtest
