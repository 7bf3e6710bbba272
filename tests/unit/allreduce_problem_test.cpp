// AllreduceProblem: problem strings (canonical form, round trip, defaults, the
// MPI-launcher default transport, the implicit inplace sweep, rejections),
// the collective figures, exact inputs, verification and the per-transport
// input tensors.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/dtype.h"
#include "kernels/allreduce/allreduce_problem.h"
#include "kernels/kernel_registry.h"
#include "support/problem_helpers.h"
#include "kernels/problem_string.h"
#include "runner/plan.h"

namespace tb {
namespace {

constexpr std::uint64_t kSeed = 42;
constexpr DType kDtypes[] = {DType::kFp32, DType::kBf16, DType::kFp16};
constexpr ReduceOp kOps[] = {ReduceOp::kSum, ReduceOp::kMax, ReduceOp::kMin};
constexpr const char* kLauncherVars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE"};

// Problem strings read the MPI launcher's environment for the default
// transport: every test here starts without those variables and leaves the
// environment as it found it.
class AllreduceProblemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : kLauncherVars) {
      const char* value = std::getenv(name);
      saved_.push_back(value ? std::optional<std::string>(value) : std::nullopt);
      unsetenv(name);
    }
  }
  void TearDown() override {
    for (std::size_t v = 0; v < saved_.size(); ++v) {
      if (saved_[v]) {
        setenv(kLauncherVars[v], saved_[v]->c_str(), 1);
      } else {
        unsetenv(kLauncherVars[v]);
      }
    }
  }

 private:
  std::vector<std::optional<std::string>> saved_;
};

std::shared_ptr<const AllreduceProblem> parse_allreduce(const std::string& text) {
  return parse_as<AllreduceProblem>(text);
}

std::string canonical(const std::string& text) { return canonical_as<AllreduceProblem>(text); }

AllreduceProblem make(std::int64_t count, DType dtype, ReduceOp op, int ranks, bool in_place = false,
                      AllreduceTransport transport = AllreduceTransport::kThreads) {
  return AllreduceProblem(count * static_cast<std::int64_t>(dtype_size(dtype)), dtype, op, ranks, in_place,
                          AllreduceAlgo::kRing, transport);
}

// `value` rounded to `dtype` and read back.
double round_trip(double value, DType dtype) {
  std::array<std::byte, 4> storage{};
  store_from_float(storage.data(), dtype, 0, static_cast<float>(value));
  return load_as_float(storage.data(), dtype, 0);
}

bool exact_in(double value, DType dtype) { return round_trip(value, dtype) == value; }

// Outputs holding the exact reduction, as a correct backend returns them.
std::vector<HostTensor> correct_outputs(const AllreduceProblem& p, std::uint64_t seed) {
  std::vector<HostTensor> outputs;
  for (const TensorSpec& spec : p.output_specs()) {
    HostTensor& t = outputs.emplace_back(spec);
    for (std::int64_t i = 0; i < p.count(); ++i) {
      t.set(static_cast<std::size_t>(i), static_cast<float>(p.expected_value(seed, i)));
    }
  }
  return outputs;
}

// ---- Problem strings -------------------------------------------------------------------------

TEST_F(AllreduceProblemTest, CanonicalStringNamesEveryKeyInOrder) {
  EXPECT_EQ(canonical("allreduce:bytes=64M,ranks=4,inplace=0"),
            "allreduce:bytes=64M,dtype=fp32,op=sum,ranks=4,inplace=0,algo=ring,transport=threads");
  EXPECT_EQ(canonical("allreduce:transport=threads,algo=ring,inplace=1,op=max,dtype=bf16,ranks=3,bytes=6"),
            "allreduce:bytes=6,dtype=bf16,op=max,ranks=3,inplace=1,algo=ring,transport=threads");
  EXPECT_EQ(canonical("allreduce:bytes=1000,ranks=256,op=min,dtype=fp16,inplace=0,transport=mpi"),
            "allreduce:bytes=1000,dtype=fp16,op=min,ranks=256,inplace=0,algo=ring,transport=mpi");
  EXPECT_EQ(canonical("allreduce:bytes=8,ranks=1,algo=mpi,transport=mpi,inplace=1"),
            "allreduce:bytes=8,dtype=fp32,op=sum,ranks=1,inplace=1,algo=mpi,transport=mpi");
}

