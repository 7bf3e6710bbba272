// The CUDA backend (docs/cuda.md). Without a GPU (this CI): the unavailable
// path, error formatting, the dtype and GPU tables, cuBLASLt loading and the
// cold-cache sizing. With a GPU: GEMMs verified against the reference, the
// out-of-memory message and the event timer; these skip without a device.
#include <gtest/gtest.h>

#include <cmath>
#include <optional>

#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "backends/backend_registry.h"
#include "backends/cuda/cublaslt_library.h"
#include "backends/cuda/cuda_backend.h"
#include "backends/cuda/cuda_device.h"
#include "backends/cuda/cuda_gemm_workload.h"
#include "backends/cuda/cuda_handles.h"
#include "kernels/gemm/gemm_problem.h"

namespace tb::cuda {
namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// The reason there is no device, or empty when there is one.
std::string no_device_reason() {
  int count = 0;
  const Status s = device_status(&count);
  return s.ok() ? std::string() : s.error().message;
}

#define SKIP_WITHOUT_GPU()                                                   \
  do {                                                                       \
    const std::string tb_reason_ = no_device_reason();                       \
    if (!tb_reason_.empty()) GTEST_SKIP() << "needs a CUDA GPU: " << tb_reason_; \
  } while (0)

TEST(CudaCheck, FormatsErrorNameAndText) {
  const Status s = check(cudaErrorIllegalAddress, "cudaMemcpyAsync");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kRunFailure);
  EXPECT_EQ(s.error().message, "cudaMemcpyAsync failed: cudaErrorIllegalAddress (an illegal memory access was encountered)");
  EXPECT_TRUE(check(cudaSuccess, "cudaMemcpyAsync").ok());
}

TEST(CudaCheck, AllocationFailureNamesTheBytes) {
  const Status s = check(cudaErrorMemoryAllocation, "cudaMalloc", 4096);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, "cudaMalloc of 4096 B failed: cudaErrorMemoryAllocation (out of memory)");
  EXPECT_EQ(check(cudaErrorMemoryAllocation, "cudaMalloc").error().message,
            "cudaMalloc failed: cudaErrorMemoryAllocation (out of memory)");
}

TEST(CudaDevice, DtypeTable) {
  EXPECT_TRUE(dtype_support_on(DType::kBf16, 8, 0).supported);
  EXPECT_TRUE(dtype_support_on(DType::kFp16, 8, 0).supported);
  EXPECT_TRUE(dtype_support_on(DType::kFp32, 9, 0).supported);
  const Support turing = dtype_support_on(DType::kBf16, 7, 5);
  EXPECT_FALSE(turing.supported);
  EXPECT_EQ(turing.reason, "bf16 needs compute capability 8.0+ (Ampere); this device is 7.5");
  const Support a100 = dtype_support_on(DType::kFp8E4m3, 8, 0);
  EXPECT_FALSE(a100.supported);
  EXPECT_EQ(a100.reason, "fp8 needs compute capability 8.9+ (Ada/Hopper); this device is 8.0");
  EXPECT_FALSE(dtype_support_on(DType::kFp8E4m3, 8, 6).supported);
  EXPECT_TRUE(dtype_support_on(DType::kFp8E4m3, 8, 9).supported);
  EXPECT_TRUE(dtype_support_on(DType::kFp8E4m3, 9, 0).supported);
  EXPECT_TRUE(dtype_support_on(DType::kFp8E4m3, 10, 0).supported);
}

