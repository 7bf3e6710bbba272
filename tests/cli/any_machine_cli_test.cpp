// trainbench on any machine (issue: runs anywhere): the instruction-set cap and
// the fallbacks it exercises, --backend auto, and kernels a machine cannot run.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli_test_support.h"

namespace tbtest {
namespace {

using nlohmann::json;

// The instruction set capped at AVX2 for trainbench's kernels, oneDNN and OpenBLAS.
const std::vector<std::string> kAvx2 = {"TRAINBENCH_MAX_ISA=avx2", "ONEDNN_MAX_CPU_ISA=AVX2",
                                        "OPENBLAS_CORETYPE=Haswell"};

class AnyMachine : public CliTest {
 protected:
  json only_result_file() const {
    const std::vector<fs::path> files = json_files(out_);
    EXPECT_EQ(files.size(), 1u);
    return files.empty() ? json() : read_json(files[0]);
  }
  static std::string property(const json& doc, const std::string& key) {
    return doc["context"]["trainbench"]["device"]["properties"].value(key, "(absent: " + key + ")");
  }
};

TEST_F(AnyMachine, CappedAtAvx2TheLowPrecisionKernelsRunThroughTheirFallbacksAndVerify) {
  std::vector<std::string> args = {"run", "--backend", "cpu", "--out", out_.string(), "--problem",
                                   "gemm:m=96,n=80,k=64,dtype=bf16|fp16", "--problem",
                                   "attention:b=1,h=2,sq=64,d=32,causal=1,dtype=bf16,pass=fwd|bwd"};
  args.insert(args.end(), kQuick.begin(), kQuick.end());
  ProcessOptions options;
  options.env = kAvx2;
  const ProcessResult r = trainbench(args, options);
  ASSERT_TRUE(exited_with(r, 0));
  const json doc = only_result_file();
  if (property(doc, "cpu_isa").rfind("portable", 0) == 0) GTEST_SKIP() << "this CPU has no AVX2";
  EXPECT_EQ(property(doc, "cpu_isa").rfind("avx2 (detected ", 0), 0u) << property(doc, "cpu_isa");
  EXPECT_EQ(property(doc, "onednn_effective_cpu_isa"), "avx2");
  ASSERT_EQ(doc["results"].size(), 4u);
  for (const json& result : doc["results"]) {
    const std::string problem = result["problem"], impl = result["implementation"];
    EXPECT_EQ(result["status"], "passed") << result.dump(1);
    EXPECT_TRUE(result["verification"]["passed"].get<bool>()) << problem;
    EXPECT_EQ(result["peak_dtype"], "fp32") << problem << ": computed in fp32, compared with the fp32 peak";
    EXPECT_GT(result["fraction_of_peak"].get<double>(), 0.0) << problem;
    if (problem.rfind("gemm:", 0) == 0) {
      const std::string dtype = result["dtype"];
      EXPECT_EQ(impl.rfind("fallback: " + dtype + " widened to fp32, OpenBLAS cblas_sgemm", 0), 0u) << impl;
    } else {
      EXPECT_NE(impl.find("CPU avx2 kernels"), std::string::npos) << impl;
    }
  }
}

TEST_F(AnyMachine, CappedTheProbesMeasureOnlyWhatTheCapAllows) {
  ProcessOptions options;
  options.env = {"TRAINBENCH_MAX_ISA=portable", "ONEDNN_MAX_CPU_ISA=SSE41"};  // no FMA probe at all
  const ProcessResult r = trainbench({"run", "--backend", "cpu", "--out", out_.string(), "--problem",
                                      "gemm:m=16,n=16,k=16", "--repetitions", "2", "--min-time", "0.01"},
                                     options);
  ASSERT_TRUE(exited_with(r, 0));
  const json doc = only_result_file();
  const std::string source = doc["context"]["trainbench"]["device"]["peak_source"];
  EXPECT_NE(source.find("no fp32 peak"), std::string::npos) << source;
  EXPECT_NE(source.find("no bf16 FMA usable"), std::string::npos) << source;
  EXPECT_EQ(doc["results"][0]["fraction_of_peak"].get<double>(), -1.0);
}

TEST_F(AnyMachine, AnUnknownIsaCapIsRefusedBeforeAnythingRuns) {
  ProcessOptions options;
  options.env = {"TRAINBENCH_MAX_ISA=avx1024"};
  const ProcessResult r =
      trainbench({"run", "--backend", "cpu", "--out", out_.string(), "--problem", "gemm:m=16,n=16,k=16"}, options);
  expect_bad_input(r, {"TRAINBENCH_MAX_ISA='avx1024'", "avx2"});
}

TEST_F(AnyMachine, AutoWithoutAnAcceleratorChoosesTheCpuAndSaysWhyNotTheOthers) {
  ProcessOptions options;
  options.env = {"TRAINBENCH_NEURON_RUNTIME=" + (dir_ / "no-libnrt.so").string()};
  const ProcessResult r = trainbench(
      {"run", "--out", out_.string(), "--problem", "gemm:m=32,n=16,k=8", "--repetitions", "2", "--min-time", "0.01"},
      options);
  ASSERT_TRUE(exited_with(r, 0));
  EXPECT_NE(r.out.find("backend: auto: chose cpu\n  not cuda: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\n  not neuron: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("no-libnrt.so"), std::string::npos) << r.out;
  const json doc = only_result_file();
  EXPECT_EQ(doc["context"]["trainbench"]["backend"], "cpu");
  EXPECT_NE(doc["results"][0]["reproducer"].get<std::string>().find("--backend cpu "), std::string::npos)
      << "the reproducer names the backend that ran, not auto";
}

TEST_F(AnyMachine, AutoChoosesNeuronWhenItsRuntimeAndDeviceAreThere) {
  ProcessOptions options;
  options.env = {std::string("TRAINBENCH_NEURON_RUNTIME=") + FAKE_NRT_PATH};
  const ProcessResult r = trainbench({"run", "--out", out_.string(), "--format", "json", "--problem",
                                      "gemm:m=32,n=16,k=8", "--repetitions", "2", "--min-time", "0.01"},
                                     options);
  ASSERT_TRUE(exited_with(r, 0)) << "a problem without a NEFF is skipped, not failed";
  EXPECT_NE(r.err.find("trainbench: auto: chose neuron\n  not cuda: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("\n  not cpu: not tried: neuron comes first"), std::string::npos) << r.err;
  const json doc = only_result_file();
  EXPECT_EQ(doc["context"]["trainbench"]["backend"], "neuron");
  EXPECT_EQ(doc["results"][0]["status"], "skipped");
}

TEST_F(AnyMachine, ThreadsBeyondTheMachineAreRefused) {
  const ProcessResult r = run_quick({"--backend", "cpu", "--problem", "gemm:m=4,n=4,k=4", "--threads", "4096"});
  expect_bad_input(r, {"--threads 4096", "logical CPUs"});
}

TEST_F(AnyMachine, AModelStepWithAKernelThisBackendCannotRunIsReportedAndExitsZero) {
  // cpu-eigen has no bf16 GEMM and no attention: the step cannot be composed here.
  const ProcessResult r = trainbench({"run", "--backend", "cpu-eigen", "--model", "llama3.2-1b", "--tokens", "64",
                                      "--instance", "none", "--out", out_.string(), "--repetitions", "2",
                                      "--min-time", "0.01", "--warmup-time", "0"});
  ASSERT_TRUE(exited_with(r, 0));
  EXPECT_NE(r.err.find("trainbench: note: the step cannot be composed on this machine: it needs gemm:"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("cpu-eigen: bf16 GEMM not supported"), std::string::npos) << r.err;
  const json doc = only_result_file();
  EXPECT_FALSE(doc["results"].empty()) << "the problems that ran are written";
  for (const json& result : doc["results"]) EXPECT_EQ(result["status"], "skipped") << result["problem"];
}

}  // namespace
}  // namespace tbtest
