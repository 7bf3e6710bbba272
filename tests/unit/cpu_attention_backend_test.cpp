// The CPU backend's attention workload, driven through the Backend interface
// exactly as Runner::run drives it: supports -> make_inputs(seed) -> prepare
// -> poison_outputs -> run -> synchronize -> read_outputs -> problem->verify.
// Every supported (pass, dtype, causal, shape) combination must verify;
// unsupported ones must say why and be recorded as skipped; outputs the run
// never wrote must fail verification; oversized problems are refused by
// check_memory before anything is allocated.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <ostream>
#include <string>
#include <tuple>
#include <vector>

#include "backends/backend_registry.h"
#include "backends/cpu/cpu_attention.h"  // kCpuAttentionMaxHeadDim
#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/flash_attention.h"  // backward_splits
#include "kernels/attention/attention_problem.h"
#include "kernels/kernel_registry.h"
#include "support/problem_helpers.h"
#include "runner/runner.h"

namespace tb {
namespace {

constexpr std::uint64_t kSeed = 4321;

std::unique_ptr<Backend> make_backend(const std::string& name) {
  return make_test_backend(name);
}

// The cpu backend with --cpu-attention `impl` (auto, fused, onednn).
std::unique_ptr<Backend> cpu_with(const std::string& impl) {
  BackendOptions options;
  options.values["--cpu-attention"] = impl;
  Expected<std::unique_ptr<Backend>> backend = create_backend("cpu", options);
  if (!backend.ok()) {
    ADD_FAILURE() << backend.error().message;
    return nullptr;
  }
  return std::move(backend).value();
}

std::shared_ptr<const AttentionProblem> attention(const std::string& text) {
  return parse_as<AttentionProblem>(text);
}

// The runner's verification run: poison, run once, synchronize, read back.
// Returns the outputs (empty on failure); `workload` keeps the workload alive.
std::vector<HostTensor> verification_run(Backend& backend, const ProblemPtr& problem,
                                         const std::vector<HostTensor>& inputs,
                                         std::unique_ptr<Workload>* workload = nullptr) {
  Expected<std::unique_ptr<Workload>> prepared = backend.prepare(problem, inputs);
  if (!prepared.ok()) {
    ADD_FAILURE() << "prepare " << problem->to_string() << ": " << prepared.error().message;
    return {};
  }
  Workload& w = **prepared;
  EXPECT_FALSE(w.implementation().empty());
  const Status poison = w.poison_outputs();
  EXPECT_TRUE(poison.ok()) << (poison.ok() ? "" : poison.error().message);
  const Status run = w.run();
  EXPECT_TRUE(run.ok()) << (run.ok() ? "" : run.error().message);
  const Status sync = w.synchronize();
  EXPECT_TRUE(sync.ok()) << (sync.ok() ? "" : sync.error().message);
  std::vector<HostTensor> outputs = read_back(w);
  if (workload) *workload = std::move(prepared).value();
  return outputs;
}

// ---- Every supported combination verifies ---------------------------------------------

struct Shape {
  std::int64_t b, h, kvh, sq, skv, d;
};

void PrintTo(const Shape& s, std::ostream* os) {
  *os << "b" << s.b << "_h" << s.h << "_kvh" << s.kvh << "_sq" << s.sq << "_skv" << s.skv << "_d" << s.d;
}

// Odd lengths (1, 7, 129: partial tiles, a second tile), sq < skv and sq > skv
// (causal: the first sq - skv query rows are fully masked), grouped-query
// attention with two and with one key/value head, and d = 16, 64, 128.
const Shape kShapes[] = {
    {1, 1, 1, 1, 1, 16},      // a single pair
    {1, 2, 2, 7, 7, 64},      // tiny, square
    {1, 1, 1, 129, 129, 64},  // one row past two query tiles, one past a key tile
    {1, 4, 2, 129, 7, 16},    // sq > skv, GQA 2:1: 122 fully masked rows per head when causal
    {2, 4, 1, 7, 129, 128},   // sq < skv, kvh = 1 (multi-query)
    {1, 4, 1, 33, 1, 128},    // one key: causal leaves only the last query row
    {1, 2, 1, 1, 129, 16},    // one query row against many keys
};

// The last element: --cpu-attention (the fused kernel, the oneDNN composition, or both timed).
using Combo = std::tuple<AttentionPass, DType, bool, Shape, std::string>;

std::string problem_string(const Combo& c) {
  const auto& [pass, dtype, causal, s, impl] = c;
  return "attention:b=" + std::to_string(s.b) + ",h=" + std::to_string(s.h) + ",kvh=" + std::to_string(s.kvh) +
         ",sq=" + std::to_string(s.sq) + ",skv=" + std::to_string(s.skv) + ",d=" + std::to_string(s.d) +
         ",causal=" + (causal ? "1" : "0") + ",dtype=" + std::string(dtype_name(dtype)) +
         ",pass=" + std::string(attention_pass_name(pass));
}

class CpuAttentionTest : public ::testing::TestWithParam<Combo> {};

TEST_P(CpuAttentionTest, OutputsVerify) {
  const std::string text = problem_string(GetParam());
  const auto problem = attention(text);
  ASSERT_NE(problem, nullptr);
  ASSERT_EQ(problem->to_string(), text);  // the canonical form: every key given explicitly
  std::unique_ptr<Backend> backend = cpu_with(std::get<4>(GetParam()));
  ASSERT_NE(backend, nullptr);

  const Support support = backend->supports(*problem);
  ASSERT_TRUE(support.supported) << text << ": " << support.reason;
  EXPECT_TRUE(support.reason.empty()) << support.reason;
  EXPECT_GT(backend->device_bytes(*problem), 0);

  const std::vector<HostTensor> inputs = problem->make_inputs(kSeed);
  const std::vector<HostTensor> outputs = verification_run(*backend, problem, inputs);
  const std::vector<TensorSpec> specs = problem->output_specs();
  ASSERT_EQ(outputs.size(), specs.size());
  for (std::size_t i = 0; i < specs.size(); ++i) {
    EXPECT_EQ(outputs[i].spec.name, specs[i].name);
    EXPECT_EQ(outputs[i].spec.shape, specs[i].shape) << specs[i].name;
    EXPECT_EQ(outputs[i].spec.dtype, specs[i].dtype) << specs[i].name;
  }

  const Verification v = problem->verify(inputs, outputs, kSeed);
  EXPECT_TRUE(v.passed) << text << ": max error " << v.max_error << " > " << v.tolerance << "; " << v.detail;
  EXPECT_EQ(v.nonfinite, 0) << v.detail;
  // Small enough to be checked in full, not sampled.
  EXPECT_EQ(v.checked, v.total) << text;

  // Fully masked rows (causal, sq > skv): exactly o = 0, lse = -inf, dq = 0.
  const AttentionShape& s = problem->shape();
  const std::int64_t masked = s.causal && s.sq > s.skv ? s.sq - s.skv : 0;
  if (masked == 0) return;
  std::size_t next = 0;
  const HostTensor* o = problem->has_forward_outputs() ? &outputs[next++] : nullptr;
  const HostTensor* lse = problem->has_forward_outputs() ? &outputs[next++] : nullptr;
  const HostTensor* dq = problem->has_backward() ? &outputs[next] : nullptr;
  std::int64_t rows = 0;
  for (std::int64_t bh = 0; bh < s.b * s.h; ++bh) {
    for (std::int64_t i = 0; i < masked; ++i, ++rows) {
      const std::size_t row = static_cast<std::size_t>(bh * s.sq + i);
      if (lse) {
        ASSERT_EQ(lse->at(row), -INFINITY) << "lse row " << row;
      }
      for (std::int64_t c = 0; c < s.d; ++c) {
        const std::size_t e = row * static_cast<std::size_t>(s.d) + static_cast<std::size_t>(c);
        if (o) {
          ASSERT_EQ(o->at(e), 0.0f) << "o element " << e;
        }
        if (dq) {
          ASSERT_EQ(dq->at(e), 0.0f) << "dq element " << e;
        }
      }
    }
  }
  EXPECT_EQ(rows, s.b * s.h * masked);
}

std::string combo_name(const ::testing::TestParamInfo<Combo>& info) {
  const auto& [pass, dtype, causal, s, impl] = info.param;
  return impl + "_" + std::string(attention_pass_name(pass)) + "_" + std::string(dtype_name(dtype)) +
         (causal ? "_causal_" : "_full_") + ::testing::PrintToString(s);
}

INSTANTIATE_TEST_SUITE_P(Fp32, CpuAttentionTest,
                         ::testing::Combine(::testing::Values(AttentionPass::kFwd, AttentionPass::kBwd,
                                                              AttentionPass::kFwdBwd),
                                            ::testing::Values(DType::kFp32), ::testing::Bool(),
                                            ::testing::ValuesIn(kShapes),
                                            ::testing::Values("fused", "onednn", "auto")),
                         combo_name);
// bf16: the fused kernel only (the composition is fp32 only; auto has one candidate).
INSTANTIATE_TEST_SUITE_P(Bf16, CpuAttentionTest,
                         ::testing::Combine(::testing::Values(AttentionPass::kFwd, AttentionPass::kBwd,
                                                              AttentionPass::kFwdBwd),
                                            ::testing::Values(DType::kBf16), ::testing::Bool(),
                                            ::testing::ValuesIn(kShapes), ::testing::Values("auto")),
                         combo_name);

// ---- Unsupported problems: a reason, refused by prepare, skipped by the runner -------------

// Runner::run on `problem`: never allocated, recorded as skipped with the backend's reason.
void expect_skipped_by_runner(Backend& backend, const ProblemPtr& problem, const std::string& reason) {
  const DeviceInfo device;  // only used for timed results; a skipped problem never gets there
  Runner runner(backend, device, RunOptions{});
  const ProblemResult r = runner.run(problem);
  EXPECT_EQ(r.status, ResultStatus::kSkipped) << problem->to_string() << ": " << r.reason;
  EXPECT_EQ(r.reason, reason);
  EXPECT_EQ(r.problem, problem->to_string());
  EXPECT_EQ(r.kernel, "attention");
  EXPECT_TRUE(r.samples_s.empty());
  EXPECT_TRUE(r.entries.empty());
}

void expect_unsupported(Backend& backend, const std::string& text, const std::vector<std::string>& needles) {
  SCOPED_TRACE(std::string(backend.name()) + " " + text);
  const auto problem = attention(text);
  ASSERT_NE(problem, nullptr);
  const Support s = backend.supports(*problem);
  EXPECT_FALSE(s.supported);
  EXPECT_FALSE(s.reason.empty()) << "an unsupported problem must say why";
  EXPECT_NE(s.reason.find(std::string(backend.name()) + ":"), std::string::npos) << s.reason;
  for (const std::string& needle : needles) {
    EXPECT_NE(s.reason.find(needle), std::string::npos) << "reason '" << s.reason << "' lacks '" << needle << "'";
  }
  // prepare() refuses it too, with the same reason, instead of computing anything.
  Expected<std::unique_ptr<Workload>> w = backend.prepare(problem, problem->make_inputs(kSeed));
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().code, ErrorCode::kBadInput);
  EXPECT_EQ(w.error().message, s.reason);
  expect_skipped_by_runner(backend, problem, s.reason);
}

TEST(CpuAttentionBackendTest, HeadDimensionAboveTheLimitIsUnsupportedNamingIt) {
  std::unique_ptr<Backend> backend = make_backend("cpu");
  ASSERT_NE(backend, nullptr);
  for (const char* pass : {"fwd", "bwd", "fwdbwd"}) {
    expect_unsupported(*backend, std::string("attention:b=1,h=1,sq=4,d=512,pass=") + pass, {"d=512"});
  }
  expect_unsupported(*backend, "attention:b=1,h=1,sq=4,d=512,dtype=bf16,causal=1", {"d=512"});
}

TEST(CpuAttentionBackendTest, Fp16IsUnsupportedNamingIt) {
  std::unique_ptr<Backend> backend = make_backend("cpu");
  ASSERT_NE(backend, nullptr);
  for (const char* pass : {"fwd", "bwd", "fwdbwd"}) {
    expect_unsupported(*backend, std::string("attention:b=1,h=2,kvh=1,sq=4,d=16,dtype=fp16,pass=") + pass,
                       {"fp16"});
  }
}

TEST(CpuAttentionBackendTest, OtherCpuEnginesReportAttentionUnsupported) {
  for (const char* name : {"cpu-eigen", "cpu-onednn"}) {
    std::unique_ptr<Backend> backend = make_backend(name);
    ASSERT_NE(backend, nullptr);
    for (const char* text : {"attention:b=1,h=2,sq=8,d=16", "attention:b=1,h=2,sq=8,d=16,dtype=bf16,pass=fwdbwd"}) {
      expect_unsupported(*backend, text, {"attention"});
    }
  }
}

TEST(CpuAttentionBackendTest, LargestSupportedHeadDimensionIsSupported) {
  // The limit itself is supported (and what is refused is only above it).
  std::unique_ptr<Backend> backend = make_backend("cpu");
  ASSERT_NE(backend, nullptr);
  const auto at_limit = attention("attention:b=1,h=1,sq=2,d=" + std::to_string(kCpuAttentionMaxHeadDim));
  const auto above = attention("attention:b=1,h=1,sq=2,d=" + std::to_string(kCpuAttentionMaxHeadDim + 1));
  ASSERT_NE(at_limit, nullptr);
  ASSERT_NE(above, nullptr);
  EXPECT_TRUE(backend->supports(*at_limit).supported) << backend->supports(*at_limit).reason;
  EXPECT_FALSE(backend->supports(*above).supported);
}

// ---- Outputs the run does not write fail verification --------------------------------------

TEST(CpuAttentionBackendTest, PoisonedOutputsOfAWorkloadThatNeverRanFailVerification) {
  std::unique_ptr<Backend> backend = make_backend("cpu");
  ASSERT_NE(backend, nullptr);
  for (const char* pass : {"fwd", "bwd", "fwdbwd"}) {
    for (const char* dtype : {"fp32", "bf16"}) {
      const std::string text =
          std::string("attention:b=1,h=4,kvh=2,sq=9,skv=5,d=16,causal=1,dtype=") + dtype + ",pass=" + pass;
      SCOPED_TRACE(text);
      const auto problem = attention(text);
      ASSERT_NE(problem, nullptr);
      const std::vector<HostTensor> inputs = problem->make_inputs(kSeed);
      Expected<std::unique_ptr<Workload>> w = backend->prepare(problem, inputs);
      ASSERT_TRUE(w.ok()) << w.error().message;
      ASSERT_TRUE((*w)->poison_outputs().ok());
      ASSERT_TRUE((*w)->synchronize().ok());  // no run()
      const Verification v = problem->verify(inputs, read_back(**w), kSeed);
      EXPECT_FALSE(v.passed);
      EXPECT_EQ(v.checked, v.total);
      EXPECT_EQ(v.nonfinite, v.total) << "every output element should be poisoned; " << v.detail;
    }
  }
}

TEST(CpuAttentionBackendTest, PoisonAfterRunWipesTheOutputs) {
  std::unique_ptr<Backend> backend = make_backend("cpu");
  ASSERT_NE(backend, nullptr);
  const auto problem = attention("attention:b=1,h=2,sq=7,skv=11,d=16,causal=1,pass=fwdbwd");
  ASSERT_NE(problem, nullptr);
  const std::vector<HostTensor> inputs = problem->make_inputs(kSeed);
  std::unique_ptr<Workload> w;
  const Verification first = problem->verify(inputs, verification_run(*backend, problem, inputs, &w), kSeed);
  ASSERT_TRUE(first.passed) << first.detail;
  ASSERT_TRUE(w->poison_outputs().ok());
  const Verification v = problem->verify(inputs, read_back(*w), kSeed);
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.nonfinite, v.total);
}

