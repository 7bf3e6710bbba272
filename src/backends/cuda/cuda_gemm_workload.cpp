#include "backends/cuda/cuda_gemm_workload.h"

#include <algorithm>
#include <cmath>

#include "backends/cuda/cuda_device.h"
#include "backends/cuda/cuda_handles.h"

namespace tb::cuda {
namespace {

constexpr std::int64_t kAlignment = 256;  // cuBLASLt's default operand alignment (B)

std::int64_t padded(std::int64_t bytes) { return (bytes + kAlignment - 1) / kAlignment * kAlignment; }

struct OperandBytes {
  std::int64_t a, b, c;  // one set, each padded (B)
  std::int64_t set() const { return a + b + c; }
};

OperandBytes operand_bytes(const GemmProblem& p) {
  const auto in = static_cast<std::int64_t>(dtype_size(p.dtype()));
  const auto out = static_cast<std::int64_t>(dtype_size(gemm_output_dtype(p.dtype())));
  return {padded(p.m() * p.k() * in), padded(p.k() * p.n() * in), padded(p.m() * p.n() * out)};
}

cudaDataType_t cuda_type(DType dtype) {
  switch (dtype) {
    case DType::kFp32: return CUDA_R_32F;
    case DType::kBf16: return CUDA_R_16BF;
    case DType::kFp16: return CUDA_R_16F;
    case DType::kFp8E4m3: return CUDA_R_8F_E4M3;
  }
  return CUDA_R_32F;
}

// TF32 keeps 10 of fp32's 23 mantissa bits: unit roundoff 2^-11.
constexpr double kTf32UnitRoundoff = 0x1p-11;

// cuBLASLt's fp8 layout rules (gemm_support); empty when `p` meets them.
std::string fp8_layout_problem(const GemmProblem& p) {
  if (p.trans_a() || !p.trans_b()) {
    return "cuBLASLt fp8 needs the TN format: row-major ta=0,tb=1 (A stored [M,K], B stored [N,K]); this problem "
           "has ta=" + std::to_string(p.trans_a()) + ",tb=" + std::to_string(p.trans_b());
  }
  if (p.k() % 16 != 0 || p.n() % 8 != 0) {
    return "cuBLASLt fp8 needs leading dimensions of multiples of 16 B: k a multiple of 16 (A, B: fp8) and n a "
           "multiple of 8 (C: bf16); this problem has k=" + std::to_string(p.k()) + ", n=" + std::to_string(p.n());
  }
  return {};
}

class CudaGemmWorkload final : public Workload {
 public:
  CudaGemmWorkload(const GemmProblem& problem, std::int64_t sets, std::shared_ptr<const CublasLtLibrary> lib,
                   Stream stream)
      : problem_(problem), bytes_(operand_bytes(problem)), sets_(sets), lib_(std::move(lib)), stream_(std::move(stream)) {}

  Status allocate() {
    TB_ASSIGN_OR_RETURN(a_, DeviceBuffer::allocate(static_cast<std::size_t>(bytes_.a * sets_)));
    TB_ASSIGN_OR_RETURN(b_, DeviceBuffer::allocate(static_cast<std::size_t>(bytes_.b * sets_)));
    TB_ASSIGN_OR_RETURN(c_, DeviceBuffer::allocate(static_cast<std::size_t>(bytes_.c * sets_)));
    TB_ASSIGN_OR_RETURN(workspace_, DeviceBuffer::allocate(kGemmWorkspaceBytes));
    return {};
  }

  // A into every set's A, B into every set's B (set 0 from the host, the rest copied on the device).
  Status upload_inputs(const std::vector<HostTensor>& inputs) {
    if (inputs.size() != 2) {
      return bad_input("gemm takes 2 inputs (a, b), got " + std::to_string(inputs.size()));
    }
    TB_RETURN_IF_ERROR(replicate(inputs[0], a_, bytes_.a));
    TB_RETURN_IF_ERROR(replicate(inputs[1], b_, bytes_.b));
    return stream_.synchronize();
  }

