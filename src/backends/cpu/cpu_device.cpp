#include "backends/cpu/cpu_device.h"

#include "common/cpu_isa.h"
#include "common/host_info.h"

#include <immintrin.h>
#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

extern "C" {
char* openblas_get_config(void);
char* openblas_get_corename(void);
}

namespace tb {
namespace {

constexpr int kChains = 12;  // independent accumulators: hides FMA latency on current x86 cores

// The probe loops touch only registers; sanitizer instrumentation would only slow them.
#define TB_PROBE_LOOP __attribute__((no_sanitize("address", "undefined")))

TB_PROBE_LOOP __attribute__((target("avx512f"))) float fma_loop_avx512(long iterations) {
  __m512 acc[kChains];
  const __m512 x = _mm512_set1_ps(0.999f), y = _mm512_set1_ps(1e-3f);
  for (int i = 0; i < kChains; ++i) acc[i] = _mm512_set1_ps(static_cast<float>(i));
  for (long it = 0; it < iterations; ++it)
    for (int i = 0; i < kChains; ++i) acc[i] = _mm512_fmadd_ps(acc[i], x, y);
  __m512 sum = acc[0];
  for (int i = 1; i < kChains; ++i) sum = _mm512_add_ps(sum, acc[i]);
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, sum);  // one lane keeps the loop's result live
  return lanes[0];
}

TB_PROBE_LOOP __attribute__((target("avx2,fma"))) float fma_loop_avx2(long iterations) {
  __m256 acc[kChains];
  const __m256 x = _mm256_set1_ps(0.999f), y = _mm256_set1_ps(1e-3f);
  for (int i = 0; i < kChains; ++i) acc[i] = _mm256_set1_ps(static_cast<float>(i));
  for (long it = 0; it < iterations; ++it)
    for (int i = 0; i < kChains; ++i) acc[i] = _mm256_fmadd_ps(acc[i], x, y);
  __m256 sum = acc[0];
  for (int i = 1; i < kChains; ++i) sum = _mm256_add_ps(sum, acc[i]);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, sum);
  return lanes[0];
}

TB_PROBE_LOOP __attribute__((target("avx512f,avx512bf16"))) float dpbf16_loop(long iterations) {
  __m512 acc[kChains];
  const __m512bh x = (__m512bh)_mm512_set1_epi16(0x3F80);  // bf16 1.0 pairs
  for (int i = 0; i < kChains; ++i) acc[i] = _mm512_set1_ps(static_cast<float>(i));
  for (long it = 0; it < iterations; ++it)
    for (int i = 0; i < kChains; ++i) acc[i] = _mm512_dpbf16_ps(acc[i], x, x);
  __m512 sum = acc[0];
  for (int i = 1; i < kChains; ++i) sum = _mm512_add_ps(sum, acc[i]);
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, sum);  // one lane keeps the loop's result live
  return lanes[0];
}

// The logical CPUs this process may run on, in order (its affinity mask).
std::vector<int> allowed_cpus() {
  std::vector<int> cpus;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    for (int c = 0; c < CPU_SETSIZE; ++c) {
      if (CPU_ISSET(c, &set)) cpus.push_back(c);
    }
  }
  return cpus;
}

// Runs body(t) on `threads` threads at once, thread t pinned to the t-th
// allowed CPU: the probes' trials last tens of milliseconds, shorter than the
// scheduler takes to spread new threads that start on one CPU.
template <typename Body>
void run_pinned(int threads, const Body& body) {
  static const std::vector<int> cpus = allowed_cpus();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      if (!cpus.empty()) {
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(cpus[static_cast<std::size_t>(t) % cpus.size()], &one);
        pthread_setaffinity_np(pthread_self(), sizeof one, &one);  // best effort: unpinned on failure
      }
      body(t);
    });
  }
  for (auto& w : workers) w.join();
}

// Best of five timed runs of `loop` on `threads` pinned threads (FLOP/s).
double time_loop(float (*loop)(long), double flop_per_iteration, int threads) {
  constexpr long kIterations = 10'000'000;  // about 40 ms per trial at 3 GHz
  double best = 0.0;
  for (int trial = 0; trial < 5; ++trial) {
    std::vector<float> sinks(static_cast<std::size_t>(threads));
    const auto start = std::chrono::steady_clock::now();
    run_pinned(threads, [&](int t) { sinks[static_cast<std::size_t>(t)] = loop(kIterations); });
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::max(best, flop_per_iteration * kIterations * threads / seconds);
  }
  return best;
}