TEST_F(AllreduceProblemTest, BytesArePrintedWithTheLargestExactSuffix) {
  EXPECT_EQ(format_size(67108864), "64M");
  EXPECT_EQ(format_size(3072), "3K");
  EXPECT_EQ(format_size(1000), "1000");
  // 1536 B is 1.5 KiB: no suffix divides it, so it stays in bytes (printing
  // "3K" would parse back as 3072 B and break the round trip).
  EXPECT_EQ(format_size(1536), "1536");
  const std::string rest = ",dtype=fp32,op=sum,ranks=2,inplace=0,algo=ring,transport=threads";
  EXPECT_EQ(canonical("allreduce:bytes=67108864,ranks=2,inplace=0"), "allreduce:bytes=64M" + rest);
  EXPECT_EQ(canonical("allreduce:bytes=3072,ranks=2,inplace=0"), "allreduce:bytes=3K" + rest);
  EXPECT_EQ(canonical("allreduce:bytes=1536,ranks=2,inplace=0"), "allreduce:bytes=1536" + rest);
  EXPECT_EQ(canonical("allreduce:bytes=1000,ranks=2,inplace=0"), "allreduce:bytes=1000" + rest);
  EXPECT_EQ(canonical("allreduce:bytes=1028,ranks=2,inplace=0"), "allreduce:bytes=1028" + rest);
  EXPECT_EQ(canonical("allreduce:bytes=2048M,ranks=2,inplace=0"), "allreduce:bytes=2G" + rest);
  EXPECT_EQ(canonical("allreduce:bytes=1025K,ranks=2,inplace=0"), "allreduce:bytes=1025K" + rest);
}

TEST_F(AllreduceProblemTest, RoundTripOverAGrid) {
  for (const std::string bytes : {"4", "12", "1000", "1K", "1028", "3K", "64M", "1G"}) {
    for (const std::string dtype : {"fp32", "bf16", "fp16"}) {
      for (const std::string op : {"sum", "max", "min"}) {
        for (const std::string ranks : {"1", "2", "3", "256"}) {
          for (const std::string inplace : {"0", "1"}) {
            for (const std::string tail : {",algo=ring,transport=threads", ",algo=ring,transport=mpi",
                                           ",algo=mpi,transport=mpi", ",algo=nccl,transport=threads",
                                           ",algo=nccl,transport=mpi"}) {
              const std::string text = "allreduce:bytes=" + bytes + ",dtype=" + dtype + ",op=" + op +
                                       ",ranks=" + ranks + ",inplace=" + inplace + tail;
              const auto p = parse_allreduce(text);
              ASSERT_NE(p, nullptr);
              EXPECT_EQ(p->to_string(), text);  // already canonical
              const auto q = parse_allreduce(p->to_string());
              ASSERT_NE(q, nullptr);
              EXPECT_EQ(q->to_string(), p->to_string());
              EXPECT_EQ(q->bytes(), p->bytes());
              EXPECT_EQ(q->count(), p->count());
            }
          }
        }
      }
    }
  }
}

TEST_F(AllreduceProblemTest, DefaultsWithoutAnMpiLauncher) {
  const auto p = parse_allreduce("allreduce:bytes=1K,ranks=2");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->kernel(), "allreduce");
  EXPECT_EQ(p->bytes(), 1024);
  EXPECT_EQ(p->ranks(), 2);
  EXPECT_EQ(p->dtype(), DType::kFp32);
  EXPECT_EQ(p->op(), ReduceOp::kSum);
  EXPECT_EQ(p->algo(), AllreduceAlgo::kRing);
  EXPECT_FALSE(p->in_place());
  EXPECT_EQ(p->transport(), AllreduceTransport::kThreads);
  EXPECT_EQ(p->local_ranks(), 2);
  EXPECT_EQ(p->to_string(), "allreduce:bytes=1K,dtype=fp32,op=sum,ranks=2,inplace=0,algo=ring,transport=threads");
}

TEST_F(AllreduceProblemTest, EachLauncherVariableMakesTheDefaultTransportMpi) {
  for (const char* name : kLauncherVars) {
    SCOPED_TRACE(name);
    ASSERT_EQ(setenv(name, "2", 1), 0);
    const auto p = parse_allreduce("allreduce:bytes=1K,ranks=2");
    ASSERT_EQ(unsetenv(name), 0);  // TearDown restores whatever was there before the test
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->transport(), AllreduceTransport::kMpi);
    EXPECT_EQ(p->local_ranks(), 1);
    EXPECT_EQ(p->to_string(), "allreduce:bytes=1K,dtype=fp32,op=sum,ranks=2,inplace=0,algo=ring,transport=mpi");
    // An explicit transport wins over the launcher.
    ASSERT_EQ(setenv(name, "2", 1), 0);
    const auto threads = parse_allreduce("allreduce:bytes=1K,ranks=2,transport=threads");
    ASSERT_EQ(unsetenv(name), 0);
    ASSERT_NE(threads, nullptr);
    EXPECT_EQ(threads->transport(), AllreduceTransport::kThreads);
  }
  // And with the variables gone again the default is threads.
  const auto p = parse_allreduce("allreduce:bytes=1K,ranks=2");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->transport(), AllreduceTransport::kThreads);
}

