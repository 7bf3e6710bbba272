#include "backends/cpu/allreduce/mpi_transport.h"

#include <climits>

namespace tb {

MpiTransport::MpiTransport(MpiWorld& world)
    : world_(world),
      prev_((world.rank() + world.size() - 1) % world.size()),
      next_((world.rank() + 1) % world.size()),
      recv_what_("all-reduce receive from rank " + std::to_string(prev_)),
      send_what_("all-reduce send to rank " + std::to_string(next_)),
      wait_what_(prev_ == next_ ? "all-reduce exchange with rank " + std::to_string(prev_)
                                : "all-reduce exchange with ranks " + std::to_string(prev_) + " (receive) and " +
                                      std::to_string(next_) + " (send)") {}

Status MpiTransport::start(int slot, std::span<const std::byte> send, std::span<std::byte> recv) {
  if (send.size() > INT_MAX || recv.size() > INT_MAX) {
    return run_failure("MPI transport: chunk of " + std::to_string(send.size()) + " B exceeds MPI's int count");
  }
  // The tag is the slot: messages between two ranks with one tag arrive in order.
  TB_RETURN_IF_ERROR(world_.check(
      MPI_Irecv(recv.data(), static_cast<int>(recv.size()), MPI_BYTE, prev_, slot, world_.comm(), &requests_[slot][0]),
      recv_what_));
  TB_RETURN_IF_ERROR(world_.check(
      MPI_Isend(send.data(), static_cast<int>(send.size()), MPI_BYTE, next_, slot, world_.comm(), &requests_[slot][1]),
      send_what_));
  return {};
}

Status MpiTransport::wait(int slot) { return world_.wait_all(requests_[slot], 2, wait_what_); }

}  // namespace tb
