// How a training job spreads a model over many devices, as `trainbench
// project` and data/published-runs.csv describe it: tensor, context, pipeline
// and data parallelism (tp x cp x pp x dp = devices), interleaved pipeline stages (vpp),
// ZeRO sharding of the training state, activation recomputation, and the
// batch (micro batch per replica, global batch per step, so that a step
// accumulates gradients over global / (dp x micro) micro-batches).
// docs/cost.md, "Projecting a training job".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/dtype.h"
#include "common/error.h"
#include "model/model_config.h"

namespace tb {

enum class Recompute {
  kNone,       // every activation the backward needs is kept
  kSelective,  // the attention core is recomputed in the backward (Korthikanti et al. 2022)
  kFull,       // only each layer's input is kept; the backward runs the layer's forward again
};
std::string_view recompute_name(Recompute r);  // "none", "selective", "full"
// kBadInput naming the text and the accepted names otherwise.
Expected<Recompute> parse_recompute(std::string_view text);

struct TrainingPlan {
  std::int64_t devices = 1;       // accelerators (chips for Trainium, GPUs for NVIDIA) = tp x cp x pp x dp
  std::int64_t tp = 1;            // tensor-parallel degree, inside one instance
  std::int64_t cp = 1;            // context-parallel degree: each sequence split over cp devices
  std::int64_t pp = 1;            // pipeline stages
  std::int64_t dp = 1;            // data-parallel replicas
  std::int64_t vpp = 1;           // virtual stages per device (interleaved 1F1B); 1 = not interleaved
  int zero = 0;                   // ZeRO stage 0..3 (optimizer state / + gradients / + weights sharded over dp)
  Recompute recompute = Recompute::kNone;
  std::int64_t seq_len = 0;       // tokens per sequence (0: the model's)
  std::int64_t micro_batch = 1;   // sequences per replica per micro-batch
  std::int64_t global_batch = 1;  // sequences per optimizer step, all replicas
  DType dtype = DType::kBf16;     // GEMMs, attention and activations
  DType grad_dtype = DType::kFp32;  // gradients as the data-parallel reduction sends them

  // global_batch / (dp x micro_batch): micro-batches each replica runs per step.
  std::int64_t micro_batches() const { return global_batch / (dp * micro_batch); }
  // Tokens one device processes per micro-batch: micro_batch x seq_len / cp.
  std::int64_t tokens_per_micro_batch() const { return micro_batch * seq_len / cp; }
  // Tokens of one optimizer step over all devices.
  double tokens_per_step() const { return static_cast<double>(global_batch) * static_cast<double>(seq_len); }
  // "tp=4 pp=4 dp=8 vpp=5 zero=1 recompute=selective mbs=1 gbs=128 seq=8192" (the settings a row assumes).
  std::string summary() const;
};

// Largest degrees and batches accepted (a sanity bound, far above any run published).
inline constexpr std::int64_t kMaxPlanDevices = std::int64_t{1} << 20;
inline constexpr std::int64_t kMaxGlobalBatch = std::int64_t{1} << 24;

// The plan with seq_len resolved (0 -> the model's) after checking it against
// the model; kBadInput naming the value and what is expected for: a degree
// < 1; tp x cp x pp x dp != devices; cp not dividing seq_len; tp not dividing heads, kv_heads or ffn (via
// validate(model, run)); pp x vpp not dividing the layers (pp > layers
// included); vpp > 1 without pp > 1; zero outside 0..3; a global batch that
// is not a multiple of dp x micro_batch; a dtype with no peak (fp32 GEMMs are
// allowed; fp8 is bf16 here for attention).
Expected<TrainingPlan> resolve_plan(const ModelConfig& model, const TrainingPlan& plan);

// The per-device RunSettings of one micro-batch (dp 1: the data-parallel
// reduction is once per step, not per micro-batch), its sequence seq_len / cp.
RunSettings micro_batch_settings(const TrainingPlan& plan);

// The layers one pipeline stage holds (layers / pp).
std::int64_t layers_per_stage(const ModelConfig& model, const TrainingPlan& plan);

}  // namespace tb