TEST_F(AllreduceProblemTest, NamesOfTheEnums) {
  EXPECT_EQ(allreduce_algo_name(AllreduceAlgo::kRing), "ring");
  EXPECT_EQ(allreduce_algo_name(AllreduceAlgo::kMpi), "mpi");
  EXPECT_EQ(allreduce_algo_name(AllreduceAlgo::kNccl), "nccl");
  EXPECT_EQ(allreduce_transport_name(AllreduceTransport::kThreads), "threads");
  EXPECT_EQ(allreduce_transport_name(AllreduceTransport::kMpi), "mpi");
  for (ReduceOp op : kOps) {
    const Expected<ReduceOp> back = parse_reduce_op(reduce_op_name(op));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, op);
  }
  const Expected<ReduceOp> bad = parse_reduce_op("avg");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kBadInput);
  EXPECT_NE(bad.error().message.find("'avg'"), std::string::npos) << bad.error().message;
}

// ---- The implicit inplace=0|1 sweep -----------------------------------------------------------

std::vector<std::string> plan_strings(const std::string& text) {
  const Expected<std::vector<ProblemPtr>> plan = build_plan({text});
  if (!plan.ok()) {
    ADD_FAILURE() << text << ": " << plan.error().message;
    return {};
  }
  std::vector<std::string> out;
  for (const ProblemPtr& p : *plan) out.push_back(p->to_string());
  return out;
}

TEST_F(AllreduceProblemTest, WithoutInplaceThePlanHasOutOfPlaceThenInPlace) {
  const std::string rest = ",algo=ring,transport=threads";
  EXPECT_EQ(plan_strings("allreduce:bytes=1K,ranks=2"),
            (std::vector<std::string>{"allreduce:bytes=1K,dtype=fp32,op=sum,ranks=2,inplace=0" + rest,
                                      "allreduce:bytes=1K,dtype=fp32,op=sum,ranks=2,inplace=1" + rest}));
}

TEST_F(AllreduceProblemTest, AGivenInplaceIsNotSwept) {
  EXPECT_EQ(plan_strings("allreduce:bytes=1K,ranks=2,inplace=1"),
            (std::vector<std::string>{"allreduce:bytes=1K,dtype=fp32,op=sum,ranks=2,inplace=1,algo=ring,transport=threads"}));
  EXPECT_EQ(plan_strings("allreduce:bytes=1K,ranks=2,inplace=0"),
            (std::vector<std::string>{"allreduce:bytes=1K,dtype=fp32,op=sum,ranks=2,inplace=0,algo=ring,transport=threads"}));
  EXPECT_EQ(plan_strings("allreduce:inplace=1|0,bytes=1K,ranks=2").size(), 2u);
}

TEST_F(AllreduceProblemTest, ASizeSweepAlternatesOutOfPlaceAndInPlace) {
  std::vector<std::string> expected;
  for (const char* bytes : {"1K", "2K", "4K"}) {
    for (const char* inplace : {"0", "1"}) {
      expected.push_back(std::string("allreduce:bytes=") + bytes + ",dtype=fp32,op=sum,ranks=2,inplace=" + inplace +
                         ",algo=ring,transport=threads");
    }
  }
  EXPECT_EQ(plan_strings("allreduce:bytes=1K:4K:*2,ranks=2"), expected);
}

// ---- Rejections ------------------------------------------------------------------------------

TEST_F(AllreduceProblemTest, BytesNotAMultipleOfTheElementSizeAreRejected) {
  expect_rejected("allreduce:bytes=6,ranks=2,dtype=fp32", {"'bytes=6'", "fp32", "4 B"});
  expect_rejected("allreduce:bytes=3,ranks=2,dtype=bf16", {"'bytes=3'", "bf16", "2 B"});
  expect_rejected("allreduce:bytes=1027,ranks=2,dtype=fp16", {"'bytes=1027'", "fp16"});
}