  Status plan(const GemmOptions& options) {
    tf32_ = options.allow_tf32 && problem_.dtype() == DType::kFp32;
    compute_name_ = tf32_ ? "CUBLAS_COMPUTE_32F_FAST_TF32" : "CUBLAS_COMPUTE_32F";
    // Column-major C^T[N,M] = op(B)^T op(A)^T: cuBLASLt's "A" is our B buffer, its "B" our A buffer.
    const auto m = static_cast<std::uint64_t>(problem_.m());
    const auto n = static_cast<std::uint64_t>(problem_.n());
    const auto k = static_cast<std::uint64_t>(problem_.k());
    const bool ta = problem_.trans_a();
    const bool tb = problem_.trans_b();
    const cudaDataType_t in_type = cuda_type(problem_.dtype());
    const cudaDataType_t out_type = cuda_type(gemm_output_dtype(problem_.dtype()));
    // fp8: CUBLASLT_MATMUL_DESC_FAST_ACCUM stays at its default 0 (partial sums are promoted to fp32
    // periodically), and no A/B/D scale pointers are set (scales 1).
    TB_ASSIGN_OR_RETURN(desc_, create_matmul_desc(lib_, tf32_ ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F,
                                                  tb ? CUBLAS_OP_T : CUBLAS_OP_N, ta ? CUBLAS_OP_T : CUBLAS_OP_N));
    TB_ASSIGN_OR_RETURN(layout_b_, create_layout(lib_, in_type, tb ? k : n, tb ? n : k, problem_.ldb()));
    TB_ASSIGN_OR_RETURN(layout_a_, create_layout(lib_, in_type, ta ? m : k, ta ? k : m, problem_.lda()));
    TB_ASSIGN_OR_RETURN(layout_c_, create_layout(lib_, out_type, n, m, problem_.ldc()));
    TB_ASSIGN_OR_RETURN(handle_, create_handle(lib_));
    TB_ASSIGN_OR_RETURN(MatmulPreference preference, create_preference(lib_, kGemmWorkspaceBytes));
    const int requested = std::clamp(options.algo_candidates, 1, kMaxGemmCandidates);
    candidates_.assign(static_cast<std::size_t>(requested), cublasLtMatmulHeuristicResult_t{});
    int returned = 0;
    TB_RETURN_IF_ERROR(check(*lib_,
                             lib_->api().cublasLtMatmulAlgoGetHeuristic(
                                 handle_.get(), desc_.get(), layout_b_.get(), layout_a_.get(), layout_c_.get(),
                                 layout_c_.get(), preference.get(), requested, candidates_.data(), &returned),
                             "cublasLtMatmulAlgoGetHeuristic"));
    if (returned == 0) {
      return run_failure("cublasLtMatmulAlgoGetHeuristic found no algorithm for " + problem_.to_string() + " with " +
                         compute_name_);
    }
    candidates_.resize(static_cast<std::size_t>(returned));
    algo_ = candidates_[0].algo;
    first_algo_id_ = algo_id(candidates_[0].algo);
    algo_id_ = first_algo_id_;
    return {};
  }

  // Times every candidate on the first operand set and keeps the fastest;
  // with one candidate, nothing is timed. C is poisoned again afterwards.
  Status choose_algorithm() {
    if (candidates_.size() > 1) {
      TB_ASSIGN_OR_RETURN(std::unique_ptr<DeviceTimer> timer, make_event_timer(stream_.get()));
      std::vector<double> medians;
      for (const cublasLtMatmulHeuristicResult_t& candidate : candidates_) {
        medians.push_back(median_time(candidate.algo, *timer));
      }
      const std::optional<std::size_t> best = fastest_candidate(medians);
      if (!best) {
        return run_failure("none of cuBLASLt's " + std::to_string(candidates_.size()) + " candidate algorithms ran " +
                           problem_.to_string());
      }
      chosen_ = *best;
      algo_ = candidates_[chosen_].algo;
      algo_id_ = algo_id(algo_);
      timed_candidates_ = static_cast<int>(candidates_.size());
    }
    TB_RETURN_IF_ERROR(poison(c_, stream_.get()));
    return stream_.synchronize();
  }

  Status run() override {
    const std::int64_t set = next_set_;
    next_set_ = (next_set_ + 1) % sets_;
    last_set_ = set;
    return matmul(algo_, set);
  }

  Status synchronize() override { return stream_.synchronize(); }

