// The reference ring all-reduce (kernels/allreduce/ring_allreduce.h) over an
// in-memory transport that checks the RingTransport contract, against a
// straightforward reduction: every rank count 1..5, counts below, at and far
// above the rank count (and not divisible by it), one chunk per segment and
// many (the pipelined path), every dtype and op, in and out of place. The
// inputs are exact (AllreduceProblem::input_value), so results must match
// bit for bit. Also ring_segment, reduce_elements and the scratch check.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "common/dtype.h"
#include "kernels/allreduce/allreduce_problem.h"
#include "kernels/allreduce/reduce_op.h"
#include "kernels/allreduce/ring_allreduce.h"
#include "kernels/allreduce/ring_transport.h"

namespace tb {
namespace {

constexpr std::uint64_t kSeed = 7;
constexpr DType kDtypes[] = {DType::kFp32, DType::kBf16, DType::kFp16};
constexpr ReduceOp kOps[] = {ReduceOp::kSum, ReduceOp::kMax, ReduceOp::kMin};

std::uint64_t fnv1a(std::span<const std::byte> bytes) {
  std::uint64_t h = 0xCBF29CE484222325ull;
  for (std::byte b : bytes) h = (h ^ static_cast<std::uint64_t>(b)) * 0x100000001B3ull;
  return h;
}

// ---- An in-memory ring transport for tests ---------------------------------------------------

// State shared by the ranks of one in-memory ring. A send is not copied when
// it starts: the receiver copies it out of the sender's buffer when it waits
// (rendezvous), so a sender that changes its buffer too early corrupts the
// data, and the receive buffer is filled with NaN bytes at start, so reading
// it before wait() shows. Every violation of the RingTransport contract is an
// error naming it.
class MemoryRing {
 public:
  explicit MemoryRing(int ranks) : ranks_(ranks), boxes_(static_cast<std::size_t>(ranks * RingTransport::kSlots)) {}

  int ranks() const { return ranks_; }

  // Ends every wait in progress or to come: a rank failed, its peers stop waiting for it.
  void abort() {
    std::lock_guard<std::mutex> lock(mutex_);
    aborted_ = true;
    changed_.notify_all();
  }

  std::int64_t bytes_sent() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return bytes_sent_;
  }
  int max_in_flight() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return max_in_flight_;
  }

 private:
  friend class MemoryTransport;
  struct Box {  // one per sending rank and slot
    std::uint64_t posted = 0, consumed = 0;  // sequence numbers on this slot
    const std::byte* data = nullptr;
    std::size_t bytes = 0;
    std::uint64_t hash = 0;  // of the send buffer when it was posted
  };
  Box& box(int rank, int slot) { return boxes_[static_cast<std::size_t>(rank * RingTransport::kSlots + slot)]; }

  // Waits under `lock` until `ready()`; false on abort or after a generous time-out.
  bool wait_until(std::unique_lock<std::mutex>& lock, const std::function<bool()>& ready) {
    return changed_.wait_for(lock, std::chrono::seconds(20), [&] { return aborted_ || ready(); }) && !aborted_;
  }

  const int ranks_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Box> boxes_;
  bool aborted_ = false;
  std::int64_t bytes_sent_ = 0;
  int max_in_flight_ = 0;
};

class MemoryTransport final : public RingTransport {
 public:
  MemoryTransport(MemoryRing& ring, int rank) : ring_(ring), rank_(rank) {}
  int rank() const override { return rank_; }
  int ranks() const override { return ring_.ranks(); }

