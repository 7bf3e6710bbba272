#include "backends/cpu/allreduce/doorbell.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <ctime>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace tb {
namespace {

static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t) &&
                  std::atomic<std::uint32_t>::is_always_lock_free,
              "futex needs a plain 32-bit word");

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#endif
}

std::uint32_t* word(const std::atomic<std::uint32_t>& a) {
  return reinterpret_cast<std::uint32_t*>(const_cast<std::atomic<std::uint32_t>*>(&a));
}

}  // namespace

void Doorbell::post(std::uint32_t value) {
  value_.store(value, std::memory_order_seq_cst);
  if (sleepers_.load(std::memory_order_seq_cst) != 0) {
    syscall(SYS_futex, word(value_), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0);
  }
}

bool Doorbell::wait_for(std::uint32_t target, Clock::time_point deadline, int spins) const {
  for (int i = 0; i < spins; ++i) {
    if (value() == target) return true;
    cpu_relax();
  }
  for (;;) {
    sleepers_.fetch_add(1, std::memory_order_seq_cst);
    const std::uint32_t seen = value();
    if (seen == target) {
      sleepers_.fetch_sub(1, std::memory_order_seq_cst);
      return true;
    }
    const auto left = deadline - Clock::now();
    if (left <= Clock::duration::zero()) {
      sleepers_.fetch_sub(1, std::memory_order_seq_cst);
      return false;
    }
    // Sleep at most 100 ms at a time, so a missed wake-up costs little.
    const auto nap = std::min<Clock::duration>(left, std::chrono::milliseconds(100));
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(nap).count();
    timespec timeout{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
    syscall(SYS_futex, word(value_), FUTEX_WAIT_PRIVATE, seen, &timeout, nullptr, 0);
    sleepers_.fetch_sub(1, std::memory_order_seq_cst);
  }
}

}  // namespace tb