// Each output on its own: a run that left just that one tensor poisoned is caught.
TEST(CpuAttentionBackendTest, AnyOneOutputLeftPoisonedFailsVerification) {
  std::unique_ptr<Backend> backend = make_backend("cpu");
  ASSERT_NE(backend, nullptr);
  const auto problem = attention("attention:b=1,h=4,kvh=2,sq=9,skv=5,d=16,causal=1,dtype=bf16,pass=fwdbwd");
  ASSERT_NE(problem, nullptr);
  const std::vector<HostTensor> inputs = problem->make_inputs(kSeed);
  const std::vector<HostTensor> good = verification_run(*backend, problem, inputs);
  ASSERT_EQ(good.size(), 5u);
  ASSERT_TRUE(problem->verify(inputs, good, kSeed).passed);
  for (std::size_t t = 0; t < good.size(); ++t) {
    std::vector<HostTensor> outputs = good;
    fill_nan(outputs[t]);
    const Verification v = problem->verify(inputs, outputs, kSeed);
    EXPECT_FALSE(v.passed) << good[t].spec.name;
    // Fully masked lse rows hold -inf, which a NaN does not match either.
    EXPECT_EQ(v.nonfinite, good[t].spec.elements()) << good[t].spec.name << ": " << v.detail;
  }
}