  Status start(int slot, std::span<const std::byte> send, std::span<std::byte> recv) override {
    if (slot < 0 || slot >= kSlots) return violation("start on slot " + std::to_string(slot));
    if (in_flight_[slot]) return violation("start on slot " + std::to_string(slot) + ", which is in flight");
    if (!recv.empty()) std::memset(recv.data(), 0xFF, recv.size());  // NaN in every dtype until wait()
    const std::uint64_t hash = fnv1a(send);
    in_flight_[slot] = true;
    send_[slot] = send;
    send_hash_[slot] = hash;
    recv_[slot] = recv;
    std::lock_guard<std::mutex> lock(ring_.mutex_);
    MemoryRing::Box& mine = ring_.box(rank_, slot);
    mine.data = send.data();
    mine.bytes = send.size();
    mine.hash = hash;
    ++mine.posted;
    ring_.bytes_sent_ += static_cast<std::int64_t>(send.size());
    ring_.max_in_flight_ = std::max(ring_.max_in_flight_, static_cast<int>(in_flight_[0]) + static_cast<int>(in_flight_[1]));
    ring_.changed_.notify_all();
    return {};
  }

  Status wait(int slot) override {
    if (slot < 0 || slot >= kSlots) return violation("wait on slot " + std::to_string(slot));
    if (!in_flight_[slot]) return violation("wait on slot " + std::to_string(slot) + ", which is not in flight");
    const std::uint64_t sequence = ++sequence_[slot];
    const int prev = (rank_ + ranks() - 1) % ranks();
    std::unique_lock<std::mutex> lock(ring_.mutex_);
    MemoryRing::Box& incoming = ring_.box(prev, slot);
    if (!ring_.wait_until(lock, [&] { return incoming.posted >= sequence; })) {
      return run_failure("rank " + std::to_string(rank_) + ": no data from rank " + std::to_string(prev));
    }
    if (incoming.posted != sequence) return violation("rank " + std::to_string(prev) + " ran ahead on a slot");
    if (incoming.bytes != recv_[slot].size()) {
      return violation("rank " + std::to_string(prev) + " sent " + std::to_string(incoming.bytes) + " B, " +
                       std::to_string(recv_[slot].size()) + " B expected");
    }
    if (fnv1a({incoming.data, incoming.bytes}) != incoming.hash) {
      return violation("rank " + std::to_string(prev) + " changed a send buffer in flight");
    }
    if (incoming.bytes > 0) std::memcpy(recv_[slot].data(), incoming.data, incoming.bytes);
    incoming.consumed = sequence;
    ring_.changed_.notify_all();
    MemoryRing::Box& mine = ring_.box(rank_, slot);
    if (!ring_.wait_until(lock, [&] { return mine.consumed >= sequence; })) {
      return run_failure("rank " + std::to_string(rank_) + ": next rank did not take its data");
    }
    lock.unlock();
    if (fnv1a(send_[slot]) != send_hash_[slot]) return violation("send buffer changed before wait()");
    in_flight_[slot] = false;
    return {};
  }

 private:
  Status violation(const std::string& what) const {
    return run_failure("transport contract violated on rank " + std::to_string(rank_) + ": " + what);
  }

  MemoryRing& ring_;
  const int rank_;
  bool in_flight_[kSlots] = {};
  std::uint64_t sequence_[kSlots] = {};
  std::uint64_t send_hash_[kSlots] = {};
  std::span<const std::byte> send_[kSlots];
  std::span<std::byte> recv_[kSlots];
};

// Runs body(transport, rank) on one thread per rank of `ring`; a failing rank aborts the others.
std::vector<Status> run_ranks(MemoryRing& ring, std::vector<std::unique_ptr<MemoryTransport>>& transports,
                              const std::function<Status(RingTransport&, int)>& body) {
  std::vector<Status> status(static_cast<std::size_t>(ring.ranks()));
  std::vector<std::thread> threads;
  for (int r = 0; r < ring.ranks(); ++r) {
    threads.emplace_back([&, r] {
      Status s = body(*transports[static_cast<std::size_t>(r)], r);
      if (!s) ring.abort();
      status[static_cast<std::size_t>(r)] = s;
    });
  }
  for (std::thread& t : threads) t.join();
  return status;
}

std::vector<std::unique_ptr<MemoryTransport>> make_transports(MemoryRing& ring) {
  std::vector<std::unique_ptr<MemoryTransport>> t;
  for (int r = 0; r < ring.ranks(); ++r) t.push_back(std::make_unique<MemoryTransport>(ring, r));
  return t;
}

