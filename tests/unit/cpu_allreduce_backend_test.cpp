// All-reduce on the CPU backend with transport=threads, end to end through the
// Runner (status, exact verification, algbw/busbw), the workload's poisoning
// and repeated runs, what the backend refuses (transport=mpi without MPI,
// other CPU engines), and the pieces underneath: ThreadsTransport (time-outs
// naming the silent rank, size mismatches) and Doorbell.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "backends/backend_registry.h"
#include "backends/cpu/allreduce/cpu_allreduce.h"
#include "backends/cpu/allreduce/doorbell.h"
#include "backends/cpu/allreduce/threads_transport.h"
#include "kernels/allreduce/allreduce_problem.h"
#include "kernels/allreduce/ring_allreduce.h"
#include "kernels/kernel_registry.h"
#include "support/problem_helpers.h"
#include "runner/runner.h"

namespace tb {
namespace {

constexpr std::uint64_t kSeed = 42;  // RunOptions' default seed
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

std::unique_ptr<Backend> make_backend(const std::string& name) {
  return make_test_backend(name);
}

std::shared_ptr<const AllreduceProblem> allreduce(const std::string& text) {
  return parse_as<AllreduceProblem>(text);
}

std::string problem_string(const std::string& dtype, std::int64_t bytes, const std::string& op, int ranks,
                           bool in_place) {
  return "allreduce:bytes=" + format_size(bytes) + ",dtype=" + dtype + ",op=" + op + ",ranks=" + std::to_string(ranks) +
         ",inplace=" + (in_place ? "1" : "0") + ",algo=ring,transport=threads";
}

std::unique_ptr<Workload> prepare(Backend& backend, const ProblemPtr& problem, const std::vector<HostTensor>& inputs) {
  Expected<std::unique_ptr<Workload>> w = backend.prepare(problem, inputs);
  if (!w.ok()) {
    ADD_FAILURE() << "prepare " << problem->to_string() << ": " << w.error().message;
    return nullptr;
  }
  return std::move(w).value();
}

RunOptions fast_options() {
  RunOptions o;
  o.repetitions = 2;
  o.min_time_s = 0.01;
  o.warmup_time_s = 0.0;
  o.seed = kSeed;
  return o;
}

// ---- Runner end to end ----------------------------------------------------------------------

struct Case {
  const char* dtype;
  std::int64_t bytes;
  const char* op;
};

// Counts below the rank count (4 B, 12 B), odd ones (1K+4 B = 257 fp32), and
// 300000 B of fp32, whose segments are more than one 256 KiB chunk for 2 to 4
// ranks (the pipelined path); every dtype and op.
const Case kCases[] = {
    {"fp32", 4, "sum"},       {"fp32", 12, "max"},     {"fp32", 1028, "sum"},  {"fp32", 300000, "sum"},
    {"fp32", 300000, "min"},  {"bf16", 2, "sum"},      {"bf16", 1030, "min"},  {"bf16", 300002, "sum"},
    {"fp16", 6, "max"},       {"fp16", 1026, "sum"},   {"fp16", 300002, "min"},
};

using RanksAndPlace = std::tuple<int, bool>;

class CpuAllreduceRunnerTest : public ::testing::TestWithParam<RanksAndPlace> {};

TEST_P(CpuAllreduceRunnerTest, PassesVerifiesAndReportsBandwidth) {
  const auto [ranks, in_place] = GetParam();
  std::unique_ptr<Backend> backend = make_backend("cpu");
  ASSERT_NE(backend, nullptr);
  DeviceInfo device;
  device.compute_units = 2;
  // Peaks for every dtype: a collective must still report no fraction of them.
  device.peak_flop_per_s = {{DType::kFp32, 1.0}, {DType::kBf16, 1.0}, {DType::kFp16, 1.0}};
  Runner runner(*backend, device, fast_options());
  for (const Case& c : kCases) {
    const std::string text = problem_string(c.dtype, c.bytes, c.op, ranks, in_place);
    SCOPED_TRACE(text);
    const auto problem = allreduce(text);
    ASSERT_NE(problem, nullptr);
    ASSERT_EQ(problem->to_string(), text);
    const Support support = backend->supports(*problem);
    ASSERT_TRUE(support.supported) << support.reason;

    const ProblemResult r = runner.run(problem);
    ASSERT_EQ(r.status, ResultStatus::kPassed) << r.reason;
    EXPECT_TRUE(r.reason.empty()) << r.reason;
    EXPECT_TRUE(r.verification.passed) << r.verification.detail;
    EXPECT_EQ(r.verification.wrong, 0);
    EXPECT_EQ(r.verification.nonfinite, 0);
    EXPECT_EQ(r.verification.checked, problem->count() * ranks);
    EXPECT_EQ(r.verification.total, problem->count() * ranks);
    EXPECT_EQ(r.samples_s.size(), 2u);
    EXPECT_EQ(r.kernel, "allreduce");
    EXPECT_EQ(r.min_bytes, static_cast<double>(c.bytes));
    EXPECT_NE(r.implementation.find("ring over threads"), std::string::npos) << r.implementation;
    EXPECT_NE(r.reproducer.find("--comm-timeout"), std::string::npos) << r.reproducer;
    EXPECT_LT(r.fraction_of_peak, 0.0) << "a collective reports no fraction of a compute peak";

    ASSERT_TRUE(r.collective.has_value());
    const CollectiveResult& col = *r.collective;
    EXPECT_EQ(col.ranks, ranks);
    EXPECT_EQ(col.transport, "threads");
    EXPECT_EQ(col.algo, "ring");
    EXPECT_EQ(col.op, c.op);
    EXPECT_EQ(col.in_place, in_place);
    EXPECT_EQ(col.count, problem->count());
    EXPECT_EQ(col.wrong_elements, 0);
    EXPECT_DOUBLE_EQ(col.bus_factor, 2.0 * (ranks - 1) / ranks);
    EXPECT_GT(col.algbw_bytes_per_s, 0.0);
    EXPECT_DOUBLE_EQ(col.algbw_bytes_per_s, r.bytes_per_s);
    EXPECT_DOUBLE_EQ(col.busbw_bytes_per_s, col.algbw_bytes_per_s * col.bus_factor);
    if (ranks > 1) {
      EXPECT_GT(col.busbw_bytes_per_s, 0.0);
    } else {
      EXPECT_EQ(col.busbw_bytes_per_s, 0.0);  // one rank moves nothing over a bus
    }
  }
}

std::string ranks_and_place_name(const ::testing::TestParamInfo<RanksAndPlace>& info) {
  const auto& [ranks, in_place] = info.param;
  return "ranks" + std::to_string(ranks) + (in_place ? "_inplace" : "_outofplace");
}

INSTANTIATE_TEST_SUITE_P(All, CpuAllreduceRunnerTest,
                         ::testing::Combine(::testing::Values(1, 2, 3, 4), ::testing::Bool()),
                         ranks_and_place_name);

// ---- The workload: poisoning, repeated runs, its own copies ------------------------------------

TEST(CpuAllreduceBackendTest, PoisonedOutOfPlaceOutputsAreNanAndFail) {
  std::unique_ptr<Backend> backend = make_backend("cpu");
  ASSERT_NE(backend, nullptr);
  for (int ranks : {1, 2, 3, 4}) {
    for (const char* dtype : {"fp32", "bf16", "fp16"}) {
      const auto problem = allreduce(problem_string(dtype, 1028, "sum", ranks, false));
      ASSERT_NE(problem, nullptr);
      SCOPED_TRACE(problem->to_string());
      const std::vector<HostTensor> inputs = problem->make_inputs(kSeed);
      std::unique_ptr<Workload> w = prepare(*backend, problem, inputs);
      ASSERT_NE(w, nullptr);
      ASSERT_TRUE(w->poison_outputs().ok());
      ASSERT_TRUE(w->synchronize().ok());  // no run()
      const std::vector<HostTensor> outputs = read_back(*w);
      ASSERT_EQ(outputs.size(), static_cast<std::size_t>(ranks));
      for (int r = 0; r < ranks; ++r) EXPECT_EQ(outputs[static_cast<std::size_t>(r)].spec.name, "recv.r" + std::to_string(r));
      const Verification v = problem->verify(inputs, outputs, kSeed);
      EXPECT_FALSE(v.passed);
      EXPECT_EQ(v.wrong, v.total);
      EXPECT_EQ(v.nonfinite, v.total);
    }
  }
}

TEST(CpuAllreduceBackendTest, PoisonedInPlaceOutputsAreTheRestoredInputsAndFail) {
  // In place the output is the input buffer: poisoning restores the input,
  // which is wrong wherever the other ranks' sum is not zero (everywhere for
  // two ranks: inputs are never zero).
  std::unique_ptr<Backend> backend = make_backend("cpu");
  ASSERT_NE(backend, nullptr);
  for (int ranks : {2, 3, 4}) {
    for (const char* dtype : {"fp32", "bf16", "fp16"}) {
      const auto problem = allreduce(problem_string(dtype, 1028, "sum", ranks, true));
      ASSERT_NE(problem, nullptr);
      SCOPED_TRACE(problem->to_string());
      const std::vector<HostTensor> inputs = problem->make_inputs(kSeed);
      std::unique_ptr<Workload> w = prepare(*backend, problem, inputs);
      ASSERT_NE(w, nullptr);
      ASSERT_TRUE(w->poison_outputs().ok());
      const std::vector<HostTensor> outputs = read_back(*w);
      ASSERT_EQ(outputs.size(), static_cast<std::size_t>(ranks));
      std::int64_t differ = 0;
      for (int r = 0; r < ranks; ++r) {
        const HostTensor& out = outputs[static_cast<std::size_t>(r)];
        EXPECT_EQ(out.spec.name, "recv.r" + std::to_string(r));
        EXPECT_EQ(out.data, inputs[static_cast<std::size_t>(r)].data) << "rank " << r;
        for (std::int64_t i = 0; i < problem->count(); ++i) {
          differ += problem->input_value(kSeed, r, i) != problem->expected_value(kSeed, i);
        }
      }
      if (ranks == 2) {
        EXPECT_EQ(differ, problem->count() * 2);
      }
      const Verification v = problem->verify(inputs, outputs, kSeed);
      EXPECT_FALSE(v.passed);
      EXPECT_GT(v.wrong, 0);
      EXPECT_EQ(v.wrong, differ);
      EXPECT_EQ(v.nonfinite, 0);
    }
  }
}

TEST(CpuAllreduceBackendTest, PoisonAfterARunWipesTheResult) {
  std::unique_ptr<Backend> backend = make_backend("cpu");
  ASSERT_NE(backend, nullptr);
  for (bool in_place : {false, true}) {
    const auto problem = allreduce(problem_string("bf16", 2050, "sum", 3, in_place));
    ASSERT_NE(problem, nullptr);
    SCOPED_TRACE(problem->to_string());
    const std::vector<HostTensor> inputs = problem->make_inputs(kSeed);
    std::unique_ptr<Workload> w = prepare(*backend, problem, inputs);
    ASSERT_NE(w, nullptr);
    ASSERT_TRUE(w->poison_outputs().ok());
    ASSERT_TRUE(w->run().ok());
    ASSERT_TRUE(w->synchronize().ok());
    const Verification good = problem->verify(inputs, read_back(*w), kSeed);
    ASSERT_TRUE(good.passed) << good.detail;
    ASSERT_TRUE(w->poison_outputs().ok());
    EXPECT_FALSE(problem->verify(inputs, read_back(*w), kSeed).passed);
    // And the workload still computes the right thing after being poisoned.
    ASSERT_TRUE(w->run().ok());
    const Verification again = problem->verify(inputs, read_back(*w), kSeed);
    EXPECT_TRUE(again.passed) << again.detail;
  }
}

TEST(CpuAllreduceBackendTest, RepeatedOutOfPlaceRunsGiveTheSameOutputs) {
  std::unique_ptr<Backend> backend = make_backend("cpu");
  ASSERT_NE(backend, nullptr);
  const auto problem = allreduce(problem_string("fp32", 300000, "sum", 4, false));
  ASSERT_NE(problem, nullptr);
  const std::vector<HostTensor> inputs = problem->make_inputs(kSeed);
  std::unique_ptr<Workload> w = prepare(*backend, problem, inputs);
  ASSERT_NE(w, nullptr);
  ASSERT_TRUE(w->poison_outputs().ok());
  ASSERT_TRUE(w->run().ok());
  const std::vector<HostTensor> first = read_back(*w);
  ASSERT_TRUE(problem->verify(inputs, first, kSeed).passed);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(w->run().ok()) << "run " << i;
  const std::vector<HostTensor> later = read_back(*w);
  ASSERT_EQ(later.size(), first.size());
  for (std::size_t r = 0; r < first.size(); ++r) EXPECT_EQ(later[r].data, first[r].data) << "rank " << r;
}

TEST(CpuAllreduceBackendTest, WorkloadOwnsItsCopyOfTheInputs) {
  std::unique_ptr<Backend> backend = make_backend("cpu");
  ASSERT_NE(backend, nullptr);
  for (bool in_place : {false, true}) {
    const auto problem = allreduce(problem_string("fp16", 1026, "max", 3, in_place));
    ASSERT_NE(problem, nullptr);
    const std::vector<HostTensor> inputs = problem->make_inputs(kSeed);
    std::vector<HostTensor> scratch = inputs;
    std::unique_ptr<Workload> w = prepare(*backend, problem, scratch);
    ASSERT_NE(w, nullptr);
    for (HostTensor& t : scratch) fill_nan(t);  // the caller's buffers change after prepare
    ASSERT_TRUE(w->poison_outputs().ok());
    ASSERT_TRUE(w->run().ok());
    const Verification v = problem->verify(inputs, read_back(*w), kSeed);
    EXPECT_TRUE(v.passed) << in_place << ": " << v.detail;
  }
}

TEST(CpuAllreduceBackendTest, DeviceBytesCountEveryRanksBuffers) {
  std::unique_ptr<Backend> backend = make_backend("cpu");
  ASSERT_NE(backend, nullptr);
  for (bool in_place : {false, true}) {
    const auto problem = allreduce(problem_string("fp32", 4096, "sum", 3, in_place));
    ASSERT_NE(problem, nullptr);
    // Per rank: the send copy, the receive buffer or pristine input, and the ring scratch.
    const auto scratch = static_cast<std::int64_t>(ring_scratch_bytes(kThreadsChunkBytes));
    EXPECT_EQ(backend->device_bytes(*problem), 3 * (2 * 4096 + scratch)) << in_place;
  }
}

TEST(CpuAllreduceBackendTest, WrongNumberOfInputsIsAnError) {
  std::unique_ptr<Backend> backend = make_backend("cpu");
  ASSERT_NE(backend, nullptr);
  const auto problem = allreduce(problem_string("fp32", 64, "sum", 3, false));
  ASSERT_NE(problem, nullptr);
  std::vector<HostTensor> inputs = problem->make_inputs(kSeed);
  inputs.pop_back();
  const Expected<std::unique_ptr<Workload>> w = backend->prepare(problem, inputs);
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.error().message.find("expected 3 inputs, got 2"), std::string::npos) << w.error().message;
}

// ---- What the backend refuses -------------------------------------------------------------

void expect_skipped(Backend& backend, const ProblemPtr& problem, const std::vector<std::string>& needles) {
  SCOPED_TRACE(std::string(backend.name()) + " " + problem->to_string());
  const Support s = backend.supports(*problem);
  ASSERT_FALSE(s.supported);
  EXPECT_NE(s.reason.find(std::string(backend.name()) + ":"), std::string::npos) << s.reason;
  for (const std::string& needle : needles) {
    EXPECT_NE(s.reason.find(needle), std::string::npos) << "reason '" << s.reason << "' lacks '" << needle << "'";
  }
  const Expected<std::unique_ptr<Workload>> w = backend.prepare(problem, problem->make_inputs(kSeed));
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().code, ErrorCode::kBadInput);
  EXPECT_EQ(w.error().message, s.reason);
  const DeviceInfo device;
  Runner runner(backend, device, fast_options());
  const ProblemResult r = runner.run(problem);
  EXPECT_EQ(r.status, ResultStatus::kSkipped);
  EXPECT_EQ(r.reason, s.reason);
  EXPECT_EQ(r.kernel, "allreduce");
  EXPECT_TRUE(r.samples_s.empty());
  // Reports file a collective by its figures whatever its status; nothing was measured.
  ASSERT_TRUE(r.collective.has_value());
  EXPECT_EQ(r.collective->ranks, problem->collective()->ranks);
  EXPECT_EQ(r.collective->transport, problem->collective()->transport);
  EXPECT_EQ(r.collective->algbw_bytes_per_s, 0.0);
  EXPECT_EQ(r.collective->busbw_bytes_per_s, 0.0);
  EXPECT_EQ(r.collective->wrong_elements, 0);
}

