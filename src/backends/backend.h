// The backend interface: what a device adapter (CPU, CUDA, Neuron) implements.
// Three levels, as in ggml and IREE: the registry creates a Backend by name;
// a Backend describes its device and answers "do you support this problem?";
// prepare() turns a supported problem into a Workload that owns the device
// buffers and runs, synchronizes, times and reads back. Walkthrough:
// docs/adding-a-backend.md.
//
// Threading: a Backend and its Workloads are used from one thread at a time.
// Ownership: a Workload owns every device resource it allocated and frees it
// in its destructor; it must not outlive the Backend that made it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "backends/backend_option.h"
#include "common/dtype.h"
#include "common/error.h"
#include "kernels/problem.h"
#include "kernels/tensor.h"
#include "record/device_info.h"

namespace tb {

// Measures device time of the work a Workload enqueues between start() and stop().
class DeviceTimer {
 public:
  virtual ~DeviceTimer() = default;
  virtual Status start() = 0;
  virtual Status stop() = 0;
  // Seconds between start() and stop() on the device; blocks until stop() completed.
  virtual Expected<double> elapsed_seconds() = 0;
};

// One problem prepared on one device with its inputs uploaded.
class Workload {
 public:
  virtual ~Workload() = default;
  // Enqueues one execution. May return before the device finishes.
  virtual Status run() = 0;
  // Blocks until every enqueued execution has finished.
  virtual Status synchronize() = 0;
  // Writes NaN into every output element, so elements a run fails to write cannot verify.
  virtual Status poison_outputs() = 0;
  // Copies the outputs to the host, in the problem's output_specs() order. Call after synchronize().
  virtual Expected<std::vector<HostTensor>> read_outputs() = 0;
  // A timer on this workload's device and queue.
  virtual std::unique_ptr<DeviceTimer> make_timer() = 0;
  // The library and algorithm actually used, e.g. "oneDNN brg:avx512_core_bf16".
  virtual std::string implementation() const = 0;
  // The effective input precision: the unit roundoff of a precision the kernel
  // rounds its inputs to before multiplying, when coarser than their dtype
  // (CUDA fp32 GEMM with --cuda-tf32: TF32's 2^-11); 0 when it multiplies the
  // stored inputs exactly. Verification widens its tolerance by it
  // (Problem::verify_with_input_precision, docs/verification.md#tolerance).
  virtual double input_unit_roundoff() const { return 0.0; }
  // The precision the kernel multiplies and accumulates in, when it is not the
  // problem's dtype (a bf16 GEMM whose inputs are widened to fp32 on a CPU
  // without bf16 arithmetic): the runner compares the throughput with that
  // dtype's peak and records it as the result's peak_dtype. nullopt: the problem's.
  virtual std::optional<DType> compute_dtype() const { return std::nullopt; }
};

struct Support {
  bool supported = false;
  std::string reason;  // why not, when !supported: "cpu-eigen: bf16 GEMM not supported (Eigen has no fast path); use --backend cpu"
};

class MpiWorld;  // src/mpi/mpi_world.h

struct BackendOptions {
  int threads = 0;              // host threads for CPU backends; 0 = every logical CPU
  double comm_timeout_s = 60.0;  // longest a collective waits for another rank (s)
  MpiWorld* mpi = nullptr;      // MPI_COMM_WORLD when started by mpirun, else null; not owned
  // Each backend's own options, by flag, as its table declares them
  // (backend_option.h; cuda/cuda_options.h, neuron/neuron_options.h).
  BackendOptionValues values;
};

// A measurement a backend takes with a vendor tool that times and checks on
// its own instead of through a Workload (Neuron's all-reduce: nccom-test).
struct ExternalMeasurement {
  std::vector<double> samples_s;      // per-execution times, one per tool run (s): each the statistic below
  std::int64_t iterations_per_sample = 0;  // the tool's timed iterations behind each sample
  std::string sample_statistic;       // what each sample is (ProblemResult::sample_statistic)
  std::map<std::string, std::vector<double>> tool_statistics_s;  // every statistic the tool printed, per run (s)
  std::string implementation;         // the tool and its arguments
  Verification verification;          // what the tool checked; passed = every element checked and right
  std::vector<std::string> warnings;
};

class Backend {
 public:
  virtual ~Backend() = default;

  virtual std::string_view name() const = 0;
  // Ok, or kUnavailable with the reason ("libnrt.so.1 not found in ...").
  virtual Status available() const = 0;
  virtual DeviceInfo device_info() const = 0;
  virtual Support supports(const Problem& problem) const = 0;
  // Device memory prepare() will allocate for `problem` (B), for the memory check before any allocation.
  virtual std::int64_t device_bytes(const Problem& problem) const = 0;
  // Allocates device buffers, uploads `inputs` (from problem.make_inputs()), builds the kernel.
  virtual Expected<std::unique_ptr<Workload>> prepare(const ProblemPtr& problem,
                                                      const std::vector<HostTensor>& inputs) = 0;
  // True for problems that measure_externally() takes: prepare() is then never called.
  virtual bool measures_externally(const Problem& /*problem*/) const { return false; }
  // Runs the vendor tool `repetitions` times, each run bounded by `timeout_s` (s).
  virtual Expected<ExternalMeasurement> measure_externally(const Problem& problem, int /*repetitions*/,
                                                           double /*timeout_s*/) {
    return unavailable(std::string(name()) + " measures " + problem.to_string() + " through a Workload");
  }
  // Options a reproducer line needs to pick the same device files, e.g.
  // " --neuron-runtime /opt/aws/neuron/lib/libnrt.so.1 --neuron-manifest m.json"; empty for most backends.
  virtual std::string reproducer_options() const { return {}; }
  // Devices this process drives (GPUs visible to CUDA; 1 elsewhere): what
  // `{devices}` in a suite file stands for (docs/problem-strings.md#suite-files).
  virtual int device_count() const { return 1; }
};

}  // namespace tb