  Status poison_outputs() override {
    next_set_ = 0;
    last_set_ = 0;
    return poison(c_, stream_.get());
  }

  Expected<std::vector<HostTensor>> read_outputs() override {
    HostTensor c(problem_.output_specs().at(0));
    TB_RETURN_IF_ERROR(check(cudaMemcpyAsync(c.data.data(), offset(c_, bytes_.c, last_set_), c.data.size(),
                                             cudaMemcpyDeviceToHost, stream_.get()),
                             "cudaMemcpyAsync (device to host)"));
    TB_RETURN_IF_ERROR(stream_.synchronize());
    return std::vector<HostTensor>{std::move(c)};
  }

  std::unique_ptr<DeviceTimer> make_timer() override {
    return event_timer_or_error(stream_.get());
  }

  // TF32 tensor cores round fp32 inputs to 10 mantissa bits.
  double input_unit_roundoff() const override { return tf32_ ? kTf32UnitRoundoff : 0.0; }

  std::string implementation() const override {
    std::string text = lib_->version() + " matmul, " + compute_name_ +
                       (problem_.dtype() == DType::kFp8E4m3 ? " (A, B fp8 e4m3, C bf16, fast accumulation off)" : "") +
                       ", algo id " + std::to_string(algo_id_) + " (" + choice_text() + "), workspace " +
                       std::to_string(kGemmWorkspaceBytes >> 20) + " MiB";
    if (sets_ > 1) text += ", cold cache: " + std::to_string(sets_) + " operand sets";
    return text;
  }

 private:
  static void* offset(const DeviceBuffer& buffer, std::int64_t stride, std::int64_t set) {
    return static_cast<char*>(buffer.data()) + stride * set;
  }

  // One matmul with `algo` on operand set `set`, enqueued on the stream.
  Status matmul(const cublasLtMatmulAlgo_t& algo, std::int64_t set) {
    const float alpha = 1.0f;
    const float beta = 0.0f;
    void* c = offset(c_, bytes_.c, set);
    return check(*lib_,
                 lib_->api().cublasLtMatmul(handle_.get(), desc_.get(), &alpha, offset(b_, bytes_.b, set),
                                            layout_b_.get(), offset(a_, bytes_.a, set), layout_a_.get(), &beta, c,
                                            layout_c_.get(), c, layout_c_.get(), &algo, workspace_.data(),
                                            workspace_.bytes(), stream_.get()),
                 "cublasLtMatmul");
  }

  // Median of 5 timed matmuls after 2 warm-ups (s); NaN when the algorithm fails to run.
  double median_time(const cublasLtMatmulAlgo_t& algo, DeviceTimer& timer) {
    constexpr int kWarmups = 2;
    constexpr int kTimed = 5;
    std::vector<double> times;
    for (int i = 0; i < kWarmups + kTimed; ++i) {
      if (!timer.start().ok() || !matmul(algo, 0).ok() || !timer.stop().ok()) return std::nan("");
      const Expected<double> s = timer.elapsed_seconds();
      if (!s.ok()) return std::nan("");
      if (i >= kWarmups) times.push_back(*s);
    }
    std::nth_element(times.begin(), times.begin() + kTimed / 2, times.end());
    return times[kTimed / 2];
  }

  int algo_id(const cublasLtMatmulAlgo_t& algo) const {
    int id = -1;
    std::size_t written = 0;
    const Status s = check(*lib_,
                           lib_->api().cublasLtMatmulAlgoConfigGetAttribute(&algo, CUBLASLT_ALGO_CONFIG_ID, &id,
                                                                            sizeof id, &written),
                           "cublasLtMatmulAlgoConfigGetAttribute");
    return s.ok() ? id : -1;
  }

  // "fastest of 8 heuristic candidates ..." or "heuristic's first of 8, untimed".
  std::string choice_text() const {
    const std::string offered = std::to_string(candidates_.size());
    if (timed_candidates_ == 0) return "heuristic's first of " + offered + ", untimed";
    return "fastest of " + offered + " heuristic candidates, median of 5 after 2 warm-ups each; candidate " +
           std::to_string(chosen_ + 1) + ", the heuristic's first is id " + std::to_string(first_algo_id_);
  }