TEST_F(AllreduceProblemTest, SizesAndRankCountsOutOfRangeAreRejected) {
  expect_rejected("allreduce:bytes=0,ranks=2", {"'bytes=0'", "out of range"});
  expect_rejected("allreduce:bytes=1K,ranks=0", {"'ranks=0'", "out of range"});
  expect_rejected("allreduce:bytes=1K,ranks=257", {"'ranks=257'", "out of range", "256"});
  expect_rejected("allreduce:bytes=2048G,ranks=2", {"bytes"});  // above 1 TiB
  expect_rejected("allreduce:ranks=2", {"bytes"});
  expect_rejected("allreduce:bytes=1K", {"ranks"});
  // The ends of the ranges are accepted.
  EXPECT_NE(parse_allreduce("allreduce:bytes=1K,ranks=1"), nullptr);
  EXPECT_NE(parse_allreduce("allreduce:bytes=1K,ranks=256"), nullptr);
  EXPECT_NE(parse_allreduce("allreduce:bytes=2,ranks=2,dtype=bf16"), nullptr);
}

TEST_F(AllreduceProblemTest, UnknownValuesAndKeysAreRejected) {
  expect_rejected("allreduce:bytes=1K,ranks=2,op=avg", {"'op=avg'", "sum"});
  expect_rejected("allreduce:bytes=1K,ranks=2,dtype=int8", {"int8"});
  expect_rejected("allreduce:bytes=1K,ranks=2,dtype=fp8",
                  {"allreduce dtype 'fp8' is not supported: expected fp32, bf16 or fp16"});
  expect_rejected("allreduce:bytes=1K,ranks=2,algo=tree", {"'algo=tree'"});
  expect_rejected("allreduce:bytes=1K,ranks=2,transport=nccl", {"'transport=nccl'"});
  expect_rejected("allreduce:bytes=1K,ranks=2,inplace=2", {"'inplace=2'"});
  expect_rejected("allreduce:bytes=1K,ranks=2,root=0", {"unknown key 'root'"});
}

TEST_F(AllreduceProblemTest, AlgoMpiNeedsTheMpiTransport) {
  expect_rejected("allreduce:bytes=1K,ranks=2,algo=mpi,transport=threads", {"'algo=mpi'", "transport=mpi", "mpirun"});
  // Without a launcher the default transport is threads, so algo=mpi alone is refused too.
  expect_rejected("allreduce:bytes=1K,ranks=2,algo=mpi", {"'algo=mpi'"});
}

TEST_F(AllreduceProblemTest, AlgoMpiRefusesCountsAboveIntMax) {
  expect_rejected("allreduce:bytes=16G,ranks=2,algo=mpi,transport=mpi", {"'bytes=17179869184'", "4294967296", "int"});
  // 2^31 elements: one too many.
  expect_rejected("allreduce:bytes=8G,ranks=2,algo=mpi,transport=mpi", {"2147483648"});
  expect_rejected("allreduce:bytes=4G,ranks=2,dtype=bf16,algo=mpi,transport=mpi", {"2147483648"});
  // INT_MAX elements exactly is accepted.
  const auto at_limit = parse_allreduce("allreduce:bytes=" + std::to_string(std::int64_t{INT_MAX} * 4) +
                                        ",ranks=2,algo=mpi,transport=mpi,inplace=0");
  ASSERT_NE(at_limit, nullptr);
  EXPECT_EQ(at_limit->count(), INT_MAX);
  // The ring moves small chunks: it has no such limit.
  const auto ring = parse_allreduce("allreduce:bytes=16G,ranks=2,algo=ring,transport=mpi,inplace=0");
  ASSERT_NE(ring, nullptr);
  EXPECT_EQ(ring->count(), std::int64_t{1} << 32);
}

