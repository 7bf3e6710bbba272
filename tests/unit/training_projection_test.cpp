// The projection of a training job (cost/training_projection.h) and its
// hierarchical collectives (cost/collective_model.h): each rule against a
// hand-computed case.
#include <gtest/gtest.h>

#include <cmath>

#include "catalog/efficiency.h"
#include "cost/collective_model.h"
#include "cost/training_projection.h"
#include "model/model_config.h"
#include "support/text.h"

namespace tb {
namespace {

using tbtest::expect_contains_all;

// 8 devices of 1000 TFLOP/s, 3 TB/s, 80 GB per instance; NVLink 900 GB/s, 400 GB/s network per instance.
ProjectionTarget target() {
  ProjectionTarget t;
  t.label = "test8";
  t.device_class = "default";
  t.devices_per_instance = 8;
  t.peak_flop_per_s = 1e15;
  t.memory_bytes_per_s = 3e12;
  t.memory_bytes = 80e9;
  t.intra_link_bytes_per_s = 900e9;
  t.network_bytes_per_s = 400e9 / 8;
  return t;
}

EfficiencyTable table() {
  EfficiencyTable t;
  t.path = "test";
  const auto row = [](const char* kernel, double compute, double memory, double launch_s, double alpha_s, double link) {
    EfficiencyRow r;
    r.device_class = "default";
    r.kernel = kernel;
    r.compute = compute;
    r.memory = memory;
    r.launch_overhead_s = launch_s;
    r.alpha_s = alpha_s;
    r.link = link;
    r.source = "test";
    return r;
  };
  t.rows = {row("gemm", 0.5, 0.5, 0, 0, 1), row("attention", 0.25, 0.5, 0, 0, 1), row("allreduce", 1, 1, 0, 10e-6, 0.5),
            row(kElementwiseOp, 1, 0.5, 0, 0, 1), row(kNetworkOp, 1, 1, 0, 30e-6, 0.8)};
  return t;
}

LinkRows links() {
  Expected<LinkRows> l = link_rows(target(), table());
  EXPECT_TRUE(l.ok());
  return *l;
}

TEST(CollectiveModel, RingInsideAnInstanceByHand) {
  // 1 GB over 8 ranks: alpha + 2 x 7/8 x 1e9 / (900e9 x 0.5).
  const Expected<double> t = collective_time_s(CollectiveKind::kAllReduce, 1e9, 8, 8, target(), links());
  ASSERT_TRUE(t.ok());
  EXPECT_NEAR(*t, 10e-6 + 2.0 * 7 / 8 * 1e9 / 450e9, 1e-12);
  const Expected<double> rs = collective_time_s(CollectiveKind::kReduceScatter, 1e9, 8, 8, target(), links());
  EXPECT_NEAR(*rs, 10e-6 + 7.0 / 8 * 1e9 / 450e9, 1e-12);
  EXPECT_EQ(*collective_time_s(CollectiveKind::kAllReduce, 1e9, 1, 1, target(), links()), 0.0);
}

TEST(CollectiveModel, AcrossInstancesTheNetworkCarriesOneShareByHand) {
  // 16 ranks, 8 per instance: the intra ring as above, then 2 instances over
  // 50 GB/s x 0.8 per device carrying 1e9 / 8 B each: 30 us + 2 x 1/2 x 1.25e8 / 40e9.
  const Expected<double> t = collective_time_s(CollectiveKind::kAllReduce, 1e9, 16, 8, target(), links());
  ASSERT_TRUE(t.ok());
  EXPECT_NEAR(*t, (10e-6 + 2.0 * 7 / 8 * 1e9 / 450e9) + (30e-6 + 1.25e8 / 40e9), 1e-12);
  // One rank per instance (dp spread over instances): the network alone.
  EXPECT_NEAR(*collective_time_s(CollectiveKind::kAllReduce, 1e9, 4, 1, target(), links()),
              30e-6 + 2.0 * 3 / 4 * 1e9 / 40e9, 1e-12);
  EXPECT_NEAR(*send_time_s(1e6, true, target(), links()), 30e-6 + 1e6 / 40e9, 1e-15);
  EXPECT_NEAR(*send_time_s(1e6, false, target(), links()), 10e-6 + 1e6 / 450e9, 1e-15);
  expect_contains_all(collective_time_s(CollectiveKind::kAllReduce, 1e9, 12, 8, target(), links()).error().message,
                      {"12 ranks", "8 in each instance"});
  ProjectionTarget no_network = target();
  no_network.network_bytes_per_s = 0;
  expect_contains_all(collective_time_s(CollectiveKind::kAllReduce, 1e9, 16, 8, no_network, links()).error().message,
                      {"network_gbit_per_s"});
}

ModelConfig model() {
  Expected<ModelConfig> m = load_model("llama3-8b");
  EXPECT_TRUE(m.ok());
  return *m;
}

TrainingPlan plan(std::int64_t tp, std::int64_t pp, std::int64_t dp, std::int64_t global_batch) {
  TrainingPlan p;
  p.tp = tp;
  p.pp = pp;
  p.dp = dp;
  p.devices = tp * pp * dp;
  p.global_batch = global_batch;
  p.seq_len = 4096;
  return p;
}

TrainingProjection project(const TrainingPlan& p, const ModelConfig& m = model()) {
  Expected<TrainingProjection> r = project_training(m, p, target(), table());
  EXPECT_TRUE(r.ok()) << r.error().message;
  return r.ok() ? *r : TrainingProjection{};
}

TEST(TrainingProjection, TheGradientReductionIsOncePerStepNotPerMicroBatch) {
  const TrainingProjection one = project(plan(1, 1, 16, 16));   // 1 micro-batch
  const TrainingProjection many = project(plan(1, 1, 16, 256));  // 16 micro-batches
  EXPECT_EQ(many.time.micro_batches, 16);
  EXPECT_DOUBLE_EQ(many.time.dp_comm_s, one.time.dp_comm_s);
  EXPECT_NEAR(many.time.pipeline_s, 16 * one.time.pipeline_s, 1e-9 * many.time.pipeline_s);
  // Exposed: only what exceeds the last micro-batch's backward.
  EXPECT_DOUBLE_EQ(many.time.dp_exposed_s, std::max(0.0, one.time.dp_comm_s - one.time.backward_s));
  // Accumulating hides the reduction: throughput rises with the global batch.
  EXPECT_GE(many.tokens_per_s_per_device, one.tokens_per_s_per_device);
  EXPECT_DOUBLE_EQ(many.tokens_per_s_per_device, 256.0 * 4096 / many.time.step_s / 16);
}

TEST(TrainingProjection, PipelineBubbleShrinksWithInterleaving) {
  const TrainingProjection p = project(plan(1, 4, 2, 64));
  EXPECT_EQ(p.time.micro_batches, 32);
  EXPECT_NEAR(p.time.bubble_s, 3.0 * p.time.micro_batch_s, 1e-12);
  EXPECT_NEAR(p.time.pipeline_s, (32 + 3) * p.time.micro_batch_s, 1e-9);
  TrainingPlan v = plan(1, 4, 2, 64);
  v.vpp = 2;
  const TrainingProjection q = project(v);
  EXPECT_NEAR(q.time.bubble_s, 1.5 * q.time.micro_batch_s, 1e-12);
  EXPECT_GT(q.time.pp_comm_s, p.time.pp_comm_s);  // twice the stage boundaries per device
}

TEST(TrainingProjection, RecomputationAddsTheForwardItRepeats) {
  TrainingPlan p = plan(2, 1, 1, 1);
  const TrainingProjection none = project(p);
  EXPECT_EQ(none.time.recompute_s, 0.0);
  p.recompute = Recompute::kFull;
  const TrainingProjection full = project(p);
  EXPECT_NEAR(full.time.recompute_s, none.time.forward_s + none.time.tp_comm_s / 2, 1e-12);
  p.recompute = Recompute::kSelective;
  const TrainingProjection selective = project(p);
  EXPECT_GT(selective.time.recompute_s, 0.0);
  EXPECT_LT(selective.time.recompute_s, none.time.attention_s);
}

TEST(TrainingProjection, ZeroThreeGathersWeightsEveryMicroBatch) {
  TrainingPlan p = plan(1, 1, 16, 64);  // 4 micro-batches
  p.zero = 3;
  const TrainingProjection z3 = project(p);
  const double weights = z3.memory.stage_parameters * 2, grads = z3.memory.stage_parameters * 4;
  const double gather = *collective_time_s(CollectiveKind::kAllGather, weights, 16, 8, target(), links());
  const double scatter = *collective_time_s(CollectiveKind::kReduceScatter, grads, 16, 8, target(), links());
  EXPECT_NEAR(z3.time.dp_comm_s, 4 * (2 * gather + scatter), 1e-12);
  EXPECT_LT(z3.memory.total_bytes(), project(plan(1, 1, 16, 64)).memory.total_bytes());
}

TEST(TrainingProjection, BothMfuConventionsByHand) {
  const ModelConfig m = model();
  const TrainingProjection p = project(plan(1, 1, 8, 8));
  const double n = static_cast<double>(m.parameters().matmul);
  EXPECT_DOUBLE_EQ(p.flop_per_token_6n_12lds, 6 * n + 12.0 * 32 * 4096 * 4096);
  EXPECT_NEAR(p.mfu_6n_12lds, p.flop_per_token_6n_12lds * p.tokens_per_s_per_device / 1e15, 1e-12);
  EXPECT_NEAR(p.mfu, p.flop_per_token * p.tokens_per_s_per_device / 1e15, 1e-12);
  EXPECT_LT(p.flop_per_token, p.flop_per_token_6n_12lds);  // causal attention counted once
}

TEST(TrainingProjection, AJobThatDoesNotFitSaysSo) {
  Expected<ModelConfig> big = load_model("llama3-70b");
  ASSERT_TRUE(big.ok());
  const TrainingProjection p = project(plan(1, 1, 8, 8), *big);  // 70B x 16 B on each 80 GB device
  EXPECT_FALSE(p.fits_in_memory);
  EXPECT_GT(p.memory.total_bytes(), 70e9 * 16);
  TrainingPlan sharded = plan(8, 1, 8, 8);
  sharded.zero = 3;
  sharded.pp = 1;
  EXPECT_TRUE(project(sharded, *big).fits_in_memory) << project(sharded, *big).memory.total_bytes();
}

TEST(TrainingProjection, TensorParallelismStaysInsideAnInstance) {
  Expected<TrainingProjection> r = project_training(model(), plan(16, 1, 1, 1), target(), table());
  ASSERT_FALSE(r.ok());
  expect_contains_all(r.error().message, {"--tp 16", "8 devices of one test8"});
}

TEST(TrainingProjection, ContextParallelismSharesTheSequence) {
  TrainingPlan p = plan(1, 1, 8, 8);
  const TrainingProjection base = project(p);
  p.cp = 2;
  p.dp = 4;
  const TrainingProjection cp = project(p);
  // Per device half the tokens of each sequence, and half the attention.
  EXPECT_NEAR(cp.time.attention_s, base.time.attention_s / 2, 1e-3 * base.time.attention_s);
  EXPECT_LT(cp.time.gemm_s, base.time.gemm_s * 0.6);
  EXPECT_DOUBLE_EQ(cp.flop_per_token, base.flop_per_token);
}

}  // namespace
}  // namespace tb
