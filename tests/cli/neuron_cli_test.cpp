// End-to-end tests of `trainbench run --backend neuron` against the fake
// Neuron runtime (tests/fake_nrt): a manifest and fake NEFFs written by the
// test, GEMMs verified and timed through the whole adapter path, every
// injected runtime failure and every broken input reported with exit status
// and message. Nothing here touches a real Trainium (docs/neuron.md).
//
// Filter: --gtest_filter='Neuron*'.
#include <dlfcn.h>

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "cli_test_support.h"
#include "kernels/kernel_registry.h"

namespace tbtest {
namespace {

constexpr const char* kGemm = "gemm:m=64,n=32,k=16,dtype=fp32";
constexpr const char* kGemmBf16 = "gemm:m=64,n=32,k=16,dtype=bf16";

class NeuronCli : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    write_neff("g32.neff", kGemm, "fp32");
    write_neff("g16.neff", kGemmBf16, "bf16");
    write_manifest("manifest.json", "a", "row-major");
  }

  void write_neff(const std::string& file, const std::string& problem, const std::string& dtype) const {
    write_text(dir_ / file, "FAKE-NEFF 1\nkernel " + problem + "\ninput a " + dtype + " 64,16\ninput b " + dtype +
                                " 16,32\noutput c " + dtype + " 64,32\n");
  }

  // Both GEMMs; the first input named `a_name` with `a_layout` (shape to match).
  void write_manifest(const std::string& file, const std::string& a_name, const std::string& a_layout) const {
    const std::string a_shape = a_layout == "transposed" ? "[16, 64]" : "[64, 16]";
    const auto entry = [&](const char* problem, const char* neff, const char* dtype) {
      const std::string d = dtype;
      return std::string("{\"problem\": \"") + problem + "\", \"neff\": \"" + neff + "\", \"inputs\": [" +
             "{\"name\": \"" + a_name + "\", \"dtype\": \"" + d + "\", \"shape\": " + a_shape + ", \"layout\": \"" +
             a_layout + "\"}, {\"name\": \"b\", \"dtype\": \"" + d + "\", \"shape\": [16, 32]}], \"outputs\": [" +
             "{\"name\": \"c\", \"dtype\": \"" + d + "\", \"shape\": [64, 32]}]}";
    };
    write_text(dir_ / file, "{\"manifest_version\": 1, \"target\": \"trn1\", \"neffs\": [" +
                                entry(kGemm, "g32.neff", "fp32") + ", " + entry(kGemmBf16, "g16.neff", "bf16") + "]}");
  }

  // run --backend neuron with the fake runtime and the test's manifest.
  ProcessResult run_neuron(const std::vector<std::string>& extra, const std::vector<std::string>& env = {},
                           const std::string& runtime = FAKE_NRT_PATH, const std::string& manifest = "manifest.json") const {
    std::vector<std::string> args = {"run", "--backend", "neuron", "--neuron-runtime", runtime, "--neuron-manifest",
                                     (dir_ / manifest).string(), "--out", out_.string()};
    args.insert(args.end(), kQuick.begin(), kQuick.end());
    args.insert(args.end(), extra.begin(), extra.end());
    ProcessOptions options;
    options.env = env;
    options.env.push_back("FAKE_NRT_STRICT=1");  // a leaked model or tensor at nrt_close aborts the fake
    return trainbench(args, options);
  }

  json only_result_file() const {
    const std::vector<fs::path> files = json_files(out_);
    EXPECT_EQ(files.size(), 1u);
    return files.empty() ? json() : read_json(files[0]);
  }
};

