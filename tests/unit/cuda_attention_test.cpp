// The CUDA backend's attention (backends/cuda/cuda_attention.h): which problems
// our kernels take and why not, the device bytes prepare() allocates, and, on a
// machine with a CUDA device, forward and backward runs verified against the
// problem's reference (skipped without a device).
#include <gtest/gtest.h>

#include <cuda_runtime_api.h>

#include <memory>
#include <string>
#include <vector>

#include "backends/cuda/cuda_attention.h"
#include "backends/cuda/cuda_attention_kernels.h"
#include "backends/cuda/cudnn_library.h"
#include "kernels/attention/attention_problem.h"
#include "support/problem_helpers.h"

namespace tb::cuda {
namespace {

constexpr std::uint64_t kSeed = 2468;

Support support(const std::string& text, int major, int minor) {
  const auto p = parse_as<AttentionProblem>(text);
  if (!p) return {false, "<parse error>"};
  return attention_support(*p, major, minor);
}

// ---- Support decisions (no device needed) -----------------------------------------------

TEST(CudaAttentionSupport, Fp16AndBf16HeadDims64And128OnSm80AndSm90) {
  for (const char* dtype : {"fp16", "bf16"}) {
    for (int d : {64, 128}) {
      for (int major : {8, 9}) {
        const std::string text = std::string("attention:b=2,h=8,kvh=2,sq=100,d=") + std::to_string(d) +
                                 ",causal=1,dtype=" + dtype + ",pass=fwdbwd";
        const Support s = support(text, major, 0);
        EXPECT_TRUE(s.supported) << text << " on " << major << ".0: " << s.reason;
      }
    }
  }
  EXPECT_TRUE(support("attention:b=1,h=1,sq=1,d=64,dtype=bf16", 8, 6).supported);  // sm_86 runs sm_80 code
}

TEST(CudaAttentionSupport, Fp32IsRefusedWithTheCpuBackendNamed) {
  const Support s = support("attention:b=1,h=2,sq=16,d=64,dtype=fp32", 9, 0);
  EXPECT_FALSE(s.supported);
  EXPECT_EQ(s.reason, "cuda: fp32 attention is not supported (our kernels take fp16/bf16); use --backend cpu");
}

TEST(CudaAttentionSupport, OtherHeadDimsAreRefused) {
  for (int d : {16, 32, 96, 256}) {
    const Support s = support("attention:b=1,h=2,sq=16,d=" + std::to_string(d) + ",dtype=bf16", 9, 0);
    EXPECT_FALSE(s.supported) << d;
    EXPECT_NE(s.reason.find("d=" + std::to_string(d)), std::string::npos) << s.reason;
    EXPECT_NE(s.reason.find("d=64 or d=128"), std::string::npos) << s.reason;
  }
}

TEST(CudaAttentionSupport, ComputeCapabilityBelow80IsRefused) {
  const Support s = support("attention:b=1,h=2,sq=16,d=64,dtype=fp16", 7, 5);
  EXPECT_FALSE(s.supported);
  EXPECT_NE(s.reason.find("compute capability 8.0 or newer"), std::string::npos) << s.reason;
  EXPECT_NE(s.reason.find("7.5"), std::string::npos) << s.reason;
  EXPECT_TRUE(support("attention:b=1,h=2,sq=16,d=64,dtype=fp16", 8, 0).supported);
}

TEST(CudaAttentionSupport, GridLimitsAreRefused) {
  const Support s = support("attention:b=65536,h=1,sq=1,d=64,dtype=bf16", 9, 0);
  EXPECT_FALSE(s.supported);
  EXPECT_NE(s.reason.find("b <= 65535"), std::string::npos) << s.reason;
}

// ---- Device bytes, hand-computed -------------------------------------------------------

TEST(CudaAttentionDeviceBytes, ForwardIsQKVOAndLse) {
  // q, o: 2*4*8*64 * 2 B = 8192 each; k, v: 2*2*16*64 * 2 B = 8192 each; lse: 2*4*8 * 4 B = 256.
  const auto p = parse_as<AttentionProblem>("attention:b=2,h=4,kvh=2,sq=8,skv=16,d=64,dtype=bf16,pass=fwd");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(attention_device_bytes(*p), 4 * 8192 + 256);
}

TEST(CudaAttentionDeviceBytes, BackwardAddsGradientsDeltaAndFp32DqScratch) {
  // q, o, do, dq: 8192 each; k, v, dk, dv: 8192 each; lse, delta: 256 each;
  // fp32 dQ scratch: 2*4*8*64 * 4 B = 16384. The same for bwd and fwdbwd.
  for (const char* pass : {"bwd", "fwdbwd"}) {
    const auto p = parse_as<AttentionProblem>(std::string("attention:b=2,h=4,kvh=2,sq=8,skv=16,d=64,dtype=fp16,pass=") + pass);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(attention_device_bytes(*p), 8 * 8192 + 2 * 256 + 16384) << pass;
  }
}

TEST(CudaAttentionKernels, LaunchersRefuseDimensionsTheKernelsDoNotTake) {
  // Checked before anything touches the device, so this runs without one.
  AttentionDims dims;
  dims.d = 96;
  EXPECT_EQ(attention_forward(AttentionElement::kBf16, dims, AttentionForwardArgs{}, nullptr), cudaErrorInvalidValue);
  EXPECT_EQ(attention_backward(AttentionElement::kFp16, dims, AttentionBackwardArgs{}, nullptr),
            cudaErrorInvalidValue);
  dims.d = 64;
  dims.h = 3;
  dims.kvh = 2;  // h not a multiple of kvh
  EXPECT_EQ(attention_forward(AttentionElement::kFp16, dims, AttentionForwardArgs{}, nullptr), cudaErrorInvalidValue);
}

// ---- On a device: runs verified against the reference -----------------------------------

// Whether a CUDA device of compute capability >= 8.0 is present; the reason to skip otherwise.
std::string no_device_reason() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) {
    cudaGetLastError();
    return "no CUDA device";
  }
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, 0) != cudaSuccess) return "cudaGetDeviceProperties failed";
  if (prop.major < 8) return "CUDA device below compute capability 8.0";
  return {};
}