std::string errors(const std::vector<Status>& status) {
  std::string out;
  for (const Status& s : status) {
    if (!s) out += s.error().message + "; ";
  }
  return out;
}

// ---- Running the ring and checking it ------------------------------------------------------------

// One all-reduce of `p` (threads layout: every rank's input) with `chunk_bytes`.
struct RingOutcome {
  std::vector<HostTensor> inputs;   // as passed in (out of place: must be unchanged)
  std::vector<HostTensor> outputs;  // per rank
  std::vector<Status> status;
  std::int64_t bytes_sent = 0;
  int max_in_flight = 0;
};

RingOutcome run_allreduce(const AllreduceProblem& p, std::size_t chunk_bytes, int runs = 1) {
  RingOutcome o;
  o.inputs = p.make_inputs(kSeed);
  const std::vector<TensorSpec> specs = p.output_specs();
  std::vector<std::vector<std::byte>> scratch;
  for (int r = 0; r < p.ranks(); ++r) {
    if (p.in_place()) {
      o.outputs.push_back(o.inputs[static_cast<std::size_t>(r)]);
      o.outputs.back().spec.name = specs[static_cast<std::size_t>(r)].name;
    } else {
      fill_nan(o.outputs.emplace_back(specs[static_cast<std::size_t>(r)]));
    }
    // Exactly the documented size, so that ASan sees any overrun.
    scratch.emplace_back(ring_scratch_bytes(chunk_bytes), std::byte{0xFF});
  }
  MemoryRing ring(p.ranks());
  auto transports = make_transports(ring);
  for (int run = 0; run < runs; ++run) {
    if (run > 0) {  // as the workloads' poison_outputs() before a run: restore the input, or NaN
      for (int r = 0; r < p.ranks(); ++r) {
        HostTensor& out = o.outputs[static_cast<std::size_t>(r)];
        if (p.in_place()) {
          out.data = o.inputs[static_cast<std::size_t>(r)].data;
        } else {
          fill_nan(out);
        }
      }
    }
    o.status = run_ranks(ring, transports, [&](RingTransport& t, int r) {
      const auto rank = static_cast<std::size_t>(r);
      HostTensor& out = o.outputs[rank];
      const void* input = p.in_place() ? static_cast<const void*>(out.data.data()) : o.inputs[rank].data.data();
      const RingBuffers buffers{input, out.data.data(), scratch[rank]};
      return ring_allreduce(t, buffers, p.count(), p.dtype(), p.op(), chunk_bytes);
    });
    if (!errors(o.status).empty()) break;
  }
  o.bytes_sent = ring.bytes_sent();
  o.max_in_flight = ring.max_in_flight();
  return o;
}

// The reduction of the inputs, element by element in double, rounded once to the dtype.
std::vector<float> reference(const AllreduceProblem& p, const std::vector<HostTensor>& inputs) {
  std::vector<float> out(static_cast<std::size_t>(p.count()));
  std::vector<std::byte> cell(4);
  for (std::size_t i = 0; i < out.size(); ++i) {
    double acc = inputs[0].at(i);
    for (std::size_t r = 1; r < inputs.size(); ++r) {
      const double x = inputs[r].at(i);
      switch (p.op()) {
        case ReduceOp::kSum: acc += x; break;
        case ReduceOp::kMax: acc = std::max(acc, x); break;
        case ReduceOp::kMin: acc = std::min(acc, x); break;
      }
    }
    store_from_float(cell.data(), p.dtype(), 0, static_cast<float>(acc));
    out[i] = load_as_float(cell.data(), p.dtype(), 0);
  }
  return out;
}

