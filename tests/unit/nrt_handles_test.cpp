// The Neuron runtime's RAII handles (backends/neuron/nrt_handles.h) through
// the official call sequence against the fake runtime (tests/fake_nrt):
// results checked against the reference computed here, every injected
// failure reported as "<call> failed: NAME (number)", nothing leaked.
#include "backends/neuron/nrt_handles.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "fake_nrt/fake_nrt_testing.h"
#include "kernels/gemm/gemm_problem.h"
#include "kernels/gemm/gemm_reference.h"
#include "kernels/kernel_registry.h"
#include "support/temp_dir.h"

namespace tb::nrt {
namespace {

using fakenrt::ScopedEnv;

const std::string kFake = FAKE_NRT_PATH;
constexpr std::uint64_t kSeed = 42;

ProblemPtr problem(const std::string& text) {
  Expected<ProblemPtr> p = parse_problem(text);
  EXPECT_TRUE(p.ok()) << text << ": " << (p.ok() ? "" : p.error().message);
  return p.ok() ? *p : nullptr;
}

// What one run of the official sequence produced.
struct SequenceResult {
  std::vector<HostTensor> inputs;
  std::vector<HostTensor> outputs;  // output_specs() order
  std::vector<NrtTensorDesc> info;
  RuntimeVersion version;
  std::uint32_t visible_nc = 0, total_nc = 0;
};

// The official sequence: init, version, NC counts, load, tensor info,
// allocate, add to sets, write inputs, execute, read outputs; then (RAII)
// sets, tensors, info, model, nrt_close. With `explicit_release`, the model
// and tensor info are released by hand so that their statuses are checked.
Status run_sequence(const NrtLibrary& lib, const Problem& p, const std::string& neff_path, SequenceResult& out,
                    bool explicit_release = false) {
  TB_ASSIGN_OR_RETURN(const std::vector<char> neff, read_neff_file(neff_path));
  TB_ASSIGN_OR_RETURN(std::unique_ptr<NrtRuntime> rt, NrtRuntime::init(lib));
  TB_ASSIGN_OR_RETURN(out.version, runtime_version(rt->api()));
  TB_ASSIGN_OR_RETURN(out.visible_nc, visible_nc_count(rt->api()));
  TB_ASSIGN_OR_RETURN(out.total_nc, total_nc_count(rt->api()));
  TB_ASSIGN_OR_RETURN(NrtModel model, NrtModel::load(*rt, neff));
  TB_ASSIGN_OR_RETURN(NrtTensorInfo info, NrtTensorInfo::query(model));
  out.info.assign(info.begin(), info.end());

  TB_ASSIGN_OR_RETURN(NrtTensorSet in_set, NrtTensorSet::allocate(*rt));
  TB_ASSIGN_OR_RETURN(NrtTensorSet out_set, NrtTensorSet::allocate(*rt));
  std::vector<NrtTensor> in_tensors, out_tensors;
  for (const NrtTensorDesc& d : info) {
    TB_ASSIGN_OR_RETURN(NrtTensor t, NrtTensor::allocate(*rt, d.size, d.name));
    TB_RETURN_IF_ERROR((d.is_input() ? in_set : out_set).add(t));
    (d.is_input() ? in_tensors : out_tensors).push_back(std::move(t));
  }
  out.inputs = p.make_inputs(kSeed);
  if (out.inputs.size() != in_tensors.size()) return run_failure("input count differs from the model's");
  for (std::size_t i = 0; i < in_tensors.size(); ++i) {
    TB_RETURN_IF_ERROR(in_tensors[i].write(out.inputs[i].data.data(), out.inputs[i].data.size()));
  }
  TB_RETURN_IF_ERROR(model.execute(in_set, out_set));
  const std::vector<TensorSpec> specs = p.output_specs();
  if (specs.size() != out_tensors.size()) return run_failure("output count differs from the model's");
  for (std::size_t i = 0; i < specs.size(); ++i) {
    HostTensor h(specs[i]);
    TB_RETURN_IF_ERROR(out_tensors[i].read(h.data.data(), h.data.size()));
    out.outputs.push_back(std::move(h));
  }
  if (explicit_release) {
    TB_RETURN_IF_ERROR(info.release());
    TB_RETURN_IF_ERROR(model.unload());
  }
  return {};
}

class NrtHandlesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Expected<std::unique_ptr<NrtLibrary>> lib = NrtLibrary::open(kFake);
    ASSERT_TRUE(lib.ok()) << lib.error().message;
    lib_ = std::move(lib).value();
  }