// Best of five: every thread copies its own `bytes` at once (B/s, summed).
double time_memcpy(int threads, std::size_t bytes) {
  std::vector<std::unique_ptr<std::byte[]>> src, dst;
  for (int t = 0; t < threads; ++t) {
    src.emplace_back(new std::byte[bytes]);
    dst.emplace_back(new std::byte[bytes]);
    std::memset(src.back().get(), 1 + t, bytes);  // touch every page before timing
    std::memset(dst.back().get(), 0, bytes);
  }
  double best = 0.0;
  for (int trial = 0; trial < 5; ++trial) {
    const auto start = std::chrono::steady_clock::now();
    run_pinned(threads, [&](int t) {
      std::memcpy(dst[static_cast<std::size_t>(t)].get(), src[static_cast<std::size_t>(t)].get(), bytes);
    });
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::max(best, static_cast<double>(bytes) * threads / seconds);
  }
  return best;
}

}  // namespace

namespace {

constexpr std::int64_t kMemcpyBytesPerThread = std::int64_t{32} << 20;

// 32 MiB, or less so that 2 buffers per thread fit in a quarter of the available memory.
std::int64_t memcpy_bytes_per_thread(int threads) {
  const std::int64_t available = host_memory_available();
  if (available <= 0) return kMemcpyBytesPerThread;
  const std::int64_t fit = available / 4 / (2 * std::int64_t{std::max(threads, 1)});
  return std::max<std::int64_t>(std::min(kMemcpyBytesPerThread, fit / 4096 * 4096), 4096);
}

}  // namespace

std::int64_t memcpy_probe_bytes(int threads) { return 2 * memcpy_bytes_per_thread(threads) * std::max(threads, 1); }

MemcpyBandwidth measured_memcpy_bandwidth(int threads) {
  static std::mutex mutex;
  static std::map<int, MemcpyBandwidth> cache;
  std::lock_guard<std::mutex> lock(mutex);
  if (auto it = cache.find(threads); it != cache.end()) return it->second;
  MemcpyBandwidth m;
  m.threads = threads;
  m.bytes_per_thread = memcpy_bytes_per_thread(threads);
  const auto bytes = static_cast<std::size_t>(m.bytes_per_thread);
  m.one_thread_bytes_per_s = time_memcpy(1, bytes);
  m.all_threads_bytes_per_s = threads == 1 ? m.one_thread_bytes_per_s : time_memcpy(threads, bytes);
  cache[threads] = m;
  return m;
}

PeakProbe measured_peak_flop_per_s(int threads) {
  static std::mutex mutex;
  static std::map<int, PeakProbe> cache;
  std::lock_guard<std::mutex> lock(mutex);
  if (auto it = cache.find(threads); it != cache.end()) return it->second;
  PeakProbe probe;
  const CpuIsa isa = usable_cpu_isa();
  const std::string on = " on " + std::to_string(threads) + (threads == 1 ? " thread" : " threads");
  // Per loop iteration: kChains FMAs of 16 (AVX-512) or 8 (AVX2) fp32 lanes, 2 FLOP each;
  // vdpbf16ps does 2 multiply-adds per fp32 lane.
  std::string fp32, bf16;
  if (isa >= CpuIsa::kAvx512) {
    probe.flop_per_s[DType::kFp32] = time_loop(&fma_loop_avx512, kChains * 16 * 2.0, threads);
    fp32 = "AVX-512 vfmadd (zmm) for fp32";
  } else if (isa >= CpuIsa::kAvx2) {
    probe.flop_per_s[DType::kFp32] = time_loop(&fma_loop_avx2, kChains * 8 * 2.0, threads);
    fp32 = "AVX2 vfmadd (ymm) for fp32";
  } else {
    fp32 = "no fp32 peak (no AVX2 FMA usable)";
  }
  if (isa >= CpuIsa::kAvx512Bf16) {
    probe.flop_per_s[DType::kBf16] = time_loop(&dpbf16_loop, kChains * 16 * 4.0, threads);
    bf16 = "vdpbf16ps for bf16";
  } else {
    bf16 = "no bf16 FMA usable, so bf16 and fp16 rows computed in fp32 are compared with the fp32 peak";
  }
  probe.source = "measured: independent-FMA loop" + on + " (" + fp32 + "; " + bf16 + "); best of 5, one pinned thread per CPU; instruction set " +
                 cpu_isa_description();
  cache[threads] = probe;
  return probe;
}

std::string openblas_config() {
  return std::string(openblas_get_config()) + "; core=" + openblas_get_corename();
}

}  // namespace tb