// With one key, P = 1 and dq = dk = 0 exactly (dS = P (dP - D) vanishes); the
// fp32 kernel leaves a rounding residual there, which must pass, while a real
// error must not.
TEST(CpuAttentionBackendTest, SingleKeyGradientsAreZeroUpToRounding) {
  std::unique_ptr<Backend> backend = make_backend("cpu");
  ASSERT_NE(backend, nullptr);
  const auto problem = attention("attention:b=1,h=4,kvh=2,sq=33,skv=1,d=128,causal=1,pass=bwd");
  ASSERT_NE(problem, nullptr);
  const std::vector<HostTensor> inputs = problem->make_inputs(kSeed);
  const std::vector<HostTensor> good = verification_run(*backend, problem, inputs);
  ASSERT_EQ(good.size(), 3u);  // dq, dk, dv
  const Verification v = problem->verify(inputs, good, kSeed);
  EXPECT_TRUE(v.passed) << v.detail;
  for (std::size_t t : {std::size_t{0}, std::size_t{1}}) {  // dq, dk: reference all zero
    SCOPED_TRACE(good[t].spec.name);
    std::vector<HostTensor> outputs = good;
    for (std::size_t e = 0; e < static_cast<std::size_t>(outputs[t].spec.elements()); ++e) outputs[t].set(e, 0.0f);
    EXPECT_TRUE(problem->verify(inputs, outputs, kSeed).passed);  // exact zeros
    outputs[t].set(5, 0.25f);  // one wrong element
    const Verification bad = problem->verify(inputs, outputs, kSeed);
    EXPECT_FALSE(bad.passed);
    EXPECT_GT(bad.max_error, bad.tolerance);
    EXPECT_EQ(bad.nonfinite, 0);
  }
}

