// A 32-bit counter that threads wait on: spin briefly, then sleep in the
// kernel (futex) until it changes or a deadline passes. Posting wakes sleepers
// only when there are any, so a busy ring stays out of the kernel.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace tb {

class Doorbell {
 public:
  using Clock = std::chrono::steady_clock;

  std::uint32_t value() const { return value_.load(std::memory_order_seq_cst); }
  // Sets the value (release: writes before it are visible to whoever sees it) and wakes waiters.
  void post(std::uint32_t value);
  // Waits until value() == `target`, checking `spins` times before sleeping
  // (0 when threads outnumber CPUs: spinning would only delay the peer). False
  // when `deadline` passed first.
  bool wait_for(std::uint32_t target, Clock::time_point deadline, int spins) const;

 private:
  std::atomic<std::uint32_t> value_{0};
  mutable std::atomic<std::uint32_t> sleepers_{0};
};

}  // namespace tb