class CudaAttentionRun : public ::testing::TestWithParam<std::string> {};

TEST_P(CudaAttentionRun, VerifiesAgainstTheReference) {
  if (const std::string why = no_device_reason(); !why.empty()) GTEST_SKIP() << why;
  const auto p = parse_as<AttentionProblem>(GetParam());
  ASSERT_NE(p, nullptr);
  ASSERT_TRUE(attention_support(*p, 8, 0, AttentionImpl::kTrainbench).supported);
  const std::vector<HostTensor> inputs = p->make_inputs(kSeed);
  Expected<std::unique_ptr<Workload>> w = make_attention_workload(p, inputs, AttentionImpl::kTrainbench);
  ASSERT_TRUE(w.ok()) << w.error().message;
  Workload& workload = **w;
  EXPECT_NE(workload.implementation().find("trainbench flash-attention (CUDA"), std::string::npos);
  ASSERT_TRUE(workload.poison_outputs().ok());
  const Status run = workload.run();
  ASSERT_TRUE(run.ok()) << run.error().message;
  const Status sync = workload.synchronize();
  ASSERT_TRUE(sync.ok()) << sync.error().message;
  const std::vector<HostTensor> outputs = read_back(workload);
  ASSERT_EQ(outputs.size(), p->output_specs().size());
  const Verification v = p->verify(inputs, outputs, kSeed);
  EXPECT_TRUE(v.passed) << GetParam() << ": " << v.metric << " max error " << v.max_error << " (tolerance "
                        << v.tolerance << "), " << v.nonfinite << " non-finite; " << v.detail;

  // A second run (dQ scratch re-zeroed, o and lse rewritten) gives the same verdict.
  ASSERT_TRUE(workload.poison_outputs().ok());
  ASSERT_TRUE(workload.run().ok());
  ASSERT_TRUE(workload.synchronize().ok());
  EXPECT_TRUE(p->verify(inputs, read_back(workload), kSeed).passed) << GetParam() << " (second run)";
}