// ---- Repeated runs (the timed loop) and the workload's own buffers -----------------------------

TEST(CpuAttentionBackendTest, RepeatedRunsGiveTheSameVerifiedOutputs) {
  // The runner verifies the first run only; every later (timed) run must
  // compute the same thing: no gradient accumulated across runs, no input
  // overwritten.
  std::unique_ptr<Backend> backend = make_backend("cpu");
  ASSERT_NE(backend, nullptr);
  for (const char* pass : {"fwd", "bwd", "fwdbwd"}) {
    const std::string text = std::string("attention:b=1,h=4,kvh=1,sq=65,skv=33,d=64,causal=1,pass=") + pass;
    SCOPED_TRACE(text);
    const auto problem = attention(text);
    ASSERT_NE(problem, nullptr);
    const std::vector<HostTensor> inputs = problem->make_inputs(kSeed);
    std::unique_ptr<Workload> w;
    const std::vector<HostTensor> first = verification_run(*backend, problem, inputs, &w);
    ASSERT_TRUE(problem->verify(inputs, first, kSeed).passed);
    ASSERT_TRUE(w->poison_outputs().ok());
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(w->run().ok());
    ASSERT_TRUE(w->synchronize().ok());
    const std::vector<HostTensor> later = read_back(*w);
    const Verification v = problem->verify(inputs, later, kSeed);
    EXPECT_TRUE(v.passed) << v.detail;
    ASSERT_EQ(later.size(), first.size());
    for (std::size_t t = 0; t < first.size(); ++t) {
      EXPECT_EQ(later[t].data, first[t].data) << first[t].spec.name << " differs after repeated runs";
    }
  }
}

