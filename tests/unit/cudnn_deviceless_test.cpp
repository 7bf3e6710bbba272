// Does cuDNN have an engine for our attention graph on an H100 and an A100?
// Asked without a GPU: cuDNN (9.8+) takes a device's properties as JSON, and
// its engine heuristics and support checks run against them. Those checks
// load a libcuda, so ctest runs this executable with the CUDA toolkit's stub
// driver first on the loader path (tests/unit/CMakeLists.txt); the stub cannot
// load kernels, so plans are not finalized here: that needs the GPU.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <string>

#include "backends/cuda/cudnn_sdpa.h"
#include "support/problem_helpers.h"

namespace tb::cuda {
namespace {

// cudaDeviceProp figures of the two cards, in cuDNN's JSON form of
// CUDNN_BACKEND_DEVICEPROP_DESCRIPTOR (deviceVer: compute capability x 100).
std::string device_json(const std::string& name, int version, int sms, long long shared_optin, long long l2,
                        long long memory, int sm_khz) {
  return "{\"cudaDeviceId\":0,\"deviceName\":\"" + name + "\",\"deviceVer\":" + std::to_string(version) +
         ",\"driverVer\":13000,\"isTccDriver\":0,\"l2CacheSize\":" + std::to_string(l2) +
         ",\"maxCtasPerSM\":32,\"maxRegistersPerSM\":65536,\"maxSharedMemoryPerBlock\":49152,"
         "\"maxSharedMemoryPerBlockOptin\":" + std::to_string(shared_optin) +
         ",\"maxThreadsPerBlock\":1024,\"maxThreadsPerSM\":2048,\"memClockRateKHz\":2619000,"
         "\"multiProcessorCount\":" + std::to_string(sms) +
         ",\"pciDeviceId\":0,\"regsPerBlock\":65536,\"reservedSharedMemoryPerBlock\":1024,"
         "\"smClockRateKHz\":" + std::to_string(sm_khz) +
         ",\"supportCoopLaunch\":1,\"totalGlobalMem\":" + std::to_string(memory) +
         ",\"warpSize\":32,\"maxBlockSize\":[1024,1024,64],\"maxGridSize\":[2147483647,65535,65535]}";
}
const std::string kH100 = device_json("NVIDIA H100 80GB HBM3", 900, 132, 232448, 52428800, 85031714816LL, 1980000);
const std::string kA100 = device_json("NVIDIA A100-SXM4-80GB", 800, 108, 166912, 41943040, 85031714816LL, 1410000);

AttentionShape shape(std::int64_t h, std::int64_t kvh, std::int64_t s, std::int64_t d, bool causal) {
  return attention_shape(4, h, kvh, s, s, d, causal, 0.088f);
}

class CudnnDeviceless : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto& lib = default_cudnn();
    if (!lib.ok()) GTEST_SKIP() << "no cuDNN: " << lib.error().message;
    if (dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL) == nullptr) {
      GTEST_SKIP() << "no libcuda.so.1 (not even the toolkit's stub) on the loader path";
    }
    // cuDNN's support checks load NVRTC and unload it again; kept mapped, its
    // allocations stay reachable from its globals instead of showing up as
    // leaks of an unknown module under LeakSanitizer.
    dlopen("libnvrtc.so.13", RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    lib_ = lib.value();
  }
  // Viable engine configurations for `s` on the device `json` describes.
  std::size_t engines(const std::string& json, const AttentionShape& s, DType dtype) {
    Expected<BackendDescriptor> device = device_properties_from_json(lib_, json);
    EXPECT_TRUE(device.ok()) << device.error().message;
    if (!device.ok()) return 0;
    Expected<SdpaForwardGraph> graph = SdpaForwardGraph::build(lib_, s, dtype);
    EXPECT_TRUE(graph.ok()) << graph.error().message;
    if (!graph.ok()) return 0;
    Expected<SdpaEngineConfigs> found = find_engine_configs(lib_, device.value(), graph.value());
    EXPECT_TRUE(found.ok()) << found.error().message;
    return found.ok() ? found.value().configs.size() : 0;
  }
  std::shared_ptr<const CudnnLibrary> lib_;
};

TEST_F(CudnnDeviceless, TheTargetProblemHasAnEngineOnH100AndA100) {
  // Issue 8's target: bf16, b=4, h=32, s=4096, d=128, causal.
  EXPECT_GE(engines(kH100, shape(32, 32, 4096, 128, true), DType::kBf16), 1u);
  EXPECT_GE(engines(kA100, shape(32, 32, 4096, 128, true), DType::kBf16), 1u);
}

TEST_F(CudnnDeviceless, FullAttentionFp16AndGroupedQueryHaveEngines) {
  EXPECT_GE(engines(kH100, shape(16, 16, 1024, 64, false), DType::kFp16), 1u);
  EXPECT_GE(engines(kH100, shape(32, 8, 2048, 128, true), DType::kBf16), 1u);
}

TEST_F(CudnnDeviceless, AHeadDimensionCudnnCannotTakeHasNone) {
  // The negative control: d=100 is not a multiple of 8, which cuDNN's fused
  // attention requires; the same graph otherwise.
  EXPECT_EQ(engines(kH100, shape(32, 32, 1024, 100, true), DType::kBf16), 0u);
}

TEST_F(CudnnDeviceless, MalformedDevicePropertiesAreAnError) {
  Expected<BackendDescriptor> device = device_properties_from_json(lib_, "{\"deviceVer\": }");
  ASSERT_FALSE(device.ok());
  EXPECT_NE(device.error().message.find("device properties (JSON)"), std::string::npos) << device.error().message;
}

}  // namespace
}  // namespace tb::cuda
