// The NKI tooling without the Neuron SDK: the static check of the kernels
// (check_kernels.py), and compile_neffs.py recording a NEFF's real tensor
// names (read by `trainbench neff-info` through the fake runtime), compiling
// through a fake `nki` module (tests/data/fake_nki) that writes a fake NEFF
// where NKI_ARTIFACTS_DIR says, and the manifest it writes running through
// the neuron backend. Python is Debian's, /usr/bin/python3 with python3-numpy
// (scripts/install-deps.sh --test installs both), not whichever python3 a
// user's PATH puts first; looked up when the tests run, since `make test`
// installs it after the build is configured.
//
// Filter: --gtest_filter='NkiTooling*'.
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli_test_support.h"

namespace tbtest {
namespace {

constexpr const char* kNkiDir = TRAINBENCH_SOURCE_DIR "/src/backends/neuron/nki";
constexpr const char* kPython3 = "/usr/bin/python3";
// A GEMM the NKI kernel's tiling covers (m and k multiples of 128, n of 512), small enough for the fake.
constexpr const char* kGemm = "gemm:m=128,n=512,k=128,dtype=fp32";

class NkiTooling : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    if (!fs::exists(kPython3)) GTEST_SKIP() << kPython3 << " is not installed (scripts/install-deps.sh --test installs it)";
  }

  ProcessResult python(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) const {
    std::vector<std::string> argv = {kPython3};
    argv.insert(argv.end(), args.begin(), args.end());
    ProcessOptions options;
    options.env = env;
    return run_process(argv, options);
  }

