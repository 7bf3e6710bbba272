// The training plan (tp x cp x pp x dp, ZeRO, recompute, gradient
// accumulation), the memory one device needs, and the byte counts of the
// memory-bound operations, each against a hand-computed case (docs/cost.md,
// "Projecting a training job").
#include <gtest/gtest.h>

#include <string>

#include "model/memory_bound_ops.h"
#include "model/training_memory.h"
#include "model/training_plan.h"
#include "support/text.h"

namespace tb {
namespace {

using tbtest::expect_contains_all;

// 4 layers, d 512, 8 heads of 64, 2 KV heads, SwiGLU 1024, vocab 1000, untied, seq 256.
ModelConfig small_model() {
  ModelConfig m;
  m.name = "small";
  m.layers = 4;
  m.hidden = 512;
  m.heads = 8;
  m.kv_heads = 2;
  m.ffn = 1024;
  m.mlp = MlpKind::kGated;
  m.vocab = 1000;
  m.seq_len = 256;
  return m;
}

TrainingPlan plan(std::int64_t tp, std::int64_t pp, std::int64_t dp, std::int64_t global_batch = 0) {
  TrainingPlan p;
  p.tp = tp;
  p.pp = pp;
  p.dp = dp;
  p.devices = tp * pp * dp;
  p.global_batch = global_batch > 0 ? global_batch : dp;
  return p;
}

TrainingPlan resolved(const TrainingPlan& p) {
  Expected<TrainingPlan> r = resolve_plan(small_model(), p);
  EXPECT_TRUE(r.ok()) << r.error().message;
  return r.ok() ? *r : p;
}

std::string refused(const TrainingPlan& p) {
  Expected<TrainingPlan> r = resolve_plan(small_model(), p);
  EXPECT_FALSE(r.ok()) << p.summary();
  return r.ok() ? std::string() : r.error().message;
}

TEST(TrainingPlan, GradientAccumulationIsGlobalOverDpTimesMicroBatch) {
  TrainingPlan p = plan(1, 1, 4, 128);
  EXPECT_EQ(resolved(p).micro_batches(), 32);
  p.micro_batch = 2;
  EXPECT_EQ(resolved(p).micro_batches(), 16);
  EXPECT_EQ(resolved(p).seq_len, 256);  // the model's
  EXPECT_DOUBLE_EQ(resolved(p).tokens_per_step(), 128.0 * 256.0);
  p.cp = 2;
  p.devices = 8;
  EXPECT_EQ(resolved(p).tokens_per_micro_batch(), 2 * 256 / 2);
}

TEST(TrainingPlan, SummaryNamesEverySetting) {
  TrainingPlan p = plan(2, 2, 2, 64);
  p.vpp = 2;
  p.zero = 1;
  p.recompute = Recompute::kSelective;
  EXPECT_EQ(resolved(p).summary(), "tp=2 pp=2 dp=2 vpp=2 zero=1 recompute=selective mbs=1 gbs=64 seq=256");
}

TEST(TrainingPlan, BadLayoutsAreRefusedNamingTheValue) {
  TrainingPlan p = plan(2, 2, 2);
  p.devices = 16;
  expect_contains_all(refused(p), {"tp x cp x pp x dp = 2 x 1 x 2 x 2 = 8", "--devices is 16"});
  expect_contains_all(refused(plan(3, 1, 1)), {"tp=3 does not divide heads=8"});
  expect_contains_all(refused(plan(1, 1, 4, 6)), {"--global-batch 6", "dp x micro-batch = 4 x 1 = 4"});
  expect_contains_all(refused(plan(1, 8, 1)), {"--pp 8", "4"});
  expect_contains_all(refused(plan(1, 3, 1)), {"pp x vpp = 3 does not divide the 4 layers"});
  TrainingPlan v = plan(1, 1, 1);
  v.vpp = 2;
  expect_contains_all(refused(v), {"--vpp 2", "--pp is 1"});
  TrainingPlan z = plan(1, 1, 1);
  z.zero = 4;
  expect_contains_all(refused(z), {"--zero 4", "0, 1, 2 or 3"});
  TrainingPlan c = plan(1, 1, 1);
  c.cp = 3;
  c.devices = 3;
  expect_contains_all(refused(c), {"--cp 3 does not divide the sequence length 256"});
  expect_contains_all(parse_recompute("some").error().message, {"'some'", "none, selective or full"});
}

TEST(TrainingMemory, MixedPrecisionAdamIs16BytesPerParameterShardedByZero) {
  const ModelConfig m = small_model();
  const double P = static_cast<double>(m.parameters().total);
  TrainingPlan p = resolved(plan(1, 1, 4));
  EXPECT_DOUBLE_EQ(stage_parameters(m, p), P);
  TrainingMemory mem = training_memory(m, p);
  EXPECT_DOUBLE_EQ(mem.weights_bytes, 2 * P);
  EXPECT_DOUBLE_EQ(mem.gradients_bytes, 2 * P);
  EXPECT_DOUBLE_EQ(mem.optimizer_bytes, 12 * P);
  p.zero = 1;
  EXPECT_DOUBLE_EQ(training_memory(m, p).optimizer_bytes, 3 * P);
  EXPECT_DOUBLE_EQ(training_memory(m, p).gradients_bytes, 2 * P);
  p.zero = 2;
  EXPECT_DOUBLE_EQ(training_memory(m, p).gradients_bytes, P / 2);
  p.zero = 3;
  EXPECT_DOUBLE_EQ(training_memory(m, p).weights_bytes, P / 2);
}

TEST(TrainingMemory, ActivationsPerLayerByHand) {
  const ModelConfig m = small_model();
  TrainingPlan p = resolved(plan(1, 1, 1));
  // Per token: 5 x 512 (input, norm outs, attention out, residual) + Q,K,V 512 + 2 x 2 x 64 = 3328;
  // MLP gate, up, product 3 x 1024 = 3072; 6400 elements x 256 tokens x 2 B.
  EXPECT_DOUBLE_EQ(activation_bytes_per_layer(m, p), 6400.0 * 256 * 2);
  p.recompute = Recompute::kSelective;  // flash attention keeps no scores: the same
  EXPECT_DOUBLE_EQ(activation_bytes_per_layer(m, p), 6400.0 * 256 * 2);
  p.recompute = Recompute::kFull;  // the layer input only
  EXPECT_DOUBLE_EQ(activation_bytes_per_layer(m, p), 512.0 * 256 * 2);
  TrainingPlan t = resolved(plan(2, 1, 1));  // sequence- and tensor-parallel: everything halves
  EXPECT_DOUBLE_EQ(activation_bytes_per_layer(m, t), 6400.0 * 256 * 2 / 2);
}

TEST(TrainingMemory, PipelineKeepsMicroBatchesInFlight) {
  const ModelConfig m = small_model();
  TrainingPlan p = resolved(plan(1, 4, 1, 32));  // 32 micro-batches, 4 stages of 1 layer
  TrainingMemory mem = training_memory(m, p);
  EXPECT_DOUBLE_EQ(mem.in_flight, 4.0);
  EXPECT_DOUBLE_EQ(mem.activations_bytes, activation_bytes_per_layer(m, p) * 1 * 4);
  TrainingPlan few = resolved(plan(1, 4, 1, 2));  // fewer micro-batches than stages
  EXPECT_DOUBLE_EQ(training_memory(m, few).in_flight, 2.0);
  TrainingPlan v = plan(1, 2, 1, 32);
  v.vpp = 2;
  EXPECT_DOUBLE_EQ(training_memory(m, resolved(v)).in_flight, 2.0 * (1.0 + 1.0 / 4.0));
  // fp32 logits of one micro-batch: 256 tokens x 1000 x 4 B.
  EXPECT_DOUBLE_EQ(mem.logits_bytes, 256.0 * 1000 * 4);
}

TEST(MemoryBoundOps, ByteCountsByHand) {
  const ModelConfig m = small_model();
  const TrainingPlan p = resolved(plan(1, 1, 1));
  const double T = 256, h = 512, a = 2;
  double rmsnorm_fwd = 0, swiglu_bwd = 0, adam = 0, ce_fwd = 0;
  for (const MemoryBoundOp& op : memory_bound_ops(m, p, 1000.0)) {
    if (op.what == "rmsnorm" && op.phase == "fwd") rmsnorm_fwd = op.bytes * static_cast<double>(op.count);
    if (op.what == "swiglu" && op.phase == "bwd") swiglu_bwd = op.bytes * static_cast<double>(op.count);
    if (op.what == "adam") adam = op.bytes;
    if (op.what == "cross-entropy" && op.phase == "fwd") ce_fwd = op.bytes;
  }
  EXPECT_DOUBLE_EQ(rmsnorm_fwd, 2 * T * h * a * 2 * 4);  // read + write, 2 norms, 4 layers
  EXPECT_DOUBLE_EQ(swiglu_bwd, 5 * T * 1024 * a * 4);
  EXPECT_DOUBLE_EQ(adam_bytes_per_parameter(p), 4 + 12 + 12 + 2);  // fp32 grad, master/m/v read and written, bf16 copy
  EXPECT_DOUBLE_EQ(adam, 1000.0 * 30);
  EXPECT_DOUBLE_EQ(ce_fwd, T * 1000 * (2 * a + 4));
}

}  // namespace
}  // namespace tb
