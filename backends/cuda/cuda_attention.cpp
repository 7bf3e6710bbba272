#include "backends/cuda/cuda_attention.h"

#include <cstddef>
#include <exception>
#include <string>
#include <utility>

#include "backends/cuda/cuda_attention_kernels.h"
#include "backends/cuda/cuda_handles.h"
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
                                                    const std::vector<HostTensor>& inputs) {
    const AttentionProblem& p = *problem;
    const std::size_t expected_inputs = p.has_backward() ? 4 : 3;
    if (inputs.size() != expected_inputs) {
      return run_failure("cuda attention: " + p.to_string() + " takes " + std::to_string(expected_inputs) +
                         " inputs, got " + std::to_string(inputs.size()));
    }
    TB_ASSIGN_OR_RETURN(Stream stream, Stream::create());
    std::unique_ptr<CudaAttention> w(new CudaAttention(std::move(problem), std::move(stream)));
    TB_RETURN_IF_ERROR(w->allocate_and_upload(inputs));
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
    return "trainbench flash-attention (CUDA, fma, tile " + std::to_string(kAttentionBlockM) + "x" +
           std::to_string(kAttentionBlockN) + ", " + std::to_string(kAttentionThreads) +
           " threads, fp32 softmax and accumulation)";
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

  Status forward() {
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
};

}  // namespace

Support attention_support(const Problem& problem, int cc_major, int cc_minor) {
  const auto* p = dynamic_cast<const AttentionProblem*>(&problem);
  if (p == nullptr) return {false, "cuda: " + problem.to_string() + " is not an attention problem"};
  if (p->dtype() == DType::kFp32) {
    return {false, "cuda: fp32 attention is not supported (our kernels take fp16/bf16); use --backend cpu"};
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
                                                            const std::vector<HostTensor>& inputs) {
  auto p = std::dynamic_pointer_cast<const AttentionProblem>(problem);
  if (!p) return run_failure("cuda attention: " + problem->to_string() + " is not an attention problem");
  if (p->dtype() == DType::kFp32 || !attention_head_dim_supported(p->shape().d)) {
    return run_failure("cuda attention: " + p->to_string() + " is not supported by our kernels");
  }
  try {
    return CudaAttention::create(std::move(p), inputs);
  } catch (const std::exception& e) {  // std::bad_alloc from host vectors; no exception leaves the backend
    return run_failure("cuda attention set-up failed for " + problem->to_string() + ": " + e.what());
  }
}

}  // namespace tb::cuda
