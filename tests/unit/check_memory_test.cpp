// runner::check_memory and runner::validate: refusing work before anything is allocated.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "backends/backend_registry.h"
#include "kernels/gemm/gemm_problem.h"
#include "runner/runner.h"

namespace tb {
namespace {

std::unique_ptr<Backend> cpu_backend() {
  BackendOptions options;
  options.threads = 2;
  Expected<std::unique_ptr<Backend>> backend = create_backend("cpu", options);
  if (!backend.ok()) {
    ADD_FAILURE() << backend.error().message;
    return nullptr;
  }
  return std::move(backend).value();
}

TEST(CheckMemoryTest, HugeGemmIsRefusedNamingTheBytes) {
  std::unique_ptr<Backend> backend = cpu_backend();
  ASSERT_NE(backend, nullptr);
  const DeviceInfo device = backend->device_info();
  const ProblemPtr huge = std::make_shared<GemmProblem>(2000000, 2000000, 2000000, false, false, DType::kFp32);
  const Status s = check_memory(*backend, device, {huge});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kBadInput);
  EXPECT_NE(s.error().message.find("bytes"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find(huge->to_string()), std::string::npos) << s.error().message;
  // Host copy plus the backend's copy, 3 * (2e6)^2 * 4 B each: 96,000,000,000,000 bytes.
  EXPECT_NE(s.error().message.find("96000000000000 bytes"), std::string::npos) << s.error().message;
}

TEST(CheckMemoryTest, SmallProblemsFitAndOnlyTheOffenderIsNamed) {
  std::unique_ptr<Backend> backend = cpu_backend();
  ASSERT_NE(backend, nullptr);
  DeviceInfo device;
  device.name = "test device";
  device.memory_bytes = 1000;
  device.shares_host_memory = true;
  // 2*2*2 fp32 GEMM: 3 * 16 B = 48 B on the host, 48 B in the backend: 96 B.
  const ProblemPtr small = std::make_shared<GemmProblem>(2, 2, 2, false, false, DType::kFp32);
  EXPECT_TRUE(check_memory(*backend, device, {small}).ok());
  // 8*8*8 fp32: 3 * 256 B = 768 B twice = 1536 B > 1000 B.
  const ProblemPtr bigger = std::make_shared<GemmProblem>(8, 8, 8, false, false, DType::kFp32);
  const Status s = check_memory(*backend, device, {small, bigger});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("gemm:m=8,n=8,k=8"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("1536 bytes"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("test device"), std::string::npos) << s.error().message;
  // A device with its own memory only needs the backend's buffers: 768 B fit.
  device.shares_host_memory = false;
  EXPECT_TRUE(check_memory(*backend, device, {bigger}).ok());
}

TEST(CheckMemoryTest, UnsupportedProblemsAreNotCounted) {
  BackendOptions options;
  options.threads = 2;
  Expected<std::unique_ptr<Backend>> eigen = create_backend("cpu-eigen", options);
  ASSERT_TRUE(eigen.ok());
  DeviceInfo device;
  device.memory_bytes = 1000;
  device.shares_host_memory = true;
  // Eigen skips bf16, so this huge bf16 problem is never allocated.
  const ProblemPtr huge_bf16 = std::make_shared<GemmProblem>(2000000, 2000000, 2000000, false, false, DType::kBf16);
  EXPECT_TRUE(check_memory(**eigen, device, {huge_bf16}).ok());
}

TEST(ValidateOptionsTest, DefaultsAreValidAndOutOfRangeValuesNameTheOption) {
  EXPECT_TRUE(validate(RunOptions{}).ok());
  struct Case {
    RunOptions options;
    std::string needle;
  };
  std::vector<Case> cases;
  RunOptions o;
  o.repetitions = 0;
  cases.push_back({o, "--repetitions 0"});
  o = {};
  o.repetitions = 1001;
  cases.push_back({o, "--repetitions 1001"});
  o = {};
  o.min_time_s = 0.0;
  cases.push_back({o, "--min-time"});
  o = {};
  o.warmup_time_s = -1.0;
  cases.push_back({o, "--warmup-time"});
  o = {};
  o.threads = -1;
  cases.push_back({o, "--threads -1"});
  for (const Case& c : cases) {
    const Status s = validate(c.options);
    ASSERT_FALSE(s.ok()) << c.needle;
    EXPECT_EQ(s.error().code, ErrorCode::kBadInput);
    EXPECT_NE(s.error().message.find(c.needle), std::string::npos) << s.error().message;
  }
}

}  // namespace
}  // namespace tb