TEST_F(AllreduceProblemTest, AlgoNcclParsesWithEitherTransportAndHasNoIntLimit) {
  // NCCL's count is a size_t; which transports run it is the CUDA backend's
  // support decision (threads: one process, every GPU), not the parser's.
  const auto p = parse_allreduce("allreduce:bytes=16G,ranks=8,dtype=bf16,algo=nccl,inplace=1");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->algo(), AllreduceAlgo::kNccl);
  EXPECT_EQ(p->transport(), AllreduceTransport::kThreads);
  EXPECT_EQ(p->count(), std::int64_t{1} << 33);
  EXPECT_EQ(p->to_string(), "allreduce:bytes=16G,dtype=bf16,op=sum,ranks=8,inplace=1,algo=nccl,transport=threads");
  const std::optional<CollectiveInfo> c = p->collective();
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->algo, "nccl");
  const auto mpi = parse_allreduce("allreduce:bytes=1K,ranks=2,algo=nccl,transport=mpi,inplace=0");
  ASSERT_NE(mpi, nullptr);
  EXPECT_EQ(mpi->transport(), AllreduceTransport::kMpi);
  // Without inplace= the plan sweeps 0|1 as for every algo.
  EXPECT_EQ(plan_strings("allreduce:bytes=1K,ranks=2,algo=nccl"),
            (std::vector<std::string>{"allreduce:bytes=1K,dtype=fp32,op=sum,ranks=2,inplace=0,algo=nccl,transport=threads",
                                      "allreduce:bytes=1K,dtype=fp32,op=sum,ranks=2,inplace=1,algo=nccl,transport=threads"}));
}

// ---- Work and the collective figures ------------------------------------------------------------

TEST_F(AllreduceProblemTest, BusFactorIsTwoTimesRanksMinusOneOverRanks) {
  const std::vector<std::pair<int, double>> cases = {{1, 0.0}, {2, 1.0}, {3, 4.0 / 3.0}, {4, 1.5}, {8, 1.75}};
  for (const auto& [ranks, factor] : cases) {
    const AllreduceProblem p = make(256, DType::kFp32, ReduceOp::kSum, ranks);
    const std::optional<CollectiveInfo> c = p.collective();
    ASSERT_TRUE(c.has_value());
    EXPECT_DOUBLE_EQ(c->bus_factor, factor) << "ranks=" << ranks;
    EXPECT_EQ(c->ranks, ranks);
  }
}

TEST_F(AllreduceProblemTest, CollectiveDescribesTheProblem) {
  const auto p = parse_allreduce("allreduce:bytes=3K,ranks=3,dtype=bf16,op=max,inplace=1");
  ASSERT_NE(p, nullptr);
  const std::optional<CollectiveInfo> c = p->collective();
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->ranks, 3);
  EXPECT_EQ(c->transport, "threads");
  EXPECT_EQ(c->algo, "ring");
  EXPECT_EQ(c->op, "max");
  EXPECT_TRUE(c->in_place);
  EXPECT_EQ(c->count, 1536);

  const auto m = parse_allreduce("allreduce:bytes=1K,ranks=4,algo=mpi,transport=mpi,op=min,inplace=0");
  ASSERT_NE(m, nullptr);
  const std::optional<CollectiveInfo> cm = m->collective();
  ASSERT_TRUE(cm.has_value());
  EXPECT_EQ(cm->transport, "mpi");
  EXPECT_EQ(cm->algo, "mpi");
  EXPECT_EQ(cm->op, "min");
  EXPECT_FALSE(cm->in_place);
  EXPECT_EQ(cm->count, 256);
}

TEST_F(AllreduceProblemTest, CountFlopAndBytes) {
  for (DType dtype : kDtypes) {
    for (int ranks : {1, 2, 3, 8}) {
      const std::int64_t bytes = 12288;
      const AllreduceProblem p(bytes, dtype, ReduceOp::kSum, ranks, false, AllreduceAlgo::kRing,
                               AllreduceTransport::kThreads);
      const std::int64_t count = bytes / static_cast<std::int64_t>(dtype_size(dtype));
      EXPECT_EQ(p.count(), count);
      EXPECT_EQ(p.collective()->count, count);
      EXPECT_EQ(p.flop(), static_cast<double>((ranks - 1) * count));
      EXPECT_EQ(p.min_bytes(), static_cast<double>(bytes));
    }
  }
}

TEST_F(AllreduceProblemTest, TensorsPerTransport) {
  const AllreduceProblem threads = make(5, DType::kBf16, ReduceOp::kSum, 3);
  const std::vector<TensorSpec> in = threads.input_specs();
  const std::vector<TensorSpec> out = threads.output_specs();
  ASSERT_EQ(in.size(), 3u);
  ASSERT_EQ(out.size(), 3u);
  for (int r = 0; r < 3; ++r) {
    EXPECT_EQ(in[static_cast<std::size_t>(r)].name, "send.r" + std::to_string(r));
    EXPECT_EQ(out[static_cast<std::size_t>(r)].name, "recv.r" + std::to_string(r));
    EXPECT_EQ(in[static_cast<std::size_t>(r)].shape, std::vector<std::int64_t>{5});
    EXPECT_EQ(out[static_cast<std::size_t>(r)].shape, std::vector<std::int64_t>{5});
    EXPECT_EQ(in[static_cast<std::size_t>(r)].dtype, DType::kBf16);
    EXPECT_EQ(out[static_cast<std::size_t>(r)].dtype, DType::kBf16);
  }
  const AllreduceProblem mpi = make(5, DType::kFp16, ReduceOp::kSum, 3, false, AllreduceTransport::kMpi);
  ASSERT_EQ(mpi.input_specs().size(), 1u);
  ASSERT_EQ(mpi.output_specs().size(), 1u);
  EXPECT_EQ(mpi.input_specs()[0].name, "send");
  EXPECT_EQ(mpi.output_specs()[0].name, "recv");
  EXPECT_EQ(mpi.output_specs()[0].shape, std::vector<std::int64_t>{5});
  EXPECT_EQ(mpi.output_specs()[0].dtype, DType::kFp16);
}

