// Projecting a step (src/cost/step_projection.h): a hand-computed tiny
// decomposition (compute- and memory-bound kernels, tp and dp all-reduces over
// the intra-node link or the network), catalog targets, run settings on a
// whole instance, and the memory-fit warning.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "cost/step_projection.h"
#include "cost/training_projection.h"
#include "model/training_memory.h"

namespace tb {
namespace {

bool contains(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

EfficiencyRow kernel_row(const char* cls, const char* kernel, double compute, double memory, double launch_s) {
  EfficiencyRow r;
  r.device_class = cls;
  r.kernel = kernel;
  r.compute = compute;
  r.memory = memory;
  r.launch_overhead_s = launch_s;
  r.source = "test";
  return r;
}

EfficiencyRow link_row(const char* cls, double alpha_s, double link) {
  EfficiencyRow r;
  r.device_class = cls;
  r.kernel = "allreduce";
  r.alpha_s = alpha_s;
  r.link = link;
  r.source = "test";
  return r;
}

// Defaults plus an own gemm row for class "X".
EfficiencyTable test_table() {
  EfficiencyTable t;
  t.path = "test";
  t.rows = {kernel_row("default", "gemm", 0.5, 0.5, 10e-6), kernel_row("X", "gemm", 0.8, 0.5, 10e-6),
            kernel_row("default", "attention", 0.25, 0.8, 0.0), link_row("default", 20e-6, 0.5)};
  return t;
}

// 100 TFLOP/s, 1 TB/s, 8 devices per instance, 100 GB/s link, 10 GB/s network share.
ProjectionTarget test_target() {
  ProjectionTarget t;
  t.label = "box";
  t.device_class = "X";
  t.devices_per_instance = 8;
  t.peak_flop_per_s = 100e12;
  t.memory_bytes_per_s = 1e12;
  t.intra_link_bytes_per_s = 100e9;
  t.network_bytes_per_s = 10e9;
  return t;
}

StepItem item(const char* kernel, const char* phase, double flop, double min_bytes, std::int64_t bytes) {
  StepItem i;
  i.kernel = kernel;
  i.phase = phase;
  i.what = "w";
  i.problem = std::string(kernel) + "-" + phase;
  i.count = 1;
  i.flop = flop;
  i.min_bytes = min_bytes;
  i.bytes = bytes;
  return i;
}

StepDecomposition tiny_step(std::int64_t tp, std::int64_t dp) {
  StepDecomposition s;
  s.run.tp = tp;
  s.run.dp = dp;
  s.items = {item("gemm", "fwd", 1e12, 1e6, 0), item("attention", "fwd", 1e9, 1e10, 0),
             item("allreduce", "tp-comm", 0, 0, 100'000'000), item("allreduce", "dp-comm", 0, 0, 400'000'000)};
  return s;
}

TEST(StepProjectionTest, HandComputedTinyStep) {
  const Expected<std::vector<ItemProjection>> p = project_step(tiny_step(2, 4), test_target(), test_table());
  ASSERT_TRUE(p.ok()) << p.error().message;
  ASSERT_EQ(p->size(), 4u);
  // gemm with X's own row: 1e12 / (100e12 x 0.8) = 12.5 ms beats 1e6 / (1e12 x 0.5) = 2 us; + 10 us.
  EXPECT_DOUBLE_EQ((*p)[0].seconds, 0.0125 + 10e-6);
  EXPECT_EQ((*p)[0].bound, "compute");
  // attention with the default row: 1e10 / (1e12 x 0.8) = 12.5 ms beats 1e9 / (100e12 x 0.25) = 40 us.
  EXPECT_DOUBLE_EQ((*p)[1].seconds, 0.0125);
  EXPECT_EQ((*p)[1].bound, "memory");
  // tp all-reduce over 2 ranks within the instance: 20 us + 1e8 x 1 / (100e9 x 0.5).
  EXPECT_NEAR((*p)[2].seconds, 20e-6 + 2e-3, 1e-15);
  EXPECT_EQ((*p)[2].bound, "link");
  // dp all-reduce over 4 ranks, tp x dp = 8 fits the instance: 20 us + 4e8 x 1.5 / 50e9.
  EXPECT_NEAR((*p)[3].seconds, 20e-6 + 12e-3, 1e-15);
  EXPECT_EQ((*p)[3].bound, "link");
}

TEST(StepProjectionTest, DataParallelAcrossInstancesUsesTheSlowerNetwork) {
  // tp x dp = 16 > 8: min(100e9, 10e9) = 10e9; 8 ranks: 20 us + 4e8 x 1.75 / 5e9.
  const Expected<std::vector<ItemProjection>> p = project_step(tiny_step(2, 8), test_target(), test_table());
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_NEAR((*p)[3].seconds, 20e-6 + 0.14, 1e-12);
  EXPECT_NEAR((*p)[2].seconds, 20e-6 + 2e-3, 1e-15);  // tp still within the instance
}

TEST(StepProjectionTest, OneDevicePerInstanceUsesTheNetworkAndOneRankIsFree) {
  ProjectionTarget t = test_target();
  t.devices_per_instance = 1;
  t.intra_link_bytes_per_s = 0;  // unknown
  const Expected<std::vector<ItemProjection>> p = project_step(tiny_step(2, 1), t, test_table());
  ASSERT_TRUE(p.ok()) << p.error().message;
  // 2 ranks over the 10 GB/s network share: 20 us + 1e8 / 5e9.
  EXPECT_NEAR((*p)[2].seconds, 20e-6 + 0.02, 1e-15);
  EXPECT_EQ((*p)[3].seconds, 0.0);
  EXPECT_EQ((*p)[3].bound, "none");
}

TEST(StepProjectionTest, MissingLinkOrRowIsBadInputNamingTarget) {
  ProjectionTarget t = test_target();
  t.intra_link_bytes_per_s = 0;
  Expected<std::vector<ItemProjection>> p = project_step(tiny_step(2, 4), t, test_table());
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, ErrorCode::kBadInput);
  for (const char* n : {"onto box", "allreduce-tp-comm", "intra_node_link_gb_per_s"}) {
    EXPECT_TRUE(contains(p.error().message, n)) << n << " not in: " << p.error().message;
  }
  t = test_target();
  t.network_bytes_per_s = 0;
  p = project_step(tiny_step(2, 8), t, test_table());
  ASSERT_FALSE(p.ok());
  EXPECT_TRUE(contains(p.error().message, "network_gbit_per_s")) << p.error().message;
  EfficiencyTable no_attention = test_table();
  no_attention.rows.erase(no_attention.rows.begin() + 2);
  p = project_step(tiny_step(1, 1), test_target(), no_attention);
  ASSERT_FALSE(p.ok());
  EXPECT_TRUE(contains(p.error().message, "kernel 'attention'")) << p.error().message;
}

TEST(StepProjectionTest, TargetFromTheCatalogForP5Bf16AndFp32) {
  const Expected<InstanceCatalog> c = read_instance_catalog(default_instance_catalog_path());
  ASSERT_TRUE(c.ok()) << c.error().message;
  const Expected<Instance> p5 = c->find("p5.48xlarge");
  ASSERT_TRUE(p5.ok());
  const Expected<ProjectionTarget> t = projection_target(*p5, DType::kBf16);
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->label, "p5.48xlarge");
  EXPECT_EQ(t->device_class, "H100-SXM");
  EXPECT_EQ(t->devices_per_instance, 8);
  EXPECT_DOUBLE_EQ(t->peak_flop_per_s, 989e12);
  EXPECT_DOUBLE_EQ(t->memory_bytes_per_s, 3350e9);
  EXPECT_DOUBLE_EQ(t->memory_bytes, 74.506 * 1073741824.0);
  EXPECT_DOUBLE_EQ(t->intra_link_bytes_per_s, 900e9);
  EXPECT_DOUBLE_EQ(t->network_bytes_per_s, 3200e9 / 8 / 8);  // 50 GB/s per GPU
  EXPECT_EQ(t->peak_source, "catalog: peak_bf16_tflops of p5.48xlarge");
  const Expected<ProjectionTarget> fp32 = projection_target(*p5, DType::kFp32);
  ASSERT_TRUE(fp32.ok());
  EXPECT_DOUBLE_EQ(fp32->peak_flop_per_s, 67e12);
  const Expected<ProjectionTarget> trn1 = projection_target(*c->find("trn1.2xlarge"), DType::kFp16);
  ASSERT_TRUE(trn1.ok());
  EXPECT_DOUBLE_EQ(trn1->peak_flop_per_s, 190e12);
  EXPECT_EQ(trn1->intra_link_bytes_per_s, 0.0);  // unknown
  EXPECT_DOUBLE_EQ(trn1->network_bytes_per_s, 25e9 / 8);
}

TEST(StepProjectionTest, Fp8UsesTheCatalogsFp8PeakOrRefusesNamingIt) {
  const Expected<InstanceCatalog> c = read_instance_catalog(default_instance_catalog_path());
  ASSERT_TRUE(c.ok()) << c.error().message;
  const Expected<ProjectionTarget> p5 = projection_target(*c->find("p5.48xlarge"), DType::kFp8E4m3);
  ASSERT_TRUE(p5.ok()) << p5.error().message;
  EXPECT_DOUBLE_EQ(p5->peak_flop_per_s, 1979e12);
  EXPECT_EQ(p5->peak_source, "catalog: peak_fp8_tflops of p5.48xlarge");
  const Expected<ProjectionTarget> a100 = projection_target(*c->find("p4d.24xlarge"), DType::kFp8E4m3);
  ASSERT_FALSE(a100.ok());
  EXPECT_EQ(a100.error().code, ErrorCode::kBadInput);
  EXPECT_TRUE(contains(a100.error().message, "p4d.24xlarge has no peak_fp8_tflops in the catalog (needed for fp8)"))
      << a100.error().message;
}

TEST(StepProjectionTest, TargetWithoutPeakIsBadInputNamingInstanceAndColumn) {
  const Expected<InstanceCatalog> c = read_instance_catalog(default_instance_catalog_path());
  ASSERT_TRUE(c.ok()) << c.error().message;
  const Expected<ProjectionTarget> cpu = projection_target(*c->find("c7a.xlarge"), DType::kBf16);
  ASSERT_FALSE(cpu.ok());
  EXPECT_EQ(cpu.error().code, ErrorCode::kBadInput);
  for (const char* n : {"c7a.xlarge", "CPU-only", "peak_bf16_tflops"}) {
    EXPECT_TRUE(contains(cpu.error().message, n)) << n << " not in: " << cpu.error().message;
  }
  const Expected<ProjectionTarget> a10g = projection_target(*c->find("g5.xlarge"), DType::kFp32);
  ASSERT_FALSE(a10g.ok());
  EXPECT_TRUE(contains(a10g.error().message, "g5.xlarge has no peak_fp32_tflops")) << a10g.error().message;
  Instance no_bandwidth = *c->find("p5.48xlarge");
  no_bandwidth.memory_bandwidth_gb_per_s.reset();
  const Expected<ProjectionTarget> nb = projection_target(no_bandwidth, DType::kBf16);
  ASSERT_FALSE(nb.ok());
  EXPECT_TRUE(contains(nb.error().message, "memory_bandwidth_gb_per_s")) << nb.error().message;
}

TEST(StepProjectionTest, InstanceRunSettingsFillTheInstanceWithReplicas) {
  RunSettings run;
  EXPECT_EQ(instance_run_settings(run, 8).dp, 8);
  run.tp = 2;
  EXPECT_EQ(instance_run_settings(run, 8).dp, 4);
  EXPECT_EQ(instance_run_settings(run, 8).tp, 2);
  EXPECT_EQ(instance_run_settings(run, 1).dp, 1);  // 1 < tp: unchanged
  run.tp = 8;
  EXPECT_EQ(instance_run_settings(run, 16).dp, 2);
  run.dp = 32;
  EXPECT_EQ(instance_run_settings(run, 16).dp, 32);  // already more replicas
}

TEST(StepProjectionTest, LocalParametersMatchTheGradientAllReduce) {
  const Expected<ModelConfig> m = load_model("llama3-8b");
  ASSERT_TRUE(m.ok()) << m.error().message;
  RunSettings run = m->defaults;
  run.tp = 1;
  EXPECT_EQ(local_parameters(*m, run), m->parameters().total);
  run.tp = 8;
  run.dp = 2;
  const Expected<StepDecomposition> s = decompose(*m, run);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->comm_bytes("dp-comm"), local_parameters(*m, run) * 4);  // fp32 gradients
  EXPECT_LT(local_parameters(*m, run), m->parameters().total / 7);
}

