// The CPU backends end to end on small GEMMs: every supported (backend, dtype,
// shape, transpose) combination must verify against the reference; unsupported
// ones must say why; a workload that never ran must fail verification.
#include <gtest/gtest.h>

#include <memory>
#include <ostream>
#include <string>
#include <tuple>
#include <vector>

#include "backends/backend_registry.h"
#include "kernels/gemm/gemm_problem.h"

namespace tb {

// Readable parameters in gtest's failure messages.
static void PrintTo(DType dtype, std::ostream* os) { *os << dtype_name(dtype); }

namespace {

constexpr std::uint64_t kSeed = 1234;

std::unique_ptr<Backend> make_backend(const std::string& name) {
  BackendOptions options;
  options.threads = 2;
  Expected<std::unique_ptr<Backend>> backend = create_backend(name, options);
  if (!backend.ok()) {
    ADD_FAILURE() << name << ": " << backend.error().message;
    return nullptr;
  }
  return std::move(backend).value();
}

ProblemPtr gemm(std::int64_t m, std::int64_t n, std::int64_t k, bool ta, bool tb, DType dtype) {
  return std::make_shared<GemmProblem>(m, n, k, ta, tb, dtype);
}

// Runs `problem` once on `backend` the way the runner's verification run does.
Verification run_and_verify(Backend& backend, const ProblemPtr& problem, std::string* implementation = nullptr) {
  const std::vector<HostTensor> inputs = problem->make_inputs(kSeed);
  Expected<std::unique_ptr<Workload>> workload = backend.prepare(problem, inputs);
  if (!workload.ok()) {
    ADD_FAILURE() << "prepare " << problem->to_string() << ": " << workload.error().message;
    return {};
  }
  Workload& w = **workload;
  if (implementation) *implementation = w.implementation();
  EXPECT_TRUE(w.poison_outputs().ok());
  const Status run = w.run();
  EXPECT_TRUE(run.ok()) << (run.ok() ? "" : run.error().message);
  EXPECT_TRUE(w.synchronize().ok());
  Expected<std::vector<HostTensor>> outputs = w.read_outputs();
  if (!outputs.ok()) {
    ADD_FAILURE() << "read_outputs: " << outputs.error().message;
    return {};
  }
  const std::vector<TensorSpec> specs = problem->output_specs();
  EXPECT_EQ(outputs->size(), specs.size());
  for (std::size_t i = 0; i < std::min(outputs->size(), specs.size()); ++i) {
    EXPECT_EQ((*outputs)[i].spec.shape, specs[i].shape);
    EXPECT_EQ((*outputs)[i].spec.dtype, specs[i].dtype);
  }
  return problem->verify(inputs, *outputs, kSeed);
}

// ---- Every supported combination verifies -------------------------------------------

struct Shape {
  std::int64_t m, n, k;
};

void PrintTo(const Shape& s, std::ostream* os) { *os << s.m << "x" << s.n << "x" << s.k; }

using Combo = std::tuple<std::string, DType, Shape, bool, bool>;

class CpuGemmTest : public ::testing::TestWithParam<Combo> {};

TEST_P(CpuGemmTest, OutputsVerify) {
  const auto& [name, dtype, shape, ta, tb] = GetParam();
  std::unique_ptr<Backend> backend = make_backend(name);
  ASSERT_NE(backend, nullptr);
  EXPECT_EQ(backend->name(), name);
  const ProblemPtr problem = gemm(shape.m, shape.n, shape.k, ta, tb, dtype);

  const Support support = backend->supports(*problem);
  if (!support.supported) {
    EXPECT_FALSE(support.reason.empty()) << "an unsupported problem must say why";
    ASSERT_NE(dtype, DType::kFp32) << name << " must support fp32 GEMM: " << support.reason;
    ASSERT_NE(name, "cpu") << "cpu runs every 16-bit GEMM, natively or widened to fp32: " << support.reason;
    GTEST_SKIP() << name << " says: " << support.reason;
  }

  std::string implementation;
  const Verification v = run_and_verify(*backend, problem, &implementation);
  // The fp32 fallback holds fp32 copies of A, B and C besides the operands.
  const bool widened = implementation.rfind("fallback: ", 0) == 0;
  EXPECT_EQ(backend->device_bytes(*problem), problem->host_bytes() * (widened ? 3 : 1)) << implementation;
  EXPECT_TRUE(v.passed) << problem->to_string() << " on " << implementation << ": max error " << v.max_error
                        << " > " << v.tolerance << "; " << v.detail;
  EXPECT_EQ(v.checked, shape.m * shape.n);
  EXPECT_EQ(v.nonfinite, 0);
  EXPECT_FALSE(implementation.empty());
}

const Shape kShapes[] = {{1, 1, 1}, {7, 7, 7}, {129, 65, 33}, {1, 129, 7}, {300, 1, 200}};

std::string combo_name(const ::testing::TestParamInfo<Combo>& info) {
  const auto& [name, dtype, shape, ta, tb] = info.param;
  std::string s = name + "_" + std::string(dtype_name(dtype)) + "_" + std::to_string(shape.m) + "x" +
                  std::to_string(shape.n) + "x" + std::to_string(shape.k) + (ta ? "_ta1" : "_ta0") +
                  (tb ? "_tb1" : "_tb0");
  for (char& c : s) {
    if (c == '-') c = '_';
  }
  return s;
}

INSTANTIATE_TEST_SUITE_P(Fp32, CpuGemmTest,
                         ::testing::Combine(::testing::Values("cpu", "cpu-eigen", "cpu-onednn"),
                                            ::testing::Values(DType::kFp32), ::testing::ValuesIn(kShapes),
                                            ::testing::Bool(), ::testing::Bool()),
                         combo_name);

// bf16 and fp16 go through oneDNN; skipped only where oneDNN itself reports no optimized kernel.
INSTANTIATE_TEST_SUITE_P(LowPrecision, CpuGemmTest,
                         ::testing::Combine(::testing::Values("cpu", "cpu-onednn"),
                                            ::testing::Values(DType::kBf16, DType::kFp16),
                                            ::testing::ValuesIn(kShapes), ::testing::Bool(), ::testing::Bool()),
                         combo_name);

// ---- Unsupported combinations ------------------------------------------------------

TEST(CpuBackendTest, EigenRefusesLowPrecisionWithAReason) {
  std::unique_ptr<Backend> backend = make_backend("cpu-eigen");
  ASSERT_NE(backend, nullptr);
  for (DType dtype : {DType::kBf16, DType::kFp16}) {
    const ProblemPtr problem = gemm(8, 8, 8, false, false, dtype);
    const Support s = backend->supports(*problem);
    EXPECT_FALSE(s.supported) << dtype_name(dtype);
    EXPECT_NE(s.reason.find("cpu-eigen"), std::string::npos) << s.reason;
    EXPECT_NE(s.reason.find(std::string(dtype_name(dtype))), std::string::npos) << s.reason;
    // prepare() refuses it too, with the same reason, instead of computing garbage.
    Expected<std::unique_ptr<Workload>> w = backend->prepare(problem, problem->make_inputs(kSeed));
    ASSERT_FALSE(w.ok());
    EXPECT_EQ(w.error().code, ErrorCode::kBadInput);
    EXPECT_EQ(w.error().message, s.reason);
  }
}

TEST(CpuBackendTest, Fp8GemmIsUnsupportedWithAReasonOnEveryEngine) {
  for (const char* name : {"cpu", "cpu-eigen", "cpu-onednn"}) {
    std::unique_ptr<Backend> backend = make_backend(name);
    ASSERT_NE(backend, nullptr) << name;
    const ProblemPtr problem = gemm(16, 16, 16, false, true, DType::kFp8E4m3);
    const Support s = backend->supports(*problem);
    EXPECT_FALSE(s.supported) << name;
    EXPECT_NE(s.reason.find(std::string(name) + ": fp8 GEMM is not supported on CPUs"), std::string::npos) << s.reason;
    Expected<std::unique_ptr<Workload>> w = backend->prepare(problem, problem->make_inputs(kSeed));
    ASSERT_FALSE(w.ok()) << name;
    EXPECT_EQ(w.error().message, s.reason);
  }
}

TEST(CpuBackendTest, OneDnnLowPrecisionSupportIsExplainedAndConsistent) {
  std::unique_ptr<Backend> cpu = make_backend("cpu");
  std::unique_ptr<Backend> onednn = make_backend("cpu-onednn");
  ASSERT_NE(cpu, nullptr);
  ASSERT_NE(onednn, nullptr);
  for (DType dtype : {DType::kBf16, DType::kFp16}) {
    const ProblemPtr problem = gemm(64, 64, 64, false, false, dtype);
    const Support a = cpu->supports(*problem), b = onednn->supports(*problem);
    // "cpu" uses oneDNN for low precision where oneDNN has a native matmul, and the fp32 fallback elsewhere.
    EXPECT_TRUE(a.supported) << dtype_name(dtype) << ": " << a.reason;
    EXPECT_TRUE(a.reason.empty()) << a.reason;
    Expected<std::unique_ptr<Workload>> w = cpu->prepare(problem, problem->make_inputs(kSeed));
    ASSERT_TRUE(w.ok()) << w.error().message;
    const std::string impl = (*w)->implementation();
    if (b.supported) {
      EXPECT_TRUE(b.reason.empty()) << b.reason;
      EXPECT_EQ(impl.rfind("oneDNN ", 0), 0u) << impl;
      EXPECT_FALSE((*w)->compute_dtype().has_value());
    } else {
      // cpu-onednn refuses it, naming the dtype; cpu widens it to fp32 and says so.
      EXPECT_NE(b.reason.find(std::string(dtype_name(dtype))), std::string::npos) << b.reason;
      Expected<std::unique_ptr<Workload>> refused = onednn->prepare(problem, problem->make_inputs(kSeed));
      ASSERT_FALSE(refused.ok());
      EXPECT_EQ(refused.error().code, ErrorCode::kBadInput);
      EXPECT_EQ(impl.rfind("fallback: " + std::string(dtype_name(dtype)) + " widened to fp32, OpenBLAS", 0), 0u)
          << impl;
      ASSERT_TRUE((*w)->compute_dtype().has_value());
      EXPECT_EQ(*(*w)->compute_dtype(), DType::kFp32);
    }
  }
}

class FakeProblem final : public Problem {
 public:
  std::string_view kernel() const override { return "fake"; }
  std::string to_string() const override { return "fake:"; }
  DType dtype() const override { return DType::kFp32; }
  double flop() const override { return 1.0; }
  double min_bytes() const override { return 4.0; }
  std::vector<TensorSpec> input_specs() const override { return {{"x", DType::kFp32, {1}}}; }
  std::vector<TensorSpec> output_specs() const override { return {{"y", DType::kFp32, {1}}}; }
  Verification verify(const std::vector<HostTensor>&, const std::vector<HostTensor>&, std::uint64_t) const override {
    return {};
  }
};

TEST(CpuBackendTest, UnknownKernelIsUnsupportedWithAReason) {
  for (const char* name : {"cpu", "cpu-eigen", "cpu-onednn"}) {
    std::unique_ptr<Backend> backend = make_backend(name);
    ASSERT_NE(backend, nullptr);
    const Support s = backend->supports(FakeProblem());
    EXPECT_FALSE(s.supported) << name;
    EXPECT_NE(s.reason.find("'fake'"), std::string::npos) << s.reason;
  }
}

// ---- A wrong workload is caught -------------------------------------------------------

TEST(CpuBackendTest, OutputsOfAWorkloadThatNeverRanFailVerification) {
  for (const char* name : {"cpu", "cpu-eigen", "cpu-onednn"}) {
    std::unique_ptr<Backend> backend = make_backend(name);
    ASSERT_NE(backend, nullptr);
    const ProblemPtr problem = gemm(16, 8, 4, false, true, DType::kFp32);
    const std::vector<HostTensor> inputs = problem->make_inputs(kSeed);
    Expected<std::unique_ptr<Workload>> w = backend->prepare(problem, inputs);
    ASSERT_TRUE(w.ok()) << w.error().message;
    ASSERT_TRUE((*w)->poison_outputs().ok());
    ASSERT_TRUE((*w)->synchronize().ok());  // no run()
    Expected<std::vector<HostTensor>> outputs = (*w)->read_outputs();
    ASSERT_TRUE(outputs.ok());
    const Verification v = problem->verify(inputs, *outputs, kSeed);
    EXPECT_FALSE(v.passed) << name;
    EXPECT_EQ(v.nonfinite, 16 * 8) << name;
  }
}

TEST(CpuBackendTest, PoisonAfterRunWipesTheOutputs) {
  std::unique_ptr<Backend> backend = make_backend("cpu");
  ASSERT_NE(backend, nullptr);
  const ProblemPtr problem = gemm(5, 6, 7, false, false, DType::kFp32);
  const std::vector<HostTensor> inputs = problem->make_inputs(kSeed);
  Expected<std::unique_ptr<Workload>> w = backend->prepare(problem, inputs);
  ASSERT_TRUE(w.ok()) << w.error().message;
  ASSERT_TRUE((*w)->run().ok());
  ASSERT_TRUE((*w)->synchronize().ok());
  ASSERT_TRUE(problem->verify(inputs, *(*w)->read_outputs(), kSeed).passed);
  ASSERT_TRUE((*w)->poison_outputs().ok());
  const Verification v = problem->verify(inputs, *(*w)->read_outputs(), kSeed);
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.nonfinite, 30);
}

TEST(CpuBackendTest, VerificationDetectsOutputsOfADifferentProblem) {
  // Outputs computed with the transpose flag ignored must not pass.
  std::unique_ptr<Backend> backend = make_backend("cpu");
  ASSERT_NE(backend, nullptr);
  const ProblemPtr asked = gemm(6, 6, 6, true, false, DType::kFp32);
  const ProblemPtr wrong = gemm(6, 6, 6, false, false, DType::kFp32);
  const std::vector<HostTensor> inputs = asked->make_inputs(kSeed);  // same shapes for both
  Expected<std::unique_ptr<Workload>> w = backend->prepare(wrong, inputs);
  ASSERT_TRUE(w.ok()) << w.error().message;
  ASSERT_TRUE((*w)->run().ok());
  const Verification v = asked->verify(inputs, *(*w)->read_outputs(), kSeed);
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.nonfinite, 0);
}

