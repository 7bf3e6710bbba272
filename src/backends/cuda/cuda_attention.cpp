#include "backends/cuda/cuda_attention.h"

#include <cstddef>
#include <exception>
#include <optional>
#include <string>
#include <utility>

#include "backends/cuda/cuda_attention_kernels.h"
#include "backends/cuda/cuda_handles.h"
#include "backends/cuda/cudnn_sdpa.h"
#include "kernels/attention/attention_problem.h"

namespace tb::cuda {
namespace {

AttentionDims dims_of(const AttentionShape& s) {
  return {s.b, s.h, s.kvh, s.sq, s.skv, s.d, s.causal, s.scale};
}

// Device copies of every tensor the pass reads or writes, on one stream.
// pass=bwd: o and lse are computed by an untimed forward in create(), as the
// problem asks (kernels/attention/attention_problem.h); pass=fwdbwd: run()
// recomputes them before the backward.
class CudaAttention final : public Workload {
 public:
  static Expected<std::unique_ptr<Workload>> create(std::shared_ptr<const AttentionProblem> problem,
                                                    const std::vector<HostTensor>& inputs, AttentionImpl impl) {
    const AttentionProblem& p = *problem;
    const std::size_t expected_inputs = p.has_backward() ? 4 : 3;
    if (inputs.size() != expected_inputs) {
      return run_failure("cuda attention: " + p.to_string() + " takes " + std::to_string(expected_inputs) +
                         " inputs, got " + std::to_string(inputs.size()));
    }
    TB_ASSIGN_OR_RETURN(Stream stream, Stream::create());
    std::unique_ptr<CudaAttention> w(new CudaAttention(std::move(problem), std::move(stream)));
    TB_RETURN_IF_ERROR(w->allocate_and_upload(inputs));
    if (p.pass() == AttentionPass::kFwd && impl != AttentionImpl::kTrainbench) {
      const Status cudnn = w->set_up_cudnn();
      if (!cudnn.ok() && impl == AttentionImpl::kCudnn) return cudnn.error();
      if (!cudnn.ok()) w->cudnn_not_used_ = cudnn.error().message;
    }
    if (p.pass() == AttentionPass::kBwd) {
      TB_RETURN_IF_ERROR(w->forward());
      TB_RETURN_IF_ERROR(w->synchronize());
    }
    TB_RETURN_IF_ERROR(w->poison_outputs());
    TB_RETURN_IF_ERROR(w->synchronize());
    return std::unique_ptr<Workload>(std::move(w));
  }

  Status run() override {
    if (problem_->pass() != AttentionPass::kBwd) TB_RETURN_IF_ERROR(forward());
    if (problem_->has_backward()) TB_RETURN_IF_ERROR(backward());
    return {};
  }

  Status synchronize() override { return stream_.synchronize(); }

  Status poison_outputs() override {
    for (DeviceBuffer* b : outputs()) TB_RETURN_IF_ERROR(poison(*b, stream_.get()));
    return {};
  }

  Expected<std::vector<HostTensor>> read_outputs() override {
    const std::vector<TensorSpec> specs = problem_->output_specs();
    const std::vector<DeviceBuffer*> buffers = outputs();
    std::vector<HostTensor> out;
    for (std::size_t i = 0; i < specs.size() && i < buffers.size(); ++i) {
      HostTensor t(specs[i]);
      TB_RETURN_IF_ERROR(download(*buffers[i], t, stream_.get()));
      out.push_back(std::move(t));
    }
    return out;
  }

  std::unique_ptr<DeviceTimer> make_timer() override {
    return event_timer_or_error(stream_.get());
  }

  std::string implementation() const override {
    if (cudnn_plan_) {
      return handle_->deleter().library->version() + " fused flash attention (backend graph API, " +
             cudnn_plan_->description() + ")";
    }
    const std::string why_not_cudnn = cudnn_not_used_.empty() ? "" : "; cuDNN not used: " + cudnn_not_used_;
    return "trainbench flash-attention (CUDA, fma, tile " + std::to_string(kAttentionBlockM) + "x" +
           std::to_string(kAttentionBlockN) + ", " + std::to_string(kAttentionThreads) +
           " threads, fp32 softmax and accumulation" + why_not_cudnn + ")";
  }

