// NCCL all-reduce on the CUDA backend (backends/cuda/nccl_*): loading NCCL at
// run time and what is reported when it does not load, the support decisions
// and device bytes (all without a GPU), and all-reduces on 1 and N GPUs
// verified exactly (skipped without enough devices).
#include <gtest/gtest.h>

#include <cuda_runtime_api.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backends/cuda/nccl_allreduce.h"
#include "backends/cuda/nccl_library.h"
#include "kernels/allreduce/allreduce_problem.h"
#include "support/fake_process_group.h"
#include "support/problem_helpers.h"

namespace tb {
namespace {

constexpr std::uint64_t kSeed = 42;

int visible_gpus() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return count;
}

std::shared_ptr<const AllreduceProblem> allreduce(const std::string& text) { return parse_as<AllreduceProblem>(text); }

// Sets (or unsets, for nullopt) an environment variable for one test, restoring it after.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::optional<std::string>& value) : name_(name) {
    if (const char* old = std::getenv(name)) saved_ = old;
    if (value) {
      setenv(name, value->c_str(), 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (saved_) {
      setenv(name_, saved_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> saved_;
};

void expect_contains(const std::string& text, const std::vector<std::string>& needles) {
  for (const std::string& needle : needles) {
    EXPECT_NE(text.find(needle), std::string::npos) << "'" << text << "' lacks '" << needle << "'";
  }
}

// ---- Loading NCCL ------------------------------------------------------------------------------

TEST(NcclLibraryTest, FormatsBothVersionEncodings) {
  EXPECT_EQ(nccl::format_version(22809), "2.28.9");
  EXPECT_EQ(nccl::format_version(21803), "2.18.3");
  EXPECT_EQ(nccl::format_version(2804), "2.8.4");  // before 2.9: X*1000 + Y*100 + Z
  EXPECT_EQ(nccl::format_version(0), "unknown");
}

TEST(NcclLibraryTest, SearchOrderIsTheLoaderPathThenTheToolkit) {
  const std::vector<LibraryCandidate> order = cuda::cuda_library_search_order({"libnccl.so.2", "libnccl.so"}, "", "");
  ASSERT_EQ(order.size(), 6u);
  EXPECT_EQ(order[0].path, "libnccl.so.2");
  EXPECT_EQ(order[0].source, "loader search path");
  EXPECT_EQ(order[1].path, "libnccl.so");
  EXPECT_EQ(order[2].path, "/usr/local/cuda/lib64/libnccl.so.2");
  EXPECT_EQ(order[2].source, "default install");
  EXPECT_EQ(order[3].path, "/usr/local/cuda/lib64/libnccl.so");
  EXPECT_EQ(order[4].path, "/usr/local/cuda/lib/libnccl.so.2");
  EXPECT_EQ(order[5].path, "/usr/local/cuda/lib/libnccl.so");
}

TEST(NcclLibraryTest, TheEnvironmentDirectoryIsUsedAlone) {
  const std::vector<LibraryCandidate> order =
      cuda::cuda_library_search_order({"libnccl.so.2", "libnccl.so"}, "/opt/x/", "/cuda");
  ASSERT_EQ(order.size(), 2u);
  EXPECT_EQ(order[0].path, "/opt/x/libnccl.so.2");
  EXPECT_EQ(order[0].source, "TRAINBENCH_CUDA_LIB_DIR");
  EXPECT_EQ(order[1].path, "/opt/x/libnccl.so");
}

TEST(NcclLibraryTest, ToolkitNcclLoadsAndReportsItsVersion) {
  const ScopedEnv env(cuda::kCudaLibDirEnvVar, std::nullopt);
  if (!std::filesystem::exists("/usr/local/cuda/lib/libnccl.so.2")) {
    GTEST_SKIP() << "no NCCL in /usr/local/cuda/lib on this machine";
  }
  const Expected<std::shared_ptr<nccl::NcclLibrary>> lib = nccl::open_library();
  ASSERT_TRUE(lib.ok()) << lib.error().message;
  const std::string version = (*lib)->version();
  // MAJOR.MINOR.PATCH, each a number (no std::regex: GCC 12 + ASan warns inside it).
  int dots = 0;
  bool digits_between = !version.empty() && version.front() != '.' && version.back() != '.';
  for (std::size_t i = 0; i < version.size(); ++i) {
    if (version[i] == '.') {
      ++dots;
      digits_between &= i + 1 < version.size() && version[i + 1] != '.';
    } else {
      digits_between &= version[i] >= '0' && version[i] <= '9';
    }
  }
  EXPECT_TRUE(dots == 2 && digits_between) << version;
  // The process-wide instance reports the same.
  const std::string reported = cuda::nccl_version_or_reason();
  EXPECT_EQ(reported, "NCCL " + version);
  // Loaded from the toolkit we compiled against, it is that header's major.minor.
  if ((*lib)->loaded_from().rfind("/usr/local/cuda", 0) == 0) {
    EXPECT_EQ(version.rfind(std::to_string(NCCL_MAJOR) + "." + std::to_string(NCCL_MINOR) + ".", 0), 0u)
        << version << " from " << (*lib)->loaded_from();
  }
  EXPECT_FALSE((*lib)->loaded_from().empty());
}

TEST(NcclLibraryTest, AMissingLibraryNamesEveryPlaceTried) {
  const ScopedEnv env(cuda::kCudaLibDirEnvVar, std::nullopt);
  const Expected<std::shared_ptr<nccl::NcclLibrary>> lib = nccl::open_library({"libnccl-missing.so.7"});
  ASSERT_FALSE(lib.ok());
  EXPECT_EQ(lib.error().code, ErrorCode::kUnavailable);
  expect_contains(lib.error().message,
                  {"no usable NCCL: tried ", "[loader search path] cannot load 'libnccl-missing.so.7'",
                   "[default install] cannot load '/usr/local/cuda/lib/libnccl-missing.so.7'",
                   "'/usr/local/cuda/lib64/libnccl-missing.so.7'", "TRAINBENCH_CUDA_LIB_DIR"});
}

TEST(NcclLibraryTest, AnEnvironmentDirectoryWithoutNcclIsReportedAlone) {
  const ScopedEnv env(cuda::kCudaLibDirEnvVar, std::string("/nonexistent-nccl-dir"));
  const Expected<std::shared_ptr<nccl::NcclLibrary>> lib = nccl::open_library();
  ASSERT_FALSE(lib.ok());
  EXPECT_EQ(lib.error().code, ErrorCode::kUnavailable);
  expect_contains(lib.error().message, {"[TRAINBENCH_CUDA_LIB_DIR] cannot load '/nonexistent-nccl-dir/libnccl.so.2'",
                                        "'/nonexistent-nccl-dir/libnccl.so'", "nothing else was searched"});
  EXPECT_EQ(lib.error().message.find("/usr/local/cuda"), std::string::npos) << lib.error().message;
}

TEST(NcclLibraryTest, ALibraryThatIsNotNcclIsRejectedNamingTheMissingSymbol) {
  const Expected<std::shared_ptr<nccl::NcclLibrary>> lib = nccl::NcclLibrary::open("libm.so.6");
  ASSERT_FALSE(lib.ok());
  EXPECT_EQ(lib.error().code, ErrorCode::kUnavailable);
#define TB_COUNT_ENTRY_POINT(name, required) +1
  constexpr int kEntryPoints = 0 TB_NCCL_ENTRY_POINTS(TB_COUNT_ENTRY_POINT);  // every one is required
#undef TB_COUNT_ENTRY_POINT
  expect_contains(lib.error().message, {"'libm.so.6' is not NCCL: symbol ncclGetVersion missing",
                                        "(and " + std::to_string(kEntryPoints - 1) + " more"});
}

TEST(NcclLibraryTest, ErrorsNameTheCallAndNcclsText) {
  const Expected<std::shared_ptr<nccl::NcclLibrary>>& lib = nccl::default_library();
  if (!lib.ok()) GTEST_SKIP() << lib.error().message;
  EXPECT_TRUE(nccl::check((*lib)->api(), ncclSuccess, "ncclGroupEnd").ok());
  const Status s = nccl::check((*lib)->api(), ncclInvalidArgument, "ncclAllReduce (rank 1)");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kRunFailure);
  EXPECT_EQ(s.error().message.rfind("ncclAllReduce (rank 1) failed: ", 0), 0u) << s.error().message;
  EXPECT_GT(s.error().message.size(), std::string("ncclAllReduce (rank 1) failed: ").size());
}

// ---- Support decisions and device bytes (no GPU needed) ----------------------------------------

TEST(NcclAllreduceSupportTest, MoreRanksThanDevicesNamesBothNumbers) {
  const auto p = allreduce("allreduce:bytes=1M,ranks=4,algo=nccl,transport=threads,inplace=0");
  ASSERT_NE(p, nullptr);
  const Support s = cuda::nccl_allreduce_support(*p, 2);
  EXPECT_FALSE(s.supported);
  expect_contains(s.reason, {"cuda:", "ranks=4", "2 CUDA devices", "ranks<=2"});
  const Support none = cuda::nccl_allreduce_support(*p, 0);
  EXPECT_FALSE(none.supported);
  expect_contains(none.reason, {"ranks=4", "0 CUDA devices"});
  const Support one = cuda::nccl_allreduce_support(*p, 1);
  expect_contains(one.reason, {"1 CUDA device is visible"});
}

// ---- One process per GPU under MPI (transport=mpi): decisions without a GPU ---------------------

cuda::NcclRankPlacement placement(int local_rank, int local_ranks, int visible_devices) {
  return {local_rank, local_ranks, visible_devices, "node7"};
}

TEST(NcclRankSupportTest, FewerGpusThanLocalRanksNamesBothCountsAndTheHost) {
  const Support s = cuda::nccl_rank_support(placement(1, 4, 2), "");
  EXPECT_FALSE(s.supported);
  expect_contains(s.reason, {"cuda: 4 local ranks but 2 GPUs visible on node7", "mpirun -H node7:2"});
  const Support one = cuda::nccl_rank_support(placement(0, 2, 1), "");
  EXPECT_FALSE(one.supported);
  expect_contains(one.reason, {"2 local ranks but 1 GPU visible on node7"});
}

TEST(NcclRankSupportTest, NoVisibleGpuIsUnsupported) {
  const Support s = cuda::nccl_rank_support(placement(0, 1, 0), "");
  EXPECT_FALSE(s.supported);
  expect_contains(s.reason, {"cuda:", "0 GPUs visible on node7", "CUDA_VISIBLE_DEVICES"});
}

TEST(NcclRankSupportTest, NcclThatDoesNotLoadIsTheReason) {
  const Support s = cuda::nccl_rank_support(placement(0, 2, 8), "no usable NCCL: tried ...");
  EXPECT_FALSE(s.supported);
  EXPECT_EQ(s.reason, "cuda: no usable NCCL: tried ...");
}

TEST(NcclRankSupportTest, AGpuPerLocalRankIsSupported) {
  EXPECT_TRUE(cuda::nccl_rank_support(placement(7, 8, 8), "").supported);
  EXPECT_TRUE(cuda::nccl_rank_support(placement(0, 1, 1), "").supported);
  EXPECT_TRUE(cuda::nccl_rank_support(placement(1, 2, 8), "").supported) << "spare GPUs are fine";
}

TEST(NcclRankSupportTest, TheDeviceIsTheLocalRankModuloTheVisibleDevices) {
  EXPECT_EQ(cuda::nccl_rank_device(placement(0, 8, 8)), 0);
  EXPECT_EQ(cuda::nccl_rank_device(placement(7, 8, 8)), 7);
  EXPECT_EQ(cuda::nccl_rank_device(placement(5, 8, 4)), 1);
  EXPECT_EQ(cuda::nccl_rank_device(placement(3, 4, 0)), 0);
}

TEST(NcclAgreeTest, EveryRankSupportedIsSupportedAfterOneMax) {
  FakeProcessGroup group(1, 4);
  group.max_answer = -4.0;  // every rank passed -size
  const Support s = cuda::agree_across_ranks(group, {true, {}});
  EXPECT_TRUE(s.supported) << s.reason;
  EXPECT_EQ(group.max_inputs, std::vector<double>{-4.0});
  EXPECT_TRUE(group.broadcast_roots.empty());
}

TEST(NcclAgreeTest, TheLowestUnsupportedRanksReasonReachesEveryRank) {
  FakeProcessGroup group(0, 4);
  group.max_answer = -2.0;  // rank 2 is the lowest unsupported rank
  group.broadcast_payload = "cuda: 8 local ranks but 4 GPUs visible on node7: ...";
  const Support s = cuda::agree_across_ranks(group, {true, {}});
  EXPECT_FALSE(s.supported);
  EXPECT_EQ(s.reason, "cuda: rank 2: 8 local ranks but 4 GPUs visible on node7: ...");
  EXPECT_EQ(group.broadcast_roots, std::vector<int>{2});
}

TEST(NcclAgreeTest, TheUnsupportedRankSendsItsOwnReason) {
  FakeProcessGroup group(3, 4);
  group.max_answer = -3.0;
  group.broadcast_payload = "not this";
  const Support s = cuda::agree_across_ranks(group, {false, "cuda: 0 GPUs visible on node9"});
  EXPECT_FALSE(s.supported);
  EXPECT_EQ(s.reason, "cuda: rank 3: 0 GPUs visible on node9");
  EXPECT_EQ(group.max_inputs, std::vector<double>{-3.0});
  EXPECT_EQ(group.broadcast_roots, std::vector<int>{3});
}

TEST(NcclAgreeTest, ASingleProcessKeepsItsOwnDecision) {
  SingleProcess single;
  EXPECT_TRUE(cuda::agree_across_ranks(single, {true, {}}).supported);
  const Support s = cuda::agree_across_ranks(single, {false, "cuda: no usable NCCL"});
  EXPECT_FALSE(s.supported);
  EXPECT_EQ(s.reason, "cuda: no usable NCCL");
}

TEST(NcclAgreeTest, AFailedCollectiveIsUnsupportedNamingIt) {
  FakeProcessGroup group(0, 2);
  group.fail_collectives = true;
  const Support s = cuda::agree_across_ranks(group, {true, {}});
  EXPECT_FALSE(s.supported);
  expect_contains(s.reason, {"agreeing on NCCL support", "fake max failed"});
}

TEST(NcclAllreduceSupportTest, TransportMpiNeedsAnMpiLauncher) {
  const auto p = allreduce("allreduce:bytes=1M,ranks=2,algo=nccl,transport=mpi,inplace=0");
  ASSERT_NE(p, nullptr);
  const Support s = cuda::nccl_allreduce_support(*p, 8);
  EXPECT_FALSE(s.supported);
  expect_contains(s.reason, {"cuda:", "transport=mpi", "mpirun -np 2", "transport=threads"});
}

TEST(NcclAllreduceSupportTest, TransportMpiFollowsTheAgreedDecisionWhenRanksMatchTheWorld) {
  const auto p = allreduce("allreduce:bytes=1M,ranks=2,algo=nccl,transport=mpi,inplace=0");
  ASSERT_NE(p, nullptr);
  FakeProcessGroup world(1, 2);
  cuda::NcclMpiMode mode{&world, 1, {true, {}}};
  EXPECT_TRUE(cuda::nccl_allreduce_support(*p, 0, &mode).supported) << "visible devices were decided at start-up";
  mode.ready = {false, "cuda: rank 1: 2 local ranks but 1 GPU visible on node7"};
  const Support refused = cuda::nccl_allreduce_support(*p, 8, &mode);
  EXPECT_FALSE(refused.supported);
  EXPECT_EQ(refused.reason, mode.ready.reason);

  FakeProcessGroup three(0, 3);
  const cuda::NcclMpiMode bigger{&three, 0, {true, {}}};
  const Support mismatch = cuda::nccl_allreduce_support(*p, 8, &bigger);
  EXPECT_FALSE(mismatch.supported);
  expect_contains(mismatch.reason, {"ranks=2", "3 processes"});
}

TEST(NcclAllreduceSupportTest, TransportThreadsUnderSeveralMpiRanksIsUnsupported) {
  const auto p = allreduce("allreduce:bytes=1M,ranks=2,algo=nccl,transport=threads,inplace=0");
  ASSERT_NE(p, nullptr);
  FakeProcessGroup world(0, 2);
  const cuda::NcclMpiMode mode{&world, 0, {true, {}}};
  const Support s = cuda::nccl_allreduce_support(*p, 8, &mode);
  EXPECT_FALSE(s.supported);
  expect_contains(s.reason, {"transport=threads", "without mpirun", "transport=mpi"});
}

TEST(NcclAllreduceSupportTest, OtherAlgosRunOnTheCpuBackend) {
  for (const char* text : {"allreduce:bytes=1M,ranks=2,algo=ring,transport=threads,inplace=0",
                           "allreduce:bytes=1M,ranks=2,algo=mpi,transport=mpi,inplace=0"}) {
    const auto p = allreduce(text);
    ASSERT_NE(p, nullptr);
    const Support s = cuda::nccl_allreduce_support(*p, 8);
    EXPECT_FALSE(s.supported) << text;
    expect_contains(s.reason, {"algo=nccl", "--backend cpu"});
  }
}

TEST(NcclAllreduceSupportTest, EveryDtypeAndOpIsSupportedWhenNcclLoads) {
  const Expected<std::shared_ptr<nccl::NcclLibrary>>& lib = nccl::default_library();
  for (const char* dtype : {"fp32", "bf16", "fp16"}) {
    for (const char* op : {"sum", "max", "min"}) {
      const auto p = allreduce(std::string("allreduce:bytes=1K,ranks=8,algo=nccl,inplace=1,dtype=") + dtype + ",op=" + op);
      ASSERT_NE(p, nullptr);
      const Support s = cuda::nccl_allreduce_support(*p, 8);
      if (lib.ok()) {
        EXPECT_TRUE(s.supported) << p->to_string() << ": " << s.reason;
      } else {
        EXPECT_FALSE(s.supported);
        expect_contains(s.reason, {"cuda: no usable NCCL"});
      }
    }
  }
}

TEST(NcclAllreduceSupportTest, DeviceBytesAreTwoBuffersPerDevice) {
  // Out of place: send + receive; in place: send + the pristine input restored before verification.
  EXPECT_EQ(cuda::nccl_allreduce_device_bytes(*allreduce("allreduce:bytes=1M,ranks=4,algo=nccl,inplace=0")), 2 << 20);
  EXPECT_EQ(cuda::nccl_allreduce_device_bytes(*allreduce("allreduce:bytes=1M,ranks=4,algo=nccl,inplace=1")), 2 << 20);
  EXPECT_EQ(cuda::nccl_allreduce_device_bytes(*allreduce("allreduce:bytes=6,ranks=2,dtype=bf16,algo=nccl,inplace=0")),
            12);
  EXPECT_EQ(cuda::nccl_allreduce_device_bytes(*allreduce("allreduce:bytes=16G,ranks=8,algo=nccl,inplace=0")),
            std::int64_t{32} << 30);
}

TEST(NcclAllreduceSupportTest, WithoutAGpuPrepareFailsWithTheSupportReason) {
  if (visible_gpus() > 0) GTEST_SKIP() << "this machine has a GPU";
  const auto p = allreduce("allreduce:bytes=1K,ranks=1,algo=nccl,inplace=0");
  ASSERT_NE(p, nullptr);
  const Expected<std::unique_ptr<Workload>> w = cuda::make_nccl_allreduce_workload(p, p->make_inputs(kSeed));
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().code, ErrorCode::kBadInput);
  expect_contains(w.error().message, {"ranks=1", "0 CUDA devices"});
}

// ---- On GPUs -----------------------------------------------------------------------------------

// Prepares `text`, checks that poisoned outputs fail, then that one run verifies exactly and times > 0.
void run_and_verify(const std::string& text) {
  SCOPED_TRACE(text);
  const auto p = allreduce(text);
  ASSERT_NE(p, nullptr);
  const std::vector<HostTensor> inputs = p->make_inputs(kSeed);
  Expected<std::unique_ptr<Workload>> prepared = cuda::make_nccl_allreduce_workload(p, inputs);
  ASSERT_TRUE(prepared.ok()) << prepared.error().message;
  Workload& w = **prepared;
  EXPECT_NE(w.implementation().find("NCCL"), std::string::npos) << w.implementation();

  // Poisoned and not run: out of place NaN, in place the inputs, wrong either way (but 1 rank in place).
  ASSERT_TRUE(w.poison_outputs().ok());
  ASSERT_TRUE(w.synchronize().ok());
  Expected<std::vector<HostTensor>> before = w.read_outputs();
  ASSERT_TRUE(before.ok()) << before.error().message;
  if (!(p->in_place() && p->ranks() == 1)) {
    EXPECT_FALSE(p->verify(inputs, *before, kSeed).passed);
  }

  Status s = w.poison_outputs();
  if (s) s = w.run();
  if (s) s = w.synchronize();
  ASSERT_TRUE(s.ok()) << s.error().message;
  Expected<std::vector<HostTensor>> outputs = w.read_outputs();
  ASSERT_TRUE(outputs.ok()) << outputs.error().message;
  ASSERT_EQ(outputs->size(), static_cast<std::size_t>(p->ranks()));
  const Verification v = p->verify(inputs, *outputs, kSeed);
  EXPECT_TRUE(v.passed) << v.detail;
  EXPECT_EQ(v.wrong, 0);
  EXPECT_EQ(v.checked, p->count() * p->ranks());

  std::unique_ptr<DeviceTimer> timer = w.make_timer();
  s = timer->start();
  if (s) s = w.run();
  if (s) s = timer->stop();
  ASSERT_TRUE(s.ok()) << s.error().message;
  const Expected<double> seconds = timer->elapsed_seconds();
  ASSERT_TRUE(seconds.ok()) << seconds.error().message;
  EXPECT_GT(*seconds, 0.0);
  EXPECT_LT(*seconds, 10.0);
}

TEST(NcclAllreduceGpuTest, OneRankIsExact) {
  if (visible_gpus() < 1) GTEST_SKIP() << "no CUDA device";
  if (!nccl::default_library().ok()) GTEST_SKIP() << nccl::default_library().error().message;
  for (const char* dtype : {"fp32", "bf16", "fp16"}) {
    for (const char* inplace : {"0", "1"}) {
      run_and_verify(std::string("allreduce:bytes=1M,ranks=1,algo=nccl,transport=threads,dtype=") + dtype +
                     ",inplace=" + inplace);
    }
  }
}

TEST(NcclAllreduceGpuTest, EveryVisibleGpuIsExactForEveryDtypeAndOp) {
  const int gpus = visible_gpus();
  if (gpus < 2) GTEST_SKIP() << gpus << " CUDA device(s); this test needs 2 or more";
  if (!nccl::default_library().ok()) GTEST_SKIP() << nccl::default_library().error().message;
  const std::string ranks = std::to_string(gpus);
  for (const char* dtype : {"fp32", "bf16", "fp16"}) {
    for (const char* op : {"sum", "max", "min"}) {
      for (const char* inplace : {"0", "1"}) {
        // 12 MiB + 6 B: an element count that splits unevenly over the ranks.
        run_and_verify("allreduce:bytes=" + std::to_string((std::int64_t{12} << 20) + 12) + ",ranks=" + ranks +
                       ",algo=nccl,transport=threads,dtype=" + dtype + ",op=" + op + ",inplace=" + inplace);
      }
    }
  }
  // Two ranks out of more GPUs: devices 0 and 1 only.
  if (gpus > 2) run_and_verify("allreduce:bytes=4M,ranks=2,algo=nccl,transport=threads,inplace=0");
}

}  // namespace
}  // namespace tb