  // Writes the fake NEFF of `p` and returns its path.
  std::string write_neff(const Problem& p) const {
    return dir_.write("kernel.neff", fakenrt::to_text(fakenrt::fake_neff_for(p)));
  }

  fakenrt::CleanFakeEnv env_;
  fakenrt::StatsProbe probe_{kFake};
  tbtest::TempDir dir_;
  std::unique_ptr<NrtLibrary> lib_;
};

// ---- read_neff_file ----

TEST(NrtDtypeTest, OneNameForEveryCode) {
  // Our dtypes by trainbench's names, so that the manifest's dtype compares equal.
  for (const DType d : {DType::kFp32, DType::kBf16, DType::kFp16}) {
    EXPECT_EQ(nrt_dtype_name(static_cast<std::uint32_t>(dtype_to_nrt(d))), dtype_name(d));
  }
  EXPECT_EQ(nrt_dtype_name(0xA), "fp32");
  EXPECT_EQ(nrt_dtype_name(0x6), "bf16");
  EXPECT_EQ(nrt_dtype_name(0x7), "fp16");
  // The other documented codes by their type.
  EXPECT_EQ(nrt_dtype_name(0x0), "unknown");
  EXPECT_EQ(nrt_dtype_name(0x2), "int8");
  EXPECT_EQ(nrt_dtype_name(0xB), "fp32r");
  EXPECT_EQ(nrt_dtype_name(0xD), "fp8_e3");
  // Every code of nrt.h has a name of its own; anything else shows its number.
  for (std::uint32_t code = 0; code <= NRT_DTYPE_FP8_E5; ++code) {
    EXPECT_EQ(nrt_dtype_name(code).find("nrt_dtype"), std::string::npos) << code;
  }
  EXPECT_EQ(nrt_dtype_name(0x10), "nrt_dtype 0x10");
  EXPECT_EQ(nrt_dtype_name(0x1f), "nrt_dtype 0x1f");
  EXPECT_EQ(nrt_dtype_name(0xFFFFFFFFu), "nrt_dtype 0xffffffff");
}

TEST_F(NrtHandlesTest, ReadNeffFileReturnsTheBytes) {
  const std::string path = dir_.write("a.neff", std::string("FAKE\0bytes", 10));
  const Expected<std::vector<char>> bytes = read_neff_file(path);
  ASSERT_TRUE(bytes.ok()) << bytes.error().message;
  EXPECT_EQ(std::string(bytes->begin(), bytes->end()), std::string("FAKE\0bytes", 10));
}

TEST_F(NrtHandlesTest, ReadNeffFileMissing) {
  const std::string path = dir_.file("missing.neff");
  const Expected<std::vector<char>> bytes = read_neff_file(path);
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.error().code, ErrorCode::kBadInput);
  EXPECT_EQ(bytes.error().message, "NEFF file '" + path + "' does not exist");
}

TEST_F(NrtHandlesTest, ReadNeffFileEmpty) {
  const std::string path = dir_.write("empty.neff", "");
  const Expected<std::vector<char>> bytes = read_neff_file(path);
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.error().code, ErrorCode::kBadInput);
  EXPECT_EQ(bytes.error().message, "NEFF file '" + path + "' is empty");
}

TEST_F(NrtHandlesTest, ReadNeffFileDirectory) {
  const Expected<std::vector<char>> bytes = read_neff_file(dir_.path().string());
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.error().code, ErrorCode::kIo);
  EXPECT_NE(bytes.error().message.find("is not a regular file"), std::string::npos) << bytes.error().message;
}

TEST_F(NrtHandlesTest, ReadNeffFileUnreadable) {
  const std::string path = dir_.write("secret.neff", "FAKE-NEFF 1\n");
  ASSERT_EQ(chmod(path.c_str(), 0), 0);
  if (std::ifstream(path).good()) GTEST_SKIP() << "running with permission to read any file (root)";
  const Expected<std::vector<char>> bytes = read_neff_file(path);
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.error().code, ErrorCode::kIo);
  EXPECT_EQ(bytes.error().message.rfind("cannot read NEFF file '" + path + "': ", 0), 0u) << bytes.error().message;
}

// ---- the whole sequence ----