TEST_F(NeuronCli, GemmsRunVerifiedAndTimedThroughTheFakeRuntime) {
  const ProcessResult r = run_neuron({"--problem", kGemm, "--problem", kGemmBf16});
  ASSERT_TRUE(exited_with(r, 0));
  EXPECT_NE(r.out.find("verified on hardware: none"), std::string::npos) << r.out;
  const json doc = only_result_file();
  EXPECT_EQ(doc["context"]["trainbench"]["backend"], "neuron");
  EXPECT_EQ(doc["context"]["trainbench"]["device"]["kind"], "neuron");
  ASSERT_EQ(doc["results"].size(), 2u);
  for (const json& result : doc["results"]) {
    EXPECT_EQ(result["status"], "passed") << result.dump(1);
    EXPECT_EQ(result["provenance"], "measured");
    EXPECT_TRUE(result["verification"]["passed"].get<bool>());
    EXPECT_GT(result["time_s"]["median"].get<double>(), 0.0);
    EXPECT_NE(result["implementation"].get<std::string>().find("Neuron runtime"), std::string::npos);
    EXPECT_NE(result["reproducer"].get<std::string>().find("--backend neuron --neuron-runtime "), std::string::npos)
        << result["reproducer"];
  }
  EXPECT_FALSE(doc["benchmarks"].empty()) << "Google Benchmark entries as for the CPU backend";
}

// A manifest entry and fake NEFF for `problem`, both from its tensor specs.
std::string spec_list(const std::vector<tb::TensorSpec>& specs) {
  std::string out;
  for (const tb::TensorSpec& t : specs) {
    std::string shape;
    for (std::int64_t d : t.shape) shape += (shape.empty() ? "" : ", ") + std::to_string(d);
    out += (out.empty() ? "" : ", ") + std::string("{\"name\": \"") + t.name + "\", \"dtype\": \"" +
           std::string(tb::dtype_name(t.dtype)) + "\", \"shape\": [" + shape + "]}";
  }
  return out;
}

std::string neff_text(const tb::Problem& p) {
  std::string out = "FAKE-NEFF 1\nkernel " + p.to_string() + "\n";
  const auto add = [&](const char* usage, const std::vector<tb::TensorSpec>& specs) {
    for (const tb::TensorSpec& t : specs) {
      std::string shape;
      for (std::int64_t d : t.shape) shape += (shape.empty() ? "" : ",") + std::to_string(d);
      out += std::string(usage) + " " + t.name + " " + std::string(tb::dtype_name(t.dtype)) + " " + shape + "\n";
    }
  };
  add("input", p.input_specs());
  add("output", p.output_specs());
  return out;
}

TEST_F(NeuronCli, AttentionForwardAndBackwardRunVerifiedThroughTheFakeRuntime) {
  std::string entries;
  const std::vector<std::string> problems = {"attention:b=1,h=4,kvh=2,sq=32,d=16,causal=1,dtype=fp32,pass=fwd",
                                             "attention:b=1,h=4,kvh=2,sq=32,d=16,causal=1,dtype=bf16,pass=bwd"};
  std::vector<std::string> canonical;
  for (std::size_t i = 0; i < problems.size(); ++i) {
    const tb::ProblemPtr p = tb::parse_problem(problems[i]).value();
    canonical.push_back(p->to_string());
    const std::string file = "att" + std::to_string(i) + ".neff";
    write_text(dir_ / file, neff_text(*p));
    entries += (i ? ", " : "") + std::string("{\"problem\": \"") + p->to_string() + "\", \"neff\": \"" + file +
               "\", \"inputs\": [" + spec_list(p->input_specs()) + "], \"outputs\": [" +
               spec_list(p->output_specs()) + "]}";
  }
  write_text(dir_ / "att.json", "{\"manifest_version\": 1, \"target\": \"trn1\", \"neffs\": [" + entries + "]}");
  const ProcessResult r =
      run_neuron({"--problem", canonical[0], "--problem", canonical[1]}, {}, FAKE_NRT_PATH, "att.json");
  ASSERT_TRUE(exited_with(r, 0));
  const json doc = only_result_file();  // kept alive: the loop walks into it
  for (const json& result : doc["results"]) {
    EXPECT_EQ(result["status"], "passed") << result.dump(1);
    EXPECT_TRUE(result["verification"]["passed"].get<bool>());
  }
}

