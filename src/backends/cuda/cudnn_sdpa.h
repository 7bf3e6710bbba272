// Attention forward through cuDNN's fused flash attention, built with the
// cuDNN backend (graph) API: the scaled-dot-product pattern that cuDNN's
// fused engines recognise (the graph cudnn-frontend builds for SDPA):
//
//   s = q k^T                     matmul, fp32 accumulation
//   s = s * scale                 pointwise MUL with a by-value scalar
//   causal: s = row >= col ? s : lowest   GEN_INDEX x2, CMP_GE, BINARY_SELECT
//   m = rowmax(s); e = exp(s - m); z = rowsum(e)
//   lse = m + log(z)              the stats output, fp32 [b, h, sq, 1]
//   p = e / z                     in the problem's dtype
//   o = p v                       matmul, fp32 accumulation
//
// Every intermediate is virtual: cuDNN fuses the graph into one flash
// kernel or finds no engine for it. Layouts are ours
// (kernels/attention/attention_shape.h): q, o [b, h, sq, d]; k, v
// [b, kvh, skv, d]; k^T is k seen through transposed strides. Forward only:
// the backward runs on our kernels (docs/cuda.md#attention).
//
// Building the graph, the engine heuristics and cuDNN's support checks need
// no GPU, only a description of one (device_properties_from_json); the tests
// check that cuDNN offers engines for this graph on an H100 and an A100.
// Executing needs a device. Never run on a GPU yet.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "backends/cuda/cudnn_graph.h"
#include "backends/cuda/cudnn_library.h"
#include "common/dtype.h"
#include "common/error.h"
#include "kernels/attention/attention_shape.h"

namespace tb::cuda {

// Why this graph cannot express the problem ("" when it can): fp16/bf16 only;
// causal only with sq == skv (cuDNN's default causal mask is aligned top-left,
// ours bottom-right: the two agree only for square score matrices).
std::string sdpa_forward_unsupported_reason(const AttentionShape& shape, DType dtype);

// The graph's operations, each finalized, and the tensors they use.
class SdpaForwardGraph {
 public:
  // Tensor ids in the variant pack.
  enum Uid : std::int64_t { kQ = 1, kK = 2, kV = 3, kO = 4, kStats = 5, kScale = 6, kMaskValue = 7 };

  static Expected<SdpaForwardGraph> build(std::shared_ptr<const CudnnLibrary> lib, const AttentionShape& shape,
                                          DType dtype);
  std::vector<const BackendDescriptor*> operations() const;
  const std::vector<std::string>& operation_roles() const { return roles_; }  // in graph order, for tests and messages
  bool causal() const { return causal_; }  // has the mask operations and the kMaskValue operand

 private:
  friend class SdpaGraphBuilder;
  std::deque<BackendDescriptor> parts_;  // tensors and operation descriptors the operations point at
  std::deque<BackendDescriptor> ops_;
  std::vector<std::string> roles_;
  bool causal_ = false;
};

// Device pointers of one forward; the scale is passed by value.
struct SdpaForwardBuffers {
  const void* q = nullptr;
  const void* k = nullptr;
  const void* v = nullptr;
  void* o = nullptr;
  float* lse = nullptr;  // [b, h, sq] fp32
  float scale = 1.0f;
};

// What plans are made for: a finalized device-property descriptor, of the
// handle's device, or read from cuDNN's JSON form of one (deviceless: no GPU
// needed, as the tests do for an H100 and an A100).
Expected<BackendDescriptor> device_properties(const CudnnHandle& handle);
Expected<BackendDescriptor> device_properties_from_json(std::shared_ptr<const CudnnLibrary> lib,
                                                        const std::string& json);

// The operation graph and the engine configurations cuDNN's heuristics (mode
// A) offer for it on a device and that pass cuDNN's support checks, best
// first. Empty `configs`: cuDNN has no engine for this graph there.
struct SdpaEngineConfigs {
  BackendDescriptor op_graph, heuristics;
  std::vector<BackendDescriptor> configs;
  std::int64_t offered = 0;  // configurations before the support checks
};
Expected<SdpaEngineConfigs> find_engine_configs(const std::shared_ptr<const CudnnLibrary>& lib,
                                                const BackendDescriptor& device, const SdpaForwardGraph& graph);

// An execution plan for the graph on one device, bound to fixed buffers.
class SdpaForwardPlan {
 public:
  // find_engine_configs(), then the first configuration whose execution plan
  // finalizes. kUnavailable when none does, naming the first refusal.
  static Expected<std::unique_ptr<SdpaForwardPlan>> create(std::shared_ptr<const CudnnLibrary> lib,
                                                           const BackendDescriptor& device, SdpaForwardGraph graph);
  std::int64_t workspace_bytes() const { return workspace_bytes_; }
  std::string description() const { return description_; }  // "engine config 1 of 2, workspace 0 B"

  // The variant pack for these buffers and a device workspace of at least workspace_bytes().
  Status bind(const SdpaForwardBuffers& buffers, void* workspace);
  // Enqueues the forward on the handle's stream (cudnnSetStream).
  Status execute(const CudnnHandle& handle) const;

 private:
  SdpaForwardPlan() = default;
  std::shared_ptr<const CudnnLibrary> lib_;
  SdpaForwardGraph graph_;
  SdpaEngineConfigs engines_;
  BackendDescriptor plan_, variant_pack_;
  std::int64_t workspace_bytes_ = 0;
  std::string description_;
  float scale_ = 1.0f;  // by-value operands: the variant pack points at these
  float mask_value_ = 0.0f;
};

}  // namespace tb::cuda