// Every rank's output equals the reference exactly; reports the first difference per rank.
void expect_exact(const AllreduceProblem& p, const RingOutcome& o) {
  const std::vector<float> want = reference(p, o.inputs);
  for (std::size_t r = 0; r < o.outputs.size(); ++r) {
    std::int64_t wrong = 0, first = -1;
    for (std::size_t i = 0; i < want.size(); ++i) {
      if (!(o.outputs[r].at(i) == want[i])) {
        if (wrong++ == 0) first = static_cast<std::int64_t>(i);
      }
    }
    EXPECT_EQ(wrong, 0) << "rank " << r << ": first wrong element " << first << " = "
                        << (first >= 0 ? o.outputs[r].at(static_cast<std::size_t>(first)) : 0.0f) << ", expected "
                        << (first >= 0 ? want[static_cast<std::size_t>(first)] : 0.0f);
  }
  // Also what the problem's own verification says.
  const Verification v = p.verify(o.inputs, o.outputs, kSeed);
  EXPECT_TRUE(v.passed) << v.detail;
}

AllreduceProblem make(std::int64_t count, DType dtype, ReduceOp op, int ranks, bool in_place) {
  return AllreduceProblem(count * static_cast<std::int64_t>(dtype_size(dtype)), dtype, op, ranks, in_place,
                          AllreduceAlgo::kRing, AllreduceTransport::kThreads);
}

// ---- The matrix ---------------------------------------------------------------------------

using Combo = std::tuple<int, DType, ReduceOp, bool>;  // ranks, dtype, op, in place

class RingAllreduceTest : public ::testing::TestWithParam<Combo> {};

// Every count of the matrix, each with one chunk per segment, about three (the
// last one shorter) and, for small counts, one element per chunk from a
// chunk_bytes that is no multiple of the element size.
void check_counts_and_chunks(int ranks, DType dtype, ReduceOp op, bool in_place) {
  const auto size = dtype_size(dtype);
  std::set<std::int64_t> counts = {1, 2, 3, 7, 1000, 4099};
  if (ranks > 1) counts.insert(ranks - 1);
  for (const std::int64_t count : counts) {
    const AllreduceProblem p = make(count, dtype, op, ranks, in_place);
    const std::int64_t longest = ring_segment(count, ranks, 0).length;
    std::vector<std::size_t> chunks = {std::size_t{1} << 20, static_cast<std::size_t>((longest + 2) / 3) * size};
    if (count <= 7) chunks.push_back(size + 1);
    std::set<std::int64_t> chunks_per_segment;  // skip a chunk size that cuts segments as an earlier one did
    for (const std::size_t chunk_bytes : chunks) {
      const auto chunk_elements = std::max<std::int64_t>(1, static_cast<std::int64_t>(chunk_bytes / size));
      if (!chunks_per_segment.insert((longest + chunk_elements - 1) / chunk_elements).second) continue;
      SCOPED_TRACE(p.to_string() + " count=" + std::to_string(count) + " chunk_bytes=" + std::to_string(chunk_bytes));
      const RingOutcome o = run_allreduce(p, chunk_bytes);
      ASSERT_EQ(errors(o.status), "");
      expect_exact(p, o);
      if (!in_place) {
        const std::vector<HostTensor> fresh = p.make_inputs(kSeed);
        for (int r = 0; r < ranks; ++r) {
          EXPECT_EQ(o.inputs[static_cast<std::size_t>(r)].data, fresh[static_cast<std::size_t>(r)].data)
              << "rank " << r << "'s input was written";
        }
      }
      // 2 (ranks - 1) segments leave each rank: 2 (ranks - 1) * count elements over the ring.
      EXPECT_EQ(o.bytes_sent, 2 * (ranks - 1) * count * static_cast<std::int64_t>(size));
    }
  }
}

TEST_P(RingAllreduceTest, MatchesTheReferenceExactly) {
  const auto [ranks, dtype, op, in_place] = GetParam();
  check_counts_and_chunks(ranks, dtype, op, in_place);
}

std::string combo_name(const ::testing::TestParamInfo<Combo>& info) {
  const auto& [ranks, dtype, op, in_place] = info.param;
  return "ranks" + std::to_string(ranks) + "_" + std::string(dtype_name(dtype)) + "_" +
         std::string(reduce_op_name(op)) + (in_place ? "_inplace" : "_outofplace");
}

