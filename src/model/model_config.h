// Dense decoder-only transformer shapes read from model files
// (data/models/<name>.model), the run settings of one training job (micro
// batch, tensor and data parallelism, dtypes), and the parameter counts that
// follow from the shape. File format and the shipped models: docs/models.md.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/dtype.h"
#include "common/error.h"

namespace tb {

enum class MlpKind {
  kGated,  // SwiGLU: gate and up projections hidden -> ffn, down ffn -> hidden (Llama)
  kPlain,  // up hidden -> ffn, activation, down ffn -> hidden (GPT-3)
};

std::string_view mlp_kind_name(MlpKind kind);  // "gated", "plain"

// How one training job runs a model. Every device of a tensor-parallel group
// holds 1/tp of every weight matrix; dp replicas each process micro_batch
// sequences per step.
struct RunSettings {
  std::int64_t micro_batch = 1;   // sequences per data-parallel replica per step
  std::int64_t tp = 1;            // tensor-parallel degree (Megatron-style sharding)
  std::int64_t dp = 1;            // data-parallel degree
  DType dtype = DType::kBf16;     // activations and weights in the GEMMs and attention
  DType grad_dtype = DType::kFp32;  // gradients as the data-parallel all-reduce sends them
  std::int64_t seq_len = 0;       // 0: the model's seq_len; otherwise overrides it
};

// Parameter counts (no biases; see docs/models.md).
struct ParameterCount {
  std::int64_t total = 0;          // everything, the (tied or untied) embeddings included once each
  std::int64_t embedding = 0;      // input token embedding, plus the LM head when it is untied
  std::int64_t non_embedding = 0;  // total - embedding: layers and the final norm
  // Parameters that take part in a matmul per token: the layers' weight
  // matrices plus the LM head (vocab x hidden, whether tied or not). This is the
  // N of "training FLOP per token ~ 6N + attention" (docs/models.md).
  std::int64_t matmul = 0;
};

struct ModelConfig {
  std::string name;  // file stem, e.g. "llama3-8b"
  std::string path;  // the file it was read from ("" when built in code)
  std::int64_t layers = 0;
  std::int64_t hidden = 0;    // d_model
  std::int64_t heads = 0;     // query heads
  std::int64_t kv_heads = 0;  // key/value heads (grouped-query attention when < heads)
  std::int64_t ffn = 0;       // MLP intermediate size
  MlpKind mlp = MlpKind::kGated;
  std::int64_t vocab = 0;
  std::int64_t seq_len = 0;     // training sequence length
  bool tie_embeddings = false;  // LM head shares the input embedding matrix
  RunSettings defaults;         // micro_batch, tp, dp, dtype, grad_dtype from the file

  std::int64_t head_dim() const { return hidden / heads; }
  ParameterCount parameters() const;
};

// Limits of a model file's numbers and of run settings (kernels' own limits:
// sizes fit the problem strings, ranks fit AllreduceProblem::kMaxRanks).
inline constexpr std::int64_t kMaxModelDim = std::int64_t{1} << 20;
inline constexpr std::int64_t kMaxParallel = 256;

// Checks the shape (hidden divisible by heads, heads by kv_heads) and the run
// settings against it: micro_batch >= 1, 1 <= tp, dp <= 256, tp divides heads,
// kv_heads and ffn, micro_batch * seq_len <= 2147483647. The message names the value.
Status validate(const ModelConfig& model, const RunSettings& run);

// Reads a model file: `key = value` lines, '#' comments, blank lines ignored.
// Errors name the file and line ("PATH:LINE: unknown key 'x': expected one of ...",
// "PATH:LINE: 'layers = 3x' is not a positive integer", "PATH: missing key 'vocab'").
// The run defaults in the file are validated against the shape.
Expected<ModelConfig> read_model_file(const std::string& path);

// data/models of the source tree (compile definition TRAINBENCH_DATA_DIR).
std::string default_models_dir();

// Names (file stems) of the *.model files in `dir`, sorted.
std::vector<std::string> list_models(const std::string& dir = default_models_dir());

// Reads <dir>/<name>.model. An unknown name is an error listing the known
// models and suggesting the nearest one ("did you mean 'llama3-8b'?").
Expected<ModelConfig> load_model(std::string_view name, const std::string& dir = default_models_dir());

}  // namespace tb
