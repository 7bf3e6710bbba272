// The ring transport between threads of one process: each rank posts a
// pointer to its send chunk, and the next rank copies it straight into its
// receive buffer (one copy, as CMA or XPMEM do between processes), then
// signals that the send buffer is free again.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "backends/cpu/allreduce/doorbell.h"
#include "kernels/allreduce/ring_transport.h"

namespace tb {

// State shared by the ranks of one ring; outlives every ThreadsTransport on it.
class ThreadRing {
 public:
  // `timeout_s`: how long a rank waits for a neighbour before failing.
  // `spins`: busy-wait checks before sleeping (Doorbell::wait_for).
  ThreadRing(int ranks, double timeout_s, int spins);

  struct Mailbox {  // one per rank and slot
    Doorbell posted;    // sequence number of the last chunk this rank posted
    Doorbell consumed;  // sequence number of the last chunk the next rank copied
    const std::byte* data = nullptr;
    std::size_t bytes = 0;
  };
  Mailbox& mailbox(int rank, int slot) { return mailboxes_[static_cast<std::size_t>(rank * RingTransport::kSlots + slot)]; }
  int ranks() const { return ranks_; }
  std::chrono::duration<double> timeout() const { return timeout_; }
  double timeout_s() const { return timeout_.count(); }
  int spins() const { return spins_; }

 private:
  int ranks_;
  std::chrono::duration<double> timeout_;
  int spins_;
  std::vector<Mailbox> mailboxes_;
};

class ThreadsTransport final : public RingTransport {
 public:
  ThreadsTransport(ThreadRing& ring, int rank) : ring_(ring), rank_(rank) {}
  int rank() const override { return rank_; }
  int ranks() const override { return ring_.ranks(); }
  Status start(int slot, std::span<const std::byte> send, std::span<std::byte> recv) override;
  Status wait(int slot) override;

 private:
  ThreadRing& ring_;
  int rank_;
  std::uint32_t sequence_[kSlots] = {};
  std::span<std::byte> recv_[kSlots];
};

}  // namespace tb