 private:
  CudaAttention(std::shared_ptr<const AttentionProblem> problem, Stream stream)
      : problem_(std::move(problem)), stream_(std::move(stream)) {}

  static Expected<DeviceBuffer> buffer(std::int64_t bytes) { return DeviceBuffer::allocate(static_cast<std::size_t>(bytes)); }

  Status allocate_and_upload(const std::vector<HostTensor>& inputs) {
    const AttentionShape& s = problem_->shape();
    const std::int64_t elem = static_cast<std::int64_t>(dtype_size(problem_->dtype()));
    const std::int64_t q_bytes = s.b * s.h * s.sq * s.d * elem;
    const std::int64_t kv_bytes = s.b * s.kvh * s.skv * s.d * elem;
    const std::int64_t row_stats_bytes = s.b * s.h * s.sq * static_cast<std::int64_t>(sizeof(float));
    TB_ASSIGN_OR_RETURN(q_, buffer(q_bytes));
    TB_ASSIGN_OR_RETURN(k_, buffer(kv_bytes));
    TB_ASSIGN_OR_RETURN(v_, buffer(kv_bytes));
    TB_ASSIGN_OR_RETURN(o_, buffer(q_bytes));
    TB_ASSIGN_OR_RETURN(lse_, buffer(row_stats_bytes));
    TB_RETURN_IF_ERROR(upload(inputs[0], q_, stream_.get()));
    TB_RETURN_IF_ERROR(upload(inputs[1], k_, stream_.get()));
    TB_RETURN_IF_ERROR(upload(inputs[2], v_, stream_.get()));
    if (!problem_->has_backward()) return {};
    TB_ASSIGN_OR_RETURN(do_, buffer(q_bytes));
    TB_ASSIGN_OR_RETURN(dq_, buffer(q_bytes));
    TB_ASSIGN_OR_RETURN(dk_, buffer(kv_bytes));
    TB_ASSIGN_OR_RETURN(dv_, buffer(kv_bytes));
    TB_ASSIGN_OR_RETURN(dq_accum_, buffer(s.b * s.h * s.sq * s.d * static_cast<std::int64_t>(sizeof(float))));
    TB_ASSIGN_OR_RETURN(delta_, buffer(row_stats_bytes));
    return upload(inputs[3], do_, stream_.get());
  }

  AttentionElement element() const {
    return problem_->dtype() == DType::kFp16 ? AttentionElement::kFp16 : AttentionElement::kBf16;
  }

  // cuDNN's plan for this forward, bound to our buffers; any failure leaves it unset.
  Status set_up_cudnn() {
    const AttentionShape& s = problem_->shape();
    const Expected<std::shared_ptr<const CudnnLibrary>>& lib = default_cudnn();
    if (!lib.ok()) return lib.error();
    TB_ASSIGN_OR_RETURN(CudnnHandle handle, create_cudnn_handle(lib.value()));
    TB_RETURN_IF_ERROR(check(*lib.value(), lib.value()->api().cudnnSetStream(handle.get(), stream_.get()),
                             "cudnnSetStream"));
    TB_ASSIGN_OR_RETURN(SdpaForwardGraph graph, SdpaForwardGraph::build(lib.value(), s, problem_->dtype()));
    TB_ASSIGN_OR_RETURN(BackendDescriptor device, device_properties(handle));
    TB_ASSIGN_OR_RETURN(std::unique_ptr<SdpaForwardPlan> plan,
                        SdpaForwardPlan::create(lib.value(), device, std::move(graph)));
    cudnn_device_ = std::move(device);
    if (plan->workspace_bytes() > 0) {
      TB_ASSIGN_OR_RETURN(cudnn_workspace_, buffer(plan->workspace_bytes()));
    }
    const SdpaForwardBuffers buffers{.q = q_.data(), .k = k_.data(), .v = v_.data(), .o = o_.data(),
                                     .lse = static_cast<float*>(lse_.data()), .scale = s.scale};
    TB_RETURN_IF_ERROR(plan->bind(buffers, cudnn_workspace_.data()));
    handle_.emplace(std::move(handle));
    cudnn_plan_ = std::move(plan);
    return {};
  }