INSTANTIATE_TEST_SUITE_P(All, RingAllreduceTest,
                         ::testing::Combine(::testing::Values(1, 2, 3, 4, 5), ::testing::ValuesIn(kDtypes),
                                            ::testing::ValuesIn(kOps), ::testing::Bool()),
                         combo_name);

// ---- Behaviour beyond the results ----------------------------------------------------------------

TEST(RingAllreduce, PipelinedPathKeepsTwoExchangesInFlight) {
  const AllreduceProblem p = make(1200, DType::kFp32, ReduceOp::kSum, 3, false);
  const RingOutcome many = run_allreduce(p, 64);  // 400-element segments in 16-element chunks
  ASSERT_EQ(errors(many.status), "");
  expect_exact(p, many);
  EXPECT_EQ(many.max_in_flight, RingTransport::kSlots);

  const RingOutcome one = run_allreduce(p, 1600);  // one chunk per segment: one exchange at a time
  ASSERT_EQ(errors(one.status), "");
  expect_exact(p, one);
  EXPECT_EQ(one.max_in_flight, 1);
}

TEST(RingAllreduce, RepeatedRunsOnTheSameTransportsStayCorrect) {
  // Sequence numbers carry over between runs, as in the timed loop of a workload.
  for (bool in_place : {false, true}) {
    const AllreduceProblem p = make(999, DType::kBf16, ReduceOp::kSum, 4, in_place);
    const RingOutcome o = run_allreduce(p, 40, /*runs=*/3);
    ASSERT_EQ(errors(o.status), "");
    expect_exact(p, o);
  }
}

TEST(RingAllreduce, ManyChunksPerSegment) {
  // A ring step of hundreds of chunks: a bug in the chunk schedule cannot hide behind a few.
  for (DType dtype : kDtypes) {
    const AllreduceProblem p = make(4099, dtype, ReduceOp::kSum, 3, false);
    const RingOutcome o = run_allreduce(p, 10);  // 2 fp32 or 5 bf16/fp16 elements per chunk
    ASSERT_EQ(errors(o.status), "") << dtype_name(dtype);
    expect_exact(p, o);
  }
}

TEST(RingAllreduce, ScratchSmallerThanNeededIsAnError) {
  MemoryRing ring(2);
  MemoryTransport rank0(ring, 0);
  std::vector<float> input(100, 1.0f), output(100, 0.0f);
  for (const std::size_t chunk_bytes : {std::size_t{1024}, std::size_t{10}, std::size_t{1}}) {
    // What the ring needs: two slots of whole elements.
    const std::size_t needed = RingTransport::kSlots * std::max<std::size_t>(chunk_bytes / 4, 1) * 4;
    EXPECT_GE(ring_scratch_bytes(chunk_bytes), needed) << chunk_bytes;
    std::vector<std::byte> scratch(needed - 1);
    const Status s = ring_allreduce(rank0, {input.data(), output.data(), scratch}, 100, DType::kFp32, ReduceOp::kSum,
                                    chunk_bytes);
    ASSERT_FALSE(s.ok()) << chunk_bytes;
    EXPECT_EQ(s.error().code, ErrorCode::kRunFailure);
    EXPECT_NE(s.error().message.find("scratch of " + std::to_string(needed - 1) + " B"), std::string::npos)
        << s.error().message;
    EXPECT_NE(s.error().message.find(std::to_string(needed) + " B needed"), std::string::npos) << s.error().message;
  }
  std::vector<std::byte> none;
  EXPECT_FALSE(ring_allreduce(rank0, {input.data(), output.data(), none}, 100, DType::kFp32, ReduceOp::kSum, 64).ok());
  EXPECT_EQ(ring.bytes_sent(), 0) << "nothing may be sent before the check";
}