class NrtSequenceTest : public NrtHandlesTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(NrtSequenceTest, RunsTheOfficialSequenceAndMatchesTheReference) {
  const ProblemPtr p = problem(GetParam());
  ASSERT_NE(p, nullptr);
  SequenceResult r;
  const Status s = run_sequence(*lib_, *p, write_neff(*p), r);
  ASSERT_TRUE(s.ok()) << s.error().message;

  EXPECT_EQ(r.version.major, 2u);
  EXPECT_EQ(r.version.to_string(), "2.99.0.0");
  EXPECT_NE(r.version.detail.find("fake_nrt"), std::string::npos);
  EXPECT_EQ(r.visible_nc, 2u);
  EXPECT_EQ(r.total_nc, 2u);

  // The tensor info describes the file's tensors: inputs, then outputs.
  const std::vector<TensorSpec> in = p->input_specs();
  const std::vector<TensorSpec> out = p->output_specs();
  ASSERT_EQ(r.info.size(), in.size() + out.size());
  for (std::size_t i = 0; i < r.info.size(); ++i) {
    const bool input = i < in.size();
    const TensorSpec& spec = input ? in[i] : out[i - in.size()];
    const NrtTensorDesc& d = r.info[i];
    EXPECT_EQ(d.name, spec.name);
    EXPECT_EQ(d.is_input(), input) << d.name;
    EXPECT_EQ(d.size, static_cast<std::size_t>(spec.bytes())) << d.name;
    EXPECT_EQ(d.dtype, dtype_to_nrt(spec.dtype)) << d.name;
    EXPECT_EQ(dtype_from_nrt(d.dtype), spec.dtype) << d.name;
    EXPECT_EQ(std::vector<std::int64_t>(d.shape.begin(), d.shape.end()), spec.shape) << d.name;
  }

  // Outputs: verified like every backend's, and for GEMM equal to the
  // reference computed here, rounded to the output dtype.
  const Verification v = p->verify(r.inputs, r.outputs, kSeed);
  EXPECT_TRUE(v.passed) << v.detail;
  EXPECT_EQ(v.nonfinite, 0);
  if (const auto* gemm = dynamic_cast<const GemmProblem*>(p.get()); gemm != nullptr) {
    const std::vector<double> ref = gemm_reference(*gemm, r.inputs[0], r.inputs[1]);
    HostTensor expected(out[0]);
    for (std::size_t i = 0; i < ref.size(); ++i) expected.set(i, static_cast<float>(ref[i]));
    ASSERT_EQ(r.outputs.size(), 1u);
    EXPECT_EQ(r.outputs[0].data, expected.data) << "c differs from the reference";
  }
  probe_.expect_clean(GetParam());
  EXPECT_EQ(probe_.stats().executions, 1);
}

INSTANTIATE_TEST_SUITE_P(NrtProblems, NrtSequenceTest,
                         ::testing::Values("gemm:m=64,n=32,k=16,dtype=fp32", "gemm:m=33,n=17,k=40,dtype=bf16",
                                           "gemm:m=8,n=12,k=20,ta=1,tb=1,dtype=fp16",
                                           "attention:b=1,h=2,kvh=1,sq=16,skv=16,d=8,causal=1,dtype=fp32,pass=fwd"));

// ---- injected failures: each names its call and status, and leaks nothing ----

struct InjectedFailure {
  const char* fail;      // FAKE_NRT_FAIL
  const char* message;   // expected in the error
  ErrorCode code;
  bool explicit_release;  // release model and info by hand (their statuses are checked)
};

void PrintTo(const InjectedFailure& f, std::ostream* os) { *os << f.fail; }

class NrtInjectedFailureTest : public NrtHandlesTest, public ::testing::WithParamInterface<InjectedFailure> {};

TEST_P(NrtInjectedFailureTest, ReportsTheCallAndStatusAndLeaksNothing) {
  const InjectedFailure& f = GetParam();
  const ProblemPtr p = problem("gemm:m=16,n=8,k=4,dtype=fp32");
  ASSERT_NE(p, nullptr);
  const std::string neff = write_neff(*p);
  ScopedEnv fail("FAKE_NRT_FAIL", f.fail);
  SequenceResult r;
  ::testing::internal::CaptureStderr();
  const Status s = run_sequence(*lib_, *p, neff, r, f.explicit_release);
  const std::string err = ::testing::internal::GetCapturedStderr();
  ASSERT_FALSE(s.ok()) << f.fail;
  EXPECT_EQ(s.error().message, f.message);
  EXPECT_EQ(s.error().code, f.code);
  EXPECT_NE(err.find("FAKE_NRT_FAIL"), std::string::npos) << err;  // the fake really injected it
  probe_.expect_clean(f.fail);
}

