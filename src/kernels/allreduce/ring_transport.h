// What the ring all-reduce needs from a transport: one exchange with the ring
// neighbours at a time per slot, non-blocking so that the next chunk travels
// while this one is reduced. Rank r sends to (r + 1) % ranks and receives from
// (r + ranks - 1) % ranks. Implementations: threads over shared memory
// (backends/cpu/allreduce/threads_transport.h) and MPI point-to-point
// (backends/cpu/allreduce/mpi_transport.h); tests add an in-memory one.
#pragma once

#include <cstddef>
#include <span>

#include "common/error.h"

namespace tb {

class RingTransport {
 public:
  // Exchanges in flight at once; slots are used round-robin.
  static constexpr int kSlots = 2;

  virtual ~RingTransport() = default;
  virtual int rank() const = 0;
  virtual int ranks() const = 0;

  // Starts sending `send` to the next rank and receiving `recv.size()` bytes
  // from the previous rank into `recv`, in `slot` (0 <= slot < kSlots, not in
  // flight). Every rank starts the same sequence of exchanges; a receive's
  // size equals the matching send's size (either may be 0). Until wait(slot)
  // returns, `send` must not change and `recv` must not be read.
  virtual Status start(int slot, std::span<const std::byte> send, std::span<std::byte> recv) = 0;

  // Blocks until the exchange in `slot` completed: `recv` holds the data and
  // `send` may be reused. Fails, naming the peer, when the peer sends nothing
  // for the transport's time-out (a rank died or hangs).
  virtual Status wait(int slot) = 0;
};

}  // namespace tb
