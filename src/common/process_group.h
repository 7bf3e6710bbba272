// The processes of one run. A plain run is a single process; under mpirun
// every rank runs the same plan, and the runner uses these collectives to keep
// the ranks in step: agreeing on failures, summing wrong elements, taking the
// slowest rank's time. Every process calls the collectives in the same order.
// Implementations: SingleProcess (here) and MpiWorld (src/mpi/mpi_world.h).
#pragma once

#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

#include "common/error.h"

namespace tb {

class ProcessGroup {
 public:
  virtual ~ProcessGroup() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual std::string description() const = 0;  // "single process", "MPI: 4 processes (Open MPI v4.1.4)"

  // Collectives; each fails (naming the rank that did not answer) after the
  // group's time-out, and then marks the group broken.
  virtual Status barrier() = 0;
  virtual Expected<double> max(double value) = 0;
  virtual Expected<std::int64_t> sum(std::int64_t value) = 0;
  virtual Expected<bool> all(bool value) = 0;  // true when every process passed true
  // Copies `bytes` of process `root` (0 <= root < size()) into `bytes` of
  // every process; every process passes the same length (B). An NCCL unique
  // id (128 B) travels from rank 0 to every rank this way.
  virtual Status broadcast(std::span<std::byte> bytes, int root) = 0;

  // True once a collective failed: no further collective can succeed, and
  // the run must end with abort().
  virtual bool broken() const = 0;
  // Ends every process of the group with exit status `code`.
  [[noreturn]] virtual void abort(int code) = 0;
};

class SingleProcess final : public ProcessGroup {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::string description() const override { return "single process"; }
  Status barrier() override { return {}; }
  Expected<double> max(double value) override { return value; }
  Expected<std::int64_t> sum(std::int64_t value) override { return value; }
  Expected<bool> all(bool value) override { return value; }
  Status broadcast(std::span<std::byte> /*bytes*/, int root) override {
    if (root != 0) return bad_input("broadcast from rank " + std::to_string(root) + " in a single process");
    return {};
  }
  bool broken() const override { return false; }
  [[noreturn]] void abort(int code) override { std::exit(code); }
};

}  // namespace tb
