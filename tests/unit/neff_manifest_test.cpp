#include "backends/neuron/neff_manifest.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "backends/neuron/nrt_handles.h"
#include "kernels/kernel_registry.h"
#include "support/temp_dir.h"

namespace tb {
namespace {

using nlohmann::json;

constexpr const char* kGemm = "gemm:m=256,n=512,k=128,dtype=bf16";
constexpr const char* kAttn = "attention:b=1,h=4,kvh=2,sq=256,skv=256,d=64,causal=1,dtype=bf16,pass=fwd";

// A manifest as compile_neffs.py writes it: the NKI GEMM takes A transposed,
// the NKI attention takes q and k as [b, h, d, s].
json good_manifest() {
  return json::parse(R"({
    "manifest_version": 1,
    "target": "trn1",
    "neffs": [
      {"problem": "gemm:m=256,n=512,k=128,dtype=bf16", "neff": "gemm.neff",
       "compiled_with": "neuronx-cc 2.15; nki 0.3",
       "inputs": [{"name": "a_t", "dtype": "bf16", "shape": [128, 256], "layout": "transposed"},
                  {"name": "b", "dtype": "bf16", "shape": [128, 512], "layout": "row-major"}],
       "outputs": [{"name": "c", "dtype": "bf16", "shape": [256, 512]}]},
      {"problem": "attention:b=1,h=4,kvh=2,sq=256,skv=256,d=64,causal=1,dtype=bf16,pass=fwd",
       "neff": "neffs/attn.neff",
       "inputs": [{"name": "q", "dtype": "bf16", "shape": [1, 4, 64, 256], "layout": "transposed"},
                  {"name": "k", "dtype": "bf16", "shape": [1, 2, 64, 256], "layout": "transposed"},
                  {"name": "v", "dtype": "bf16", "shape": [1, 2, 256, 64]}],
       "outputs": [{"name": "o", "dtype": "bf16", "shape": [1, 4, 256, 64]},
                   {"name": "lse", "dtype": "fp32", "shape": [1, 4, 256]}]}
    ]})");
}

class NeffManifestTest : public ::testing::Test {
 protected:
  std::string write(const json& doc) { return dir_.write("manifest.json", doc.dump(2)); }
  // The error message of reading `doc`; fails the test when it reads fine.
  std::string error_of(const json& doc, ErrorCode code = ErrorCode::kBadInput) {
    const Expected<NeffManifest> m = read_neff_manifest(write(doc));
    if (m.ok()) {
      ADD_FAILURE() << "manifest was accepted";
      return "";
    }
    EXPECT_EQ(m.error().code, code);
    return m.error().message;
  }
  std::string prefix() { return "NEFF manifest '" + dir_.file("manifest.json") + "': "; }

  tbtest::TempDir dir_{"tb_neff_manifest_"};
};

TEST_F(NeffManifestTest, ReadsAGoodManifest) {
  const Expected<NeffManifest> m = read_neff_manifest(write(good_manifest()));
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->path, dir_.file("manifest.json"));
  EXPECT_EQ(m->target, "trn1");
  ASSERT_EQ(m->entries.size(), 2u);

  const NeffEntry& g = m->entries[0];
  EXPECT_EQ(g.problem, kGemm);
  EXPECT_EQ(g.neff, "gemm.neff");
  EXPECT_EQ(g.neff_path, (dir_.path() / "gemm.neff").string());
  EXPECT_EQ(g.compiled_with, "neuronx-cc 2.15; nki 0.3");
  ASSERT_EQ(g.inputs.size(), 2u);
  EXPECT_EQ(g.inputs[0].name, "a_t");
  EXPECT_EQ(g.inputs[0].layout, NeffLayout::kTransposed);
  EXPECT_EQ(g.inputs[0].shape, (std::vector<std::int64_t>{128, 256}));
  EXPECT_EQ(g.inputs[0].bytes(), 128 * 256 * 2);
  EXPECT_EQ(g.inputs[1].layout, NeffLayout::kRowMajor);
  ASSERT_EQ(g.outputs.size(), 1u);
  EXPECT_EQ(g.outputs[0].name, "c");
  EXPECT_EQ(g.outputs[0].layout, NeffLayout::kRowMajor);  // layout defaults to row-major

  const NeffEntry& a = m->entries[1];
  EXPECT_EQ(a.neff_path, (dir_.path() / "neffs" / "attn.neff").string());
  EXPECT_EQ(a.compiled_with, "");
  ASSERT_EQ(a.outputs.size(), 2u);
  EXPECT_EQ(a.outputs[1].name, "lse");
  EXPECT_EQ(a.outputs[1].dtype, DType::kFp32);
  EXPECT_EQ(a.outputs[1].bytes(), 4 * 256 * 4);
}