TEST(CpuAttentionBackendTest, WorkloadOwnsItsCopyOfTheInputs) {
  std::unique_ptr<Backend> backend = make_backend("cpu");
  ASSERT_NE(backend, nullptr);
  for (const char* pass : {"fwd", "bwd"}) {
    const auto problem = attention(std::string("attention:b=1,h=2,sq=9,d=16,pass=") + pass);
    ASSERT_NE(problem, nullptr);
    const std::vector<HostTensor> inputs = problem->make_inputs(kSeed);
    std::vector<HostTensor> scratch = inputs;
    Expected<std::unique_ptr<Workload>> w = backend->prepare(problem, scratch);
    ASSERT_TRUE(w.ok()) << w.error().message;
    for (HostTensor& t : scratch) fill_nan(t);  // the caller's buffers change after prepare
    ASSERT_TRUE((*w)->poison_outputs().ok());
    ASSERT_TRUE((*w)->run().ok());
    const Verification v = problem->verify(inputs, read_back(**w), kSeed);
    EXPECT_TRUE(v.passed) << pass << ": " << v.detail;
  }
}

TEST(CpuAttentionBackendTest, VerificationDetectsOutputsOfADifferentProblem) {
  // Outputs computed without the causal mask must not pass for the causal problem.
  std::unique_ptr<Backend> backend = make_backend("cpu");
  ASSERT_NE(backend, nullptr);
  const auto asked = attention("attention:b=1,h=2,sq=16,d=16,causal=1,pass=fwdbwd");
  const auto wrong = attention("attention:b=1,h=2,sq=16,d=16,causal=0,pass=fwdbwd");
  ASSERT_NE(asked, nullptr);
  ASSERT_NE(wrong, nullptr);
  const std::vector<HostTensor> inputs = asked->make_inputs(kSeed);  // same shapes for both
  const Verification v = asked->verify(inputs, verification_run(*backend, wrong, inputs), kSeed);
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.nonfinite, 0);
}