TEST(RingAllreduce, OneRankCopiesInputToOutput) {
  MemoryRing ring(1);
  MemoryTransport only(ring, 0);
  std::vector<std::uint16_t> input = {1, 2, 3, 0x7C00, 0xFFFF}, output(5, 0);
  std::vector<std::byte> scratch(ring_scratch_bytes(64));
  ASSERT_TRUE(ring_allreduce(only, {input.data(), output.data(), scratch}, 5, DType::kFp16, ReduceOp::kSum, 64).ok());
  EXPECT_EQ(output, input);  // bit for bit, NaN included
  ASSERT_TRUE(ring_allreduce(only, {input.data(), input.data(), scratch}, 5, DType::kFp16, ReduceOp::kMax, 64).ok());
  EXPECT_EQ(output, input);
  EXPECT_EQ(ring.bytes_sent(), 0);
}

// The test transport itself: misuse of the contract is reported, so a clean run means something.
TEST(MemoryRingTransport, ReportsContractViolations) {
  {
    MemoryRing ring(2);
    MemoryTransport t(ring, 0);
    std::vector<std::byte> a(8), b(8);
    ASSERT_TRUE(t.start(0, a, b).ok());
    const Status twice = t.start(0, a, b);
    ASSERT_FALSE(twice.ok());
    EXPECT_NE(twice.error().message.find("in flight"), std::string::npos) << twice.error().message;
    const Status idle = t.wait(1);
    ASSERT_FALSE(idle.ok());
    EXPECT_NE(idle.error().message.find("not in flight"), std::string::npos) << idle.error().message;
  }
  {
    MemoryRing ring(2);
    auto transports = make_transports(ring);
    const std::vector<Status> status = run_ranks(ring, transports, [](RingTransport& t, int r) -> Status {
      std::vector<std::byte> send(static_cast<std::size_t>(4 + 4 * r)), recv(4);
      TB_RETURN_IF_ERROR(t.start(0, send, recv));
      return t.wait(0);
    });
    EXPECT_NE(errors(status).find("sent 8 B, 4 B expected"), std::string::npos) << errors(status);
  }
  {
    // A ring of one rank sends to itself: no second thread, so no data race in the misuse.
    MemoryRing ring(1);
    MemoryTransport t(ring, 0);
    std::vector<std::byte> send(16, std::byte{1}), recv(16);
    ASSERT_TRUE(t.start(1, send, recv).ok());
    send[3] = std::byte{2};  // too early: the exchange is in flight
    const Status changed = t.wait(1);
    ASSERT_FALSE(changed.ok());
    EXPECT_NE(changed.error().message.find("changed a send buffer in flight"), std::string::npos)
        << changed.error().message;
  }
}

TEST(MemoryRingTransport, MovesDataAroundTheRing) {
  MemoryRing ring(3);
  auto transports = make_transports(ring);
  std::vector<std::vector<std::byte>> got(3);
  const std::vector<Status> status = run_ranks(ring, transports, [&](RingTransport& t, int r) -> Status {
    for (int round = 0; round < 5; ++round) {
      const int slot = round % RingTransport::kSlots;
      std::vector<std::byte> send(3, static_cast<std::byte>(10 * r + round)), recv(3);
      TB_RETURN_IF_ERROR(t.start(slot, send, recv));
      TB_RETURN_IF_ERROR(t.wait(slot));
      got[static_cast<std::size_t>(r)].push_back(recv[2]);
    }
    return Status();
  });
  ASSERT_EQ(errors(status), "");
  for (int r = 0; r < 3; ++r) {
    const int prev = (r + 2) % 3;
    for (int round = 0; round < 5; ++round) {
      EXPECT_EQ(got[static_cast<std::size_t>(r)][static_cast<std::size_t>(round)],
                static_cast<std::byte>(10 * prev + round));
    }
  }
}

// ---- ring_segment ----------------------------------------------------------------------------

