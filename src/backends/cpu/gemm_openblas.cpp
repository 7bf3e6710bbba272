// GEMM through OpenBLAS's cblas_sgemm: fp32 as it is, and bf16 or fp16 widened
// to fp32 where oneDNN has no native matmul for them on this CPU.
#include <cblas.h>

#include "backends/cpu/cpu_gemm.h"

namespace tb {
namespace {

// C = op(A) op(B) in fp32, row-major, with the problem's leading dimensions.
void sgemm(const GemmProblem& p, const float* a, const float* b, float* c) {
  cblas_sgemm(CblasRowMajor, p.trans_a() ? CblasTrans : CblasNoTrans, p.trans_b() ? CblasTrans : CblasNoTrans,
              static_cast<blasint>(p.m()), static_cast<blasint>(p.n()), static_cast<blasint>(p.k()), 1.0f, a,
              static_cast<blasint>(p.lda()), b, static_cast<blasint>(p.ldb()), 0.0f, c, static_cast<blasint>(p.ldc()));
}

std::string openblas_core() { return std::string("core=") + openblas_get_corename(); }

class OpenBlasGemm final : public CpuGemmWorkload {
 public:
  using CpuGemmWorkload::CpuGemmWorkload;

  Status run() override {
    sgemm(problem_, reinterpret_cast<const float*>(a_.data.data()), reinterpret_cast<const float*>(b_.data.data()),
          reinterpret_cast<float*>(c_.data.data()));
    return {};
  }
  std::string implementation() const override { return "OpenBLAS cblas_sgemm"; }
};

// The fallback for a 16-bit dtype: each run widens A and B to fp32 (exactly),
// multiplies them with cblas_sgemm and rounds C back to the dtype (to nearest,
// ties to even). The widening and rounding are inside the timed run, so the
// time is that of the whole bf16 GEMM. Its arithmetic is fp32's: more accurate
// than a native bf16 matmul, so it verifies against the dtype's own tolerance,
// and its throughput is compared with the fp32 peak (compute_dtype()).
class WidenedGemm final : public CpuGemmWorkload {
 public:
  WidenedGemm(const GemmProblem& p, const std::vector<HostTensor>& inputs, std::string why)
      : CpuGemmWorkload(p, inputs),
        why_(std::move(why)),
        a32_(a_.data.size() / 2),
        b32_(b_.data.size() / 2),
        c32_(c_.data.size() / 2) {}

  Status run() override {
    widen(a_, a32_);
    widen(b_, b32_);
    sgemm(problem_, a32_.data(), b32_.data(), c32_.data());
    narrow(c32_, c_);
    return {};
  }
  std::string implementation() const override {
    const std::string dtype(dtype_name(problem_.dtype()));
    return "fallback: " + dtype + " widened to fp32, OpenBLAS cblas_sgemm (" + openblas_core() +
           "), C rounded to " + dtype + "; fp32 arithmetic, compared with the fp32 peak (" + why_ + ")";
  }
  std::optional<DType> compute_dtype() const override { return DType::kFp32; }

 private:
  static void widen(const HostTensor& in, std::vector<float>& out) {
    const auto* bits = reinterpret_cast<const std::uint16_t*>(in.data.data());
    const auto n = static_cast<std::int64_t>(out.size());
    float* dst = out.data();
    if (in.spec.dtype == DType::kBf16) {
#pragma omp parallel for schedule(static)
      for (std::int64_t i = 0; i < n; ++i) dst[i] = bf16_to_float(bits[i]);
    } else {
#pragma omp parallel for schedule(static)
      for (std::int64_t i = 0; i < n; ++i) dst[i] = fp16_to_float(bits[i]);
    }
  }
  static void narrow(const std::vector<float>& in, HostTensor& out) {
    auto* bits = reinterpret_cast<std::uint16_t*>(out.data.data());
    const auto n = static_cast<std::int64_t>(in.size());
    const float* src = in.data();
    if (out.spec.dtype == DType::kBf16) {
#pragma omp parallel for schedule(static)
      for (std::int64_t i = 0; i < n; ++i) bits[i] = float_to_bf16(src[i]);
    } else {
#pragma omp parallel for schedule(static)
      for (std::int64_t i = 0; i < n; ++i) bits[i] = float_to_fp16(src[i]);
    }
  }

  std::string why_;
  std::vector<float> a32_, b32_, c32_;
};

}  // namespace

std::unique_ptr<Workload> make_openblas_gemm(const GemmProblem& p, const std::vector<HostTensor>& inputs) {
  return std::make_unique<OpenBlasGemm>(p, inputs);
}

std::unique_ptr<Workload> make_widened_gemm(const GemmProblem& p, const std::vector<HostTensor>& inputs,
                                            const std::string& why) {
  return std::make_unique<WidenedGemm>(p, inputs, why);
}

std::int64_t widened_gemm_extra_bytes(const GemmProblem& p) {
  // fp32 copies of A, B and C: twice the 16-bit ones.
  return 2 * p.host_bytes();
}

}  // namespace tb