// ---- Runner end to end: a supported problem passes ---------------------------------------------

TEST(CpuAttentionBackendTest, RunnerPassesAndTimesASupportedProblem) {
  std::unique_ptr<Backend> backend = make_backend("cpu");
  ASSERT_NE(backend, nullptr);
  const auto problem = attention("attention:b=1,h=2,kvh=1,sq=33,skv=65,d=16,causal=1,dtype=bf16,pass=fwdbwd");
  ASSERT_NE(problem, nullptr);
  DeviceInfo device;
  device.compute_units = 2;
  RunOptions options;
  options.repetitions = 2;
  options.min_time_s = 0.001;
  options.warmup_time_s = 0.0;
  Runner runner(*backend, device, options);
  const ProblemResult r = runner.run(problem);
  EXPECT_EQ(r.status, ResultStatus::kPassed) << r.reason;
  EXPECT_TRUE(r.verification.passed) << r.verification.detail;
  EXPECT_EQ(r.samples_s.size(), 2u);
  EXPECT_EQ(r.flop, problem->flop());
  EXPECT_FALSE(r.implementation.empty());
}

// ---- Refused before allocating -----------------------------------------------------------------

TEST(CpuAttentionBackendTest, CheckMemoryRefusesAHugeProblemNamingTheBytes) {
  std::unique_ptr<Backend> backend = make_backend("cpu");
  ASSERT_NE(backend, nullptr);
  const auto huge = attention("attention:b=64,h=64,sq=1M,d=128");
  ASSERT_NE(huge, nullptr);
  ASSERT_TRUE(backend->supports(*huge).supported);
  DeviceInfo device;  // a generous host: 1 TiB, shared with the backend
  device.name = "test host";
  device.memory_bytes = std::int64_t{1} << 40;
  device.shares_host_memory = true;
  const Status s = check_memory(*backend, device, {huge});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kBadInput);
  EXPECT_NE(s.error().message.find(huge->to_string()), std::string::npos) << s.error().message;
  // q, k, v, o: 4 * 64*64*2^20*128 fp32 = 2^43 B on the host; lse 64*64*2^20*4 = 2^34 B.
  // The backend's copies: q, k, v, o and lse again. In all 2^44 + 2^35 bytes.
  const std::int64_t bytes = (std::int64_t{1} << 44) + (std::int64_t{1} << 35);
  EXPECT_EQ(huge->host_bytes(), bytes / 2);
  EXPECT_EQ(backend->device_bytes(*huge), bytes / 2);
  EXPECT_NE(s.error().message.find(" " + std::to_string(bytes) + " bytes"), std::string::npos) << s.error().message;

  // And with this machine's real memory (far below 16 TiB).
  const Status real = check_memory(*backend, backend->device_info(), {huge});
  ASSERT_FALSE(real.ok());
  EXPECT_NE(real.error().message.find(std::to_string(bytes) + " bytes"), std::string::npos) << real.error().message;
}