INSTANTIATE_TEST_SUITE_P(
    NrtEveryCall, NrtInjectedFailureTest,
    ::testing::Values(
        InjectedFailure{"init", "nrt_init failed: FAILURE (1)", ErrorCode::kUnavailable, false},
        InjectedFailure{"get_version:4", "nrt_get_version failed: RESOURCE (4)", ErrorCode::kRunFailure, false},
        InjectedFailure{"get_visible_vnc_count:6", "nrt_get_visible_vnc_count failed: HW_ERROR (6)",
                        ErrorCode::kRunFailure, false},
        InjectedFailure{"nrt_get_total_vnc_count:1", "nrt_get_total_vnc_count failed: FAILURE (1)",
                        ErrorCode::kRunFailure, false},
        InjectedFailure{"load:10", "nrt_load failed: UNSUPPORTED_NEFF_VERSION (10)", ErrorCode::kRunFailure, false},
        InjectedFailure{"load:9", "nrt_load failed: LOAD_NOT_ENOUGH_NC (9)", ErrorCode::kRunFailure, false},
        InjectedFailure{"get_model_tensor_info:2", "nrt_get_model_tensor_info failed: INVALID (2)",
                        ErrorCode::kRunFailure, false},
        InjectedFailure{"allocate_tensor_set:11", "nrt_allocate_tensor_set failed: FAIL_HOST_MEM_ALLOC (11)",
                        ErrorCode::kRunFailure, false},
        InjectedFailure{"allocate_tensor_set:4@2", "nrt_allocate_tensor_set failed: RESOURCE (4)",
                        ErrorCode::kRunFailure, false},
        InjectedFailure{"tensor_allocate:4", "nrt_tensor_allocate (tensor 'a', 256 B) failed: RESOURCE (4)",
                        ErrorCode::kRunFailure, false},
        InjectedFailure{"tensor_allocate:4@3", "nrt_tensor_allocate (tensor 'c', 512 B) failed: RESOURCE (4)",
                        ErrorCode::kRunFailure, false},
        InjectedFailure{"add_tensor_to_tensor_set:3@2",
                        "nrt_add_tensor_to_tensor_set (tensor 'b') failed: INVALID_HANDLE (3)", ErrorCode::kRunFailure,
                        false},
        InjectedFailure{"tensor_write:2@2", "nrt_tensor_write (tensor 'b') failed: INVALID (2)",
                        ErrorCode::kRunFailure, false},
        InjectedFailure{"execute:1003", "nrt_execute failed: EXEC_COMPLETED_WITH_NUM_ERR (1003)",
                        ErrorCode::kRunFailure, false},
        InjectedFailure{"execute:5", "nrt_execute failed: TIMEOUT (5)", ErrorCode::kRunFailure, false},
        InjectedFailure{"execute:1206", "nrt_execute failed: NETWORK_PROXY_FAILURE (1206)", ErrorCode::kRunFailure,
                        false},
        InjectedFailure{"execute:4242", "nrt_execute failed: UNKNOWN (4242)", ErrorCode::kRunFailure, false},
        InjectedFailure{"tensor_read:1004", "nrt_tensor_read (tensor 'c') failed: EXEC_COMPLETED_WITH_ERR (1004)",
                        ErrorCode::kRunFailure, false},
        InjectedFailure{"free_model_tensor_info:1", "nrt_free_model_tensor_info failed: FAILURE (1)",
                        ErrorCode::kRunFailure, true},
        InjectedFailure{"unload:14", "nrt_unload failed: CLOSED (14)", ErrorCode::kRunFailure, true}));

// ---- the fake's own checks, which the adapter relies on ----