  Status replicate(const HostTensor& host, DeviceBuffer& device, std::int64_t stride) {
    const std::size_t bytes = host.data.size();
    if (static_cast<std::int64_t>(bytes) > stride) {
      return bad_input("gemm input '" + host.spec.name + "' has " + std::to_string(bytes) + " B; " +
                       problem_.to_string() + " needs at most " + std::to_string(stride) + " B");
    }
    TB_RETURN_IF_ERROR(check(cudaMemcpyAsync(device.data(), host.data.data(), bytes, cudaMemcpyHostToDevice,
                                             stream_.get()),
                             "cudaMemcpyAsync (host to device)"));
    for (std::int64_t set = 1; set < sets_; ++set) {
      TB_RETURN_IF_ERROR(check(cudaMemcpyAsync(offset(device, stride, set), device.data(), bytes,
                                               cudaMemcpyDeviceToDevice, stream_.get()),
                               "cudaMemcpyAsync (device to device)"));
    }
    return {};
  }

  const GemmProblem problem_;
  const OperandBytes bytes_;
  const std::int64_t sets_;
  std::shared_ptr<const CublasLtLibrary> lib_;
  Stream stream_;
  DeviceBuffer a_, b_, c_, workspace_;
  LtHandle handle_;
  MatmulDesc desc_;
  MatrixLayout layout_a_, layout_b_, layout_c_;
  cublasLtMatmulAlgo_t algo_{};
  std::vector<cublasLtMatmulHeuristicResult_t> candidates_;  // the heuristic's order
  std::size_t chosen_ = 0;
  int timed_candidates_ = 0;  // 0: the heuristic's first, untimed
  std::string compute_name_;
  bool tf32_ = false;
  int first_algo_id_ = -1;
  int algo_id_ = -1;
  std::int64_t next_set_ = 0;
  std::int64_t last_set_ = 0;
};

}  // namespace

Support gemm_support(const GemmProblem& problem, int cc_major, int cc_minor) {
  const Support dtype = dtype_support_on(problem.dtype(), cc_major, cc_minor);
  if (!dtype.supported) return dtype;
  if (problem.dtype() == DType::kFp8E4m3) {
    std::string why = fp8_layout_problem(problem);
    if (!why.empty()) return {false, std::move(why)};
  }
  return {true, {}};
}

std::optional<std::size_t> fastest_candidate(const std::vector<double>& median_seconds) {
  std::optional<std::size_t> best;
  for (std::size_t i = 0; i < median_seconds.size(); ++i) {
    const double t = median_seconds[i];
    if (!std::isfinite(t) || t <= 0.0) continue;
    if (!best || t < median_seconds[*best]) best = i;
  }
  return best;
}

std::int64_t gemm_operand_sets(const GemmProblem& problem, const GemmOptions& options) {
  if (!options.rotate_buffers || options.l2_bytes <= 0) return 1;
  const std::int64_t set = operand_bytes(problem).set();
  return std::max<std::int64_t>(1, (2 * options.l2_bytes + set - 1) / set);
}

std::int64_t gemm_device_bytes(const GemmProblem& problem, const GemmOptions& options) {
  return operand_bytes(problem).set() * gemm_operand_sets(problem, options) +
         static_cast<std::int64_t>(kGemmWorkspaceBytes);
}

Expected<std::unique_ptr<Workload>> make_gemm_workload(const GemmProblem& problem,
                                                       const std::vector<HostTensor>& inputs,
                                                       const std::shared_ptr<const CublasLtLibrary>& lib,
                                                       const GemmOptions& options) {
  TB_ASSIGN_OR_RETURN(Stream stream, Stream::create());
  auto workload = std::make_unique<CudaGemmWorkload>(problem, gemm_operand_sets(problem, options), lib,
                                                     std::move(stream));
  TB_RETURN_IF_ERROR(workload->allocate());
  TB_RETURN_IF_ERROR(workload->upload_inputs(inputs));
  TB_RETURN_IF_ERROR(workload->plan(options));
  TB_RETURN_IF_ERROR(workload->choose_algorithm());
  return std::unique_ptr<Workload>(std::move(workload));
}

}  // namespace tb::cuda