TEST_F(NeuronCli, TheCatalogGivesPeaksPerNeuronCoreForAKnownInstanceType) {
  const ProcessResult r =
      run_neuron({"--instance-type", "trn1.32xlarge", "--problem", kGemmBf16}, {"FAKE_NRT_NC_COUNT=32"});
  ASSERT_TRUE(exited_with(r, 0));
  const json device = only_result_file()["context"]["trainbench"]["device"];
  // trn1.32xlarge: 16 chips of 190 TFLOPS bf16, 32 NeuronCores: 95 TFLOPS per core.
  EXPECT_DOUBLE_EQ(device["peak_flop_per_s"]["bf16"].get<double>(), 95e12) << device.dump(1);
  EXPECT_NE(device["peak_source"].get<std::string>().find("trn1.32xlarge"), std::string::npos);
}

// Without --instance-type the runtime names the instance (nrt_get_instance_info);
// on trn2 a NEFF's peak is the chip's over its 8 physical NeuronCores, the
// cores one of our NEFFs runs on, not over the runtime's logical cores.
TEST_F(NeuronCli, TheRuntimeNamesTheInstanceAndPeaksArePerPhysicalCore) {
  ProcessResult r = run_neuron({"--problem", kGemmBf16}, {"FAKE_NRT_INSTANCE=5:7", "FAKE_NRT_NC_COUNT=128"});
  ASSERT_TRUE(exited_with(r, 0)) << r.err;
  json device = only_result_file()["context"]["trainbench"]["device"];
  EXPECT_EQ(device["properties"]["instance_type"], "trn2.48xlarge") << device.dump(1);
  EXPECT_EQ(device["properties"]["instance_type_source"], "nrt_get_instance_info");
  // trn2.48xlarge: 667 TFLOPS bf16 per chip, 8 NeuronCore-v3 per chip.
  EXPECT_DOUBLE_EQ(device["peak_flop_per_s"]["bf16"].get<double>(), 667e12 / 8) << device.dump(1);
  EXPECT_NE(device["peak_source"].get<std::string>().find("8 physical NeuronCores per chip"), std::string::npos);

  // A runtime that cannot say leaves it to the DMI product name.
  std::error_code ec;
  fs::remove_all(out_, ec);
  r = run_neuron({"--problem", kGemmBf16}, {"FAKE_NRT_INSTANCE=fail"});
  ASSERT_TRUE(exited_with(r, 0)) << r.err;
  device = only_result_file()["context"]["trainbench"]["device"];
  const json& props = device["properties"];
  EXPECT_NE(props.value("instance_type", std::string()), "trn1.32xlarge") << device.dump(1);
  if (props.contains("instance_type_source")) {
    EXPECT_EQ(props["instance_type_source"].get<std::string>().rfind("DMI product name (nrt_get_instance_info failed", 0),
              0u)
        << device.dump(1);
  }
}

// The NEFFs' LNC (the manifest's, 1 by default) is what the runtime is run
// with; an environment asking for another is refused, naming both.
TEST_F(NeuronCli, ALogicalCoreSizeOtherThanTheNeffsIsRefused) {
  const ProcessResult r = run_neuron({"--problem", kGemm}, {"NEURON_LOGICAL_NC_CONFIG=2"});
  EXPECT_TRUE(exited_with(r, 1));
  const std::string reason = only_result_file()["results"][0]["reason"];
  EXPECT_NE(reason.find("NEURON_LOGICAL_NC_CONFIG=2"), std::string::npos) << reason;
  EXPECT_NE(reason.find("LNC=1"), std::string::npos) << reason;
}

