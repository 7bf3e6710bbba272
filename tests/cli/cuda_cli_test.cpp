// `trainbench` with the CUDA backend on a machine without a GPU (docs/cuda.md):
// listed as unavailable with the reason, and `run` refuses with exit status 2
// and writes nothing. Skipped where a GPU is present.
#include <string>

#include "cli_test_support.h"

namespace tbtest {
namespace {

class CudaCli : public CliTest {
 protected:
  // The "cuda: ..." line of `trainbench list backends`.
  std::string cuda_line() {
    const ProcessResult r = trainbench({"list", "backends"});
    EXPECT_TRUE(exited_with(r, 0));
    for (const std::string& line : lines_of(r.out)) {
      if (starts_with(line, "cuda: ")) return line;
    }
    ADD_FAILURE() << "no cuda line in:\n" << r.out;
    return {};
  }
};

TEST_F(CudaCli, ListedUnavailableWithTheReason) {
  const std::string line = cuda_line();
  if (starts_with(line, "cuda: available")) GTEST_SKIP() << "a CUDA device is present: " << line;
  EXPECT_TRUE(starts_with(line, "cuda: unavailable: no CUDA device: cudaGetDeviceCount: cudaError")) << line;
}

TEST_F(CudaCli, RunWithoutDeviceExits2AndWritesNothing) {
  if (starts_with(cuda_line(), "cuda: available")) GTEST_SKIP() << "a CUDA device is present";
  const ProcessResult r = run_quick({"--backend", "cuda", "--problem", "gemm:m=64,n=64,k=64"});
  expect_bad_input(r, {"no CUDA device: cudaGetDeviceCount: cudaError"});
}

TEST_F(CudaCli, UnknownAttentionImplementationExits2NamingTheChoices) {
  // Checked by the command line before any backend is made, GPU or not.
  const ProcessResult r = run_quick({"--backend", "cuda", "--cuda-attention", "flash3", "--problem",
                                     "attention:b=1,h=2,sq=64,d=64,dtype=bf16,pass=fwd"});
  expect_bad_input(r, {"--cuda-attention", "flash3", "auto", "cudnn", "trainbench"}, /*cli11=*/true);
}

TEST_F(CudaCli, GemmCandidatesOutsideOneToSixteenExit2) {
  for (const char* n : {"0", "17"}) {
    const ProcessResult r = run_quick({"--backend", "cuda", "--cuda-gemm-candidates", n, "--problem",
                                       "gemm:m=64,n=64,k=64,dtype=bf16"});
    expect_bad_input(r, {"--cuda-gemm-candidates", n}, /*cli11=*/true);
  }
}

}  // namespace
}  // namespace tbtest