TEST(RingSegment, CoversTheBufferExactlyWithLengthsDifferingByAtMostOne) {
  for (int ranks = 1; ranks <= 9; ++ranks) {
    for (const std::int64_t count : {std::int64_t{0}, std::int64_t{1}, std::int64_t{2}, std::int64_t{3},
                                     std::int64_t{7}, std::int64_t{8}, std::int64_t{9}, std::int64_t{10},
                                     std::int64_t{1000}, std::int64_t{4099}, std::int64_t{1} << 33}) {
      SCOPED_TRACE("ranks=" + std::to_string(ranks) + " count=" + std::to_string(count));
      std::int64_t next = 0, shortest = count, longest = 0;
      for (int s = 0; s < ranks; ++s) {
        const Segment seg = ring_segment(count, ranks, s);
        EXPECT_EQ(seg.offset, next) << "segment " << s;
        EXPECT_GE(seg.length, 0);
        // The first count % ranks segments are the longer ones.
        EXPECT_EQ(seg.length, count / ranks + (s < count % ranks ? 1 : 0)) << "segment " << s;
        next = seg.offset + seg.length;
        shortest = std::min(shortest, seg.length);
        longest = std::max(longest, seg.length);
      }
      EXPECT_EQ(next, count);
      EXPECT_LE(longest - shortest, 1);
    }
  }
  EXPECT_EQ(ring_segment(10, 4, 0).length, 3);
  EXPECT_EQ(ring_segment(10, 4, 1).offset, 3);
  EXPECT_EQ(ring_segment(10, 4, 2).offset, 6);
  EXPECT_EQ(ring_segment(10, 4, 3).offset, 8);
  EXPECT_EQ(ring_segment(10, 4, 3).length, 2);
  EXPECT_EQ(ring_segment(2, 5, 4).length, 0);
  EXPECT_EQ(ring_segment(2, 5, 4).offset, 2);
}

// ---- reduce_elements -------------------------------------------------------------------------

// `values` rounded to `dtype`, stored in a buffer of that dtype.
std::vector<std::byte> buffer_of(DType dtype, const std::vector<float>& values) {
  std::vector<std::byte> b(values.size() * dtype_size(dtype));
  for (std::size_t i = 0; i < values.size(); ++i) store_from_float(b.data(), dtype, i, values[i]);
  return b;
}

float apply(ReduceOp op, float a, float b) {
  return op == ReduceOp::kSum ? a + b : op == ReduceOp::kMax ? std::max(a, b) : std::min(a, b);
}

TEST(ReduceElements, EveryDtypeAndOpMatchesFloatMathRoundedToTheDtype) {
  // Values that make bf16/fp16 sums round (and tie), of both signs, over an
  // odd count so that any vectorized loop has a remainder.
  const std::size_t n = 1037;
  std::vector<float> x(n), y(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t bits = splitmix64(i);
    x[i] = static_cast<float>(static_cast<double>(bits % 20001) / 1000.0 - 10.0);
    y[i] = static_cast<float>(static_cast<double>((bits >> 20) % 2001) / 997.0 - 1.0);
  }
  for (DType dtype : kDtypes) {
    const std::vector<std::byte> a = buffer_of(dtype, x), b = buffer_of(dtype, y);
    for (ReduceOp op : kOps) {
      SCOPED_TRACE(std::string(dtype_name(dtype)) + " " + std::string(reduce_op_name(op)));
      std::vector<std::byte> want(a.size());
      for (std::size_t i = 0; i < n; ++i) {
        store_from_float(want.data(), dtype, i, apply(op, load_as_float(a.data(), dtype, i), load_as_float(b.data(), dtype, i)));
      }
      std::vector<std::byte> out(a.size(), std::byte{0xAB});
      reduce_elements(out.data(), a.data(), b.data(), static_cast<std::int64_t>(n), dtype, op);
      EXPECT_EQ(out, want);
      // Aliasing: out == a, and out == b (b op a: the same for these commutative ops).
      std::vector<std::byte> in_a = a;
      reduce_elements(in_a.data(), in_a.data(), b.data(), static_cast<std::int64_t>(n), dtype, op);
      EXPECT_EQ(in_a, want);
      std::vector<std::byte> in_b = b;
      reduce_elements(in_b.data(), a.data(), in_b.data(), static_cast<std::int64_t>(n), dtype, op);
      EXPECT_EQ(in_b, want);
      // Only `count` elements are written.
      std::vector<std::byte> part(a.size(), std::byte{0xAB});
      reduce_elements(part.data(), a.data(), b.data(), 5, dtype, op);
      const std::size_t five = 5 * dtype_size(dtype);
      EXPECT_TRUE(std::equal(part.begin(), part.begin() + static_cast<std::ptrdiff_t>(five), want.begin()));
      EXPECT_TRUE(std::all_of(part.begin() + static_cast<std::ptrdiff_t>(five), part.end(),
                              [](std::byte v) { return v == std::byte{0xAB}; }));
      std::vector<std::byte> none(a.size(), std::byte{0xAB});
      reduce_elements(none.data(), a.data(), b.data(), 0, dtype, op);
      EXPECT_TRUE(std::all_of(none.begin(), none.end(), [](std::byte v) { return v == std::byte{0xAB}; }));
    }
  }
}