// A NEFF as NKI writes it: inputs named after the kernel's arguments (a_t,
// stored transposed), the output output_0. The manifest records those names;
// the adapter binds by them and transposes a on upload.
TEST_F(NeuronCli, TheNeffsOwnNamesAndATransposedOperandRun) {
  write_text(dir_ / "nki.neff", "FAKE-NEFF 1\nkernel " + std::string(kGemm) +
                                    "\ninput a_t fp32 16,64 transposed\ninput b fp32 16,32\noutput output_0 fp32 64,32\n");
  const auto manifest = [&](const char* file, const char* output) {
    write_text(dir_ / file, std::string("{\"manifest_version\": 1, \"target\": \"trn1\", \"neffs\": [{\"problem\": \"") +
                                kGemm + "\", \"neff\": \"nki.neff\", \"inputs\": [" +
                                "{\"name\": \"a_t\", \"dtype\": \"fp32\", \"shape\": [16, 64], \"layout\": \"transposed\"}, " +
                                "{\"name\": \"b\", \"dtype\": \"fp32\", \"shape\": [16, 32]}], \"outputs\": [" +
                                "{\"name\": \"" + output + "\", \"dtype\": \"fp32\", \"shape\": [64, 32]}]}]}");
  };
  manifest("nki.json", "output_0");
  ProcessResult r = run_neuron({"--problem", kGemm}, {}, FAKE_NRT_PATH, "nki.json");
  ASSERT_TRUE(exited_with(r, 0)) << r.out << r.err;
  EXPECT_EQ(only_result_file()["results"][0]["status"], "passed");

  // The name the old compile script guessed ("c"): the message names the NEFF's.
  std::error_code ec;
  fs::remove_all(out_, ec);
  manifest("guessed.json", "c");
  r = run_neuron({"--problem", kGemm}, {}, FAKE_NRT_PATH, "guessed.json");
  EXPECT_TRUE(exited_with(r, 1));
  const std::string reason = only_result_file()["results"][0]["reason"];
  EXPECT_NE(reason.find("'output_0'"), std::string::npos) << reason;
}

// neff-info: the NEFF's tensors as the runtime reads them, in its order; what
// compile_neffs.py records in the manifest.
TEST_F(NeuronCli, NeffInfoPrintsTheTensorsTheRuntimeReports) {
  write_text(dir_ / "nki.neff", "FAKE-NEFF 1\nkernel " + std::string(kGemm) +
                                    "\ninput a_t fp32 16,64 transposed\ninput b fp32 16,32\noutput output_0 fp32 64,32\n");
  ProcessOptions options;
  options.env = {"FAKE_NRT_STRICT=1"};
  const ProcessResult r =
      trainbench({"neff-info", (dir_ / "nki.neff").string(), "--neuron-runtime", FAKE_NRT_PATH}, options);
  ASSERT_TRUE(exited_with(r, 0)) << r.err;
  const json doc = json::parse(r.out);
  ASSERT_EQ(doc["tensors"].size(), 3u) << r.out;
  EXPECT_EQ(doc["tensors"][0]["name"], "a_t");
  EXPECT_EQ(doc["tensors"][0]["usage"], "input");
  EXPECT_EQ(doc["tensors"][0]["shape"], json({16, 64}));
  EXPECT_EQ(doc["tensors"][2]["name"], "output_0");
  EXPECT_EQ(doc["tensors"][2]["usage"], "output");
  EXPECT_EQ(doc["tensors"][2]["size_bytes"], 64 * 32 * 4);
  EXPECT_EQ(doc["lnc"], 1);
  expect_bad_input(trainbench({"neff-info", (dir_ / "missing.neff").string(), "--neuron-runtime", FAKE_NRT_PATH}),
                   {"missing.neff"}, false, files_under(dir_));
}

