// Efficiency factors (src/cost/efficiency.h): the shipped data/efficiency.csv,
// every kind of bad file with its file:line, the default fallback, and
// command-line overrides.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "catalog/efficiency.h"
#include "catalog/instance_catalog.h"
#include "support/temp_dir.h"

namespace tb {
namespace {

using tbtest::TempDir;

constexpr const char* kHeader =
    "device_class,kernel,compute_efficiency,memory_efficiency,launch_overhead_us,alpha_us,link_efficiency,source\n";
// The three required default rows (lines 2-4 after the header).
constexpr const char* kDefaults =
    "default,gemm,0.7,0.8,5,,,assumption: test\n"
    "default,attention,0.45,0.7,5,,,assumption: test\n"
    "default,allreduce,,,,20,0.5,assumption: test\n";

bool contains(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

// Writes `content` to eff.csv and expects kBadInput naming eff.csv:<line> and every needle.
void expect_bad(const std::string& content, int line, const std::vector<std::string>& needles) {
  const TempDir dir;
  const std::string path = dir.write("eff.csv", content);
  const Expected<EfficiencyTable> t = read_efficiency_table(path);
  ASSERT_FALSE(t.ok()) << "accepted:\n" << content;
  EXPECT_EQ(t.error().code, ErrorCode::kBadInput);
  const std::string& m = t.error().message;
  EXPECT_TRUE(contains(m, path + ":" + std::to_string(line) + ":")) << m;
  for (const std::string& n : needles) EXPECT_TRUE(contains(m, n)) << "'" << n << "' not in: " << m;
}

EfficiencyTable read_or_die(const std::string& content) {
  const TempDir dir;
  const Expected<EfficiencyTable> t = read_efficiency_table(dir.write("eff.csv", content));
  EXPECT_TRUE(t.ok()) << t.error().message;
  return t.ok() ? *t : EfficiencyTable{};
}

TEST(EfficiencyTest, ShippedTableHasDefaultsAndEveryCatalogAccelerator) {
  const Expected<EfficiencyTable> t = read_efficiency_table(default_efficiency_table_path());
  ASSERT_TRUE(t.ok()) << t.error().message;
  for (const EfficiencyRow& r : t->rows) {
    EXPECT_FALSE(r.source.empty()) << r.device_class << " " << r.kernel;
    EXPECT_GT(r.line, 0);
  }
  const Expected<InstanceCatalog> catalog = read_instance_catalog(default_instance_catalog_path());
  ASSERT_TRUE(catalog.ok()) << catalog.error().message;
  std::vector<std::string> classes = {"default", "cpu"};
  for (const Instance& i : catalog->instances) classes.push_back(device_class_of_accelerator(i.accelerator));
  for (const std::string& cls : classes) {
    for (const char* kernel : {"gemm", "attention", "allreduce"}) {
      const Expected<EfficiencyRow> r = t->find(cls, kernel);
      ASSERT_TRUE(r.ok()) << r.error().message;
      EXPECT_EQ(r->device_class, cls) << "no own row for " << cls << " " << kernel;
    }
  }
  // Units: the file's microseconds are seconds in the row.
  const Expected<EfficiencyRow> h100 = t->find("H100-SXM", "gemm");
  ASSERT_TRUE(h100.ok());
  EXPECT_DOUBLE_EQ(h100->compute, 0.682);  // fitted (trainbench validate); its rows named in fitted_on
  EXPECT_EQ(h100->fitted_on.size(), 8u);
  EXPECT_DOUBLE_EQ(h100->launch_overhead_s, 5e-6);
  // The op classes of `trainbench project`: memory-bound operations and the network.
  const Expected<EfficiencyRow> elementwise = t->find("H100-SXM", "elementwise");
  ASSERT_TRUE(elementwise.ok()) << elementwise.error().message;
  EXPECT_EQ(elementwise->device_class, "default");
  const Expected<EfficiencyRow> network = t->find("Trainium", "network");
  ASSERT_TRUE(network.ok()) << network.error().message;
  EXPECT_DOUBLE_EQ(network->alpha_s, 60e-6);
  const Expected<EfficiencyRow> trn = t->find("Trainium", "allreduce");
  ASSERT_TRUE(trn.ok());
  EXPECT_DOUBLE_EQ(trn->alpha_s, 58e-6);
  EXPECT_DOUBLE_EQ(trn->link, 0.26);
  EXPECT_TRUE(contains(default_efficiency_table_path(), "/efficiency.csv"));
}

// The Trainium all-reduce factor from nccom-test's published two-node run:
// busbw 47.1 per NeuronCore in nccom-test's "GB/s", which that example
// computes in GiB/s (1 GiB in 41.8 ms is 23.9 of them algbw), against the
// catalog's NeuronLink-v2 figure in 1e9 B/s: both sides in bytes per second.
TEST(EfficiencyTest, TrainiumAllReduceFactorComparesBytesPerSecondWithBytesPerSecond) {
  const Expected<EfficiencyTable> t = read_efficiency_table(default_efficiency_table_path());
  ASSERT_TRUE(t.ok()) << t.error().message;
  const Expected<EfficiencyRow> row = t->find("Trainium", "allreduce");
  ASSERT_TRUE(row.ok()) << row.error().message;
  const Expected<InstanceCatalog> catalog = read_instance_catalog(default_instance_catalog_path());
  ASSERT_TRUE(catalog.ok()) << catalog.error().message;
  const Expected<Instance> trn1 = catalog->find("trn1.32xlarge");
  ASSERT_TRUE(trn1.ok() && trn1->intra_node_link_gb_per_s.has_value());
  EXPECT_NEAR(1073741824.0 / 41.8e-3 / 1073741824.0, 23.9, 0.05) << "the example's algbw is in GiB/s";
  const double busbw_per_chip = 47.1 * 1073741824.0 * 2;  // B/s, 2 NeuronCores per chip
  const double factor = busbw_per_chip / (*trn1->intra_node_link_gb_per_s * 1e9);
  EXPECT_NEAR(row->link, factor, 0.005) << "GiB/s divided by GB/s would give " << 47.1 * 2 / 384.0;
}

TEST(EfficiencyTest, FindPrefersTheClassAndFallsBackToDefault) {
  const EfficiencyTable t = read_or_die(std::string(kHeader) + kDefaults + "H100-SXM,gemm,0.8,0.9,4,,,published: x\n");
  const Expected<EfficiencyRow> own = t.find("H100-SXM", "gemm");
  ASSERT_TRUE(own.ok());
  EXPECT_DOUBLE_EQ(own->compute, 0.8);
  EXPECT_DOUBLE_EQ(own->memory, 0.9);
  EXPECT_DOUBLE_EQ(own->launch_overhead_s, 4e-6);
  EXPECT_EQ(own->line, 5);
  const Expected<EfficiencyRow> fallback = t.find("H100-SXM", "attention");
  ASSERT_TRUE(fallback.ok());
  EXPECT_EQ(fallback->device_class, "default");
  EXPECT_DOUBLE_EQ(fallback->compute, 0.45);
  const Expected<EfficiencyRow> ar = t.find("TPU-v5", "allreduce");
  ASSERT_TRUE(ar.ok());
  EXPECT_DOUBLE_EQ(ar->alpha_s, 20e-6);
  EXPECT_DOUBLE_EQ(ar->link, 0.5);
}

TEST(EfficiencyTest, FindWithoutRowOrDefaultNamesClassKernelAndFile) {
  EfficiencyTable t;
  t.path = "mine.csv";
  const Expected<EfficiencyRow> r = t.find("H100-SXM", "gemm");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kBadInput);
  for (const char* n : {"H100-SXM", "gemm", "mine.csv"}) EXPECT_TRUE(contains(r.error().message, n)) << n;
}

TEST(EfficiencyTest, CommentsBlankLinesCrlfAndColumnOrderAreAccepted) {
  const EfficiencyTable t = read_or_die(
      "# comment\r\n\r\n"
      "kernel,device_class,source,link_efficiency,alpha_us,launch_overhead_us,memory_efficiency,compute_efficiency\r\n"
      "gemm,default,\"assumption: a, b\",,,0,1,0.5\r\n"
      "attention,default,x,,,1000000,0.1,1\r\n"
      "allreduce,default,y,1,0,,,\r\n");
  ASSERT_EQ(t.rows.size(), 3u);
  EXPECT_EQ(t.rows[0].source, "assumption: a, b");
  EXPECT_DOUBLE_EQ(t.rows[0].compute, 0.5);
  EXPECT_DOUBLE_EQ(t.rows[0].memory, 1.0);
  EXPECT_DOUBLE_EQ(t.rows[1].launch_overhead_s, 1.0);
  EXPECT_DOUBLE_EQ(t.rows[2].alpha_s, 0.0);
  EXPECT_EQ(t.rows[2].line, 6);
}

TEST(EfficiencyTest, BadHeaderNamesFileAndLine) {
  expect_bad("# c\ndevice_class,kernel,compute_efficiency,memory_efficiency,launch_overhead_us,alpha_us,"
             "link_efficiency,source,speed\n",
             2, {"unknown column 'speed'", "expected device_class"});
  expect_bad("device_class,kernel,compute_efficiency,memory_efficiency,launch_overhead_us,alpha_us,source\n", 1,
             {"missing required column 'link_efficiency'"});
  expect_bad("device_class,kernel,kernel,compute_efficiency\n", 1, {"column 'kernel' appears twice"});
  const TempDir dir;
  const std::string path = dir.write("eff.csv", "# only a comment\n");
  const Expected<EfficiencyTable> t = read_efficiency_table(path);
  ASSERT_FALSE(t.ok());
  EXPECT_TRUE(contains(t.error().message, path + ": no header line")) << t.error().message;
}

TEST(EfficiencyTest, MalformedAndOutOfRangeNumbersNameFileLineAndValue) {
  const std::string head = std::string(kHeader) + kDefaults;
  expect_bad(head + "H100-SXM,gemm,0.8x,0.8,5,,,s\n", 5,
             {"compute_efficiency '0.8x' is not a number", "expected a decimal"});
  expect_bad(head + "H100-SXM,gemm,nan,0.8,5,,,s\n", 5, {"'nan' is not a number"});
  expect_bad(head + "H100-SXM,gemm,1.5,0.8,5,,,s\n", 5,
             {"compute_efficiency 1.5 is out of range", "expected > 0 and <= 1"});
  expect_bad(head + "H100-SXM,gemm,0.8,0,5,,,s\n", 5, {"memory_efficiency 0 is out of range"});
  expect_bad(head + "H100-SXM,gemm,0.8,0.8,-1,,,s\n", 5,
             {"launch_overhead_us -1 is out of range", "expected >= 0 and <= 1e+06"});
  expect_bad(head + "H100-SXM,gemm,0.8,0.8,2e6,,,s\n", 5, {"launch_overhead_us 2e6 is out of range"});
  expect_bad(head + "H100-SXM,allreduce,,,,-5,0.5,s\n", 5, {"alpha_us -5 is out of range"});
  expect_bad(head + "H100-SXM,allreduce,,,,5,1.01,s\n", 5, {"link_efficiency 1.01 is out of range"});
}

TEST(EfficiencyTest, CellsMustMatchTheKernel) {
  const std::string head = std::string(kHeader) + kDefaults;
  expect_bad(head + "H100-SXM,gemm,0.8,0.8,5,20,,s\n", 5,
             {"alpha_us '20' does not apply to kernel gemm", "expected an empty cell"});
  expect_bad(head + "H100-SXM,allreduce,0.8,,,20,0.5,s\n", 5, {"compute_efficiency '0.8' does not apply"});
  expect_bad(head + "H100-SXM,gemm,0.8,,5,,,s\n", 5, {"empty memory_efficiency", "expected a number > 0 and <= 1"});
  expect_bad(head + "H100-SXM,allreduce,,,,20,,s\n", 5, {"empty link_efficiency"});
  expect_bad(head + "H100-SXM,conv,0.8,0.8,5,,,s\n", 5, {"kernel 'conv' is not known", "gemm, attention, allreduce, elementwise or network"});
  // An elementwise row sets memory and launch only; a network row alpha and link only.
  expect_bad(head + "H100-SXM,elementwise,0.8,0.8,5,,,s\n", 5, {"compute_efficiency '0.8' does not apply to kernel elementwise"});
  expect_bad(head + "H100-SXM,network,,0.8,,20,0.5,s\n", 5, {"memory_efficiency '0.8' does not apply to kernel network"});
  expect_bad(head + ",gemm,0.8,0.8,5,,,s\n", 5, {"empty device_class"});
  expect_bad(head + "H100-SXM,gemm,0.8,0.8,5,,\n", 5, {"7 fields: expected 8"});
}

TEST(EfficiencyTest, EmptySourceDuplicateRowAndMissingDefaultNameFileAndLine) {
  const std::string head = std::string(kHeader) + kDefaults;
  expect_bad(head + "H100-SXM,gemm,0.8,0.8,5,,,\n", 5,
             {"empty source for H100-SXM gemm", "assumption: <why>"});
  expect_bad(head + "# between\nH100-SXM,gemm,0.8,0.8,5,,,a\nH100-SXM,gemm,0.7,0.8,5,,,b\n", 7,
             {"duplicate row H100-SXM gemm", "already on line 6"});
  // Named at the file's last record.
  expect_bad(std::string(kHeader) + "default,gemm,0.7,0.8,5,,,s\ndefault,allreduce,,,,20,0.5,s\n\n# end\n", 3,
             {"without a default row for kernel attention", "default,attention"});
}

TEST(EfficiencyTest, OverrideSetsTheFieldOnEveryRowOfTheKernel) {
  EfficiencyTable t = read_or_die(std::string(kHeader) + kDefaults + "H100-SXM,gemm,0.8,0.9,4,,,published: x\n");
  ASSERT_TRUE(apply_efficiency_override(t, "gemm.compute=0.5").ok());
  ASSERT_TRUE(apply_efficiency_override(t, "gemm.launch_us=7").ok());
  ASSERT_TRUE(apply_efficiency_override(t, " allreduce.alpha_us = 30 ").ok());
  ASSERT_TRUE(apply_efficiency_override(t, "allreduce.link=0.6").ok());
  ASSERT_TRUE(apply_efficiency_override(t, "attention.memory=1").ok());
  for (const char* cls : {"default", "H100-SXM"}) {
    const Expected<EfficiencyRow> g = t.find(cls, "gemm");
    ASSERT_TRUE(g.ok());
    EXPECT_DOUBLE_EQ(g->compute, 0.5) << cls;
    EXPECT_DOUBLE_EQ(g->launch_overhead_s, 7e-6) << cls;
    EXPECT_EQ(g->source, "command line: gemm.launch_us=7") << cls;
  }
  EXPECT_DOUBLE_EQ(t.find("H100-SXM", "gemm")->memory, 0.9);  // untouched field
  EXPECT_DOUBLE_EQ(t.find("default", "attention")->compute, 0.45);
  EXPECT_DOUBLE_EQ(t.find("default", "attention")->memory, 1.0);
  EXPECT_DOUBLE_EQ(t.find("default", "allreduce")->alpha_s, 30e-6);
  EXPECT_DOUBLE_EQ(t.find("default", "allreduce")->link, 0.6);
}

TEST(EfficiencyTest, BadOverridesNameTheTextAndWhatIsExpected) {
  EfficiencyTable t = read_or_die(std::string(kHeader) + kDefaults);
  const struct {
    const char* text;
    std::vector<std::string> needles;
  } cases[] = {
      {"gemm.compute", {"'gemm.compute'", "expected KERNEL.FIELD=VALUE"}},
      {"gemm=0.5", {"expected KERNEL.FIELD=VALUE"}},
      {"conv.compute=0.5", {"kernel 'conv' is not known"}},
      {"gemm.link=0.5", {"field 'link' is not known for gemm", "expected compute, memory, launch_us"}},
      {"allreduce.compute=0.5", {"expected alpha_us, link"}},
      {"gemm.compute=1.5", {"'gemm.compute=1.5'", "compute 1.5 is out of range", "expected > 0 and <= 1"}},
      {"gemm.compute=0", {"compute 0 is out of range"}},
      {"gemm.launch_us=-1", {"launch_us -1 is out of range", ">= 0"}},
      {"allreduce.alpha_us=2000000", {"alpha_us 2000000 is out of range"}},
      {"gemm.memory=fast", {"memory 'fast' is not a number"}},
      {"gemm.memory=", {"no value"}},
  };
  for (const auto& c : cases) {
    const Status s = apply_efficiency_override(t, c.text);
    ASSERT_FALSE(s.ok()) << c.text;
    EXPECT_EQ(s.error().code, ErrorCode::kBadInput);
    for (const std::string& n : c.needles) EXPECT_TRUE(contains(s.error().message, n)) << n << " not in: " << s.error().message;
  }
  EXPECT_DOUBLE_EQ(t.find("default", "gemm")->compute, 0.7);  // nothing applied
}

TEST(EfficiencyTest, DeviceClassOfAccelerator) {
  EXPECT_EQ(device_class_of_accelerator("none"), "cpu");
  EXPECT_EQ(device_class_of_accelerator("H100-SXM"), "H100-SXM");
  EXPECT_EQ(device_class_of_accelerator("Trainium2"), "Trainium2");
}

}  // namespace
}  // namespace tb