TEST_F(NrtHandlesTest, NeffOfAnotherVersionIsUnsupported) {
  const std::string path = dir_.write("v2.neff", "FAKE-NEFF 2\nkernel gemm:m=2,n=2,k=2,dtype=fp32\n");
  Expected<std::vector<char>> bytes = read_neff_file(path);
  ASSERT_TRUE(bytes.ok());
  {
    Expected<std::unique_ptr<NrtRuntime>> rt = NrtRuntime::init(*lib_);
    ASSERT_TRUE(rt.ok()) << rt.error().message;
    ::testing::internal::CaptureStderr();
    const Expected<NrtModel> model = NrtModel::load(**rt, *bytes);
    ::testing::internal::GetCapturedStderr();
    ASSERT_FALSE(model.ok());
    EXPECT_EQ(model.error().message, "nrt_load failed: UNSUPPORTED_NEFF_VERSION (10)");
  }
  probe_.expect_clean("v2");
}

TEST_F(NrtHandlesTest, NeffWhoseTensorsDisagreeWithTheKernelIsInvalid) {
  const ProblemPtr p = problem("gemm:m=4,n=4,k=4,dtype=fp32");
  fakenrt::FakeNeff neff = fakenrt::fake_neff_for(*p);
  neff.tensors[1].shape = {4, 5};
  for (const std::string& text : {fakenrt::to_text(neff), std::string("not a neff at all")}) {
    Expected<std::unique_ptr<NrtRuntime>> rt = NrtRuntime::init(*lib_);
    ASSERT_TRUE(rt.ok()) << rt.error().message;
    ::testing::internal::CaptureStderr();
    const Expected<NrtModel> model = NrtModel::load(**rt, std::vector<char>(text.begin(), text.end()));
    const std::string err = ::testing::internal::GetCapturedStderr();
    ASSERT_FALSE(model.ok());
    EXPECT_EQ(model.error().message, "nrt_load failed: INVALID (2)");
    EXPECT_NE(err.find("fake_nrt: nrt_load:"), std::string::npos) << err;
  }
  probe_.expect_clean("bad tensors");
}

TEST_F(NrtHandlesTest, MovedHandlesAreReleasedOnce) {
  const ProblemPtr p = problem("gemm:m=4,n=4,k=4,dtype=bf16");
  const Expected<std::vector<char>> neff = read_neff_file(write_neff(*p));
  ASSERT_TRUE(neff.ok());
  {
    Expected<std::unique_ptr<NrtRuntime>> rt = NrtRuntime::init(*lib_);
    ASSERT_TRUE(rt.ok()) << rt.error().message;
    Expected<NrtModel> model = NrtModel::load(**rt, *neff);
    ASSERT_TRUE(model.ok()) << model.error().message;
    NrtModel moved = std::move(*model);
    NrtModel assigned = std::move(moved);
    Expected<NrtTensor> t = NrtTensor::allocate(**rt, 32, "a");
    ASSERT_TRUE(t.ok()) << t.error().message;
    EXPECT_EQ(t->size(), 32u);
    NrtTensor t2 = std::move(*t);
    EXPECT_EQ(t2.size(), 32u);
    Expected<NrtTensorSet> set = NrtTensorSet::allocate(**rt);
    ASSERT_TRUE(set.ok());
    NrtTensorSet set2 = std::move(*set);
    EXPECT_TRUE(set2.add(t2).ok());
    Expected<NrtTensorInfo> info = NrtTensorInfo::query(assigned);
    ASSERT_TRUE(info.ok());
    NrtTensorInfo info2 = std::move(*info);
    EXPECT_EQ(info2.size(), 3u);
    ASSERT_NE(info2.find("c"), nullptr);
    EXPECT_FALSE(info2.find("c")->is_input());
    EXPECT_EQ(info2.find("nope"), nullptr);
    EXPECT_TRUE(assigned.unload().ok());
    EXPECT_TRUE(assigned.unload().ok());  // already empty
    EXPECT_EQ(probe_.stats().models, 0);
  }
  probe_.expect_clean("moves");
}

TEST_F(NrtHandlesTest, WriteOutsideTheTensorIsAnError) {
  {
    Expected<std::unique_ptr<NrtRuntime>> rt = NrtRuntime::init(*lib_);
    ASSERT_TRUE(rt.ok()) << rt.error().message;
    Expected<NrtTensor> t = NrtTensor::allocate(**rt, 16, "x");
    ASSERT_TRUE(t.ok());
    const char data[32] = {};
    ::testing::internal::CaptureStderr();
    const Status s = t->write(data, sizeof data);
    ::testing::internal::GetCapturedStderr();
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().message, "nrt_tensor_write (tensor 'x') failed: INVALID (2)");
    EXPECT_TRUE(t->write(data, 8, 8).ok());
  }
  probe_.expect_clean("write");
}