TEST_F(NeffManifestTest, FindsEntriesByCanonicalString) {
  const Expected<NeffManifest> m = read_neff_manifest(write(good_manifest()));
  ASSERT_TRUE(m.ok()) << m.error().message;
  ASSERT_NE(m->find(kGemm), nullptr);
  EXPECT_EQ(m->find(kGemm)->neff, "gemm.neff");
  ASSERT_NE(m->find(kAttn), nullptr);
  EXPECT_EQ(m->find(kAttn)->neff, "neffs/attn.neff");
  EXPECT_EQ(m->find("gemm:m=256,n=512,k=128,dtype=fp32"), nullptr);
  EXPECT_EQ(m->find("gemm:k=128,n=512,m=256,dtype=bf16"), nullptr);  // only canonical strings match
}

TEST_F(NeffManifestTest, KeepsAbsoluteNeffPaths) {
  json doc = good_manifest();
  doc["neffs"][0]["neff"] = "/opt/neffs/gemm.neff";
  const Expected<NeffManifest> m = read_neff_manifest(write(doc));
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->entries[0].neff_path, "/opt/neffs/gemm.neff");
}

TEST_F(NeffManifestTest, ShippedManifestIsEmptyVersion1) {
  const std::string path = std::string(TRAINBENCH_TEST_DATA_DIR) + "/../../src/backends/neuron/nki/manifest.json";
  const Expected<NeffManifest> m = read_neff_manifest(path);
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->target, "trn1");
  EXPECT_TRUE(m->entries.empty());
}

TEST_F(NeffManifestTest, MissingFileIsAnIoError) {
  const std::string path = dir_.file("absent.json");
  const Expected<NeffManifest> m = read_neff_manifest(path);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code, ErrorCode::kIo);
  EXPECT_EQ(m.error().message, "cannot read NEFF manifest '" + path + "': No such file or directory");
}

TEST_F(NeffManifestTest, RejectsBadJson) {
  const std::string path = dir_.write("manifest.json", "{\n  \"manifest_version\": 1,\n  \"target\": trn1\n}\n");
  const Expected<NeffManifest> m = read_neff_manifest(path);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code, ErrorCode::kBadInput);
  EXPECT_EQ(
      m.error().message.rfind("NEFF manifest '" + path + "' is not valid JSON: parse error at line 3, column ", 0), 0u)
      << m.error().message;
}

TEST_F(NeffManifestTest, RejectsATopLevelThatIsNotAnObject) {
  EXPECT_EQ(error_of(json::array()), prefix() + "the top level is not a JSON object");
}

TEST_F(NeffManifestTest, RejectsAnUnknownVersion) {
  json doc = good_manifest();
  doc["manifest_version"] = 2;
  EXPECT_EQ(error_of(doc), prefix() + "field '$.manifest_version' is 2: this trainbench reads version 1");
  doc.erase("manifest_version");
  EXPECT_EQ(error_of(doc), prefix() + "field '$.manifest_version' is missing or not an integer");
}

TEST_F(NeffManifestTest, RejectsUnknownFields) {
  json doc = good_manifest();
  doc["neffs"][0]["inputs"][0]["layuot"] = "transposed";
  EXPECT_EQ(error_of(doc),
            prefix() + "field '$.neffs[0].inputs[0].layuot' is unknown: expected name, dtype, shape, layout");
}

TEST_F(NeffManifestTest, RejectsAProblemThatDoesNotParse) {
  json doc = good_manifest();
  doc["neffs"][1]["problem"] = "gemm:m=256,n=512,dtype=bf16";
  EXPECT_EQ(error_of(doc), prefix() +
                               "field '$.neffs[1].problem' is not a valid problem string "
                               "('gemm:m=256,n=512,dtype=bf16'): " +
                               parse_problem("gemm:m=256,n=512,dtype=bf16").error().message);
}

TEST_F(NeffManifestTest, RejectsANonCanonicalProblem) {
  json doc = good_manifest();
  doc["neffs"][0]["problem"] = "gemm:k=128,n=512,m=256,dtype=bf16";
  EXPECT_EQ(error_of(doc), prefix() +
                               "field '$.neffs[0].problem' is 'gemm:k=128,n=512,m=256,dtype=bf16', which is not "
                               "canonical: write 'gemm:m=256,n=512,k=128,dtype=bf16'");
}

TEST_F(NeffManifestTest, RejectsKernelsWithoutNkiKernels) {
  json doc = good_manifest();
  const std::string allreduce = parse_problem("allreduce:bytes=1K,ranks=2,inplace=0").value()->to_string();
  doc["neffs"][0]["problem"] = allreduce;
  EXPECT_EQ(error_of(doc), prefix() + "field '$.neffs[0].problem' is '" + allreduce +
                               "': kernel allreduce has no NKI kernel (only gemm and attention run from NEFFs; "
                               "all-reduce runs through nccom-test)");
}

