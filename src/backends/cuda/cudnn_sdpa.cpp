#include "backends/cuda/cudnn_sdpa.h"

#include <limits>
#include <utility>

namespace tb::cuda {
namespace {

using Dims = std::vector<std::int64_t>;

// Densely packed row-major strides of `dims`.
Dims packed_strides(const Dims& dims) {
  Dims strides(dims.size(), 1);
  for (std::size_t i = dims.size() - 1; i > 0; --i) strides[i - 1] = strides[i] * dims[i];
  return strides;
}

cudnnDataType_t cudnn_type(DType dtype) {
  return dtype == DType::kFp16 ? CUDNN_DATA_HALF : CUDNN_DATA_BFLOAT16;
}

}  // namespace

// Adds tensors and operations to a graph; each call finalizes what it made.
class SdpaGraphBuilder {
 public:
  explicit SdpaGraphBuilder(std::shared_ptr<const CudnnLibrary> lib) : lib_(std::move(lib)) {}

  // A tensor; uid 0 makes a virtual tensor with the next free id.
  Expected<const BackendDescriptor*> tensor(const std::string& name, std::int64_t uid, cudnnDataType_t type,
                                            const Dims& dims, const Dims& strides, bool by_value = false) {
    const bool is_virtual = uid == 0;
    if (is_virtual) uid = next_virtual_uid_++;
    TB_ASSIGN_OR_RETURN(BackendDescriptor t,
                        BackendDescriptor::create(lib_, CUDNN_BACKEND_TENSOR_DESCRIPTOR, "tensor " + name));
    TB_RETURN_IF_ERROR(t.set_data_type(CUDNN_ATTR_TENSOR_DATA_TYPE, "DATA_TYPE", type));
    TB_RETURN_IF_ERROR(t.set_int64s(CUDNN_ATTR_TENSOR_DIMENSIONS, "DIMENSIONS", dims));
    TB_RETURN_IF_ERROR(t.set_int64s(CUDNN_ATTR_TENSOR_STRIDES, "STRIDES", strides));
    TB_RETURN_IF_ERROR(t.set_int64(CUDNN_ATTR_TENSOR_UNIQUE_ID, "UNIQUE_ID", uid));
    TB_RETURN_IF_ERROR(t.set_int64(CUDNN_ATTR_TENSOR_BYTE_ALIGNMENT, "BYTE_ALIGNMENT", 16));
    if (is_virtual) TB_RETURN_IF_ERROR(t.set_bool(CUDNN_ATTR_TENSOR_IS_VIRTUAL, "IS_VIRTUAL", true));
    if (by_value) TB_RETURN_IF_ERROR(t.set_bool(CUDNN_ATTR_TENSOR_IS_BY_VALUE, "IS_BY_VALUE", true));
    TB_RETURN_IF_ERROR(t.finalize());
    graph_.parts_.push_back(std::move(t));
    return &graph_.parts_.back();
  }

  // y = mode(x[, b][, t]); `axis` >= 0 for GEN_INDEX.
  Status pointwise(const std::string& name, cudnnPointwiseMode_t mode, cudnnDataType_t math, const BackendDescriptor& x,
                   const BackendDescriptor* b, const BackendDescriptor* t, const BackendDescriptor& y,
                   std::int64_t axis = -1) {
    TB_ASSIGN_OR_RETURN(BackendDescriptor desc,
                        BackendDescriptor::create(lib_, CUDNN_BACKEND_POINTWISE_DESCRIPTOR, "pointwise " + name));
    TB_RETURN_IF_ERROR(desc.set(CUDNN_ATTR_POINTWISE_MODE, "MODE", CUDNN_TYPE_POINTWISE_MODE, 1, &mode));
    TB_RETURN_IF_ERROR(desc.set_data_type(CUDNN_ATTR_POINTWISE_MATH_PREC, "MATH_PREC", math));
    if (axis >= 0) TB_RETURN_IF_ERROR(desc.set_int64(CUDNN_ATTR_POINTWISE_AXIS, "AXIS", axis));
    TB_RETURN_IF_ERROR(desc.finalize());
    TB_ASSIGN_OR_RETURN(BackendDescriptor op, BackendDescriptor::create(
                                                  lib_, CUDNN_BACKEND_OPERATION_POINTWISE_DESCRIPTOR, "op " + name));
    TB_RETURN_IF_ERROR(op.set_descriptor(CUDNN_ATTR_OPERATION_POINTWISE_PW_DESCRIPTOR, "PW_DESCRIPTOR", desc));
    TB_RETURN_IF_ERROR(op.set_descriptor(CUDNN_ATTR_OPERATION_POINTWISE_XDESC, "XDESC", x));
    if (b != nullptr) TB_RETURN_IF_ERROR(op.set_descriptor(CUDNN_ATTR_OPERATION_POINTWISE_BDESC, "BDESC", *b));
    if (t != nullptr) TB_RETURN_IF_ERROR(op.set_descriptor(CUDNN_ATTR_OPERATION_POINTWISE_TDESC, "TDESC", *t));
    TB_RETURN_IF_ERROR(op.set_descriptor(CUDNN_ATTR_OPERATION_POINTWISE_YDESC, "YDESC", y));
    return add_operation(name, std::move(desc), std::move(op));
  }

