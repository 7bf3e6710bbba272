// docs/adding-a-kernel.md and docs/adding-a-backend.md, built: the
// walkthrough's `mykernel` (its parse function as the page writes it, a
// reference, verify()) and a small host backend with one row in its kernel
// table, run through the Runner like any other problem. If an interface the
// pages show changes, this file stops compiling or its tests fail.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "backends/backend_registry.h"
#include "backends/host_timer.h"
#include "backends/kernel_table.h"
#include "kernels/kernel_registry.h"
#include "kernels/problem.h"
#include "kernels/problem_string.h"
#include "runner/runner.h"

namespace tb {
namespace {

// mykernel: out[i] = 2 * x[i] for i < n (causal changes nothing here; it is in
// the walkthrough to show a flag key). 1 FLOP and 2 elements of traffic per element.
class MyKernelProblem final : public Problem {
 public:
  static constexpr std::int64_t kMaxN = std::int64_t{1} << 40;

  MyKernelProblem(std::int64_t n, bool causal, DType dtype) : n_(n), causal_(causal), dtype_(dtype) {}

  // The parse function of docs/adding-a-kernel.md, section 3, as written there.
  static Expected<ProblemPtr> parse(const ProblemSpec& spec) {
    ParamReader r(spec);
    TB_ASSIGN_OR_RETURN(const std::int64_t n, r.size("n", 1, kMaxN));        // required
    TB_ASSIGN_OR_RETURN(const bool causal, r.flag("causal", false));         // 0 or 1, default 0
    TB_ASSIGN_OR_RETURN(const DType dtype, r.dtype("dtype", DType::kFp32));  // default fp32
    TB_RETURN_IF_ERROR(r.finish());  // "unknown key 'x' for kernel mykernel: expected one of ..."
    if (dtype == DType::kFp8E4m3) {
      return bad_input("mykernel dtype 'fp8' is not supported: expected fp32, bf16 or fp16");
    }
    return ProblemPtr(std::make_shared<MyKernelProblem>(n, causal, dtype));
  }

  std::string_view kernel() const override { return "mykernel"; }
  // Canonical: n, the flag only when set, dtype always.
  std::string to_string() const override {
    return "mykernel:n=" + std::to_string(n_) + (causal_ ? ",causal=1" : "") + ",dtype=" +
           std::string(dtype_name(dtype_));
  }
  DType dtype() const override { return dtype_; }
  double flop() const override { return static_cast<double>(n_); }
  double min_bytes() const override { return 2.0 * static_cast<double>(n_) * static_cast<double>(dtype_size(dtype_)); }
  std::vector<TensorSpec> input_specs() const override { return {{"x", dtype_, {n_}}}; }
  std::vector<TensorSpec> output_specs() const override { return {{"out", dtype_, {n_}}}; }

  // Normwise relative error against the double reference; tolerance: two
  // roundings of the dtype.
  Verification verify(const std::vector<HostTensor>& inputs, const std::vector<HostTensor>& outputs,
                      std::uint64_t /*seed*/) const override {
    Verification v;
    v.metric = "mykernel_rel";
    v.tolerance = 2.0 * unit_roundoff(dtype_);
    v.total = n_;
    if (outputs.size() != 1 || outputs[0].spec.shape != std::vector<std::int64_t>{n_}) {
      v.max_error = INFINITY;
      v.detail = "wrong output count or shape";
      return v;
    }
    for (std::int64_t i = 0; i < n_; ++i) {
      const auto at = static_cast<std::size_t>(i);
      const double reference = 2.0 * static_cast<double>(inputs[0].at(at));
      const double got = outputs[0].at(at);
      ++v.checked;
      if (!std::isfinite(got)) {
        ++v.nonfinite;
        continue;
      }
      v.max_error = std::max(v.max_error, std::fabs(got - reference) / std::max(1.0, std::fabs(reference)));
    }
    v.passed = v.nonfinite == 0 && v.max_error <= v.tolerance;
    return v;
  }

 private:
  std::int64_t n_;
  bool causal_;
  DType dtype_;
};

ProblemPtr parse_mykernel(const std::string& text) {
  const Expected<ProblemSpec> spec = parse_problem_spec(text);
  EXPECT_TRUE(spec.ok()) << spec.error().message;
  const Expected<ProblemPtr> problem = MyKernelProblem::parse(*spec);
  EXPECT_TRUE(problem.ok()) << problem.error().message;
  return problem.ok() ? *problem : nullptr;
}

// The workload of the example backend: host buffers, computed synchronously.
class MyKernelWorkload final : public Workload {
 public:
  MyKernelWorkload(const Problem& problem, const std::vector<HostTensor>& inputs)
      : x_(inputs.at(0)), out_(problem.output_specs().at(0)) {}
  Status run() override {
    for (std::size_t i = 0; i < out_.data.size() / dtype_size(out_.spec.dtype); ++i) out_.set(i, 2.0f * x_.at(i));
    return {};
  }
  Status synchronize() override { return {}; }
  Status poison_outputs() override {
    for (std::size_t i = 0; i < out_.data.size() / dtype_size(out_.spec.dtype); ++i) out_.set(i, NAN);
    return {};
  }
  Expected<std::vector<HostTensor>> read_outputs() override { return std::vector<HostTensor>{out_}; }
  std::unique_ptr<DeviceTimer> make_timer() override { return std::make_unique<HostTimer>(); }
  std::string implementation() const override { return "example: host loop"; }