TEST_F(NeffManifestTest, RejectsDuplicateProblems) {
  json doc = good_manifest();
  doc["neffs"].push_back(doc["neffs"][0]);
  EXPECT_EQ(error_of(doc), prefix() +
                               "field '$.neffs[2].problem' repeats 'gemm:m=256,n=512,k=128,dtype=bf16' of "
                               "'$.neffs[0]'");
}

TEST_F(NeffManifestTest, RejectsAWrongTensorCount) {
  json doc = good_manifest();
  doc["neffs"][0]["inputs"].erase(1);
  EXPECT_EQ(error_of(doc), prefix() +
                               "field '$.neffs[0].inputs' has 1 tensors, but gemm:m=256,n=512,k=128,dtype=bf16 has 2 "
                               "inputs (a, b)");
  doc = good_manifest();
  doc["neffs"][1]["outputs"].erase(1);
  EXPECT_EQ(error_of(doc),
            prefix() + "field '$.neffs[1].outputs' has 1 tensors, but " + kAttn + " has 2 outputs (o, lse)");
}

TEST_F(NeffManifestTest, RejectsAWrongDtype) {
  json doc = good_manifest();
  doc["neffs"][1]["outputs"][1]["dtype"] = "bf16";
  EXPECT_EQ(error_of(doc),
            prefix() + "field '$.neffs[1].outputs[1].dtype' is bf16, but output 'lse' of " + kAttn + " is fp32");
  doc = good_manifest();
  doc["neffs"][0]["inputs"][1]["dtype"] = "int8";
  EXPECT_EQ(error_of(doc), prefix() + "field '$.neffs[0].inputs[1].dtype' is 'int8': expected fp32, bf16 or fp16");
}

TEST_F(NeffManifestTest, RejectsAWrongElementCount) {
  json doc = good_manifest();
  doc["neffs"][0]["inputs"][1]["shape"] = {128, 256};
  EXPECT_EQ(error_of(doc), prefix() +
                               "field '$.neffs[0].inputs[1].shape' is [128, 256] (32768 elements), but input 'b' of "
                               "gemm:m=256,n=512,k=128,dtype=bf16 is [128, 512] (65536 elements)");
  doc = good_manifest();
  doc["neffs"][0]["outputs"][0]["shape"] = {256, 0};
  EXPECT_EQ(error_of(doc), prefix() + "field '$.neffs[0].outputs[0].shape[1]' is 0: expected a positive integer");
}

TEST_F(NeffManifestTest, ChecksTheShapeAgainstTheLayout) {
  json doc = good_manifest();
  doc["neffs"][0]["inputs"][0]["shape"] = {256, 128};  // right count, but not transposed
  EXPECT_EQ(error_of(doc), prefix() +
                               "field '$.neffs[0].inputs[0].shape' is [256, 128], but input 'a' of "
                               "gemm:m=256,n=512,k=128,dtype=bf16 [256, 128] in layout transposed is [128, 256]");
  doc = good_manifest();
  doc["neffs"][1]["outputs"][1]["layout"] = "transposed";
  EXPECT_EQ(error_of(doc), prefix() + "field '$.neffs[1].outputs[1].shape' is [1, 4, 256], but output 'lse' of " +
                               kAttn + " [1, 4, 256] in layout transposed is [1, 256, 4]");
  doc = good_manifest();
  doc["neffs"][1]["inputs"][2]["layout"] = "column-major";
  EXPECT_EQ(error_of(doc),
            prefix() + "field '$.neffs[1].inputs[2].layout' is 'column-major': expected row-major or transposed");
}

TEST_F(NeffManifestTest, RejectsRepeatedTensorNames) {
  json doc = good_manifest();
  doc["neffs"][0]["outputs"][0]["name"] = "b";
  EXPECT_EQ(error_of(doc),
            prefix() + "field '$.neffs[0].outputs[0].name' repeats tensor name 'b' of '$.neffs[0].inputs[1]'");
}

TEST_F(NeffManifestTest, ChecksTheNeffFile) {
  const Expected<NeffManifest> m = read_neff_manifest(write(good_manifest()));
  ASSERT_TRUE(m.ok()) << m.error().message;
  const NeffEntry& g = m->entries[0];
  Status s = check_neff_file(g);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kIo);
  EXPECT_EQ(s.error().message, "NEFF '" + g.neff_path + "' for " + kGemm + " does not exist");

  std::filesystem::create_directories(dir_.path() / "neffs" / "attn.neff");
  s = check_neff_file(m->entries[1]);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, "NEFF '" + m->entries[1].neff_path + "' for " + kAttn + " is not a regular file");

  dir_.write("gemm.neff", "NEFF");
  EXPECT_TRUE(check_neff_file(g).ok());
}