  // c = a b over the last two dimensions, batched over the first two; fp32 accumulation.
  Status matmul(const std::string& name, const BackendDescriptor& a, const BackendDescriptor& b,
                const BackendDescriptor& c) {
    TB_ASSIGN_OR_RETURN(BackendDescriptor desc,
                        BackendDescriptor::create(lib_, CUDNN_BACKEND_MATMUL_DESCRIPTOR, "matmul " + name));
    TB_RETURN_IF_ERROR(desc.set_data_type(CUDNN_ATTR_MATMUL_COMP_TYPE, "COMP_TYPE", CUDNN_DATA_FLOAT));
    TB_RETURN_IF_ERROR(desc.finalize());
    TB_ASSIGN_OR_RETURN(BackendDescriptor op,
                        BackendDescriptor::create(lib_, CUDNN_BACKEND_OPERATION_MATMUL_DESCRIPTOR, "op " + name));
    TB_RETURN_IF_ERROR(op.set_descriptor(CUDNN_ATTR_OPERATION_MATMUL_ADESC, "ADESC", a));
    TB_RETURN_IF_ERROR(op.set_descriptor(CUDNN_ATTR_OPERATION_MATMUL_BDESC, "BDESC", b));
    TB_RETURN_IF_ERROR(op.set_descriptor(CUDNN_ATTR_OPERATION_MATMUL_CDESC, "CDESC", c));
    TB_RETURN_IF_ERROR(op.set_descriptor(CUDNN_ATTR_OPERATION_MATMUL_DESC, "DESC", desc));
    return add_operation(name, std::move(desc), std::move(op));
  }

  // y = reduce(x) over the dimensions where y has extent 1; fp32.
  Status reduction(const std::string& name, cudnnReduceTensorOp_t reduce, const BackendDescriptor& x,
                   const BackendDescriptor& y) {
    TB_ASSIGN_OR_RETURN(BackendDescriptor desc,
                        BackendDescriptor::create(lib_, CUDNN_BACKEND_REDUCTION_DESCRIPTOR, "reduction " + name));
    TB_RETURN_IF_ERROR(
        desc.set(CUDNN_ATTR_REDUCTION_OPERATOR, "OPERATOR", CUDNN_TYPE_REDUCTION_OPERATOR_TYPE, 1, &reduce));
    TB_RETURN_IF_ERROR(desc.set_data_type(CUDNN_ATTR_REDUCTION_COMP_TYPE, "COMP_TYPE", CUDNN_DATA_FLOAT));
    TB_RETURN_IF_ERROR(desc.finalize());
    TB_ASSIGN_OR_RETURN(BackendDescriptor op, BackendDescriptor::create(
                                                  lib_, CUDNN_BACKEND_OPERATION_REDUCTION_DESCRIPTOR, "op " + name));
    TB_RETURN_IF_ERROR(op.set_descriptor(CUDNN_ATTR_OPERATION_REDUCTION_XDESC, "XDESC", x));
    TB_RETURN_IF_ERROR(op.set_descriptor(CUDNN_ATTR_OPERATION_REDUCTION_YDESC, "YDESC", y));
    TB_RETURN_IF_ERROR(op.set_descriptor(CUDNN_ATTR_OPERATION_REDUCTION_DESC, "DESC", desc));
    return add_operation(name, std::move(desc), std::move(op));
  }

  void set_causal(bool causal) { graph_.causal_ = causal; }
  SdpaForwardGraph take() { return std::move(graph_); }