  Status forward() {
    if (cudnn_plan_) return cudnn_plan_->execute(*handle_);
    const AttentionShape& s = problem_->shape();
    AttentionForwardArgs a;
    a.q = q_.data();
    a.k = k_.data();
    a.v = v_.data();
    a.o = o_.data();
    a.lse = static_cast<float*>(lse_.data());
    a.q_layout = AttentionLayout::dense(s.h, s.sq, s.d);
    a.kv_layout = AttentionLayout::dense(s.kvh, s.skv, s.d);
    return check(attention_forward(element(), dims_of(s), a, stream_.get()), "attention forward kernel launch");
  }

  Status backward() {
    const AttentionShape& s = problem_->shape();
    AttentionBackwardArgs a;
    a.q = q_.data();
    a.k = k_.data();
    a.v = v_.data();
    a.o = o_.data();
    a.lse = static_cast<const float*>(lse_.data());
    a.dout = do_.data();
    a.dq = dq_.data();
    a.dk = dk_.data();
    a.dv = dv_.data();
    a.dq_accum = static_cast<float*>(dq_accum_.data());
    a.delta = static_cast<float*>(delta_.data());
    a.q_layout = AttentionLayout::dense(s.h, s.sq, s.d);
    a.kv_layout = AttentionLayout::dense(s.kvh, s.skv, s.d);
    return check(attention_backward(element(), dims_of(s), a, stream_.get()), "attention backward kernel launch");
  }

  // In the problem's output_specs() order.
  std::vector<DeviceBuffer*> outputs() {
    switch (problem_->pass()) {
      case AttentionPass::kFwd: return {&o_, &lse_};
      case AttentionPass::kBwd: return {&dq_, &dk_, &dv_};
      case AttentionPass::kFwdBwd: return {&o_, &lse_, &dq_, &dk_, &dv_};
    }
    return {};
  }