TEST(CpuAllreduceBackendTest, MpiTransportWithoutMpiIsUnsupportedNamingMpirun) {
  std::unique_ptr<Backend> backend = make_backend("cpu");  // BackendOptions::mpi is null
  ASSERT_NE(backend, nullptr);
  for (const char* text : {"allreduce:bytes=1K,ranks=2,transport=mpi,inplace=0",
                           "allreduce:bytes=1K,ranks=4,transport=mpi,algo=mpi,inplace=1"}) {
    const auto problem = allreduce(text);
    ASSERT_NE(problem, nullptr);
    expect_skipped(*backend, problem, {"mpirun", "-np " + std::to_string(problem->ranks())});
  }
}

TEST(CpuAllreduceBackendTest, AlgoNcclIsUnsupportedNamingTheCudaBackend) {
  std::unique_ptr<Backend> backend = make_backend("cpu");
  ASSERT_NE(backend, nullptr);
  for (const char* text : {"allreduce:bytes=1K,ranks=2,algo=nccl,transport=threads,inplace=0",
                           "allreduce:bytes=1K,ranks=2,algo=nccl,transport=mpi,inplace=1"}) {
    const auto problem = allreduce(text);
    ASSERT_NE(problem, nullptr);
    expect_skipped(*backend, problem, {"algo=nccl", "--backend cuda"});
  }
}