TEST_F(NeuronCli, AManifestShapeDisagreeingWithTheNeffIsFoundBeforeRunning) {
  // The manifest claims the NEFF stores a transposed; the fake NEFF says row-major [64,16]:
  // the adapter must find the disagreement before running, naming the tensor and both shapes.
  write_manifest("manifest-t.json", "a", "transposed");
  const ProcessResult r = run_neuron({"--problem", kGemm}, {}, FAKE_NRT_PATH, "manifest-t.json");
  EXPECT_TRUE(exited_with(r, 1));
  EXPECT_NE(r.out.find("error"), std::string::npos) << r.out;
  const json doc = only_result_file();
  const std::string reason = doc["results"][0]["reason"];
  EXPECT_NE(reason.find("'a'"), std::string::npos) << reason;
  EXPECT_NE(reason.find("16"), std::string::npos) << reason;
}

TEST_F(NeuronCli, ATensorTheNeffDoesNotHaveIsAnError) {
  write_manifest("manifest-x.json", "A", "row-major");
  const ProcessResult r = run_neuron({"--problem", kGemm}, {}, FAKE_NRT_PATH, "manifest-x.json");
  EXPECT_TRUE(exited_with(r, 1));
  const std::string reason = only_result_file()["results"][0]["reason"];
  EXPECT_NE(reason.find("input tensor 'a', which the manifest does not list (manifest inputs A, b"), std::string::npos)
      << reason;
}

TEST_F(NeuronCli, AProblemWithoutANeffIsSkippedWithTheCompileCommand) {
  const ProcessResult r = run_neuron({"--problem", "gemm:m=128,n=32,k=16,dtype=fp32"});
  ASSERT_TRUE(exited_with(r, 0));
  const std::string reason = only_result_file()["results"][0]["reason"];
  EXPECT_NE(reason.find("compile_neffs.py"), std::string::npos) << reason;
  EXPECT_EQ(only_result_file()["results"][0]["status"], "skipped");
}

TEST_F(NeuronCli, InjectedRuntimeFailuresNameTheCallAndStatus) {
  struct Case {
    const char* fail;
    const char* needle;
  };
  for (const Case c : {Case{"execute:1003", "EXEC_COMPLETED_WITH_NUM_ERR (1003)"},
                       Case{"execute:5", "TIMEOUT (5)"},
                       Case{"load:10", "UNSUPPORTED_NEFF_VERSION (10)"},
                       Case{"tensor_allocate:4", "RESOURCE (4)"}}) {
    std::error_code ec;
    fs::remove_all(out_, ec);
    const ProcessResult r = run_neuron({"--problem", kGemm}, {std::string("FAKE_NRT_FAIL=") + c.fail});
    EXPECT_TRUE(exited_with(r, 1)) << c.fail;
    const std::string reason = only_result_file()["results"][0]["reason"];
    EXPECT_NE(reason.find(c.needle), std::string::npos) << c.fail << ": " << reason;
  }
}

// nrt_init runs when the first NEFF is needed, not when the backend is made
// (it takes the NeuronCores): its failure is that problem's error, and the
// all-reduce after it, which never initialises the runtime, still runs.
TEST_F(NeuronCli, ARuntimeThatCannotInitialiseFailsTheNeffProblemsOnly) {
  const ProcessResult r = run_neuron({"--nccom-test", FAKE_NCCOM_TEST, "--problem", kGemm, "--problem",
                                      "allreduce:bytes=1M,ranks=2,inplace=0"},
                                     {"FAKE_NRT_FAIL=init:1"});
  EXPECT_TRUE(exited_with(r, 1));
  const json doc = only_result_file();
  ASSERT_EQ(doc["results"].size(), 2u);
  EXPECT_EQ(doc["results"][0]["status"], "error");
  EXPECT_NE(doc["results"][0]["reason"].get<std::string>().find("nrt_init failed: FAILURE (1)"), std::string::npos);
  EXPECT_EQ(doc["results"][1]["status"], "passed") << doc["results"][1].dump(1);
}