TEST(CpuBackendTest, WorkloadOwnsItsCopyOfTheInputs) {
  std::unique_ptr<Backend> backend = make_backend("cpu-onednn");
  ASSERT_NE(backend, nullptr);
  const ProblemPtr problem = gemm(9, 5, 3, false, false, DType::kFp32);
  const std::vector<HostTensor> inputs = problem->make_inputs(kSeed);
  std::vector<HostTensor> scratch = inputs;
  Expected<std::unique_ptr<Workload>> w = backend->prepare(problem, scratch);
  ASSERT_TRUE(w.ok()) << w.error().message;
  for (HostTensor& t : scratch) fill_nan(t);  // the caller's buffers change after the upload
  ASSERT_TRUE((*w)->run().ok());
  const Verification v = problem->verify(inputs, *(*w)->read_outputs(), kSeed);
  EXPECT_TRUE(v.passed) << v.detail;
}

TEST(CpuBackendTest, RepeatedRunsGiveTheSameVerifiedOutput) {
  std::unique_ptr<Backend> backend = make_backend("cpu");
  ASSERT_NE(backend, nullptr);
  const ProblemPtr problem = gemm(33, 17, 65, true, true, DType::kFp32);
  const std::vector<HostTensor> inputs = problem->make_inputs(kSeed);
  Expected<std::unique_ptr<Workload>> w = backend->prepare(problem, inputs);
  ASSERT_TRUE(w.ok()) << w.error().message;
  ASSERT_TRUE((*w)->run().ok());
  const std::vector<HostTensor> first = *(*w)->read_outputs();
  ASSERT_TRUE((*w)->poison_outputs().ok());
  ASSERT_TRUE((*w)->run().ok());
  ASSERT_TRUE((*w)->run().ok());
  ASSERT_TRUE((*w)->synchronize().ok());
  const std::vector<HostTensor> second = *(*w)->read_outputs();
  EXPECT_TRUE(problem->verify(inputs, second, kSeed).passed);
  EXPECT_EQ(first[0].data, second[0].data);
}

