#include "backends/cpu/cpu_attention.h"

#include "backends/cpu/flash_attention.h"
#include "backends/host_timer.h"

#include <exception>

namespace tb {
namespace {

// `spec`, or an empty tensor of its dtype when the pass does not use it.
TensorSpec used_if(bool used, TensorSpec spec) {
  if (!used) spec.shape = {0};
  return spec;
}

// The workload's own copies of every tensor the pass reads or writes. For
// pass=bwd, o and lse come from an untimed forward run in the constructor.
class CpuAttention final : public Workload {
 public:
  CpuAttention(const AttentionProblem& p, const std::vector<HostTensor>& inputs)
      : problem_(p),
        q_(inputs.at(0)),
        k_(inputs.at(1)),
        v_(inputs.at(2)),
        do_(p.pass() == AttentionPass::kFwd ? HostTensor(used_if(false, q_.spec)) : inputs.at(3)),
        o_(q_.spec),
        lse_(TensorSpec{"lse", DType::kFp32, {p.shape().b, p.shape().h, p.shape().sq}}),
        dq_(used_if(p.pass() != AttentionPass::kFwd, q_.spec)),
        dk_(used_if(p.pass() != AttentionPass::kFwd, k_.spec)),
        dv_(used_if(p.pass() != AttentionPass::kFwd, v_.spec)) {
    if (p.pass() == AttentionPass::kBwd) forward();
    (void)poison_outputs();
  }

  Status run() override {
    try {  // the kernels throw std::invalid_argument or std::bad_alloc; no exception leaves the backend
      if (problem_.pass() != AttentionPass::kBwd) forward();
      if (problem_.pass() != AttentionPass::kFwd) backward();
    } catch (const std::exception& e) {
      return run_failure("flash attention failed for " + problem_.to_string() + ": " + e.what());
    }
    return {};
  }
  Status synchronize() override { return {}; }

  Status poison_outputs() override {
    for (HostTensor* t : outputs()) fill_nan(*t);
    return {};
  }

  Expected<std::vector<HostTensor>> read_outputs() override {
    std::vector<HostTensor> out;
    for (HostTensor* t : outputs()) out.push_back(*t);
    for (std::size_t i = 0; i < out.size(); ++i) out[i].spec.name = problem_.output_specs()[i].name;
    return out;
  }

  std::unique_ptr<DeviceTimer> make_timer() override { return std::make_unique<HostTimer>(); }
  // The kernels widen bf16 to fp32 and compute in fp32: the fp32 peak is the ceiling.
  std::optional<DType> compute_dtype() const override {
    return problem_.dtype() == DType::kFp32 ? std::nullopt : std::optional<DType>(DType::kFp32);
  }
  std::string implementation() const override {
    // The kernels' instruction set: what the CPU has, capped by TRAINBENCH_MAX_ISA.
    return std::string("trainbench flash attention (CPU ") + flash_detail::isa_name(flash_detail::best_isa()) +
           " kernels, OpenMP, fp32 softmax and accumulation" +
           (problem_.dtype() == DType::kFp32 ? ")" : ", bf16 inputs widened to fp32)");
  }

 private:
  // In the problem's output order.
  std::vector<HostTensor*> outputs() {
    switch (problem_.pass()) {
      case AttentionPass::kFwd: return {&o_, &lse_};
      case AttentionPass::kBwd: return {&dq_, &dk_, &dv_};
      case AttentionPass::kFwdBwd: return {&o_, &lse_, &dq_, &dk_, &dv_};
    }
    return {};
  }

  template <typename T>
  static T* as(HostTensor& t) { return reinterpret_cast<T*>(t.data.data()); }

  void forward() {
    if (problem_.dtype() == DType::kFp32) {
      flash_attention_forward<float>(problem_.shape(), as<float>(q_), as<float>(k_), as<float>(v_), as<float>(o_),
                                     as<float>(lse_));
    } else {
      flash_attention_forward<std::uint16_t>(problem_.shape(), as<std::uint16_t>(q_), as<std::uint16_t>(k_),
                                             as<std::uint16_t>(v_), as<std::uint16_t>(o_), as<float>(lse_));
    }
  }

  void backward() {
    if (problem_.dtype() == DType::kFp32) {
      flash_attention_backward<float>(problem_.shape(), as<float>(q_), as<float>(k_), as<float>(v_), as<float>(o_),
                                      as<float>(lse_), as<float>(do_), as<float>(dq_), as<float>(dk_),
                                      as<float>(dv_));
    } else {
      using B = std::uint16_t;
      flash_attention_backward<B>(problem_.shape(), as<B>(q_), as<B>(k_), as<B>(v_), as<B>(o_), as<float>(lse_),
                                  as<B>(do_), as<B>(dq_), as<B>(dk_), as<B>(dv_));
    }
  }

  const AttentionProblem problem_;
  HostTensor q_, k_, v_, do_, o_, lse_, dq_, dk_, dv_;
};

}  // namespace

Support cpu_attention_support(const AttentionProblem& p) {
  if (p.dtype() == DType::kFp8E4m3) return {false, "cpu: fp8 attention is not supported; use dtype=fp32 or bf16"};
  if (p.dtype() == DType::kFp16) {
    return {false, "cpu: fp16 attention is not implemented (this CPU has no fp16 arithmetic); use dtype=fp32 or bf16"};
  }
  if (p.shape().d > kCpuAttentionMaxHeadDim) {
    return {false, "cpu: head dimension d=" + std::to_string(p.shape().d) + " is not supported: the CPU kernels take d <= " +
                       std::to_string(kCpuAttentionMaxHeadDim)};
  }
  return {true, {}};
}

std::int64_t cpu_attention_bytes(const AttentionProblem& p) {
  // Copies of q, k, v and o, lse; with a backward also do, dq, dk, dv.
  const auto& s = p.shape();
  const std::int64_t elem = static_cast<std::int64_t>(dtype_size(p.dtype()));
  const std::int64_t qsize = s.b * s.h * s.sq * s.d * elem, ksize = s.b * s.kvh * s.skv * s.d * elem;
  const bool backward = p.pass() != AttentionPass::kFwd;
  return (backward ? 4 : 2) * qsize + (backward ? 4 : 2) * ksize + s.b * s.h * s.sq * 4;
}

Expected<std::unique_ptr<Workload>> make_cpu_attention(const AttentionProblem& p, const std::vector<HostTensor>& inputs) {
  try {
    return std::unique_ptr<Workload>(std::make_unique<CpuAttention>(p, inputs));
  } catch (const std::exception& e) {
    return run_failure("flash attention set-up failed for " + p.to_string() + ": " + e.what());
  }
}

}  // namespace tb
