#include "kernels/allreduce/ring_allreduce.h"

#include <algorithm>
#include <cstring>

namespace tb {
namespace {

int wrap(int value, int ranks) { return ((value % ranks) + ranks) % ranks; }

// The ring's schedule: 2 (ranks - 1) steps of `chunks` units each. A unit moves
// chunk j of one segment to the next rank.
class RingSchedule {
 public:
  RingSchedule(int rank, int ranks, std::int64_t count, std::int64_t chunk_elements)
      : rank_(rank), ranks_(ranks), count_(count), chunk_elements_(chunk_elements) {
    const std::int64_t longest = ring_segment(count, ranks, 0).length;
    chunks_ = std::max<std::int64_t>(1, (longest + chunk_elements - 1) / chunk_elements);
  }

  std::int64_t units() const { return 2 * static_cast<std::int64_t>(ranks_ - 1) * chunks_; }
  std::int64_t chunks() const { return chunks_; }

  struct Unit {
    bool reduce = false;  // reduce-scatter (reduce on arrival) or all-gather (store)
    int step = 0;         // within the phase
    Segment send, recv;   // element ranges of this unit's chunk in the buffers
  };

  Unit unit(std::int64_t u) const {
    const std::int64_t per_phase = static_cast<std::int64_t>(ranks_ - 1) * chunks_;
    Unit x;
    x.reduce = u < per_phase;
    const std::int64_t within = x.reduce ? u : u - per_phase;
    x.step = static_cast<int>(within / chunks_);
    const std::int64_t j = within % chunks_;
    // Reduce-scatter step s: send segment r-s, receive (and reduce) segment r-s-1.
    // All-gather step s: send segment r+1-s (complete), receive segment r-s.
    const int send_segment = x.reduce ? wrap(rank_ - x.step, ranks_) : wrap(rank_ + 1 - x.step, ranks_);
    const int recv_segment = x.reduce ? wrap(rank_ - x.step - 1, ranks_) : wrap(rank_ - x.step, ranks_);
    x.send = chunk(ring_segment(count_, ranks_, send_segment), j);
    x.recv = chunk(ring_segment(count_, ranks_, recv_segment), j);
    return x;
  }

 private:
  Segment chunk(Segment segment, std::int64_t j) const {
    const std::int64_t begin = std::min(segment.length, j * chunk_elements_);
    const std::int64_t end = std::min(segment.length, begin + chunk_elements_);
    return {segment.offset + begin, end - begin};
  }

  int rank_, ranks_;
  std::int64_t count_, chunk_elements_, chunks_ = 1;
};

}  // namespace

std::size_t ring_scratch_bytes(std::size_t chunk_bytes) { return RingTransport::kSlots * std::max<std::size_t>(chunk_bytes, 16); }

Segment ring_segment(std::int64_t count, int ranks, int s) {
  const std::int64_t base = count / ranks, extra = count % ranks;
  return {s * base + std::min<std::int64_t>(s, extra), base + (s < extra ? 1 : 0)};
}

Status ring_allreduce(RingTransport& transport, const RingBuffers& buffers, std::int64_t count, DType dtype,
                      ReduceOp op, std::size_t chunk_bytes) {
  const int ranks = transport.ranks();
  const auto size = static_cast<std::int64_t>(dtype_size(dtype));
  const auto* input = static_cast<const std::byte*>(buffers.input);
  auto* output = static_cast<std::byte*>(buffers.output);
  if (ranks == 1) {
    if (output != input) std::memcpy(output, input, static_cast<std::size_t>(count * size));
    return {};
  }
  const std::int64_t chunk_elements = std::max<std::int64_t>(1, static_cast<std::int64_t>(chunk_bytes) / size);
  const auto slot_bytes = static_cast<std::size_t>(chunk_elements * size);
  if (buffers.scratch.size() < RingTransport::kSlots * slot_bytes) {
    return run_failure("ring all-reduce: scratch of " + std::to_string(buffers.scratch.size()) +
                       " B is smaller than the " + std::to_string(RingTransport::kSlots * slot_bytes) + " B needed");
  }
  const RingSchedule schedule(transport.rank(), ranks, count, chunk_elements);
  const auto bytes = [&](std::byte* base, Segment s) {
    return std::span<std::byte>(base + s.offset * size, static_cast<std::size_t>(s.length * size));
  };
  const auto start = [&](std::int64_t u) {
    const RingSchedule::Unit x = schedule.unit(u);
    const int slot = static_cast<int>(u % RingTransport::kSlots);
    // The first reduce-scatter step sends this rank's own input; later steps send what it reduced.
    const std::byte* source = x.reduce && x.step == 0 ? input : output;
    const std::span<const std::byte> send(source + x.send.offset * size, static_cast<std::size_t>(x.send.length * size));
    // Reduce-scatter chunks land in scratch to be reduced; all-gather chunks in the output.
    const std::span<std::byte> recv =
        x.reduce ? buffers.scratch.subspan(static_cast<std::size_t>(slot) * slot_bytes,
                                           static_cast<std::size_t>(x.recv.length * size))
                 : bytes(output, x.recv);
    return transport.start(slot, send, recv);
  };

  // A unit's send depends on the unit one step (`chunks` units) earlier, so the
  // next unit may start before this one is reduced whenever there are >= 2 chunks.
  const std::int64_t units = schedule.units();
  const bool pipelined = schedule.chunks() >= 2;
  TB_RETURN_IF_ERROR(start(0));
  for (std::int64_t u = 0; u < units; ++u) {
    if (pipelined && u + 1 < units) TB_RETURN_IF_ERROR(start(u + 1));
    const int slot = static_cast<int>(u % RingTransport::kSlots);
    TB_RETURN_IF_ERROR(transport.wait(slot));
    const RingSchedule::Unit x = schedule.unit(u);
    if (x.reduce && x.recv.length > 0) {
      const std::byte* received = buffers.scratch.data() + static_cast<std::size_t>(slot) * slot_bytes;
      reduce_elements(output + x.recv.offset * size, input + x.recv.offset * size, received, x.recv.length, dtype, op);
    }
    if (!pipelined && u + 1 < units) TB_RETURN_IF_ERROR(start(u + 1));
  }
  return {};
}

}  // namespace tb