// ---- Registry and device -------------------------------------------------------------

TEST(BackendRegistryTest, UnknownBackendIsBadInputListingKnownOnes) {
  BackendOptions options;
  const Expected<std::unique_ptr<Backend>> b = create_backend("nope", options);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().code, ErrorCode::kBadInput);
  EXPECT_NE(b.error().message.find("'nope'"), std::string::npos) << b.error().message;
  EXPECT_NE(b.error().message.find("cpu, cpu-eigen, cpu-onednn"), std::string::npos) << b.error().message;
}

TEST(BackendRegistryTest, EveryEntryCreatesABackendOfThatName) {
  std::vector<std::string> names;
  for (const BackendEntry& e : backend_entries()) {
    names.push_back(e.name);
    EXPECT_FALSE(e.summary.empty()) << e.name;
    std::unique_ptr<Backend> backend = e.create(BackendOptions{});
    ASSERT_NE(backend, nullptr);
    EXPECT_EQ(backend->name(), e.name);
    // The host CPU backends run everywhere; neuron needs a Neuron runtime and cuda a GPU (absent here).
    if (e.name.rfind("cpu", 0) == 0) {
      EXPECT_TRUE(backend->available().ok()) << e.name;
    }
  }
  EXPECT_EQ(names, (std::vector<std::string>{"cpu", "cpu-eigen", "cpu-onednn", "neuron", "cuda"}));
}

TEST(CpuBackendTest, DeviceInfoDescribesTheHost) {
  std::unique_ptr<Backend> backend = make_backend("cpu");
  ASSERT_NE(backend, nullptr);
  const DeviceInfo info = backend->device_info();
  EXPECT_EQ(info.kind, "cpu");
  EXPECT_EQ(info.compute_units, 2);
  EXPECT_TRUE(info.shares_host_memory);
  EXPECT_GT(info.memory_bytes, 0);
  EXPECT_FALSE(info.name.empty());
  EXPECT_NE(info.peak_source.find("2 threads"), std::string::npos) << info.peak_source;
  bool threads_property = false;
  for (const auto& [key, value] : info.properties) {
    if (key == "threads") {
      threads_property = true;
      EXPECT_EQ(value, "2");
    }
  }
  EXPECT_TRUE(threads_property);
  for (const auto& [dtype, peak] : info.peak_flop_per_s) EXPECT_GT(peak, 0.0) << dtype_name(dtype);
}

}  // namespace
}  // namespace tb