TEST(NeffManifestCompileCommand, NamesTheScriptTheManifestAndTheProblem) {
  const ProblemPtr gemm = parse_problem("gemm:k=4K,n=4K,m=4K,dtype=bf16").value();
  EXPECT_EQ(compile_command(*gemm),
            "python3 src/backends/neuron/nki/compile_neffs.py --manifest src/backends/neuron/nki/manifest.json "
            "'gemm:m=4096,n=4096,k=4096,dtype=bf16'");
  const ProblemPtr attn = parse_problem("attention:b=1,h=8,sq=1K,d=128,causal=1,dtype=bf16").value();
  EXPECT_EQ(compile_command(*attn, "/home/me/my neffs/manifest.json"),
            "python3 src/backends/neuron/nki/compile_neffs.py --manifest '/home/me/my neffs/manifest.json' "
            "'attention:b=1,h=8,kvh=8,sq=1024,skv=1024,d=128,causal=1,dtype=bf16,pass=fwd'");
}

class NeffManifestTensorInfoTest : public NeffManifestTest {
 protected:
  void SetUp() override {
    const Expected<NeffManifest> m = read_neff_manifest(write(good_manifest()));
    ASSERT_TRUE(m.ok()) << m.error().message;
    entry_ = m->entries[0];
    prefix_ = "NEFF '" + entry_.neff_path + "' (" + kGemm + "): ";
    // What nrt_get_model_tensor_info reports for the GEMM NEFF (any order).
    info_ = {{"c", NeffTensorUsage::kOutput, 256 * 512 * 2, "bf16", {256, 512}},
             {"a_t", NeffTensorUsage::kInput, 128 * 256 * 2, "bf16", {128, 256}},
             {"b", NeffTensorUsage::kInput, 128 * 512 * 2, "bf16", {}}};  // no shape reported: not compared
  }
  std::string error_of_info() {
    const Status s = check_tensor_info(entry_, info_);
    if (s.ok()) {
      ADD_FAILURE() << "tensor info was accepted";
      return "";
    }
    EXPECT_EQ(s.error().code, ErrorCode::kBadInput);
    return s.error().message;
  }
  NeffEntry entry_;
  std::string prefix_;
  std::vector<RuntimeTensorInfo> info_;
};

TEST_F(NeffManifestTensorInfoTest, AcceptsMatchingInfo) {
  const Status s = check_tensor_info(entry_, info_);
  EXPECT_TRUE(s.ok()) << s.error().message;
}

TEST_F(NeffManifestTensorInfoTest, NamesASizeMismatch) {
  info_[1].size_bytes = 128 * 256 * 4;
  EXPECT_EQ(error_of_info(),
            prefix_ + "tensor 'a_t' has 65536 bytes in the manifest ([128, 256] bf16) but 131072 bytes in the NEFF");
}

TEST_F(NeffManifestTensorInfoTest, NamesADtypeMismatch) {
  info_[0].dtype = nrt::nrt_dtype_name(nrt::NRT_DTYPE_FLOAT32);  // what the backend fills in
  EXPECT_EQ(error_of_info(), prefix_ + "tensor 'c' has dtype bf16 in the manifest but fp32 in the NEFF");
}

TEST_F(NeffManifestTensorInfoTest, NamesAShapeMismatch) {
  info_[1].shape = {256, 128};
  EXPECT_EQ(error_of_info(), prefix_ + "tensor 'a_t' has shape [128, 256] in the manifest but [256, 128] in the NEFF");
}

TEST_F(NeffManifestTensorInfoTest, NamesAUsageMismatch) {
  info_[2].usage = NeffTensorUsage::kOutput;
  EXPECT_EQ(error_of_info(), prefix_ + "tensor 'b' is an input in the manifest but an output in the NEFF");
}

TEST_F(NeffManifestTensorInfoTest, NamesTensorsMissingOnEitherSide) {
  info_[1].name = "input0";
  EXPECT_EQ(error_of_info(), prefix_ +
                                 "the NEFF has input tensor 'input0', which the manifest does not list (manifest "
                                 "inputs a_t, b; outputs c)");
  info_.erase(info_.begin() + 1);
  EXPECT_EQ(error_of_info(), prefix_ + "manifest input 'a_t' is not among the NEFF's tensors ('c', 'b')");
  info_.clear();
  EXPECT_EQ(error_of_info(), prefix_ + "manifest input 'a_t' is not among the NEFF's tensors (none)");
}

}  // namespace
}  // namespace tb