TEST(CudaGemm, Fp8SupportNeedsSm89AndCublasLtsTnLayout) {
  // Row-major ta=0, tb=1 is cuBLASLt's "TN" (its A = our B, transposed; its B = our A, not).
  const GemmProblem tn(128, 64, 256, false, true, DType::kFp8E4m3);
  EXPECT_TRUE(gemm_support(tn, 9, 0).supported) << gemm_support(tn, 9, 0).reason;
  EXPECT_TRUE(gemm_support(tn, 8, 9).supported);
  const Support sm80 = gemm_support(tn, 8, 0);
  EXPECT_FALSE(sm80.supported);
  EXPECT_EQ(sm80.reason, "fp8 needs compute capability 8.9+ (Ada/Hopper); this device is 8.0");
  for (const auto& [ta, tb] : std::vector<std::pair<bool, bool>>{{false, false}, {true, false}, {true, true}}) {
    const GemmProblem other(128, 64, 256, ta, tb, DType::kFp8E4m3);
    const Support s = gemm_support(other, 9, 0);
    EXPECT_FALSE(s.supported) << other.to_string();
    EXPECT_TRUE(contains(s.reason, "cuBLASLt fp8 needs the TN format: row-major ta=0,tb=1")) << s.reason;
    EXPECT_TRUE(contains(s.reason, "this problem has ta=" + std::to_string(ta) + ",tb=" + std::to_string(tb)))
        << s.reason;
    // Other dtypes take every transpose.
    EXPECT_TRUE(gemm_support(GemmProblem(128, 64, 256, ta, tb, DType::kBf16), 9, 0).supported);
  }
  const Support odd_k = gemm_support(GemmProblem(128, 64, 72, false, true, DType::kFp8E4m3), 9, 0);
  EXPECT_FALSE(odd_k.supported);
  EXPECT_TRUE(contains(odd_k.reason, "multiples of 16 B")) << odd_k.reason;
  EXPECT_TRUE(contains(odd_k.reason, "k=72, n=64")) << odd_k.reason;
  EXPECT_FALSE(gemm_support(GemmProblem(128, 68, 64, false, true, DType::kFp8E4m3), 9, 0).supported);  // n % 8
  EXPECT_TRUE(gemm_support(GemmProblem(1, 8, 16, false, true, DType::kFp8E4m3), 9, 0).supported);     // m is free
  EXPECT_FALSE(gemm_support(GemmProblem(8, 8, 8, false, false, DType::kFp32), 7, 5).supported);
}

TEST(CudaDevice, GpuTableByName) {
  const GpuSpec* h100 = find_gpu_spec("NVIDIA H100 80GB HBM3");
  ASSERT_NE(h100, nullptr);
  EXPECT_STREQ(h100->model, "NVIDIA H100 SXM");
  EXPECT_DOUBLE_EQ(h100->bf16_tflops, 989.0);
  EXPECT_DOUBLE_EQ(h100->memory_bandwidth_bytes_per_s, 3.35e12);
  const GpuSpec* h200 = find_gpu_spec("NVIDIA H200");
  ASSERT_NE(h200, nullptr);
  EXPECT_STREQ(h200->model, "NVIDIA H200 SXM");
  EXPECT_DOUBLE_EQ(h200->memory_bandwidth_bytes_per_s, 4.8e12);
  const GpuSpec* a100 = find_gpu_spec("NVIDIA A100-SXM4-80GB");
  ASSERT_NE(a100, nullptr);
  EXPECT_DOUBLE_EQ(a100->tf32_tflops, 156.0);
  EXPECT_EQ(find_gpu_spec("NVIDIA H100 PCIe"), nullptr) << "PCIe has lower clocks: not the SXM figures";
  EXPECT_EQ(find_gpu_spec("NVIDIA GeForce RTX 4090"), nullptr);
}