  std::vector<std::string> compile_script(const std::vector<std::string>& extra) const {
    std::vector<std::string> args = {std::string(kNkiDir) + "/compile_neffs.py", "--manifest",
                                     (dir_ / "manifest.json").string(), "--trainbench", kTrainbench,
                                     "--neuron-runtime", FAKE_NRT_PATH};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  json manifest() const { return read_json(dir_ / "manifest.json"); }

  // The GEMM through the neuron backend with the written manifest: verified against the reference.
  void expect_gemm_runs() const {
    std::vector<std::string> args = {"run",           "--backend", "neuron", "--neuron-runtime", FAKE_NRT_PATH,
                                     "--neuron-manifest", (dir_ / "manifest.json").string(), "--problem", kGemm,
                                     "--out",           out_.string()};
    args.insert(args.end(), kQuick.begin(), kQuick.end());
    const ProcessResult r = trainbench(args);
    ASSERT_TRUE(exited_with(r, 0)) << r.out << r.err;
    const json doc = read_json(json_files(out_).at(0));
    EXPECT_EQ(doc["results"][0]["status"], "passed") << doc["results"][0].dump(1);
  }
};

TEST_F(NkiTooling, TheKernelsPassTheStaticCheckAndTheCheckerFindsViolations) {
  const ProcessResult kernels = python({std::string(kNkiDir) + "/check_kernels.py"});
  EXPECT_TRUE(exited_with(kernels, 0)) << kernels.out << kernels.err;
  EXPECT_NE(kernels.err.find("4 files, 0 violations"), std::string::npos) << kernels.err;
  const ProcessResult self = python({std::string(kNkiDir) + "/check_kernels.py", "--self-test"});
  EXPECT_TRUE(exited_with(self, 0)) << self.out << self.err;
  // The attention kernel this issue fixed indexed a key/value head as hq // group.
  write_text(dir_ / "old.py",
             "def k(q, o):\n    for hq in range(8):\n        f(q, o, hq, hq // 2)\n"
             "def f(q, o, hq, g):\n    o[hq] = q[g]\n");
  const ProcessResult old = python({std::string(kNkiDir) + "/check_kernels.py", (dir_ / "old.py").string()});
  EXPECT_TRUE(exited_with(old, 1)) << old.out << old.err;
  EXPECT_NE(old.out.find("argument 'hq // 2' of f is not affine"), std::string::npos) << old.out;
}

// --neff: an already compiled NEFF, whose tensors are named as NKI names
// them (inputs after the arguments, the output output_0), is recorded with
// those names, and the adapter runs it.
TEST_F(NkiTooling, ARecordedNeffKeepsItsOwnNames) {
  write_text(dir_ / "k.neff", "FAKE-NEFF 1\nkernel " + std::string(kGemm) +
                                  "\ninput a_t fp32 128,128 transposed\ninput b fp32 128,512\n"
                                  "output output_0 fp32 128,512\n");
  const ProcessResult r = python(compile_script({"--neff", (dir_ / "k.neff").string(), kGemm}));
  ASSERT_TRUE(exited_with(r, 0)) << r.out << r.err;
  const json entry = manifest()["neffs"].at(0);
  EXPECT_EQ(entry["inputs"][0]["name"], "a_t");
  EXPECT_EQ(entry["inputs"][0]["layout"], "transposed");
  EXPECT_EQ(entry["outputs"][0]["name"], "output_0") << "not the guessed 'c'";
  EXPECT_EQ(manifest()["lnc"], 1);
  expect_gemm_runs();

  // A NEFF whose output is not the problem's shape is refused, naming the NEFF's tensors.
  write_text(dir_ / "bad.neff", "FAKE-NEFF 1\nkernel gemm:m=128,n=512,k=256,dtype=fp32\n"
                                    "input a_t fp32 256,128 transposed\ninput b fp32 256,512\n"
                                    "output output_0 fp32 128,512\n");
  const ProcessResult bad = python(compile_script({"--neff", (dir_ / "bad.neff").string(), kGemm}));
  EXPECT_TRUE(exited_with(bad, 1));
  EXPECT_NE(bad.err.find("input 'a_t' fp32 [256, 128]"), std::string::npos) << bad.err;
}

// The compile path of the current nki module, through a fake `nki`: the
// target and LNC reach the compiler's environment, the NEFF comes from
// NKI_ARTIFACTS_DIR, and its names are read back into the manifest.
TEST_F(NkiTooling, CompilingPassesTheTargetAndRecordsTheNeffsNames) {
  const std::string log = (dir_ / "compile.log").string();
  const std::vector<std::string> env = {std::string("PYTHONPATH=") + TRAINBENCH_TEST_DATA_DIR + "/fake_nki",
                                        std::string("FAKE_NKI_PROBLEM=") + kGemm,
                                        "FAKE_NKI_OUTPUTS=fp32 128,512", "FAKE_NKI_TRANSPOSED=a_t",
                                        "FAKE_NKI_LOG=" + log};
  const ProcessResult r = python(compile_script({"--nki-module", "nki", "--target", "trn2", kGemm}), env);
  ASSERT_TRUE(exited_with(r, 0)) << r.out << r.err;
  std::ifstream in(log);
  std::stringstream seen;
  seen << in.rdbuf();
  EXPECT_NE(seen.str().find("target=trn2\n"), std::string::npos) << seen.str();
  EXPECT_NE(seen.str().find("lnc=1\n"), std::string::npos) << seen.str();
  EXPECT_NE(seen.str().find("arguments=a_t,b\n"), std::string::npos) << seen.str();
  EXPECT_NE(seen.str().find("artifacts=/"), std::string::npos) << seen.str();
  const json m = manifest();
  EXPECT_EQ(m["target"], "trn2");
  const json entry = m["neffs"].at(0);
  EXPECT_EQ(entry["outputs"][0]["name"], "output_0");
  EXPECT_NE(entry["compiled_with"].get<std::string>().find("NKI module nki"), std::string::npos) << entry.dump(1);
  EXPECT_NE(entry["compiled_with"].get<std::string>().find("target trn2"), std::string::npos) << entry.dump(1);
  expect_gemm_runs();
}

}  // namespace
}  // namespace tbtest