TEST(StepProjectionTest, MemoryFitFailsFor70bOnOneH100AndNotFor1b) {
  // The memory a projected row checks (model/training_memory.h through
  // project_training): 16 B per parameter of the shard plus activations.
  const Expected<InstanceCatalog> c = read_instance_catalog(default_instance_catalog_path());
  ASSERT_TRUE(c.ok()) << c.error().message;
  const Expected<ProjectionTarget> t = projection_target(*c->find("p5.48xlarge"), DType::kBf16);
  ASSERT_TRUE(t.ok());
  const Expected<EfficiencyTable> eff = read_efficiency_table(default_efficiency_table_path());
  ASSERT_TRUE(eff.ok()) << eff.error().message;

  const Expected<ModelConfig> big = load_model("llama3-70b");
  ASSERT_TRUE(big.ok()) << big.error().message;
  RunSettings run = big->defaults;
  run.tp = 1;
  run.seq_len = big->seq_len;
  const TrainingPlan plan70 = *resolve_plan(*big, single_micro_batch_plan(run));
  const TrainingMemory m70 = training_memory(*big, plan70);
  EXPECT_DOUBLE_EQ(m70.weights_bytes + m70.gradients_bytes + m70.optimizer_bytes,
                   16.0 * static_cast<double>(big->parameters().total));
  // 70,553,706,496 parameters x 16 B = 1051.3 GiB, against 74.5 GiB.
  EXPECT_NEAR((m70.weights_bytes + m70.gradients_bytes + m70.optimizer_bytes) / 1073741824.0, 1051.3, 0.05);
  const Expected<TrainingProjection> p70 = project_training(*big, plan70, *t, *eff);
  ASSERT_TRUE(p70.ok()) << p70.error().message;
  EXPECT_FALSE(p70->fits_in_memory);
  EXPECT_NEAR(p70->memory_capacity_bytes / 1073741824.0, 74.5, 0.05);

  const Expected<ModelConfig> small = load_model("llama3.2-1b");
  ASSERT_TRUE(small.ok()) << small.error().message;
  RunSettings small_run = small->defaults;
  small_run.seq_len = 1024;
  const TrainingPlan plan1 = *resolve_plan(*small, single_micro_batch_plan(small_run));
  const TrainingMemory m1 = training_memory(*small, plan1);
  EXPECT_LT(m1.weights_bytes + m1.gradients_bytes + m1.optimizer_bytes, 20e9);
  EXPECT_GT(m1.weights_bytes + m1.gradients_bytes + m1.optimizer_bytes, 19e9);
  EXPECT_TRUE(project_training(*small, plan1, *t, *eff)->fits_in_memory);
  ProjectionTarget unknown = *t;
  unknown.memory_bytes = 0;
  EXPECT_TRUE(project_training(*big, plan70, unknown, *eff)->fits_in_memory);  // capacity unknown: no verdict
}

