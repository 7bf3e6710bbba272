// Facts about the host CPU that the CPU backend reports in its DeviceInfo.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "common/dtype.h"

namespace tb {

// Measured compute ceiling per dtype (FLOP/s) on `threads` threads: a loop of
// independent FMAs (fp32: AVX-512 or AVX2 vfmadd; bf16: AVX512-BF16 vdpbf16ps)
// that no GEMM can beat. Dtypes without a native FMA on this CPU are absent.
// Measured once per process (about 0.3 s) and cached. A busy machine lowers it:
// the runner warns when a result exceeds it.
std::map<DType, double> measured_peak_flop_per_s(int threads);

// Measured memcpy bandwidth: bytes copied per second (each byte read once and
// written once), 32 MiB per thread (beyond the caches), best of 5, on one
// thread and on `threads` threads at once. The reference the threads
// all-reduce's bus bandwidth is compared with. Measured once per process
// (about 0.1 s) and cached.
struct MemcpyBandwidth {
  double one_thread_bytes_per_s = 0.0;
  double all_threads_bytes_per_s = 0.0;  // summed over the threads
  int threads = 0;
};
MemcpyBandwidth measured_memcpy_bandwidth(int threads);

// OpenBLAS's build configuration and the core kernel it chose at run time,
// e.g. "OpenBLAS 0.3.21 ... DYNAMIC_ARCH ... Cooperlake MAX_THREADS=64; core=Cooperlake".
std::string openblas_config();

}  // namespace tb