  std::shared_ptr<const AttentionProblem> problem_;
  Stream stream_;
  DeviceBuffer q_, k_, v_, o_, lse_, do_, dq_, dk_, dv_, dq_accum_, delta_;
  // cuDNN forward (pass=fwd): the handle outlives the plan made on it.
  std::optional<CudnnHandle> handle_;
  BackendDescriptor cudnn_device_;  // the device the plan was made for
  DeviceBuffer cudnn_workspace_;
  std::unique_ptr<SdpaForwardPlan> cudnn_plan_;
  std::string cudnn_not_used_;  // why auto fell back to our kernels
};

}  // namespace

std::string_view attention_impl_name(AttentionImpl impl) {
  switch (impl) {
    case AttentionImpl::kAuto: return "auto";
    case AttentionImpl::kCudnn: return "cudnn";
    case AttentionImpl::kTrainbench: return "trainbench";
  }
  return "?";
}

Expected<AttentionImpl> parse_attention_impl(std::string_view name) {
  for (AttentionImpl impl : {AttentionImpl::kAuto, AttentionImpl::kCudnn, AttentionImpl::kTrainbench}) {
    if (name == attention_impl_name(impl)) return impl;
  }
  return bad_input("unknown --cuda-attention '" + std::string(name) + "': expected auto, cudnn or trainbench");
}

namespace {

Support cudnn_attention_support(const AttentionProblem& p, int cc_major, int cc_minor) {
  if (p.pass() != AttentionPass::kFwd) {
    return {false, "cuda: --cuda-attention cudnn runs the forward only (pass=fwd); " + p.to_string() +
                       " needs our kernels (--cuda-attention auto or trainbench)"};
  }
  if (const std::string why = sdpa_forward_unsupported_reason(p.shape(), p.dtype()); !why.empty()) {
    return {false, "cuda: " + why};
  }
  if (cc_major < 8) {
    return {false, "cuda: cuDNN fused attention needs compute capability 8.0 or newer; this device is " +
                       std::to_string(cc_major) + "." + std::to_string(cc_minor)};
  }
  if (const auto& lib = default_cudnn(); !lib.ok()) return {false, "cuda: " + lib.error().message};
  return {true, {}};
}

}  // namespace

Support attention_support(const Problem& problem, int cc_major, int cc_minor, AttentionImpl impl) {
  const auto* p = dynamic_cast<const AttentionProblem*>(&problem);
  if (p == nullptr) return {false, "cuda: " + problem.to_string() + " is not an attention problem"};
  if (impl == AttentionImpl::kCudnn) return cudnn_attention_support(*p, cc_major, cc_minor);
  if (p->dtype() == DType::kFp32) {
    return {false, "cuda: fp32 attention is not supported (our kernels take fp16/bf16); use --backend cpu"};
  }
  if (p->dtype() == DType::kFp8E4m3) {
    return {false, "cuda: fp8 attention is not supported (our kernels take fp16/bf16)"};
  }
  const AttentionShape& s = p->shape();
  if (!attention_head_dim_supported(s.d)) {
    return {false, "cuda: attention head dimension d=" + std::to_string(s.d) +
                       " is not supported (our kernels take d=64 or d=128)"};
  }
  if (cc_major < 8) {
    return {false, "cuda: attention needs compute capability 8.0 or newer (our kernels are built for sm_80 and "
                   "sm_90); this device is " + std::to_string(cc_major) + "." + std::to_string(cc_minor)};
  }
  if (s.b > 65535 || s.h > 65535) {
    return {false, "cuda: attention with b=" + std::to_string(s.b) + ", h=" + std::to_string(s.h) +
                       " is not supported (our kernels take b <= 65535 and h <= 65535: one grid dimension each)"};
  }
  return {true, {}};
}

std::int64_t attention_device_bytes(const Problem& problem) {
  const auto* p = dynamic_cast<const AttentionProblem*>(&problem);
  if (p == nullptr) return 0;
  const AttentionShape& s = p->shape();
  const std::int64_t elem = static_cast<std::int64_t>(dtype_size(p->dtype()));
  const std::int64_t q_bytes = s.b * s.h * s.sq * s.d * elem;    // q, o (+ do, dq)
  const std::int64_t kv_bytes = s.b * s.kvh * s.skv * s.d * elem;  // k, v (+ dk, dv)
  const std::int64_t row_stats = s.b * s.h * s.sq * 4;            // lse (+ delta), fp32
  if (!p->has_backward()) return 2 * q_bytes + 2 * kv_bytes + row_stats;
  const std::int64_t dq_accum = s.b * s.h * s.sq * s.d * 4;  // fp32 dQ scratch
  return 4 * q_bytes + 4 * kv_bytes + 2 * row_stats + dq_accum;
}

Expected<std::unique_ptr<Workload>> make_attention_workload(const ProblemPtr& problem,
                                                            const std::vector<HostTensor>& inputs, AttentionImpl impl) {
  auto p = std::dynamic_pointer_cast<const AttentionProblem>(problem);
  if (!p) return run_failure("cuda attention: " + problem->to_string() + " is not an attention problem");
  const bool ours_take_it =
      (p->dtype() == DType::kFp16 || p->dtype() == DType::kBf16) && attention_head_dim_supported(p->shape().d);
  if (impl != AttentionImpl::kCudnn && !ours_take_it) {
    return run_failure("cuda attention: " + p->to_string() + " is not supported by our kernels");
  }
  try {
    return CudaAttention::create(std::move(p), inputs, impl);
  } catch (const std::exception& e) {  // std::bad_alloc from host vectors; no exception leaves the backend
    return run_failure("cuda attention set-up failed for " + problem->to_string() + ": " + e.what());
  }
}

}  // namespace tb::cuda