 private:
  Status add_operation(const std::string& name, BackendDescriptor desc, BackendDescriptor op) {
    TB_RETURN_IF_ERROR(op.finalize());
    graph_.parts_.push_back(std::move(desc));
    graph_.ops_.push_back(std::move(op));
    graph_.roles_.push_back(name);
    return {};
  }

  std::shared_ptr<const CudnnLibrary> lib_;
  SdpaForwardGraph graph_;
  std::int64_t next_virtual_uid_ = 100;  // above the Uid enum's ids
};

std::string sdpa_forward_unsupported_reason(const AttentionShape& s, DType dtype) {
  if (dtype != DType::kFp16 && dtype != DType::kBf16) {
    return "cuDNN fused attention takes fp16/bf16, not " + std::string(dtype_name(dtype));
  }
  if (s.causal && s.sq != s.skv) {
    return "causal attention with sq=" + std::to_string(s.sq) + " != skv=" + std::to_string(s.skv) +
           ": this graph's causal mask is aligned top-left, ours bottom-right";
  }
  return {};
}

Expected<SdpaForwardGraph> SdpaForwardGraph::build(std::shared_ptr<const CudnnLibrary> lib, const AttentionShape& s,
                                                   DType dtype) {
  const std::string reason = sdpa_forward_unsupported_reason(s, dtype);
  if (!reason.empty()) return unavailable(reason);
  const cudnnDataType_t io = cudnn_type(dtype);
  const cudnnDataType_t f32 = CUDNN_DATA_FLOAT;
  SdpaGraphBuilder g(std::move(lib));
  g.set_causal(s.causal);

  const Dims q_dims = {s.b, s.h, s.sq, s.d};
  const Dims kv_dims = {s.b, s.kvh, s.skv, s.d};
  const Dims kt_dims = {s.b, s.kvh, s.d, s.skv};
  const Dims kt_strides = {s.kvh * s.skv * s.d, s.skv * s.d, 1, s.d};  // k [b, kvh, skv, d] read transposed
  const Dims score_dims = {s.b, s.h, s.sq, s.skv};
  const Dims row_dims = {s.b, s.h, s.sq, 1};
  const Dims scalar = {1, 1, 1, 1};
  const Dims score_strides = packed_strides(score_dims);
  const Dims row_strides = packed_strides(row_dims);

  TB_ASSIGN_OR_RETURN(const BackendDescriptor* q, g.tensor("q", kQ, io, q_dims, packed_strides(q_dims)));
  TB_ASSIGN_OR_RETURN(const BackendDescriptor* kt, g.tensor("k^T", kK, io, kt_dims, kt_strides));
  TB_ASSIGN_OR_RETURN(const BackendDescriptor* v, g.tensor("v", kV, io, kv_dims, packed_strides(kv_dims)));
  TB_ASSIGN_OR_RETURN(const BackendDescriptor* o, g.tensor("o", kO, io, q_dims, packed_strides(q_dims)));
  TB_ASSIGN_OR_RETURN(const BackendDescriptor* lse, g.tensor("lse", kStats, f32, row_dims, row_strides));
  TB_ASSIGN_OR_RETURN(const BackendDescriptor* scale, g.tensor("scale", kScale, f32, scalar, scalar, true));

  TB_ASSIGN_OR_RETURN(const BackendDescriptor* s_raw, g.tensor("s", 0, f32, score_dims, score_strides));
  TB_RETURN_IF_ERROR(g.matmul("qk", *q, *kt, *s_raw));
  TB_ASSIGN_OR_RETURN(const BackendDescriptor* s_scaled, g.tensor("s_scaled", 0, f32, score_dims, score_strides));
  TB_RETURN_IF_ERROR(g.pointwise("scale", CUDNN_POINTWISE_MUL, f32, *s_raw, scale, nullptr, *s_scaled));
  const BackendDescriptor* scores = s_scaled;
  if (s.causal) {
    TB_ASSIGN_OR_RETURN(const BackendDescriptor* mask_value,
                        g.tensor("mask_value", kMaskValue, f32, scalar, scalar, true));
    TB_ASSIGN_OR_RETURN(const BackendDescriptor* row, g.tensor("row", 0, CUDNN_DATA_INT32, score_dims, score_strides));
    TB_ASSIGN_OR_RETURN(const BackendDescriptor* col, g.tensor("col", 0, CUDNN_DATA_INT32, score_dims, score_strides));
    TB_ASSIGN_OR_RETURN(const BackendDescriptor* keep,
                        g.tensor("keep", 0, CUDNN_DATA_BOOLEAN, score_dims, score_strides));
    TB_ASSIGN_OR_RETURN(const BackendDescriptor* masked, g.tensor("s_masked", 0, f32, score_dims, score_strides));
    TB_RETURN_IF_ERROR(g.pointwise("row_index", CUDNN_POINTWISE_GEN_INDEX, CUDNN_DATA_INT32, *s_scaled, nullptr,
                                   nullptr, *row, /*axis=*/2));
    TB_RETURN_IF_ERROR(g.pointwise("col_index", CUDNN_POINTWISE_GEN_INDEX, CUDNN_DATA_INT32, *s_scaled, nullptr,
                                   nullptr, *col, /*axis=*/3));
    TB_RETURN_IF_ERROR(g.pointwise("row_ge_col", CUDNN_POINTWISE_CMP_GE, CUDNN_DATA_BOOLEAN, *row, col, nullptr, *keep));
    // y = t ? x : b
    TB_RETURN_IF_ERROR(g.pointwise("causal_select", CUDNN_POINTWISE_BINARY_SELECT, f32, *s_scaled, mask_value, keep,
                                   *masked));
    scores = masked;
  }
  TB_ASSIGN_OR_RETURN(const BackendDescriptor* row_max, g.tensor("row_max", 0, f32, row_dims, row_strides));
  TB_RETURN_IF_ERROR(g.reduction("row_max", CUDNN_REDUCE_TENSOR_MAX, *scores, *row_max));
  TB_ASSIGN_OR_RETURN(const BackendDescriptor* shifted, g.tensor("s_shifted", 0, f32, score_dims, score_strides));
  TB_RETURN_IF_ERROR(g.pointwise("subtract_max", CUDNN_POINTWISE_SUB, f32, *scores, row_max, nullptr, *shifted));
  TB_ASSIGN_OR_RETURN(const BackendDescriptor* e, g.tensor("e", 0, f32, score_dims, score_strides));
  TB_RETURN_IF_ERROR(g.pointwise("exp", CUDNN_POINTWISE_EXP, f32, *shifted, nullptr, nullptr, *e));
  TB_ASSIGN_OR_RETURN(const BackendDescriptor* row_sum, g.tensor("row_sum", 0, f32, row_dims, row_strides));
  TB_RETURN_IF_ERROR(g.reduction("row_sum", CUDNN_REDUCE_TENSOR_ADD, *e, *row_sum));
  TB_ASSIGN_OR_RETURN(const BackendDescriptor* log_sum, g.tensor("log_sum", 0, f32, row_dims, row_strides));
  TB_RETURN_IF_ERROR(g.pointwise("log", CUDNN_POINTWISE_LOG, f32, *row_sum, nullptr, nullptr, *log_sum));
  TB_RETURN_IF_ERROR(g.pointwise("lse", CUDNN_POINTWISE_ADD, f32, *row_max, log_sum, nullptr, *lse));
  TB_ASSIGN_OR_RETURN(const BackendDescriptor* p, g.tensor("p", 0, io, score_dims, score_strides));
  TB_RETURN_IF_ERROR(g.pointwise("normalize", CUDNN_POINTWISE_DIV, f32, *e, row_sum, nullptr, *p));
  TB_RETURN_IF_ERROR(g.matmul("pv", *p, *v, *o));
  return g.take();
}

std::vector<const BackendDescriptor*> SdpaForwardGraph::operations() const {
  std::vector<const BackendDescriptor*> ops;
  for (const BackendDescriptor& op : ops_) ops.push_back(&op);
  return ops;
}

Expected<BackendDescriptor> device_properties(const CudnnHandle& handle) {
  TB_ASSIGN_OR_RETURN(BackendDescriptor device, BackendDescriptor::create(handle.deleter().library,
                                                                          CUDNN_BACKEND_DEVICEPROP_DESCRIPTOR,
                                                                          "device properties"));
  cudnnHandle_t raw = handle.get();
  TB_RETURN_IF_ERROR(device.set(CUDNN_ATTR_DEVICEPROP_HANDLE, "HANDLE", CUDNN_TYPE_HANDLE, 1, &raw));
  TB_RETURN_IF_ERROR(device.finalize());
  return device;
}

Expected<BackendDescriptor> device_properties_from_json(std::shared_ptr<const CudnnLibrary> lib,
                                                        const std::string& json) {
  TB_ASSIGN_OR_RETURN(BackendDescriptor device, BackendDescriptor::create(std::move(lib),
                                                                          CUDNN_BACKEND_DEVICEPROP_DESCRIPTOR,
                                                                          "device properties (JSON)"));
  TB_RETURN_IF_ERROR(device.set(CUDNN_ATTR_DEVICEPROP_JSON_REPRESENTATION, "JSON_REPRESENTATION", CUDNN_TYPE_CHAR,
                                static_cast<std::int64_t>(json.size()), json.data()));
  TB_RETURN_IF_ERROR(device.finalize());
  return device;
}

Expected<SdpaEngineConfigs> find_engine_configs(const std::shared_ptr<const CudnnLibrary>& lib,
                                                const BackendDescriptor& device, const SdpaForwardGraph& graph) {
  SdpaEngineConfigs e;
  // The graph is bound to the device through the heuristics and the plan (the
  // device-property flow of cuDNN 9.8+), not through a handle on the graph.
  TB_ASSIGN_OR_RETURN(e.op_graph,
                      BackendDescriptor::create(lib, CUDNN_BACKEND_OPERATIONGRAPH_DESCRIPTOR, "operation graph"));
  TB_RETURN_IF_ERROR(e.op_graph.set_descriptors(CUDNN_ATTR_OPERATIONGRAPH_OPS, "OPS", graph.operations()));
  TB_RETURN_IF_ERROR(e.op_graph.finalize());

  TB_ASSIGN_OR_RETURN(e.heuristics,
                      BackendDescriptor::create(lib, CUDNN_BACKEND_ENGINEHEUR_DESCRIPTOR, "engine heuristics"));
  const cudnnBackendHeurMode_t mode = CUDNN_HEUR_MODE_A;
  TB_RETURN_IF_ERROR(e.heuristics.set(CUDNN_ATTR_ENGINEHEUR_MODE, "MODE", CUDNN_TYPE_HEUR_MODE, 1, &mode));
  TB_RETURN_IF_ERROR(e.heuristics.set_descriptor(CUDNN_ATTR_ENGINEHEUR_OPERATION_GRAPH, "OPERATION_GRAPH", e.op_graph));
  TB_RETURN_IF_ERROR(e.heuristics.set_descriptor(CUDNN_ATTR_ENGINEHEUR_DEVICEPROP, "DEVICEPROP", device));
  TB_RETURN_IF_ERROR(e.heuristics.finalize());

  // First the number of configurations, then that many (empty) descriptors filled in.
  TB_RETURN_IF_ERROR(check(*lib,
                           lib->api().cudnnBackendGetAttribute(e.heuristics.get(), CUDNN_ATTR_ENGINEHEUR_RESULTS,
                                                               CUDNN_TYPE_BACKEND_DESCRIPTOR, 0, &e.offered, nullptr),
                           "cudnnBackendGetAttribute (engine heuristics, RESULTS count)"));
  std::vector<BackendDescriptor> configs;
  std::vector<cudnnBackendDescriptor_t> raw;
  for (std::int64_t i = 0; i < e.offered; ++i) {
    TB_ASSIGN_OR_RETURN(BackendDescriptor cfg, BackendDescriptor::create(lib, CUDNN_BACKEND_ENGINECFG_DESCRIPTOR,
                                                                         "engine config " + std::to_string(i + 1)));
    raw.push_back(cfg.get());
    configs.push_back(std::move(cfg));
  }
  std::int64_t viable = 0;  // those passing cuDNN's support checks, in order
  if (e.offered > 0) {
    TB_RETURN_IF_ERROR(check(*lib,
                             lib->api().cudnnBackendGetAttribute(e.heuristics.get(), CUDNN_ATTR_ENGINEHEUR_RESULTS,
                                                                 CUDNN_TYPE_BACKEND_DESCRIPTOR, e.offered, &viable,
                                                                 raw.data()),
                             "cudnnBackendGetAttribute (engine heuristics, RESULTS)"));
  }
  for (std::int64_t i = 0; i < viable && i < e.offered; ++i) e.configs.push_back(std::move(configs[i]));
  return e;
}

Expected<std::unique_ptr<SdpaForwardPlan>> SdpaForwardPlan::create(std::shared_ptr<const CudnnLibrary> lib,
                                                                   const BackendDescriptor& device,
                                                                   SdpaForwardGraph graph) {
  std::unique_ptr<SdpaForwardPlan> plan(new SdpaForwardPlan());
  plan->lib_ = lib;
  plan->graph_ = std::move(graph);
  TB_ASSIGN_OR_RETURN(plan->engines_, find_engine_configs(lib, device, plan->graph_));
  const std::vector<BackendDescriptor>& configs = plan->engines_.configs;
  if (configs.empty()) {
    return unavailable("cuDNN has no engine for the attention graph on this device (" +
                       std::to_string(plan->engines_.offered) + " configurations offered, none passes its checks)");
  }
  std::string first_refusal;
  for (std::size_t i = 0; i < configs.size(); ++i) {
    TB_ASSIGN_OR_RETURN(BackendDescriptor p, BackendDescriptor::create(lib, CUDNN_BACKEND_EXECUTION_PLAN_DESCRIPTOR,
                                                                       "execution plan " + std::to_string(i + 1)));
    Status made = p.set_descriptor(CUDNN_ATTR_EXECUTION_PLAN_DEVICEPROP, "DEVICEPROP", device);
    if (made.ok()) made = p.set_descriptor(CUDNN_ATTR_EXECUTION_PLAN_ENGINE_CONFIG, "ENGINE_CONFIG", configs[i]);
    if (made.ok()) made = p.finalize();  // cuDNN compiles the fused kernel here
    if (!made.ok()) {
      if (first_refusal.empty()) first_refusal = made.error().message;
      continue;
    }
    std::int64_t n = 0;
    TB_RETURN_IF_ERROR(check(*lib,
                             lib->api().cudnnBackendGetAttribute(p.get(), CUDNN_ATTR_EXECUTION_PLAN_WORKSPACE_SIZE,
                                                                 CUDNN_TYPE_INT64, 1, &n, &plan->workspace_bytes_),
                             "cudnnBackendGetAttribute (execution plan, WORKSPACE_SIZE)"));
    plan->plan_ = std::move(p);
    plan->description_ = "engine config " + std::to_string(i + 1) + " of " + std::to_string(configs.size()) +
                         ", workspace " + std::to_string(plan->workspace_bytes_) + " B";
    return plan;
  }
  return unavailable("cuDNN offers " + std::to_string(configs.size()) +
                     " engine configurations for the attention graph and no plan finalizes; the first: " +
                     first_refusal);
}

Status SdpaForwardPlan::bind(const SdpaForwardBuffers& b, void* workspace) {
  scale_ = b.scale;
  mask_value_ = std::numeric_limits<float>::lowest();
  std::vector<std::int64_t> uids = {SdpaForwardGraph::kQ, SdpaForwardGraph::kK,     SdpaForwardGraph::kV,
                                    SdpaForwardGraph::kO, SdpaForwardGraph::kStats, SdpaForwardGraph::kScale};
  std::vector<void*> pointers = {const_cast<void*>(b.q), const_cast<void*>(b.k), const_cast<void*>(b.v), b.o,
                                 b.lse, &scale_};
  if (graph_.causal()) {  // the mask's fill value exists only in the causal graph
    uids.push_back(SdpaForwardGraph::kMaskValue);
    pointers.push_back(&mask_value_);
  }
  TB_ASSIGN_OR_RETURN(variant_pack_,
                      BackendDescriptor::create(lib_, CUDNN_BACKEND_VARIANT_PACK_DESCRIPTOR, "variant pack"));
  TB_RETURN_IF_ERROR(variant_pack_.set_int64s(CUDNN_ATTR_VARIANT_PACK_UNIQUE_IDS, "UNIQUE_IDS", uids));
  TB_RETURN_IF_ERROR(variant_pack_.set(CUDNN_ATTR_VARIANT_PACK_DATA_POINTERS, "DATA_POINTERS", CUDNN_TYPE_VOID_PTR,
                                       static_cast<std::int64_t>(pointers.size()), pointers.data()));
  TB_RETURN_IF_ERROR(
      variant_pack_.set(CUDNN_ATTR_VARIANT_PACK_WORKSPACE, "WORKSPACE", CUDNN_TYPE_VOID_PTR, 1, &workspace));
  return variant_pack_.finalize();
}

Status SdpaForwardPlan::execute(const CudnnHandle& handle) const {
  const CudnnLibrary& lib = *handle.deleter().library;
  return check(lib, lib.api().cudnnBackendExecute(handle.get(), plan_.get(), variant_pack_.get()),
               "cudnnBackendExecute (attention forward)");
}

}  // namespace tb::cuda