TEST(StepProjectionTest, ShippedTableProjectsLlama1bOnP5) {
  const Expected<InstanceCatalog> c = read_instance_catalog(default_instance_catalog_path());
  ASSERT_TRUE(c.ok()) << c.error().message;
  const Expected<ProjectionTarget> t = projection_target(*c->find("p5.48xlarge"), DType::kBf16);
  ASSERT_TRUE(t.ok());
  const Expected<EfficiencyTable> e = read_efficiency_table(default_efficiency_table_path());
  ASSERT_TRUE(e.ok()) << e.error().message;
  const Expected<ModelConfig> m = load_model("llama3.2-1b");
  ASSERT_TRUE(m.ok());
  const Expected<StepDecomposition> s = decompose(*m, instance_run_settings(m->defaults, t->devices_per_instance));
  ASSERT_TRUE(s.ok()) << s.error().message;
  const Expected<std::vector<ItemProjection>> p = project_step(*s, *t, *e);
  ASSERT_TRUE(p.ok()) << p.error().message;
  ASSERT_EQ(p->size(), s->items.size());
  const EfficiencyRow gemm = *e->find("H100-SXM", "gemm");
  for (std::size_t i = 0; i < p->size(); ++i) {
    const StepItem& it = s->items[i];
    EXPECT_GT((*p)[i].seconds, 0.0) << it.problem;
    if (it.kernel != "gemm") continue;
    const double compute = it.flop / (989e12 * gemm.compute), memory = it.min_bytes / (3350e9 * gemm.memory);
    EXPECT_DOUBLE_EQ((*p)[i].seconds, std::max(compute, memory) + gemm.launch_overhead_s) << it.problem;
  }
  EXPECT_EQ(p->back().bound, "link");  // the dp all-reduce over 8 GPUs of the instance
}

}  // namespace
}  // namespace tb