float reduce_one(DType dtype, ReduceOp op, float a, float b) {
  const std::vector<std::byte> x = buffer_of(dtype, {a}), y = buffer_of(dtype, {b});
  std::vector<std::byte> out(dtype_size(dtype));
  reduce_elements(out.data(), x.data(), y.data(), 1, dtype, op);
  return load_as_float(out.data(), dtype, 0);
}

TEST(ReduceElements, HalfPrecisionSumsRoundToNearestEvenAtEveryApplication) {
  // bf16: 8 significant bits, spacing 2^-7 at 1.
  EXPECT_EQ(reduce_one(DType::kBf16, ReduceOp::kSum, 1.0f, 0x1p-8f), 1.0f);  // tie -> even (1)
  EXPECT_EQ(reduce_one(DType::kBf16, ReduceOp::kSum, 1.0f, 0x3p-8f), 1.0f + 0x1p-6f);  // tie -> even (1 + 2^-6)
  EXPECT_EQ(reduce_one(DType::kBf16, ReduceOp::kSum, 1.0f, 0x1p-7f), 1.0f + 0x1p-7f);  // exact
  EXPECT_EQ(reduce_one(DType::kBf16, ReduceOp::kSum, 256.0f, 1.0f), 256.0f);  // 257 is a tie -> 256
  // fp16: 11 significant bits, spacing 2^-10 at 1; largest finite 65504.
  EXPECT_EQ(reduce_one(DType::kFp16, ReduceOp::kSum, 1.0f, 0x1p-11f), 1.0f);
  EXPECT_EQ(reduce_one(DType::kFp16, ReduceOp::kSum, 1.0f, 0x3p-11f), 1.0f + 0x1p-9f);
  EXPECT_EQ(reduce_one(DType::kFp16, ReduceOp::kSum, 2048.0f, 1.0f), 2048.0f);
  EXPECT_EQ(reduce_one(DType::kFp16, ReduceOp::kSum, 65504.0f, 65504.0f), INFINITY);
  // fp32: plain float addition.
  EXPECT_EQ(reduce_one(DType::kFp32, ReduceOp::kSum, 1.0f, 0x1p-24f), 1.0f);
  EXPECT_EQ(reduce_one(DType::kFp32, ReduceOp::kSum, 1.0f, 0x1p-23f), 1.0f + 0x1p-23f);
  for (DType dtype : kDtypes) {
    EXPECT_EQ(reduce_one(dtype, ReduceOp::kMax, -1.0f, -2.0f), -1.0f) << dtype_name(dtype);
    EXPECT_EQ(reduce_one(dtype, ReduceOp::kMin, -1.0f, -2.0f), -2.0f) << dtype_name(dtype);
    EXPECT_EQ(reduce_one(dtype, ReduceOp::kMax, 0.5f, -0.25f), 0.5f) << dtype_name(dtype);
    EXPECT_EQ(reduce_one(dtype, ReduceOp::kMin, 0.5f, -0.25f), -0.25f) << dtype_name(dtype);
    EXPECT_EQ(reduce_one(dtype, ReduceOp::kSum, 0.375f, -1.5f), -1.125f) << dtype_name(dtype);
  }
}

}  // namespace
}  // namespace tb