TEST(CudaDevice, SpecPeaks) {
  DeviceInfo info;
  fill_spec_peaks(find_gpu_spec("NVIDIA H100 80GB HBM3"), "NVIDIA H100 80GB HBM3", false, info);
  EXPECT_DOUBLE_EQ(info.peak_flop_per_s.at(DType::kFp32), 67e12);
  EXPECT_DOUBLE_EQ(info.peak_flop_per_s.at(DType::kBf16), 989e12);
  EXPECT_DOUBLE_EQ(info.peak_flop_per_s.at(DType::kFp16), 989e12);
  EXPECT_DOUBLE_EQ(info.peak_flop_per_s.at(DType::kFp8E4m3), 1979e12);
  DeviceInfo a100;
  fill_spec_peaks(find_gpu_spec("NVIDIA A100-SXM4-80GB"), "NVIDIA A100-SXM4-80GB", false, a100);
  EXPECT_EQ(a100.peak_flop_per_s.count(DType::kFp8E4m3), 0u) << "A100 has no fp8";
  EXPECT_DOUBLE_EQ(a100.peak_flop_per_s.at(DType::kBf16), 312e12);
  EXPECT_TRUE(contains(info.peak_source, "spec: NVIDIA H100 datasheet")) << info.peak_source;
  DeviceInfo tf32;
  fill_spec_peaks(find_gpu_spec("NVIDIA H100 80GB HBM3"), "NVIDIA H100 80GB HBM3", true, tf32);
  EXPECT_DOUBLE_EQ(tf32.peak_flop_per_s.at(DType::kFp32), 495e12);
  DeviceInfo unknown;
  fill_spec_peaks(nullptr, "NVIDIA GeForce RTX 4090", false, unknown);
  EXPECT_TRUE(unknown.peak_flop_per_s.empty());
  EXPECT_EQ(unknown.memory_bandwidth_bytes_per_s, 0.0);
  EXPECT_TRUE(contains(unknown.peak_source, "unknown: 'NVIDIA GeForce RTX 4090'")) << unknown.peak_source;
}

TEST(CudaDevice, MeasuredCopyBecomesTheMemoryCeilingNamingTheSpec) {
  DeviceInfo info;
  fill_spec_peaks(find_gpu_spec("NVIDIA H100 80GB HBM3"), "NVIDIA H100 80GB HBM3", false, info);
  const double spec = info.memory_bandwidth_bytes_per_s;
  ASSERT_GT(spec, 0.0);
  use_measured_memory_ceiling(3.0e12, info);
  EXPECT_DOUBLE_EQ(info.memory_bandwidth_bytes_per_s, 3.0e12);
  int sources = 0;
  for (const auto& [key, value] : info.properties) {
    if (key != "memory_bandwidth_source") continue;
    ++sources;
    EXPECT_TRUE(contains(value, "measured: device-to-device copy")) << value;
    EXPECT_TRUE(contains(value, "HBM spec " + std::to_string(static_cast<int>(spec / 1e9)))) << value;
  }
  EXPECT_EQ(sources, 1) << "the spec source line is replaced, not repeated";
  DeviceInfo unknown;
  use_measured_memory_ceiling(1.0e12, unknown);
  EXPECT_DOUBLE_EQ(unknown.memory_bandwidth_bytes_per_s, 1.0e12);
}

TEST(CublasLt, LoadsFromTheToolkit) {
  Expected<std::shared_ptr<const CublasLtLibrary>> lib = open_cublaslt();
  ASSERT_TRUE(lib.ok()) << lib.error().message;  // the CUDA toolkit is installed wherever this test is built
  EXPECT_TRUE(contains((*lib)->version(), "cuBLASLt 13.")) << (*lib)->version();
  EXPECT_TRUE(contains((*lib)->loaded_from(), "libcublasLt.so")) << (*lib)->loaded_from();
}

