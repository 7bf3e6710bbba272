// cuDNN fused attention (backends/cuda/cudnn_sdpa.h): loading libcudnn, and
// building the forward graph's tensors and operations, which cuDNN checks and
// finalizes without a GPU. The plan (operation graph, engines) needs a device
// and is exercised by the CUDA attention tests on a GPU.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "backends/cuda/cudnn_graph.h"
#include "backends/cuda/cudnn_library.h"
#include "backends/cuda/cudnn_sdpa.h"
#include "support/problem_helpers.h"

namespace tb::cuda {
namespace {

// libcudnn is part of the CUDA installation CI builds with; without it these
// tests have nothing to check and say so.
std::shared_ptr<const CudnnLibrary> cudnn_or_skip(std::string* why) {
  Expected<std::shared_ptr<const CudnnLibrary>> lib = open_cudnn();
  if (!lib.ok()) {
    *why = lib.error().message;
    return nullptr;
  }
  return std::move(lib).value();
}

#define SKIP_WITHOUT_CUDNN(lib)                                  \
  std::string why_skipped;                                        \
  const auto lib = cudnn_or_skip(&why_skipped);                   \
  if (!lib) GTEST_SKIP() << "no cuDNN: " << why_skipped

AttentionShape shape(std::int64_t h, std::int64_t kvh, std::int64_t s, std::int64_t d, bool causal) {
  return attention_shape(2, h, kvh, s, s, d, causal, 0.125f);
}

TEST(CudnnLibrary, LoadsVersionNineOrNewer) {
  SKIP_WITHOUT_CUDNN(lib);
  EXPECT_EQ(lib->version().rfind("cuDNN 9.", 0), 0u) << lib->version();
  EXPECT_FALSE(lib->loaded_from().empty());
}

TEST(CudnnLibrary, MissingLibraryNamesEveryPlaceTried) {
  Expected<std::shared_ptr<const CudnnLibrary>> lib = open_cudnn({"libtrainbench-no-such-cudnn.so"});
  ASSERT_FALSE(lib.ok());
  EXPECT_EQ(lib.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(lib.error().message.find("no usable cuDNN"), std::string::npos) << lib.error().message;
  EXPECT_NE(lib.error().message.find("libtrainbench-no-such-cudnn.so"), std::string::npos) << lib.error().message;
  EXPECT_NE(lib.error().message.find("loader search path"), std::string::npos) << lib.error().message;
}

TEST(CudnnLibrary, ALibraryWithoutTheEntryPointsIsNotCudnn) {
  Expected<std::shared_ptr<const CudnnLibrary>> lib = CudnnLibrary::open("libm.so.6");
  ASSERT_FALSE(lib.ok());
  EXPECT_NE(lib.error().message.find("is not cuDNN: symbol cudnnGetVersion missing"), std::string::npos)
      << lib.error().message;
}

TEST(CudnnGraph, BadAttributeNamesTheDescriptorAndAttribute) {
  SKIP_WITHOUT_CUDNN(lib);
  Expected<BackendDescriptor> t = BackendDescriptor::create(lib, CUDNN_BACKEND_TENSOR_DESCRIPTOR, "tensor x");
  ASSERT_TRUE(t.ok()) << t.error().message;
  // A tensor with no dimensions cannot be finalized.
  const Status s = t.value().finalize();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("cudnnBackendFinalize (tensor x) failed: CUDNN_STATUS_"), std::string::npos)
      << s.error().message;
}

TEST(CudnnSdpaGraph, BuildsEveryOperationForCausalAndFullAttention) {
  SKIP_WITHOUT_CUDNN(lib);
  for (DType dtype : {DType::kBf16, DType::kFp16}) {
    for (bool causal : {false, true}) {
      Expected<SdpaForwardGraph> g = SdpaForwardGraph::build(lib, shape(8, 8, 256, 128, causal), dtype);
      ASSERT_TRUE(g.ok()) << dtype_name(dtype) << " causal=" << causal << ": " << g.error().message;
      const std::vector<std::string>& roles = g.value().operation_roles();
      // qk, scale, [row, col, compare, select], max, subtract, exp, sum, log, lse, normalize, pv
      EXPECT_EQ(roles.size(), causal ? 14u : 10u);
      EXPECT_EQ(roles.front(), "qk");
      EXPECT_EQ(roles.back(), "pv");
      EXPECT_EQ(std::count(roles.begin(), roles.end(), "causal_select"), causal ? 1 : 0);
      EXPECT_EQ(g.value().operations().size(), roles.size());
    }
  }
}

TEST(CudnnSdpaGraph, BuildsGroupedQueryAndTheTargetShape) {
  SKIP_WITHOUT_CUDNN(lib);
  Expected<SdpaForwardGraph> gqa = SdpaForwardGraph::build(lib, shape(32, 8, 512, 64, true), DType::kBf16);
  ASSERT_TRUE(gqa.ok()) << gqa.error().message;
  AttentionShape target = shape(32, 32, 4096, 128, true);  // the b=4,h=32,s=4096,d=128 causal
  target.b = 4;
  Expected<SdpaForwardGraph> big = SdpaForwardGraph::build(lib, target, DType::kBf16);
  ASSERT_TRUE(big.ok()) << big.error().message;
}

TEST(CudnnSdpaGraph, RefusesWhatTheGraphCannotExpress) {
  AttentionShape rect = shape(8, 8, 256, 64, true);
  rect.sq = 128;  // causal with sq != skv: our mask is bottom-right aligned
  EXPECT_NE(sdpa_forward_unsupported_reason(rect, DType::kBf16).find("sq=128 != skv=256"), std::string::npos);
  rect.causal = false;
  EXPECT_EQ(sdpa_forward_unsupported_reason(rect, DType::kBf16), "");
  EXPECT_NE(sdpa_forward_unsupported_reason(shape(8, 8, 64, 64, false), DType::kFp32).find("fp16/bf16, not fp32"),
            std::string::npos);
  SKIP_WITHOUT_CUDNN(lib);
  rect.causal = true;
  Expected<SdpaForwardGraph> g = SdpaForwardGraph::build(lib, rect, DType::kFp16);
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.error().code, ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace tb::cuda