TEST(CpuAttentionBackendTest, BackwardBuffersAreCounted) {
  // pass=bwd keeps o and lse (its untimed forward) and do, dq, dk, dv.
  std::unique_ptr<Backend> backend = make_backend("cpu");
  ASSERT_NE(backend, nullptr);
  const auto fwd = attention("attention:b=2,h=4,kvh=2,sq=8,skv=16,d=32,dtype=bf16,pass=fwd");
  const auto bwd = attention("attention:b=2,h=4,kvh=2,sq=8,skv=16,d=32,dtype=bf16,pass=bwd");
  ASSERT_NE(fwd, nullptr);
  ASSERT_NE(bwd, nullptr);
  const std::int64_t q = 2 * 4 * 8 * 32 * 2, kv = 2 * 2 * 16 * 32 * 2, lse = 2 * 4 * 8 * 4;
  EXPECT_EQ(backend->device_bytes(*fwd), 2 * q + 2 * kv + lse);  // q, o; k, v; lse
  // The backward kernel's row statistics (2 floats per query row) and its fp32
  // dq accumulator, rows padded to 64 floats; with every thread count these 4
  // kv heads allow, at most as many accumulators as threads.
  const std::int64_t rows = 2 * 4 * 8, splits = flash_detail::backward_splits(bwd->shape(), 2);
  EXPECT_EQ(make_test_backend("cpu", 2)->device_bytes(*bwd),
            4 * q + 4 * kv + lse + rows * 8 + splits * rows * 64 * 4);  // q, o, do, dq; k, v, dk, dv; lse
  EXPECT_EQ(splits, 1);
  // --cpu-attention onednn adds its scores and dP: 2 x 64 rows x 16 keys fp32.
  EXPECT_EQ(cpu_with("onednn")->supports(*bwd).supported, false);  // bf16: fp32 only
  const auto bwd32 = attention("attention:b=2,h=4,kvh=2,sq=8,skv=16,d=32,dtype=fp32,pass=bwd");
  ASSERT_NE(bwd32, nullptr);
  EXPECT_EQ(cpu_with("onednn")->device_bytes(*bwd32) - cpu_with("fused")->device_bytes(*bwd32), 2 * rows * 16 * 4);
}

// ---- The implementation candidates (--cpu-attention) ------------------------------------------

std::string implementation_of(Backend& backend, const std::string& text) {
  const auto problem = attention(text);
  if (problem == nullptr) return "(bad problem)";
  Expected<std::unique_ptr<Workload>> w = backend.prepare(problem, problem->make_inputs(kSeed));
  if (!w.ok()) return "(prepare failed: " + w.error().message + ")";
  return (*w)->implementation();
}

bool contains(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

TEST(CpuAttentionCandidatesTest, AutoTimesBothForFp32AndNamesTheOneKept) {
  std::unique_ptr<Backend> backend = cpu_with("auto");
  ASSERT_NE(backend, nullptr);
  for (const char* pass : {"fwd", "bwd", "fwdbwd"}) {
    const std::string impl = implementation_of(*backend, std::string("attention:b=1,h=4,kvh=2,sq=64,d=32,pass=") + pass);
    SCOPED_TRACE(impl);
    EXPECT_TRUE(contains(impl, "the faster of 2 timed at prepare (median of 3 runs): fused "));
    EXPECT_TRUE(contains(impl, " ms, oneDNN composition "));
    // The name at the front is the one kept: the flash kernels or the composition.
    EXPECT_TRUE(impl.rfind("trainbench flash attention (CPU ", 0) == 0 || impl.rfind("oneDNN ", 0) == 0);
  }
}

TEST(CpuAttentionCandidatesTest, AutoKeepsTheFasterOfTheTwoTimes) {
  // The times in the implementation string decide: the kept one is the smaller.
  std::unique_ptr<Backend> backend = cpu_with("auto");
  ASSERT_NE(backend, nullptr);
  for (const char* text : {"attention:b=1,h=8,sq=256,d=64,pass=fwd", "attention:b=1,h=8,sq=256,d=64,pass=bwd",
                           "attention:b=1,h=1,sq=8,d=16,pass=fwd"}) {
    const std::string impl = implementation_of(*backend, text);
    SCOPED_TRACE(impl);
    const std::size_t f = impl.find("fused "), c = impl.find("oneDNN composition ", impl.find("timed at prepare"));
    ASSERT_NE(f, std::string::npos);
    ASSERT_NE(c, std::string::npos);
    const double fused_ms = std::stod(impl.substr(f + 6)), composed_ms = std::stod(impl.substr(c + 19));
    // Printed to 4 significant digits: equal as printed, either may have been the faster.
    if (fused_ms == composed_ms) continue;
    EXPECT_EQ(impl.rfind("oneDNN ", 0) == 0, composed_ms < fused_ms) << fused_ms << " vs " << composed_ms;
  }
}

TEST(CpuAttentionCandidatesTest, Bf16HasOneCandidateAndSaysWhy) {
  std::unique_ptr<Backend> backend = cpu_with("auto");
  ASSERT_NE(backend, nullptr);
  const std::string impl = implementation_of(*backend, "attention:b=1,h=2,sq=16,d=16,dtype=bf16");
  EXPECT_TRUE(contains(impl, "the only candidate: the oneDNN composition is not one here (the composition is fp32 "
                             "only; this problem is bf16)"))
      << impl;
}

TEST(CpuAttentionCandidatesTest, AnOptionPinsEitherImplementation) {
  std::unique_ptr<Backend> fused = cpu_with("fused"), onednn = cpu_with("onednn");
  ASSERT_NE(fused, nullptr);
  ASSERT_NE(onednn, nullptr);
  const std::string text = "attention:b=1,h=2,sq=16,d=16,pass=fwdbwd";
  const std::string f = implementation_of(*fused, text), o = implementation_of(*onednn, text);
  EXPECT_EQ(f.rfind("trainbench flash attention (CPU ", 0), 0u) << f;
  EXPECT_TRUE(contains(f, "; pinned by --cpu-attention fused")) << f;
  EXPECT_EQ(o.rfind("oneDNN ", 0), 0u) << o;
  EXPECT_TRUE(contains(o, "composition, scores materialized (S matmul ")) << o;
  EXPECT_TRUE(contains(o, "; pinned by --cpu-attention onednn")) << o;
  // The reproducer line spells the option where it is not the default.
  EXPECT_EQ(fused->reproducer_options(), " --cpu-attention fused");
  EXPECT_EQ(onednn->reproducer_options(), " --cpu-attention onednn");
  EXPECT_EQ(cpu_with("auto")->reproducer_options(), "");
}

TEST(CpuAttentionCandidatesTest, PinnedCompositionRefusesBf16NamingTheOption) {
  std::unique_ptr<Backend> backend = cpu_with("onednn");
  ASSERT_NE(backend, nullptr);
  expect_unsupported(*backend, "attention:b=1,h=2,sq=8,d=16,dtype=bf16,pass=fwd",
                     {"--cpu-attention onednn", "fp32 only", "bf16"});
}

TEST(CpuAttentionCandidatesTest, ABadOptionValueIsRefusedNamingIt) {
  BackendOptions options;
  options.values["--cpu-attention"] = "fastest";
  Expected<std::unique_ptr<Backend>> backend = create_backend("cpu", options);
  ASSERT_FALSE(backend.ok());
  EXPECT_EQ(backend.error().code, ErrorCode::kBadInput);
  EXPECT_EQ(backend.error().message, "--cpu-attention fastest: expected one of auto, fused, onednn");
  // The backend made directly (a library caller) says the same through available().
  const Status s = make_cpu_backend(CpuEngine::kDefault, options)->available();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, backend.error().message);
  EXPECT_EQ(parse_cpu_attention_impl("fastest").error().code, ErrorCode::kBadInput);
}