// Odd lengths (partial tiles: 1, 7, 33, 65), sq != skv both ways (causal
// aligned bottom-right; sq > skv leaves fully masked rows), GQA 2:1 and 4:1,
// fp16 and bf16, d = 64 and 128, every pass.
INSTANTIATE_TEST_SUITE_P(
    Problems, CudaAttentionRun,
    ::testing::Values("attention:b=1,h=1,sq=1,d=64,dtype=fp16,pass=fwd",
                      "attention:b=1,h=2,sq=33,d=64,dtype=bf16,pass=fwd",
                      "attention:b=2,h=4,kvh=2,sq=65,d=128,causal=1,dtype=fp16,pass=fwd",
                      "attention:b=1,h=4,kvh=1,sq=7,skv=70,d=64,causal=1,dtype=bf16,pass=fwd",
                      "attention:b=1,h=2,kvh=1,sq=70,skv=7,d=128,causal=1,dtype=bf16,pass=fwd",
                      "attention:b=1,h=2,sq=33,d=64,dtype=fp16,pass=bwd",
                      "attention:b=1,h=4,kvh=2,sq=65,d=128,causal=1,dtype=bf16,pass=bwd",
                      "attention:b=2,h=4,kvh=1,sq=40,skv=97,d=64,causal=1,dtype=fp16,pass=fwdbwd",
                      "attention:b=1,h=2,kvh=1,sq=97,skv=40,d=128,causal=1,dtype=bf16,pass=fwdbwd",
                      "attention:b=1,h=2,sq=128,d=128,dtype=fp16,pass=fwdbwd"));

// cuDNN's fused forward (--cuda-attention cudnn): causal and not, GQA, fp16
// and bf16, d = 64 and 128, odd lengths.
class CudnnAttentionRun : public ::testing::TestWithParam<std::string> {};

TEST_P(CudnnAttentionRun, VerifiesAgainstTheReference) {
  if (const std::string why = no_device_reason(); !why.empty()) GTEST_SKIP() << why;
  const auto p = parse_as<AttentionProblem>(GetParam());
  ASSERT_NE(p, nullptr);
  const Support s = attention_support(*p, 8, 0, AttentionImpl::kCudnn);
  ASSERT_TRUE(s.supported) << s.reason;
  const std::vector<HostTensor> inputs = p->make_inputs(kSeed);
  Expected<std::unique_ptr<Workload>> w = make_attention_workload(p, inputs, AttentionImpl::kCudnn);
  ASSERT_TRUE(w.ok()) << w.error().message;
  Workload& workload = **w;
  EXPECT_EQ(workload.implementation().rfind("cuDNN 9.", 0), 0u) << workload.implementation();
  ASSERT_TRUE(workload.poison_outputs().ok());
  const Status run = workload.run();
  ASSERT_TRUE(run.ok()) << run.error().message;
  ASSERT_TRUE(workload.synchronize().ok());
  const Verification v = p->verify(inputs, read_back(workload), kSeed);
  EXPECT_TRUE(v.passed) << GetParam() << ": " << v.metric << " max error " << v.max_error << " (tolerance "
                        << v.tolerance << "), " << v.nonfinite << " non-finite; " << v.detail;
}

