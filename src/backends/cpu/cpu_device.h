// Facts about the host CPU that the CPU backend reports in its DeviceInfo.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "common/dtype.h"

namespace tb {

// Measured compute ceiling per dtype (FLOP/s) on `threads` threads: a loop of
// independent FMAs that no GEMM can beat, in the widest instruction set the
// CPU has under TRAINBENCH_MAX_ISA (common/cpu_isa.h): fp32 by AVX-512 or AVX2
// vfmadd, bf16 by AVX512-BF16 vdpbf16ps. Dtypes without a native FMA here are
// absent (a GEMM that computes them in fp32 is compared with the fp32 peak).
// Best of 5 trials, one thread pinned per allowed CPU (short trials would
// otherwise measure the scheduler spreading new threads). Measured once per
// process (about 0.4 s) and cached. A busy machine lowers
// it: the runner warns when a result exceeds it.
struct PeakProbe {
  std::map<DType, double> flop_per_s;
  std::string source;  // "measured: ... " naming each loop that ran and what is absent, for DeviceInfo::peak_source
};
PeakProbe measured_peak_flop_per_s(int threads);

// Measured memcpy bandwidth: bytes copied per second (each byte read once and
// written once), 32 MiB per thread (beyond the caches; less when the machine's
// available memory is short, see bytes_per_thread), best of 5, on one thread
// and on `threads` threads at once. glibc's memcpy picks its own instructions. The reference the threads
// all-reduce's bus bandwidth is compared with. Measured once per process
// (about 0.1 s) and cached.
struct MemcpyBandwidth {
  double one_thread_bytes_per_s = 0.0;
  double all_threads_bytes_per_s = 0.0;  // summed over the threads
  int threads = 0;
  std::int64_t bytes_per_thread = 0;  // copied by each thread (B)
};
MemcpyBandwidth measured_memcpy_bandwidth(int threads);

// Host memory the memcpy probe allocates on `threads` threads (B): source and
// destination per thread. At most a quarter of the available memory.
std::int64_t memcpy_probe_bytes(int threads);

// OpenBLAS's build configuration and the core kernel it chose at run time,
// e.g. "OpenBLAS 0.3.21 ... DYNAMIC_ARCH ... Cooperlake MAX_THREADS=64; core=Cooperlake".
std::string openblas_config();

}  // namespace tb
