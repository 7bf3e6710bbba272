// The reference all-reduce: a ring of `ranks` ranks, reduce-scatter then
// all-gather, n-1 steps each (Patarasuk and Yuan 2009; the algorithm of NCCL's
// and Horovod's ring). Each rank's buffer is cut into `ranks` segments; every
// step moves one segment to the next rank in chunks of at most `chunk_bytes`,
// with up to RingTransport::kSlots chunks in flight, so a chunk is reduced
// while the next one travels. Every transport runs this same code.
//
// Bytes sent per rank: 2 * (ranks - 1) / ranks * count * dtype size, the
// factor that turns algorithm bandwidth into bus bandwidth.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "common/dtype.h"
#include "common/error.h"
#include "kernels/allreduce/reduce_op.h"
#include "kernels/allreduce/ring_transport.h"

namespace tb {

struct RingBuffers {
  const void* input = nullptr;  // this rank's count elements
  void* output = nullptr;       // count elements; may equal input (in place)
  std::span<std::byte> scratch;  // at least ring_scratch_bytes(chunk_bytes); not aliasing input or output
};

// Scratch the ring needs for receiving chunks before reducing them (B).
std::size_t ring_scratch_bytes(std::size_t chunk_bytes);

// Segment s of a count-element buffer cut into `ranks` parts: the first
// count % ranks segments hold one element more. {offset, length} in elements.
struct Segment {
  std::int64_t offset = 0, length = 0;
};
Segment ring_segment(std::int64_t count, int ranks, int s);

// All-reduces `count` elements of `dtype` with `op` across transport.ranks()
// ranks; every rank calls it with the same count, dtype, op and chunk_bytes.
Status ring_allreduce(RingTransport& transport, const RingBuffers& buffers, std::int64_t count, DType dtype,
                      ReduceOp op, std::size_t chunk_bytes);

}  // namespace tb