// ---- Inputs ----------------------------------------------------------------------------------

// Every input is a nonzero k/8 exact in the dtype, and every partial sum the
// ring can form (a run of consecutive ranks, starting at any rank) is exact
// too, so any reduction order gives the same bits.
TEST_F(AllreduceProblemTest, InputsAndEveryRingPartialSumAreExact) {
  for (DType dtype : kDtypes) {
    for (int ranks : {2, 3, 4, 64, 256}) {
      SCOPED_TRACE(std::string(dtype_name(dtype)) + " ranks=" + std::to_string(ranks));
      const AllreduceProblem p = make(1, dtype, ReduceOp::kSum, ranks);
      // O(ranks^2) partial sums per element: fewer elements for the big rings.
      const std::int64_t elements = ranks <= 4 ? 4096 : ranks <= 64 ? 1024 : 128;
      std::vector<double> v(static_cast<std::size_t>(ranks));
      std::int64_t failures = 0;
      bool positive = false, negative = false;
      for (std::int64_t i = 0; i < elements && failures < 5; ++i) {
        for (int r = 0; r < ranks; ++r) {
          const double x = p.input_value(kSeed, r, i);
          v[static_cast<std::size_t>(r)] = x;
          positive |= x > 0;
          negative |= x < 0;
          if (x == 0.0 || !exact_in(x, dtype) || x * 8 != std::round(x * 8) || std::abs(x) > 2.0) {
            ADD_FAILURE() << "input rank " << r << " element " << i << " = " << x;
            ++failures;
          }
        }
        for (int start = 0; start < ranks; ++start) {
          double partial = v[static_cast<std::size_t>(start)];
          for (int n = 1; n < ranks; ++n) {
            partial += v[static_cast<std::size_t>((start + n) % ranks)];
            if (!exact_in(partial, dtype)) {
              ADD_FAILURE() << "element " << i << ": sum of ranks " << start << " .. " << (start + n) % ranks
                            << " = " << partial << " is not exact";
              ++failures;
            }
          }
          EXPECT_EQ(partial, p.expected_value(kSeed, i)) << "element " << i << " from rank " << start;
        }
      }
      EXPECT_TRUE(positive && negative) << "inputs should take both signs";
      // The guarantee is for every seed, not just these samples: with |k| <= K
      // and ranks * K <= 2^p (p: significand bits), any partial sum is a
      // multiple of 1/8 of magnitude at most 2^p / 8, exact in the dtype.
      const int p_bits = dtype == DType::kFp32 ? 24 : dtype == DType::kBf16 ? 8 : 11;
      double largest = 0.0;
      for (int r = 0; r < ranks; ++r) {
        for (std::int64_t i = 0; i < 4096; ++i) largest = std::max(largest, std::abs(p.input_value(kSeed, r, i)));
      }
      EXPECT_LE(ranks * largest * 8, std::ldexp(1.0, p_bits)) << "largest input " << largest;
    }
  }
}

TEST_F(AllreduceProblemTest, ExpectedValueIsTheReductionOfTheInputs) {
  for (ReduceOp op : kOps) {
    const AllreduceProblem p = make(1, DType::kFp32, op, 5);
    for (std::int64_t i = 0; i < 500; ++i) {
      double acc = p.input_value(kSeed, 0, i);
      for (int r = 1; r < 5; ++r) {
        const double x = p.input_value(kSeed, r, i);
        acc = op == ReduceOp::kSum ? acc + x : op == ReduceOp::kMax ? std::max(acc, x) : std::min(acc, x);
      }
      ASSERT_EQ(p.expected_value(kSeed, i), acc) << reduce_op_name(op) << " element " << i;
    }
  }
}