INSTANTIATE_TEST_SUITE_P(Problems, CudnnAttentionRun,
                         ::testing::Values("attention:b=1,h=2,sq=64,d=64,dtype=fp16,pass=fwd",
                                           "attention:b=2,h=4,kvh=2,sq=65,d=128,causal=1,dtype=bf16,pass=fwd",
                                           "attention:b=1,h=8,kvh=2,sq=256,d=128,causal=1,dtype=fp16,pass=fwd",
                                           "attention:b=1,h=2,sq=100,skv=300,d=64,dtype=bf16,pass=fwd"));

TEST(CudaAttentionImpl, NamesRoundTripAndABadNameIsRefused) {
  for (AttentionImpl impl : {AttentionImpl::kAuto, AttentionImpl::kCudnn, AttentionImpl::kTrainbench}) {
    Expected<AttentionImpl> parsed = parse_attention_impl(attention_impl_name(impl));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(parsed.value(), impl);
  }
  Expected<AttentionImpl> bad = parse_attention_impl("flash3");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kBadInput);
  EXPECT_NE(bad.error().message.find("'flash3': expected auto, cudnn or trainbench"), std::string::npos);
}

TEST(CudaAttentionSupport, CudnnTakesForwardOnlyAndSquareCausal) {
  const auto support_with = [](const std::string& text) {
    const auto p = parse_as<AttentionProblem>(text);
    return p ? attention_support(*p, 9, 0, AttentionImpl::kCudnn) : Support{false, "<parse error>"};
  };
  const Support bwd = support_with("attention:b=1,h=2,sq=16,d=64,dtype=bf16,pass=fwdbwd");
  EXPECT_FALSE(bwd.supported);
  EXPECT_NE(bwd.reason.find("forward only (pass=fwd)"), std::string::npos) << bwd.reason;
  const Support rect = support_with("attention:b=1,h=2,sq=16,skv=32,d=64,causal=1,dtype=bf16,pass=fwd");
  EXPECT_FALSE(rect.supported);
  EXPECT_NE(rect.reason.find("sq=16 != skv=32"), std::string::npos) << rect.reason;
  const Support fp32 = support_with("attention:b=1,h=2,sq=16,d=64,dtype=fp32,pass=fwd");
  EXPECT_FALSE(fp32.supported);
  // Where libcudnn loads (the CI machine's CUDA installation has it), a square
  // causal forward with a head dim our kernels lack is cuDNN's to take.
  const Support d96 = support_with("attention:b=1,h=2,sq=16,d=96,causal=1,dtype=bf16,pass=fwd");
  if (default_cudnn().ok()) {
    EXPECT_TRUE(d96.supported) << d96.reason;
  } else {
    EXPECT_NE(d96.reason.find("cuDNN"), std::string::npos) << d96.reason;
  }
  // Our kernels alone keep their own rules.
  const auto p = parse_as<AttentionProblem>("attention:b=1,h=2,sq=16,d=96,dtype=bf16,pass=fwd");
  ASSERT_NE(p, nullptr);
  EXPECT_FALSE(attention_support(*p, 9, 0, AttentionImpl::kTrainbench).supported);
}

TEST(CudaAttentionRunPoison, OutputsARunNeverWroteFailVerification) {
  if (const std::string why = no_device_reason(); !why.empty()) GTEST_SKIP() << why;
  const auto p = parse_as<AttentionProblem>("attention:b=1,h=2,sq=16,d=64,dtype=bf16,pass=fwdbwd");
  ASSERT_NE(p, nullptr);
  const std::vector<HostTensor> inputs = p->make_inputs(kSeed);
  Expected<std::unique_ptr<Workload>> w = make_attention_workload(p, inputs);
  ASSERT_TRUE(w.ok()) << w.error().message;
  ASSERT_TRUE((*w)->poison_outputs().ok());
  ASSERT_TRUE((*w)->synchronize().ok());
  const Verification v = p->verify(inputs, read_back(**w), kSeed);
  EXPECT_FALSE(v.passed);
  EXPECT_GT(v.nonfinite, 0);
}

}  // namespace
}  // namespace tb::cuda
