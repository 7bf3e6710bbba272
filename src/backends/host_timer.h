// A DeviceTimer for synchronous host work: a monotonic wall clock.
#pragma once

#include <chrono>

#include "backends/backend.h"

namespace tb {

class HostTimer final : public DeviceTimer {
 public:
  Status start() override {
    start_ = Clock::now();
    return {};
  }
  Status stop() override {
    stop_ = Clock::now();
    return {};
  }
  Expected<double> elapsed_seconds() override { return std::chrono::duration<double>(stop_ - start_).count(); }

 private:
  using Clock = std::chrono::steady_clock;
  Clock::time_point start_{}, stop_{};
};

}  // namespace tb
