// GEMM through oneDNN's matmul primitive: fp32, bf16 and fp16 with fp32
// accumulation, C in the problem dtype. oneDNN's C++ API throws dnnl::error;
// every call is wrapped so that errors leave this file as values.
#include <dnnl.hpp>

#include "backends/cpu/cpu_gemm.h"

namespace tb {
namespace {

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;

dt onednn_type(DType d) {
  switch (d) {
    case DType::kFp32: return dt::f32;
    case DType::kBf16: return dt::bf16;
    case DType::kFp16: return dt::f16;
    case DType::kFp8E4m3: return dt::undef;  // the CPU backend refuses fp8 GEMMs (supports())
  }
  return dt::undef;
}

dnnl::engine& cpu_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

// Logical dims are op(A) [M,K], op(B) [K,N]; a transposed operand is stored "ba".
dnnl::matmul::primitive_desc matmul_desc(const GemmProblem& p) {
  const dt type = onednn_type(p.dtype());
  const dnnl::memory::desc a({p.m(), p.k()}, type, p.trans_a() ? tag::ba : tag::ab);
  const dnnl::memory::desc b({p.k(), p.n()}, type, p.trans_b() ? tag::ba : tag::ab);
  const dnnl::memory::desc c({p.m(), p.n()}, type, tag::ab);
  return dnnl::matmul::primitive_desc(dnnl::matmul::desc(a, b, c), cpu_engine());
}

class OneDnnGemm final : public CpuGemmWorkload {
 public:
  OneDnnGemm(const GemmProblem& p, const std::vector<HostTensor>& inputs)
      : CpuGemmWorkload(p, inputs),
        desc_(matmul_desc(p)),
        matmul_(desc_),
        stream_(cpu_engine()),
        a_mem_(desc_.src_desc(), cpu_engine(), a_.data.data()),
        b_mem_(desc_.weights_desc(), cpu_engine(), b_.data.data()),
        c_mem_(desc_.dst_desc(), cpu_engine(), c_.data.data()) {}

  Status run() override {
    try {
      matmul_.execute(stream_, {{DNNL_ARG_SRC, a_mem_}, {DNNL_ARG_WEIGHTS, b_mem_}, {DNNL_ARG_DST, c_mem_}});
      stream_.wait();
    } catch (const dnnl::error& e) {
      return run_failure(std::string("oneDNN matmul failed: ") + e.what());
    }
    return {};
  }
  std::string implementation() const override {
    const dnnl_version_t* v = dnnl_version();
    return "oneDNN " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch) +
           " matmul " + desc_.impl_info_str();
  }

 private:
  dnnl::matmul::primitive_desc desc_;
  dnnl::matmul matmul_;
  dnnl::stream stream_;
  dnnl::memory a_mem_, b_mem_, c_mem_;
};

}  // namespace

Support onednn_gemm_support(const GemmProblem& p) {
  try {
    const std::string impl = matmul_desc(p).impl_info_str();
    if (impl.find("ref") != std::string::npos) {
      return {false, "oneDNN has only its reference implementation (" + impl + ") for " +
                         std::string(dtype_name(p.dtype())) + " matmul on this CPU"};
    }
    return {true, {}};
  } catch (const dnnl::error& e) {
    return {false, "oneDNN has no " + std::string(dtype_name(p.dtype())) + " matmul for this CPU (" + e.what() + ")"};
  }
}

Expected<std::unique_ptr<Workload>> make_onednn_gemm(const GemmProblem& p, const std::vector<HostTensor>& inputs) {
  try {
    return std::unique_ptr<Workload>(std::make_unique<OneDnnGemm>(p, inputs));
  } catch (const dnnl::error& e) {
    return run_failure(std::string("oneDNN matmul set-up failed for ") + p.to_string() + ": " + e.what());
  }
}

}  // namespace tb