TEST_F(NrtHandlesTest, NoopModeExecutesNothing) {
  const ProblemPtr p = problem("gemm:m=8,n=8,k=8,dtype=fp32");
  const Expected<std::vector<char>> neff = read_neff_file(write_neff(*p));
  ASSERT_TRUE(neff.ok());
  ScopedEnv noop("FAKE_NRT_NOOP", "1");
  {
    Expected<std::unique_ptr<NrtRuntime>> rt = NrtRuntime::init(*lib_);
    ASSERT_TRUE(rt.ok()) << rt.error().message;
    Expected<NrtModel> model = NrtModel::load(**rt, *neff);
    ASSERT_TRUE(model.ok());
    Expected<NrtTensorSet> in = NrtTensorSet::allocate(**rt);
    Expected<NrtTensorSet> out = NrtTensorSet::allocate(**rt);
    ASSERT_TRUE(in.ok() && out.ok());
    Expected<NrtTensor> c = NrtTensor::allocate(**rt, 8 * 8 * 4, "c");
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(out->add(*c).ok());
    constexpr int kCalls = 20000;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kCalls; ++i) ASSERT_TRUE(model->execute(*in, *out).ok());
    const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
    std::printf("NrtModel::execute against FAKE_NRT_NOOP=1: %.3f us per call\n", us / kCalls);
    EXPECT_LT(us / kCalls, 100.0);  // a sanity bound only; the 5 us target is measured by the benchmarks
    float first = 0.0f;
    ASSERT_TRUE(c->read(&first, sizeof first).ok());
    EXPECT_TRUE(std::isnan(first)) << "no-op execute wrote the output";
    EXPECT_EQ(probe_.stats().executions, 0);
  }
  probe_.expect_clean("noop");
}

TEST_F(NrtHandlesTest, CallsBeforeInitAreRejectedAndCounted) {
  nrt_tensor_t* t = nullptr;
  const std::int64_t misuse_before = probe_.stats().misuse;
  ::testing::internal::CaptureStderr();
  const int st = lib_->api().nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, 16, "x", &t);
  ::testing::internal::GetCapturedStderr();
  // UNINITIALIZED on a freshly loaded fake, CLOSED when an earlier test's runtime was closed.
  EXPECT_TRUE(st == NRT_UNINITIALIZED || st == NRT_CLOSED) << describe_status(st);
  EXPECT_EQ(t, nullptr);
  EXPECT_EQ(probe_.stats().misuse, misuse_before + 1);
  // nrt_init resets the counters.
  {
    Expected<std::unique_ptr<NrtRuntime>> rt = NrtRuntime::init(*lib_);
    ASSERT_TRUE(rt.ok());
  }
  probe_.expect_clean("after init");
}

TEST_F(NrtHandlesTest, LeakAtCloseIsReported) {
  {
    Expected<std::unique_ptr<NrtRuntime>> rt = NrtRuntime::init(*lib_);
    ASSERT_TRUE(rt.ok());
    nrt_tensor_t* leaked = nullptr;
    ASSERT_EQ(lib_->api().nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, 16, "leaked", &leaked), NRT_SUCCESS);
    ::testing::internal::CaptureStderr();
    rt->reset();  // nrt_close with the tensor alive
    const std::string err = ::testing::internal::GetCapturedStderr();
    EXPECT_NE(err.find("still alive: 0 model(s), 1 tensor(s)"), std::string::npos) << err;
  }
  EXPECT_EQ(probe_.stats().leaked_at_close, 1);
  EXPECT_EQ(probe_.stats().tensors, 0);  // the fake released it at close
}

using NrtHandlesDeathTest = NrtHandlesTest;

TEST_F(NrtHandlesDeathTest, StrictModeAbortsOnALeak) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  ScopedEnv strict("FAKE_NRT_STRICT", "1");
  EXPECT_DEATH(
      {
        Expected<std::unique_ptr<NrtRuntime>> rt = NrtRuntime::init(*lib_);
        nrt_tensor_t* leaked = nullptr;
        (void)lib_->api().nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, 16, "leaked", &leaked);
        rt->reset();
      },
      "FAKE_NRT_STRICT=1: aborting");
}

}  // namespace
}  // namespace tb::nrt