TEST_F(AllreduceProblemTest, InputsDifferBetweenRanksAndSeeds) {
  const AllreduceProblem p = make(256, DType::kFp32, ReduceOp::kSum, 3);
  const std::vector<HostTensor> a = p.make_inputs(kSeed);
  const std::vector<HostTensor> b = p.make_inputs(kSeed + 1);
  ASSERT_EQ(a.size(), 3u);
  EXPECT_NE(a[0].data, a[1].data);
  EXPECT_NE(a[1].data, a[2].data);
  EXPECT_NE(a[0].data, a[2].data);
  EXPECT_NE(a[0].data, b[0].data);
  EXPECT_EQ(a[1].data, p.make_inputs(kSeed)[1].data);  // deterministic
}

TEST_F(AllreduceProblemTest, ThreadsInputsAreOneTensorPerRank) {
  for (DType dtype : kDtypes) {
    const AllreduceProblem p = make(37, dtype, ReduceOp::kSum, 4);
    const std::vector<HostTensor> inputs = p.make_inputs(kSeed);
    ASSERT_EQ(inputs.size(), 4u);
    for (int r = 0; r < 4; ++r) {
      const HostTensor& t = inputs[static_cast<std::size_t>(r)];
      EXPECT_EQ(t.spec.name, "send.r" + std::to_string(r));
      EXPECT_EQ(t.spec.dtype, dtype);
      ASSERT_EQ(t.spec.elements(), 37);
      for (std::int64_t i = 0; i < 37; ++i) {
        ASSERT_EQ(t.at(static_cast<std::size_t>(i)), p.input_value(kSeed, r, i)) << t.spec.name << "[" << i << "]";
      }
    }
  }
}

TEST_F(AllreduceProblemTest, MpiInputIsThisProcessRanksTensorOnly) {
  for (DType dtype : kDtypes) {
    const AllreduceProblem threads = make(37, dtype, ReduceOp::kSum, 4);
    const AllreduceProblem mpi = make(37, dtype, ReduceOp::kSum, 4, false, AllreduceTransport::kMpi);
    const std::vector<HostTensor> all = threads.make_inputs(kSeed);
    for (int rank = 0; rank < 4; ++rank) {
      const std::vector<HostTensor> mine = mpi.make_inputs(kSeed, rank);
      ASSERT_EQ(mine.size(), 1u);
      EXPECT_EQ(mine[0].spec.name, "send");
      EXPECT_EQ(mine[0].spec.dtype, dtype);
      EXPECT_EQ(mine[0].spec.shape, std::vector<std::int64_t>{37});
      EXPECT_EQ(mine[0].data, all[static_cast<std::size_t>(rank)].data) << "rank " << rank;
    }
  }
}

// ---- Verification ------------------------------------------------------------------------------

TEST_F(AllreduceProblemTest, CorrectOutputsPass) {
  for (DType dtype : kDtypes) {
    for (ReduceOp op : kOps) {
      for (int ranks : {1, 2, 3, 5}) {
        const AllreduceProblem p = make(101, dtype, op, ranks);
        const Verification v = p.verify(p.make_inputs(kSeed), correct_outputs(p, kSeed), kSeed);
        EXPECT_TRUE(v.passed) << p.to_string() << ": " << v.detail;
        EXPECT_EQ(v.wrong, 0);
        EXPECT_EQ(v.nonfinite, 0);
        EXPECT_EQ(v.checked, 101 * ranks);
        EXPECT_EQ(v.total, 101 * ranks);
        EXPECT_EQ(v.max_error, 0.0);
        EXPECT_EQ(v.tolerance, 0.0);
        EXPECT_EQ(v.metric, "allreduce_exact");
      }
    }
  }
  const AllreduceProblem mpi = make(101, DType::kBf16, ReduceOp::kSum, 3, true, AllreduceTransport::kMpi);
  const Verification v = mpi.verify(mpi.make_inputs(kSeed, 1), correct_outputs(mpi, kSeed), kSeed);
  EXPECT_TRUE(v.passed) << v.detail;
  EXPECT_EQ(v.checked, 101);
}

TEST_F(AllreduceProblemTest, OutputsOfAnotherSeedFail) {
  const AllreduceProblem p = make(64, DType::kFp32, ReduceOp::kSum, 3);
  const Verification v = p.verify(p.make_inputs(kSeed), correct_outputs(p, kSeed + 1), kSeed);
  EXPECT_FALSE(v.passed);
  EXPECT_GT(v.wrong, 0);
}