// The visible-core count comes from the library before nrt_init; a runtime
// that cannot give it (no driver) is described as such, and still runs.
TEST_F(NeuronCli, ACoreCountTheRuntimeCannotGiveIsRecordedNotFatal) {
  const ProcessResult r = run_neuron({"--problem", kGemm}, {"FAKE_NRT_FAIL=get_visible_vnc_count"});
  ASSERT_TRUE(exited_with(r, 0)) << r.out << r.err;
  const json device = only_result_file()["context"]["trainbench"]["device"];
  EXPECT_NE(device["properties"]["neuron_visible_cores"].get<std::string>().find("nrt_get_visible_vnc_count failed"),
            std::string::npos)
      << device.dump(1);
}

// A runtime the user names must load: no silent fall-back to all-reduce only.
TEST_F(NeuronCli, UnusableRuntimesAreUnavailableBeforeAnythingRuns) {
  expect_bad_input(run_neuron({"--problem", kGemm}, {}, FAKE_NRT_MISSING_PATH), {"nrt_execute"}, false,
                   files_under(dir_));
  expect_bad_input(run_neuron({"--problem", kGemm}, {}, "libm.so.6"), {"libm.so.6", "not a Neuron runtime"}, false,
                   files_under(dir_));
  expect_bad_input(run_neuron({"--problem", kGemm}, {}, (dir_ / "nope.so").string()), {"nope.so"}, false,
                   files_under(dir_));
}

TEST_F(NeuronCli, BrokenManifestOrMissingNeffIsReported) {
  write_text(dir_ / "broken.json", "{\"manifest_version\": ");
  expect_bad_input(run_neuron({"--problem", kGemm}, {}, FAKE_NRT_PATH, "broken.json"), {"broken.json"}, false,
                   files_under(dir_));
  fs::remove(dir_ / "g32.neff");
  const ProcessResult r = run_neuron({"--problem", kGemm});
  EXPECT_TRUE(exited_with(r, 1));
  const std::string reason = only_result_file()["results"][0]["reason"];
  EXPECT_NE(reason.find("g32.neff"), std::string::npos) << reason;
}

TEST_F(NeuronCli, ListBackendsSaysWhetherAndWhyTheRuntimeIsThere) {
  ProcessOptions with_fake;
  with_fake.env = {std::string("TRAINBENCH_NEURON_RUNTIME=") + FAKE_NRT_PATH};
  const ProcessResult found = trainbench({"list", "backends"}, with_fake);
  ASSERT_TRUE(exited_with(found, 0));
  const std::vector<std::string> row = row_starting(found.out, "neuron:");
  ASSERT_GE(row.size(), 2u) << found.out;
  EXPECT_EQ(row[1], "available:") << found.out;
  ProcessOptions missing;
  missing.env = {"TRAINBENCH_NEURON_RUNTIME=" + (dir_ / "libnrt-missing.so").string()};
  const ProcessResult absent = trainbench({"list", "backends"}, missing);
  ASSERT_TRUE(exited_with(absent, 0)) << "an unavailable backend is listed, not an error";
  EXPECT_NE(absent.out.find("neuron: unavailable: "), std::string::npos) << absent.out;
  EXPECT_NE(absent.out.find("libnrt-missing.so"), std::string::npos) << absent.out;
}

constexpr const char* kAllreduce = "allreduce:bytes=1M,ranks=2,inplace=0";