TEST(CpuAllreduceBackendTest, OtherCpuEnginesSkipAllreduce) {
  for (const char* name : {"cpu-eigen", "cpu-onednn"}) {
    std::unique_ptr<Backend> backend = make_backend(name);
    ASSERT_NE(backend, nullptr);
    const auto problem = allreduce(problem_string("fp32", 1024, "sum", 2, false));
    ASSERT_NE(problem, nullptr);
    expect_skipped(*backend, problem, {"allreduce", "--backend cpu"});
  }
}

// ---- ThreadsTransport ------------------------------------------------------------------------

TEST(ThreadsTransport, ASilentNeighbourTimesOutNamingItAndTheOption) {
  ThreadRing ring(2, 0.2, 0);
  ThreadsTransport rank0(ring, 0);  // rank 1 never starts
  std::vector<std::byte> send(64, std::byte{1}), recv(64);
  const Clock::time_point start = Clock::now();
  ASSERT_TRUE(rank0.start(0, send, recv).ok());
  const Status s = rank0.wait(0);
  const double elapsed = seconds_since(start);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kRunFailure);
  EXPECT_NE(s.error().message.find("rank 1"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("--comm-timeout"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("0.2 s"), std::string::npos) << s.error().message;
  EXPECT_GE(elapsed, 0.19);
  EXPECT_LT(elapsed, 1.0);
}

TEST(ThreadsTransport, ANeighbourThatNeverTakesItsDataTimesOut) {
  // Rank 1 posts its chunk but rank 0's peer never copies rank 0's: rank 0 names rank 1.
  ThreadRing ring(2, 0.2, 0);
  ThreadsTransport rank0(ring, 0), rank1(ring, 1);
  std::vector<std::byte> send0(8), recv0(8), send1(8), recv1(8);
  ASSERT_TRUE(rank1.start(0, send1, recv1).ok());  // rank 1 starts but never waits
  ASSERT_TRUE(rank0.start(0, send0, recv0).ok());
  const Clock::time_point start = Clock::now();
  const Status s = rank0.wait(0);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("rank 1 did not take its data"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("--comm-timeout"), std::string::npos) << s.error().message;
  EXPECT_LT(seconds_since(start), 1.0);
}

TEST(ThreadsTransport, MismatchedSizesAreReportedByEveryRank) {
  ThreadRing ring(3, 5.0, 0);
  std::vector<Status> status(3);
  std::vector<std::thread> threads;
  const Clock::time_point start = Clock::now();
  for (int r = 0; r < 3; ++r) {
    threads.emplace_back([&, r] {
      ThreadsTransport t(ring, r);
      // Each rank sends (r + 1) * 4 B and expects as many back: its predecessor sends a different size.
      std::vector<std::byte> send(static_cast<std::size_t>(4 * (r + 1))), recv(send.size());
      Status s = t.start(0, send, recv);
      if (s) s = t.wait(0);
      status[static_cast<std::size_t>(r)] = s;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_LT(seconds_since(start), 4.0) << "a mismatch is reported at once, not after the time-out";
  for (int r = 0; r < 3; ++r) {
    const Status& s = status[static_cast<std::size_t>(r)];
    ASSERT_FALSE(s.ok()) << "rank " << r;
    const int prev = (r + 2) % 3;
    const std::string expected = "rank " + std::to_string(r) + ": rank " + std::to_string(prev) + " sent " +
                                 std::to_string(4 * (prev + 1)) + " B where " + std::to_string(4 * (r + 1)) +
                                 " B were expected";
    EXPECT_NE(s.error().message.find(expected), std::string::npos) << s.error().message;
  }
}

TEST(ThreadsTransport, MovesDataAroundTheRingOnBothSlots) {
  ThreadRing ring(3, 5.0, 100);
  std::vector<Status> status(3);
  std::vector<std::vector<int>> got(3);
  std::vector<std::thread> threads;
  for (int r = 0; r < 3; ++r) {
    threads.emplace_back([&, r] {
      ThreadsTransport t(ring, r);
      std::vector<int>& mine = got[static_cast<std::size_t>(r)];
      for (int round = 0; round < 20 && status[static_cast<std::size_t>(r)].ok(); ++round) {
        // Two exchanges in flight, the second of zero bytes every third round.
        const int a = 100 * r + round, b = -a;
        int in_a = 0, in_b = 0;
        const std::size_t b_bytes = round % 3 == 0 ? 0 : sizeof b;
        Status s = t.start(0, std::as_bytes(std::span(&a, 1)), std::as_writable_bytes(std::span(&in_a, 1)));
        if (s) s = t.start(1, std::as_bytes(std::span(&b, 1)).first(b_bytes), std::as_writable_bytes(std::span(&in_b, 1)).first(b_bytes));
        if (s) s = t.wait(0);
        if (s) s = t.wait(1);
        status[static_cast<std::size_t>(r)] = s;
        mine.push_back(in_a);
        mine.push_back(in_b);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int r = 0; r < 3; ++r) {
    ASSERT_TRUE(status[static_cast<std::size_t>(r)].ok()) << status[static_cast<std::size_t>(r)].error().message;
    const int prev = (r + 2) % 3;
    ASSERT_EQ(got[static_cast<std::size_t>(r)].size(), 40u);
    for (int round = 0; round < 20; ++round) {
      EXPECT_EQ(got[static_cast<std::size_t>(r)][static_cast<std::size_t>(2 * round)], 100 * prev + round);
      EXPECT_EQ(got[static_cast<std::size_t>(r)][static_cast<std::size_t>(2 * round + 1)],
                round % 3 == 0 ? 0 : -(100 * prev + round));
    }
  }
}

TEST(ThreadsTransport, RingAllreduceWithManySmallChunksIsExact) {
  // The pipelined ring over the real transport, chunk after chunk, sleeping (spins 0) and spinning.
  for (int spins : {0, 1000}) {
    const AllreduceProblem p(4099 * 2, DType::kBf16, ReduceOp::kSum, 3, false, AllreduceAlgo::kRing,
                             AllreduceTransport::kThreads);
    const std::vector<HostTensor> inputs = p.make_inputs(kSeed);
    std::vector<HostTensor> outputs;
    for (const TensorSpec& spec : p.output_specs()) fill_nan(outputs.emplace_back(spec));
    constexpr std::size_t kChunk = 128;
    ThreadRing ring(3, 10.0, spins);
    std::vector<Status> status(3);
    std::vector<std::thread> threads;
    for (int r = 0; r < 3; ++r) {
      threads.emplace_back([&, r] {
        const auto rank = static_cast<std::size_t>(r);
        ThreadsTransport t(ring, r);
        std::vector<std::byte> scratch(ring_scratch_bytes(kChunk));
        status[rank] = ring_allreduce(t, {inputs[rank].data.data(), outputs[rank].data.data(), scratch}, p.count(),
                                      p.dtype(), p.op(), kChunk);
      });
    }
    for (std::thread& t : threads) t.join();
    for (const Status& s : status) ASSERT_TRUE(s.ok()) << s.error().message;
    const Verification v = p.verify(inputs, outputs, kSeed);
    EXPECT_TRUE(v.passed) << "spins " << spins << ": " << v.detail;
  }
}

// ---- Doorbell -------------------------------------------------------------------------------

TEST(Doorbell, WaitForTimesOutAtTheDeadline) {
  const Doorbell bell;
  const Clock::time_point start = Clock::now();
  EXPECT_FALSE(bell.wait_for(1, start + std::chrono::milliseconds(150), 0));
  const double elapsed = seconds_since(start);
  EXPECT_GE(elapsed, 0.15);
  EXPECT_LT(elapsed, 1.0);
  // Spinning first changes nothing.
  EXPECT_FALSE(bell.wait_for(1, Clock::now() + std::chrono::milliseconds(20), 1000));
}

TEST(Doorbell, ReturnsAtOnceWhenTheValueIsThereAndOnlyForThatValue) {
  Doorbell bell;
  EXPECT_EQ(bell.value(), 0u);
  bell.post(5);
  EXPECT_EQ(bell.value(), 5u);
  const Clock::time_point past = Clock::now() - std::chrono::seconds(1);
  EXPECT_TRUE(bell.wait_for(5, past, 0));
  EXPECT_TRUE(bell.wait_for(5, past, 10));
  EXPECT_FALSE(bell.wait_for(4, past, 0));  // equality, not "at least"
  EXPECT_FALSE(bell.wait_for(6, past, 10));
}

TEST(Doorbell, PostWakesASleepingWaiter) {
  // The waiter sleeps in the kernel in naps of at most 100 ms; a post 110 ms
  // into the first nap must wake it at once, not at the end of the second.
  double best_latency = 1e9;
  for (int trial = 0; trial < 3; ++trial) {
    Doorbell bell;
    std::atomic<bool> waiting{false};
    bool woke = false;
    Clock::time_point woke_at;
    std::thread waiter([&] {
      waiting.store(true);
      woke = bell.wait_for(1, Clock::now() + std::chrono::seconds(10), 0);
      woke_at = Clock::now();
    });
    while (!waiting.load()) std::this_thread::yield();
    std::this_thread::sleep_for(std::chrono::milliseconds(110));
    const Clock::time_point posted_at = Clock::now();
    bell.post(1);
    waiter.join();
    ASSERT_TRUE(woke);
    EXPECT_GE(woke_at, posted_at);
    best_latency = std::min(best_latency, std::chrono::duration<double>(woke_at - posted_at).count());
  }
  EXPECT_LT(best_latency, 0.04) << "the post did not wake the sleeping waiter";
}

TEST(Doorbell, OnePostWakesEveryWaiter) {
  Doorbell bell;
  std::atomic<int> woken{0};
  std::vector<std::thread> waiters;
  for (int i = 0; i < 4; ++i) {
    waiters.emplace_back([&] {
      if (bell.wait_for(7, Clock::now() + std::chrono::seconds(10), 0)) woken.fetch_add(1);
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  const Clock::time_point posted_at = Clock::now();
  bell.post(7);
  for (std::thread& t : waiters) t.join();
  EXPECT_EQ(woken.load(), 4);
  EXPECT_LT(seconds_since(posted_at), 5.0);
}

}  // namespace
}  // namespace tb