// Auto times the composition only where its scores fit: fp32, at most 1 GiB
// of them and a quarter of the memory available.
TEST(CpuAttentionCandidatesTest, TheCompositionIsACandidateOnlyWhereItsScoresFit) {
  const std::int64_t gib = std::int64_t{1} << 30;
  // The bench shape: 256 MiB of scores forward, 512 MiB backward (P and dP).
  const auto fwd = attention("attention:b=1,h=16,sq=2048,d=128,pass=fwd");
  const auto bwd = attention("attention:b=1,h=16,sq=2048,d=128,pass=bwd");
  ASSERT_NE(fwd, nullptr);
  ASSERT_NE(bwd, nullptr);
  EXPECT_TRUE(composition_candidate(*fwd, 24 * gib).supported);
  EXPECT_TRUE(composition_candidate(*bwd, 24 * gib).supported);
  EXPECT_TRUE(composition_candidate(*bwd, 2 * gib).supported);  // exactly a quarter
  const Support small_host = composition_candidate(*bwd, 2 * gib - 1);
  EXPECT_FALSE(small_host.supported);
  EXPECT_TRUE(contains(small_host.reason, "512 MiB, over a quarter of the")) << small_host.reason;
  EXPECT_FALSE(composition_candidate(*fwd, 0).supported);  // memory unknown: not tried
  // s = 32768: 4 GiB of scores for one head. Auto keeps the fused kernel and its small footprint.
  const auto long_seq = attention("attention:b=1,h=1,sq=32768,d=128,pass=fwd");
  ASSERT_NE(long_seq, nullptr);
  const Support refused = composition_candidate(*long_seq, 1024 * gib);
  EXPECT_FALSE(refused.supported);
  EXPECT_TRUE(contains(refused.reason, "4096 MiB, over the 1024 MiB auto allows")) << refused.reason;
  const auto bf16 = attention("attention:b=1,h=1,sq=16,d=16,dtype=bf16");
  ASSERT_NE(bf16, nullptr);
  EXPECT_FALSE(composition_candidate(*bf16, 24 * gib).supported);
}

}  // namespace
}  // namespace tb