TEST_F(NeuronCli, AllReduceRunsThroughNccomTestAndIsCheckedByIt) {
  const ProcessResult r = run_neuron({"--nccom-test", FAKE_NCCOM_TEST, "--problem", kAllreduce,
                                      "--problem", "allreduce:bytes=1M,ranks=2,inplace=0,dtype=bf16"},
                                     {"FAKE_NCCOM_MODE=ok"});
  ASSERT_TRUE(exited_with(r, 0));
  const json doc = only_result_file();
  ASSERT_EQ(doc["results"].size(), 2u);
  const json& fp32 = doc["results"][0];
  EXPECT_EQ(fp32["status"], "passed") << fp32.dump(1);
  EXPECT_EQ(fp32["verification"]["metric"], "nccom_test_check");
  EXPECT_EQ(fp32["samples_s"].size(), 2u) << "one nccom-test run per repetition";
  EXPECT_NE(fp32["implementation"].get<std::string>().find("-r 2"), std::string::npos) << fp32["implementation"];
  EXPECT_TRUE(fp32["implementation"].get<std::string>().ends_with(" -c")) << fp32["implementation"];
  EXPECT_GT(fp32["collective"]["busbw_bytes_per_s"].get<double>(), 0.0);
  EXPECT_EQ(doc["results"][1]["status"], "skipped") << "bf16: nccom-test does not check it";
  EXPECT_NE(doc["results"][1]["reason"].get<std::string>().find("fp32 only"), std::string::npos);
}

// Whether a real Neuron runtime is installed where the default search looks.
bool neuron_runtime_installed() {
  if (fs::exists("/opt/aws/neuron/lib/libnrt.so.1")) return true;
  void* h = dlopen("libnrt.so.1", RTLD_NOW | RTLD_LOCAL);
  if (h != nullptr) dlclose(h);
  return h != nullptr;
}

// The busbw cell (the last column) of the fake's row for `bytes`, run with `argv`.
double fake_busbw_cell(const std::vector<std::string>& argv, const std::vector<std::string>& env, std::int64_t bytes,
                       double& time_us) {
  ProcessOptions options;
  options.env = env;
  const ProcessResult r = run_process(argv, options);
  EXPECT_TRUE(exited_with(r, 0)) << r.err;
  std::vector<std::string> header;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    const std::vector<std::string> words = split_shell_words(line);
    if (!words.empty() && words[0] == "size(B)") header = words;
    if (words.size() == header.size() && !words.empty() && words[0] == std::to_string(bytes)) {
      for (std::size_t i = 0; i < header.size(); ++i) {
        if (header[i].starts_with("time")) time_us = std::stod(words[i]);
      }
      return std::stod(words.back());
    }
  }
  ADD_FAILURE() << "no row for " << bytes << " B in: " << r.out;
  return 0.0;
}

// The target: with only nccom-test (a fake printing the current
// format, the --stats table, or the SDK 2.10 format) and no libnrt on the
// machine, an all-reduce runs, exits 0, and reports the busbw nccom-test
// printed, read as GiB/s.
TEST_F(NeuronCli, AllReduceRunsWithoutARuntimeInEveryDocumentedFormat) {
  if (neuron_runtime_installed()) GTEST_SKIP() << "a Neuron runtime is installed here: the test needs a machine without";
  struct Case {
    const char* format;
    const char* statistic;
    std::vector<std::string> printed;  // the statistics nccom-test printed
  };
  for (const Case& c : {Case{"current", "median of 20 iterations (nccom-test time:p50(us)", {"avg", "p50"}},
                        Case{"avg-only", "mean of 20 iterations (nccom-test time:avg(us)", {"avg"}},
                        Case{"old", "median of 20 iterations (nccom-test time(us)", {"time(us)"}}}) {
    std::error_code ec;
    fs::remove_all(out_, ec);
    ProcessOptions options;
    options.env = {std::string("FAKE_NCCOM_FORMAT=") + c.format, "TRAINBENCH_NEURON_RUNTIME=", "FAKE_NCCOM_MODE=ok"};
    std::vector<std::string> args = {"run", "--backend", "neuron", "--nccom-test", FAKE_NCCOM_TEST, "--problem",
                                     "allreduce:bytes=1M,ranks=2,dtype=fp32", "--out", out_.string()};
    args.insert(args.end(), kQuick.begin(), kQuick.end());
    const ProcessResult r = trainbench(args, options);
    ASSERT_TRUE(exited_with(r, 0)) << c.format << ": " << r.err;
    const json doc = only_result_file();
    const json& result = doc["results"].at(0);
    EXPECT_EQ(result["status"], "passed") << c.format << ": " << result.dump(1);
    EXPECT_EQ(doc["context"]["trainbench"]["device"]["properties"]["neuron_runtime_library"].get<std::string>().rfind(
                  "none: ", 0),
              0u)
        << c.format << ": no runtime was loaded";
    EXPECT_EQ(result["sample_statistic"].get<std::string>().rfind(c.statistic, 0), 0u)
        << c.format << ": " << result["sample_statistic"];
    for (const std::string& stat : c.printed) {
      EXPECT_EQ(result["tool_statistics_s"][stat].size(), 2u) << c.format << ": " << stat << " per repetition";
    }
    // The fake run again with trainbench's own arguments: its busbw cell, as GiB/s.
    const std::vector<std::string> argv = split_shell_words(result["implementation"].get<std::string>());
    double time_us = 0.0;
    const double printed = fake_busbw_cell(argv, options.env, 1 << 20, time_us);
    const double expected = printed * 1073741824.0;
    // Printed to 0.01 GiB/s, and the old format's time to 1 us.
    const double tolerance = 0.005 * 1073741824.0 + expected * (0.5 / time_us);
    EXPECT_NEAR(result["collective"]["busbw_bytes_per_s"].get<double>(), expected, tolerance) << c.format;
  }
}

