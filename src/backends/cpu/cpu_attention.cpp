#include "backends/cpu/cpu_attention.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <functional>

#include "backends/cpu/flash_attention.h"
#include "backends/cpu/onednn_attention.h"
#include "backends/host_timer.h"
#include "common/format.h"
#include "common/host_info.h"

namespace tb {
namespace {

constexpr int kCandidateRuns = 3;  // timed runs per candidate at prepare, after one warm-up; the median decides

// `spec`, or an empty tensor of its dtype when the pass does not use it.
TensorSpec used_if(bool used, TensorSpec spec) {
  if (!used) spec.shape = {0};
  return spec;
}

std::string mib(std::int64_t bytes) { return std::to_string(bytes >> 20) + " MiB"; }

// Median wall time of kCandidateRuns runs of `run` after one untimed (s); a
// failure comes back as the error.
Expected<double> median_seconds(const std::function<Status()>& run) {
  TB_RETURN_IF_ERROR(run());
  std::vector<double> t;
  for (int i = 0; i < kCandidateRuns; ++i) {
    const auto start = std::chrono::steady_clock::now();
    TB_RETURN_IF_ERROR(run());
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

// The workload's own copies of every tensor the pass reads or writes. For
// pass=bwd, o and lse (and the composition's P) come from untimed forward runs
// when it is prepared.
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
        dv_(used_if(p.pass() != AttentionPass::kFwd, v_.spec)) {}

  // Sets up the implementation(s) `impl` allows and keeps the one to run.
  Status prepare(CpuAttentionImpl impl) {
    Support composition{false, "pinned by --cpu-attention fused"};
    if (impl == CpuAttentionImpl::kOneDnn) composition = {true, {}};
    if (impl == CpuAttentionImpl::kAuto) composition = composition_candidate(problem_, host_memory_available());
    if (composition.supported) {
      TB_ASSIGN_OR_RETURN(composed_, OneDnnAttention::create(problem_.shape(), tensors()));
    }
    if (problem_.pass() == AttentionPass::kBwd) {  // inputs of the timed backward: the composition's P, then o and lse
      if (composed_) TB_RETURN_IF_ERROR(composed_->forward());
      if (impl != CpuAttentionImpl::kOneDnn) TB_RETURN_IF_ERROR(fused(&CpuAttention::forward));
    }
    if (impl == CpuAttentionImpl::kFused) {
      choice_ = "pinned by --cpu-attention fused";
    } else if (impl == CpuAttentionImpl::kOneDnn) {
      use_composed_ = true;
      choice_ = "pinned by --cpu-attention onednn";
    } else if (!composed_) {
      choice_ = "the only candidate: the oneDNN composition is not one here (" + composition.reason + ")";
    } else {
      TB_ASSIGN_OR_RETURN(const double fused_s, median_seconds([this] { return run_fused(); }));
      TB_ASSIGN_OR_RETURN(const double composed_s, median_seconds([this] { return run_composed(); }));
      use_composed_ = composed_s < fused_s;
      choice_ = std::string("the faster of 2 timed at prepare (median of ") + std::to_string(kCandidateRuns) +
                " runs): fused " + format_significant(fused_s * 1e3, 4) + " ms, oneDNN composition " +
                format_significant(composed_s * 1e3, 4) + " ms";
      if (!use_composed_) composed_.reset();  // its scores are not kept
    }
    return poison_outputs();
  }

  Status run() override { return use_composed_ ? run_composed() : run_fused(); }
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
  // The fused kernels widen bf16 to fp32 and compute in fp32: the fp32 peak is the ceiling.
  std::optional<DType> compute_dtype() const override {
    return problem_.dtype() == DType::kFp32 ? std::nullopt : std::optional<DType>(DType::kFp32);
  }
  std::string implementation() const override {
    if (use_composed_) return composed_->implementation() + "; " + choice_;
    // The kernels' instruction set: what the CPU has, capped by TRAINBENCH_MAX_ISA.
    return std::string("trainbench flash attention (CPU ") + flash_detail::isa_name(flash_detail::best_isa()) +
           " kernels, OpenMP, fp32 softmax and accumulation" +
           (problem_.dtype() == DType::kFp32 ? ")" : ", bf16 inputs widened to fp32)") + "; " + choice_;
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

  AttentionTensors tensors() {
    const bool bwd = problem_.pass() != AttentionPass::kFwd;
    return {as<float>(q_), as<float>(k_), as<float>(v_), as<float>(o_), as<float>(lse_),
            bwd ? as<float>(do_) : nullptr, bwd ? as<float>(dq_) : nullptr, bwd ? as<float>(dk_) : nullptr,
            bwd ? as<float>(dv_) : nullptr};
  }

  Status run_composed() {
    if (problem_.pass() != AttentionPass::kBwd) TB_RETURN_IF_ERROR(composed_->forward());
    if (problem_.pass() != AttentionPass::kFwd) TB_RETURN_IF_ERROR(composed_->backward());
    return {};
  }

  Status run_fused() {
    if (problem_.pass() != AttentionPass::kBwd) TB_RETURN_IF_ERROR(fused(&CpuAttention::forward));
    if (problem_.pass() != AttentionPass::kFwd) TB_RETURN_IF_ERROR(fused(&CpuAttention::backward));
    return {};
  }

  // The kernels throw std::invalid_argument or std::bad_alloc; no exception leaves the backend.
  Status fused(void (CpuAttention::*pass)()) {
    try {
      (this->*pass)();
    } catch (const std::exception& e) {
      return run_failure("flash attention failed for " + problem_.to_string() + ": " + e.what());
    }
    return {};
  }

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
  std::unique_ptr<OneDnnAttention> composed_;
  bool use_composed_ = false;
  std::string choice_;  // how the implementation was chosen, for implementation()
};

}  // namespace

Expected<CpuAttentionImpl> parse_cpu_attention_impl(std::string_view text) {
  if (text == "auto") return CpuAttentionImpl::kAuto;
  if (text == "fused") return CpuAttentionImpl::kFused;
  if (text == "onednn") return CpuAttentionImpl::kOneDnn;
  return bad_input("--cpu-attention " + std::string(text) + ": expected auto, fused or onednn");
}

Support composition_candidate(const AttentionProblem& p, std::int64_t available_bytes) {
  if (p.dtype() != DType::kFp32) {
    return {false, "the composition is fp32 only; this problem is " + std::string(dtype_name(p.dtype()))};
  }
  const std::int64_t scores = OneDnnAttention::score_bytes(p.shape(), p.pass() != AttentionPass::kFwd);
  if (scores > kAutoCompositionMaxScoreBytes) {
    return {false, "its scores would take " + mib(scores) + ", over the " + mib(kAutoCompositionMaxScoreBytes) +
                       " auto allows; --cpu-attention onednn runs it anyway"};
  }
  if (scores > available_bytes / 4) {
    return {false, "its scores would take " + mib(scores) + ", over a quarter of the " + mib(available_bytes) +
                       " of host memory available"};
  }
  return {true, {}};
}

Support cpu_attention_support(const AttentionProblem& p, CpuAttentionImpl impl) {
  if (p.dtype() == DType::kFp8E4m3) return {false, "cpu: fp8 attention is not supported; use dtype=fp32 or bf16"};
  if (p.dtype() == DType::kFp16) {
    return {false, "cpu: fp16 attention is not implemented (this CPU has no fp16 arithmetic); use dtype=fp32 or bf16"};
  }
  if (p.shape().d > kCpuAttentionMaxHeadDim) {
    return {false, "cpu: head dimension d=" + std::to_string(p.shape().d) + " is not supported: the CPU kernels take d <= " +
                       std::to_string(kCpuAttentionMaxHeadDim)};
  }
  if (impl == CpuAttentionImpl::kOneDnn && p.dtype() != DType::kFp32) {
    return {false, "cpu: --cpu-attention onednn composes fp32 only; this problem is " +
                       std::string(dtype_name(p.dtype())) + " (use --cpu-attention fused or auto)"};
  }
  return {true, {}};
}

std::int64_t cpu_attention_bytes(const AttentionProblem& p, CpuAttentionImpl impl, int threads) {
  // Copies of q, k, v and o, lse; with a backward also do, dq, dk, dv and the kernel's row statistics and dq
  // accumulators.
  const auto& s = p.shape();
  const std::int64_t elem = static_cast<std::int64_t>(dtype_size(p.dtype()));
  const std::int64_t qsize = s.b * s.h * s.sq * s.d * elem, ksize = s.b * s.kvh * s.skv * s.d * elem;
  const bool backward = p.pass() != AttentionPass::kFwd;
  std::int64_t bytes = (backward ? 4 : 2) * qsize + (backward ? 4 : 2) * ksize + s.b * s.h * s.sq * 4;
  if (backward) bytes += flash_detail::backward_extra_bytes(s, threads);
  if (impl == CpuAttentionImpl::kOneDnn) bytes += OneDnnAttention::score_bytes(s, backward);
  return bytes;
}

Expected<std::unique_ptr<Workload>> make_cpu_attention(const AttentionProblem& p, const std::vector<HostTensor>& inputs,
                                                       CpuAttentionImpl impl) {
  try {
    auto workload = std::make_unique<CpuAttention>(p, inputs);
    TB_RETURN_IF_ERROR(workload->prepare(impl));
    return std::unique_ptr<Workload>(std::move(workload));
  } catch (const std::exception& e) {
    return run_failure("attention set-up failed for " + p.to_string() + ": " + e.what());
  }
}

}  // namespace tb