TEST_F(AllreduceProblemTest, OneChangedElementIsCountedAndNamed) {
  for (DType dtype : kDtypes) {
    const AllreduceProblem p = make(50, dtype, ReduceOp::kSum, 3);
    std::vector<HostTensor> outputs = correct_outputs(p, kSeed);
    // Off by 1/8, the inputs' granularity (exact in every dtype at these magnitudes).
    const float good = outputs[1].at(17);
    outputs[1].set(17, good + 0.125f);
    const Verification v = p.verify(p.make_inputs(kSeed), outputs, kSeed);
    EXPECT_FALSE(v.passed) << dtype_name(dtype);
    EXPECT_EQ(v.wrong, 1);
    EXPECT_EQ(v.nonfinite, 0);
    EXPECT_EQ(v.checked, 150);
    EXPECT_DOUBLE_EQ(v.max_error, 0.125);
    EXPECT_NE(v.detail.find("recv.r1[17]"), std::string::npos) << v.detail;
    EXPECT_NE(v.detail.find("1 of 150"), std::string::npos) << v.detail;
  }
}

TEST_F(AllreduceProblemTest, NanCountsAsWrongAndNonfinite) {
  const AllreduceProblem p = make(50, DType::kBf16, ReduceOp::kMax, 2);
  std::vector<HostTensor> outputs = correct_outputs(p, kSeed);
  outputs[0].set(3, std::nanf(""));
  outputs[1].set(49, INFINITY);
  const Verification v = p.verify(p.make_inputs(kSeed), outputs, kSeed);
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.wrong, 2);
  EXPECT_EQ(v.nonfinite, 2);
  EXPECT_TRUE(std::isinf(v.max_error));
}

TEST_F(AllreduceProblemTest, AllNanOutputsFailEverywhere) {
  const AllreduceProblem p = make(20, DType::kFp16, ReduceOp::kSum, 2);
  std::vector<HostTensor> outputs = correct_outputs(p, kSeed);
  for (HostTensor& t : outputs) fill_nan(t);
  const Verification v = p.verify(p.make_inputs(kSeed), outputs, kSeed);
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.wrong, 40);
  EXPECT_EQ(v.nonfinite, 40);
}

TEST_F(AllreduceProblemTest, WrongNumberOrShapeOfOutputsFails) {
  const AllreduceProblem p = make(50, DType::kFp32, ReduceOp::kSum, 3);
  std::vector<HostTensor> outputs = correct_outputs(p, kSeed);
  outputs.pop_back();
  const Verification fewer = p.verify(p.make_inputs(kSeed), outputs, kSeed);
  EXPECT_FALSE(fewer.passed);
  EXPECT_NE(fewer.detail.find("2 outputs, expected 3"), std::string::npos) << fewer.detail;

  outputs = correct_outputs(p, kSeed);
  outputs.push_back(outputs[0]);
  EXPECT_FALSE(p.verify(p.make_inputs(kSeed), outputs, kSeed).passed);

  outputs = correct_outputs(p, kSeed);
  outputs[2] = HostTensor(TensorSpec{"recv.r2", DType::kFp32, {49}});
  const Verification shorter = p.verify(p.make_inputs(kSeed), outputs, kSeed);
  EXPECT_FALSE(shorter.passed);
  EXPECT_NE(shorter.detail.find("recv.r2"), std::string::npos) << shorter.detail;

  // Right values in the wrong dtype (exact in bf16 too): still refused.
  outputs = correct_outputs(p, kSeed);
  HostTensor bf16(TensorSpec{"recv.r0", DType::kBf16, {50}});
  for (std::size_t i = 0; i < 50; ++i) bf16.set(i, outputs[0].at(i));
  outputs[0] = bf16;
  const Verification dtype = p.verify(p.make_inputs(kSeed), outputs, kSeed);
  EXPECT_FALSE(dtype.passed);
  EXPECT_NE(dtype.detail.find("recv.r0"), std::string::npos) << dtype.detail;

  // MPI: this process's output only.
  const AllreduceProblem mpi = make(50, DType::kFp32, ReduceOp::kSum, 3, false, AllreduceTransport::kMpi);
  const Verification two = mpi.verify(mpi.make_inputs(kSeed, 0), correct_outputs(p, kSeed), kSeed);
  EXPECT_FALSE(two.passed);
  EXPECT_NE(two.detail.find("expected 1"), std::string::npos) << two.detail;
}

}  // namespace
}  // namespace tb