 private:
  HostTensor x_, out_;
};

// A backend as docs/adding-a-backend.md describes it: one row per kernel in its kernel table.
class ExampleBackend final : public Backend {
 public:
  std::string_view name() const override { return "example"; }
  Status available() const override { return {}; }
  DeviceInfo device_info() const override {
    DeviceInfo d;
    d.name = "example host";
    d.kind = "cpu";
    d.compute_units = 1;
    d.shares_host_memory = true;
    return d;
  }
  Support supports(const Problem& problem) const override { return kernels().supports(*this, problem); }
  std::int64_t device_bytes(const Problem& problem) const override { return kernels().device_bytes(*this, problem); }
  Expected<std::unique_ptr<Workload>> prepare(const ProblemPtr& problem,
                                              const std::vector<HostTensor>& inputs) override {
    return kernels().prepare(*this, problem, inputs);
  }

 private:
  static const KernelTable<ExampleBackend>& kernels() {
    static constexpr KernelRow<ExampleBackend> rows[] = {
        {"mykernel", &ExampleBackend::mykernel_supports, &ExampleBackend::mykernel_bytes,
         &ExampleBackend::prepare_mykernel},
    };
    static const KernelTable<ExampleBackend> table{rows};
    return table;
  }
  Support mykernel_supports(const Problem& problem) const {
    if (problem.dtype() == DType::kFp16) return {false, "example: fp16 mykernel is not supported"};
    return {true, {}};
  }
  std::int64_t mykernel_bytes(const Problem& problem) const { return problem.host_bytes(); }
  Expected<std::unique_ptr<Workload>> prepare_mykernel(const ProblemPtr& problem,
                                                       const std::vector<HostTensor>& inputs) {
    return std::unique_ptr<Workload>(std::make_unique<MyKernelWorkload>(*problem, inputs));
  }
};

TEST(ExampleKernelTest, ParseRoundTripsAndRefusesAsTheWalkthroughSays) {
  const ProblemPtr p = parse_mykernel("mykernel:dtype=bf16,n=4K");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->to_string(), "mykernel:n=4096,dtype=bf16");
  EXPECT_EQ(parse_mykernel(p->to_string())->to_string(), p->to_string());
  EXPECT_EQ(parse_mykernel("mykernel:n=8,causal=1")->to_string(), "mykernel:n=8,causal=1,dtype=fp32");

  const Expected<ProblemPtr> fp8 = MyKernelProblem::parse(*parse_problem_spec("mykernel:n=8,dtype=fp8"));
  ASSERT_FALSE(fp8.ok());
  EXPECT_EQ(fp8.error().message, "mykernel dtype 'fp8' is not supported: expected fp32, bf16 or fp16");
  const Expected<ProblemPtr> unknown = MyKernelProblem::parse(*parse_problem_spec("mykernel:n=8,m=2"));
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("unknown key 'm'"), std::string::npos) << unknown.error().message;
}

TEST(ExampleKernelTest, TheRunnerVerifiesAndTimesItOnABackendWithOneTableRow) {
  ExampleBackend backend;
  RunOptions options;
  options.repetitions = 2;
  options.min_time_s = 0.001;
  options.warmup_time_s = 0.0;
  Runner runner(backend, backend.device_info(), options);
  const ProblemResult r = runner.run(parse_mykernel("mykernel:n=1024,dtype=bf16"));
  EXPECT_EQ(r.status, ResultStatus::kPassed) << r.reason;
  EXPECT_TRUE(r.verification.passed) << r.verification.detail;
  EXPECT_EQ(r.verification.checked, 1024);
  EXPECT_GT(r.flop_per_s, 0.0);
  EXPECT_EQ(r.implementation, "example: host loop");
}

TEST(ExampleKernelTest, KernelsWithoutARowAreNotImplementedAndUnsupportedOnesSkipped) {
  ExampleBackend backend;
  RunOptions options;
  Runner runner(backend, backend.device_info(), options);
  const ProblemResult fp16 = runner.run(parse_mykernel("mykernel:n=64,dtype=fp16"));
  EXPECT_EQ(fp16.status, ResultStatus::kSkipped);
  EXPECT_EQ(fp16.reason, "example: fp16 mykernel is not supported");
  const Expected<ProblemPtr> gemm = parse_problem("gemm:m=8,n=8,k=8");
  ASSERT_TRUE(gemm.ok());
  EXPECT_EQ(backend.supports(**gemm).reason, "example: kernel 'gemm' is not implemented");
  EXPECT_FALSE(backend.prepare(*gemm, (*gemm)->make_inputs(1)).ok()) << "prepare() checks support once, through the row";

  // A registered backend answers for the walkthrough's kernel the same way (section 6 of adding-a-kernel.md).
  const Expected<std::unique_ptr<Backend>> cpu = create_backend("cpu", BackendOptions{});
  ASSERT_TRUE(cpu.ok()) << cpu.error().message;
  EXPECT_EQ((*cpu)->supports(*parse_mykernel("mykernel:n=64")).reason, "cpu: kernel 'mykernel' is not implemented");
}

}  // namespace
}  // namespace tb