TEST_F(NeuronCli, AllReduceWithNcclIsSkippedNamingTheCudaBackend) {
  const ProcessResult r = run_neuron({"--nccom-test", FAKE_NCCOM_TEST, "--problem", kAllreduce, "--problem",
                                      "allreduce:bytes=1M,ranks=2,inplace=0,algo=nccl"},
                                     {"FAKE_NCCOM_MODE=ok"});
  ASSERT_TRUE(exited_with(r, 0));
  const json doc = only_result_file();
  ASSERT_EQ(doc["results"].size(), 2u);
  EXPECT_EQ(doc["results"][0]["status"], "passed") << "algo=ring, the default, runs through nccom-test";
  const json& nccl = doc["results"][1];
  EXPECT_EQ(nccl["status"], "skipped") << nccl.dump(1);
  const std::string reason = nccl["reason"];
  EXPECT_NE(reason.find("algo=nccl (NCCL) runs on --backend cuda"), std::string::npos) << reason;
}

TEST_F(NeuronCli, NccomTestFailuresAreErrorsNamingWhatHappened) {
  struct Case {
    const char* mode;
    const char* needle;
  };
  for (const Case c : {Case{"failure-row", "log file"}, Case{"garbage", "nccom-test"},
                       Case{"driver-missing", "Driver is not running"}, Case{"hang", "timed out"}}) {
    std::error_code ec;
    fs::remove_all(out_, ec);
    const ProcessResult r = run_neuron({"--nccom-test", FAKE_NCCOM_TEST, "--comm-timeout", "1", "--problem", kAllreduce},
                                       {std::string("FAKE_NCCOM_MODE=") + c.mode});
    EXPECT_TRUE(exited_with(r, 1)) << c.mode;
    const std::string reason = only_result_file()["results"][0]["reason"];
    EXPECT_NE(reason.find(c.needle), std::string::npos) << c.mode << ": " << reason;
  }
  std::error_code ec;
  fs::remove_all(out_, ec);
  const ProcessResult missing = run_neuron({"--nccom-test", (dir_ / "no-nccom-test").string(), "--problem", kAllreduce});
  EXPECT_TRUE(exited_with(missing, 1));
  const std::string reason = only_result_file()["results"][0]["reason"];
  EXPECT_NE(reason.find("no-nccom-test"), std::string::npos) << reason;
}

}  // namespace
}  // namespace tbtest