TEST(CublasLt, MissingLibraryListsEveryPlaceTried) {
  Expected<std::shared_ptr<const CublasLtLibrary>> lib = open_cublaslt({"libtb-no-such-cublaslt.so.13"});
  ASSERT_FALSE(lib.ok());
  const std::string& m = lib.error().message;
  EXPECT_EQ(lib.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(contains(m, "no usable cuBLASLt: tried ")) << m;
  EXPECT_TRUE(contains(m, "[loader search path] cannot load 'libtb-no-such-cublaslt.so.13'")) << m;
  EXPECT_TRUE(contains(m, "[default install] cannot load '/usr/local/cuda/lib64/libtb-no-such-cublaslt.so.13'")) << m;
  EXPECT_TRUE(contains(m, "TRAINBENCH_CUDA_LIB_DIR")) << m;
}

TEST(CublasLt, SearchOrder) {
  const std::vector<LibraryCandidate> c = cuda_library_search_order({"x.so.13", "x.so"}, "", "/cuda");
  ASSERT_EQ(c.size(), 10u);
  EXPECT_EQ(c[0].path, "x.so.13");
  EXPECT_EQ(c[0].source, "loader search path");
  EXPECT_EQ(c[1].path, "x.so");
  EXPECT_EQ(c[2].path, "/cuda/lib64/x.so.13");
  EXPECT_EQ(c[2].source, "CUDA_HOME");
  EXPECT_EQ(c[4].path, "/cuda/lib/x.so.13");
  EXPECT_EQ(c[6].path, "/usr/local/cuda/lib64/x.so.13");
  EXPECT_EQ(c[8].path, "/usr/local/cuda/lib/x.so.13");
  EXPECT_EQ(cuda_library_search_order({"x.so"}, "", "").size(), 3u) << "an unset CUDA_HOME adds no places";
  const std::vector<LibraryCandidate> chosen = cuda_library_search_order({"x.so.13", "x.so"}, "/opt/lib", "/cuda");
  ASSERT_EQ(chosen.size(), 2u) << "TRAINBENCH_CUDA_LIB_DIR is used alone";
  EXPECT_EQ(chosen[0].path, "/opt/lib/x.so.13");
  EXPECT_EQ(chosen[0].source, "TRAINBENCH_CUDA_LIB_DIR");
  EXPECT_EQ(chosen[1].path, "/opt/lib/x.so");
}

TEST(CudaGemm, FastestCandidateSkipsFailuresAndKeepsTheHeuristicOrderOnTies) {
  EXPECT_EQ(fastest_candidate({3e-3, 2e-3, 2.5e-3}), std::optional<std::size_t>(1));
  EXPECT_EQ(fastest_candidate({2e-3, 2e-3}), std::optional<std::size_t>(0)) << "a tie keeps the earlier";
  const double nan = std::nan("");
  EXPECT_EQ(fastest_candidate({nan, 5e-3, 0.0, -1.0, INFINITY}), std::optional<std::size_t>(1))
      << "failed candidates (NaN, inf, zero, negative) are never chosen";
  EXPECT_EQ(fastest_candidate({nan, nan}), std::nullopt);
  EXPECT_EQ(fastest_candidate({}), std::nullopt);
}

TEST(CudaGemm, ColdCacheSetsCoverTwiceTheL2) {
  const GemmProblem p(1024, 1024, 1024, false, false, DType::kFp32);  // 12 MiB per set
  GemmOptions options;
  options.l2_bytes = 50 << 20;
  EXPECT_EQ(gemm_operand_sets(p, options), 1) << "no rotation unless asked";
  options.rotate_buffers = true;
  EXPECT_EQ(gemm_operand_sets(p, options), 9);  // ceil(100 MiB / 12 MiB)
  EXPECT_EQ(gemm_device_bytes(p, options), 9 * (12 << 20) + static_cast<std::int64_t>(kGemmWorkspaceBytes));
}

TEST(CudaGemm, Fp8OperandsTakeOneByteAndCTwo) {
  const GemmProblem p(1024, 1024, 1024, false, true, DType::kFp8E4m3);  // 1 + 1 + 2 MiB per set
  GemmOptions options;
  EXPECT_EQ(gemm_device_bytes(p, options), (4 << 20) + static_cast<std::int64_t>(kGemmWorkspaceBytes));
}

TEST(CudaBackend, UnavailableWithoutDeviceSaysWhy) {
  const std::string reason = no_device_reason();
  if (reason.empty()) GTEST_SKIP() << "a CUDA device is present";
  EXPECT_TRUE(contains(reason, "no CUDA device: cudaGetDeviceCount: cudaError")) << reason;
  Expected<std::unique_ptr<Backend>> backend = create_backend("cuda", BackendOptions{});
  ASSERT_FALSE(backend.ok());
  EXPECT_EQ(backend.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(backend.error().message, reason);
}

// ---- GPU only ----

std::unique_ptr<Backend> gpu_backend() {
  Expected<std::unique_ptr<Backend>> backend = create_backend("cuda", BackendOptions{});
  if (!backend.ok()) {
    ADD_FAILURE() << backend.error().message;
    return nullptr;
  }
  return std::move(backend).value();
}

// One verified run of `problem` on `backend`: prepare, poison, run, read back,
// verify with the workload's input precision; the first step that fails, as an error.
struct VerifiedRun {
  Verification verification;
  std::string implementation;
  double input_unit_roundoff = 0.0;
  DType output_dtype = DType::kFp32;
};
Expected<VerifiedRun> run_verified(Backend& backend, const ProblemPtr& problem) {
  constexpr std::uint64_t kSeed = 1234;
  const std::vector<HostTensor> inputs = problem->make_inputs(kSeed);
  TB_ASSIGN_OR_RETURN(std::unique_ptr<Workload> w, backend.prepare(problem, inputs));
  TB_RETURN_IF_ERROR(w->poison_outputs());
  TB_RETURN_IF_ERROR(w->run());
  TB_RETURN_IF_ERROR(w->synchronize());
  TB_ASSIGN_OR_RETURN(std::vector<HostTensor> out, w->read_outputs());
  VerifiedRun r;
  r.input_unit_roundoff = w->input_unit_roundoff();
  r.verification = problem->verify_with_input_precision(inputs, out, kSeed, r.input_unit_roundoff);
  r.implementation = w->implementation();
  r.output_dtype = out.at(0).spec.dtype;
  return r;
}

class CudaGemmVerify : public ::testing::TestWithParam<std::tuple<DType, bool, bool>> {};

TEST_P(CudaGemmVerify, MatchesReference) {
  SKIP_WITHOUT_GPU();
  const auto [dtype, ta, tb] = GetParam();
  std::unique_ptr<Backend> backend = gpu_backend();
  ASSERT_NE(backend, nullptr);
  for (const auto& [m, n, k] : std::vector<std::tuple<int, int, int>>{{1, 1, 1}, {96, 80, 72}, {128, 64, 256}}) {
    const ProblemPtr problem = std::make_shared<GemmProblem>(m, n, k, ta, tb, dtype);
    ASSERT_TRUE(backend->supports(*problem).supported) << backend->supports(*problem).reason;
    const Expected<VerifiedRun> r = run_verified(*backend, problem);
    ASSERT_TRUE(r.ok()) << problem->to_string() << ": " << r.error().message;
    EXPECT_TRUE(r->verification.passed) << problem->to_string() << " (" << r->implementation
                                        << "): " << r->verification.detail;
  }
}

INSTANTIATE_TEST_SUITE_P(AllDtypesAndTransposes, CudaGemmVerify,
                         ::testing::Combine(::testing::Values(DType::kFp32, DType::kBf16, DType::kFp16),
                                            ::testing::Bool(), ::testing::Bool()));

// fp8 (e4m3 in, bf16 out) in cuBLASLt's one fp8 layout (row-major ta=0, tb=1), on sm_89+;
// sizes keep K a multiple of 16 and N of 8. Other transposes are unsupported, not failed.
TEST(CudaGpu, Fp8GemmMatchesReference) {
  SKIP_WITHOUT_GPU();
  std::unique_ptr<Backend> backend = gpu_backend();
  ASSERT_NE(backend, nullptr);
  const ProblemPtr first = std::make_shared<GemmProblem>(16, 16, 16, false, true, DType::kFp8E4m3);
  if (!backend->supports(*first).supported) GTEST_SKIP() << backend->supports(*first).reason;
  for (const auto& [m, n, k] :
       std::vector<std::tuple<int, int, int>>{{16, 16, 16}, {96, 80, 64}, {128, 64, 256}, {256, 512, 4096}}) {
    const ProblemPtr problem = std::make_shared<GemmProblem>(m, n, k, false, true, DType::kFp8E4m3);
    ASSERT_TRUE(backend->supports(*problem).supported) << backend->supports(*problem).reason;
    const Expected<VerifiedRun> r = run_verified(*backend, problem);
    ASSERT_TRUE(r.ok()) << problem->to_string() << ": " << r.error().message;
    EXPECT_EQ(r->output_dtype, DType::kBf16);
    EXPECT_TRUE(r->verification.passed) << problem->to_string() << " (" << r->implementation
                                        << "): " << r->verification.detail;
    EXPECT_EQ(r->input_unit_roundoff, 0.0);
  }
  const Support nn = backend->supports(GemmProblem(64, 64, 64, false, false, DType::kFp8E4m3));
  EXPECT_FALSE(nn.supported);
  EXPECT_TRUE(contains(nn.reason, "cuda: cuBLASLt fp8 needs the TN format")) << nn.reason;
}

// --cuda-tf32: the workload reports TF32's input precision and verifies under the widened tolerance.
TEST(CudaGpu, Tf32GemmVerifiesWithTheTf32Tolerance) {
  SKIP_WITHOUT_GPU();
  BackendOptions options;
  options.values["--cuda-tf32"] = "true";
  Expected<std::unique_ptr<Backend>> backend = create_backend("cuda", options);
  ASSERT_TRUE(backend.ok()) << backend.error().message;
  const ProblemPtr problem = std::make_shared<GemmProblem>(256, 256, 4096, false, false, DType::kFp32);
  const Expected<VerifiedRun> r = run_verified(**backend, problem);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->input_unit_roundoff, 0x1p-11);
  EXPECT_TRUE(r->verification.passed) << r->implementation << ": " << r->verification.detail;
}

TEST(CudaGpu, OutOfMemoryNamesTheBytes) {
  SKIP_WITHOUT_GPU();
  ASSERT_TRUE(check(cudaSetDevice(0), "cudaSetDevice").ok());
  const std::size_t huge = std::size_t{1} << 50;  // 1 PiB
  Expected<DeviceBuffer> buffer = DeviceBuffer::allocate(huge);
  ASSERT_FALSE(buffer.ok());
  EXPECT_TRUE(contains(buffer.error().message, "cudaMalloc of 1125899906842624 B failed: ")) << buffer.error().message;
  EXPECT_TRUE(contains(buffer.error().message, " B free of ")) << buffer.error().message;
}

TEST(CudaGpu, EventTimerIsPositive) {
  SKIP_WITHOUT_GPU();
  std::unique_ptr<Backend> backend = gpu_backend();
  ASSERT_NE(backend, nullptr);
  const ProblemPtr problem = std::make_shared<GemmProblem>(1024, 1024, 1024, false, false, DType::kBf16);
  Expected<std::unique_ptr<Workload>> w = backend->prepare(problem, problem->make_inputs(1));
  ASSERT_TRUE(w.ok()) << w.error().message;
  std::unique_ptr<DeviceTimer> timer = (*w)->make_timer();
  ASSERT_TRUE(timer->start().ok());
  ASSERT_TRUE((*w)->run().ok());
  ASSERT_TRUE(timer->stop().ok());
  Expected<double> s = timer->elapsed_seconds();
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_GT(*s, 0.0);
  EXPECT_LT(*s, 1.0);
}

TEST(CudaGpu, DeviceInfo) {
  SKIP_WITHOUT_GPU();
  std::unique_ptr<Backend> backend = gpu_backend();
  ASSERT_NE(backend, nullptr);
  const DeviceInfo info = backend->device_info();
  EXPECT_EQ(info.kind, "gpu");
  EXPECT_GT(info.compute_units, 0);
  EXPECT_GT(info.memory_bytes, 0);
  EXPECT_FALSE(info.peak_source.empty());
}

}  // namespace
}  // namespace tb::cuda
