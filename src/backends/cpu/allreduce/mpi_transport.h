// The ring transport between MPI processes: MPI_Irecv from the previous rank
// and MPI_Isend to the next, polled with the world's time-out.
#pragma once

#include <mpi.h>

#include <string>

#include "kernels/allreduce/ring_transport.h"
#include "mpi/mpi_world.h"

namespace tb {

class MpiTransport final : public RingTransport {
 public:
  explicit MpiTransport(MpiWorld& world);
  int rank() const override { return world_.rank(); }
  int ranks() const override { return world_.size(); }
  Status start(int slot, std::span<const std::byte> send, std::span<std::byte> recv) override;
  Status wait(int slot) override;

 private:
  MpiWorld& world_;
  int prev_, next_;
  std::string recv_what_, send_what_, wait_what_;  // error-message context, built once
  MPI_Request requests_[kSlots][2] = {{MPI_REQUEST_NULL, MPI_REQUEST_NULL}, {MPI_REQUEST_NULL, MPI_REQUEST_NULL}};
};

}  // namespace tb
