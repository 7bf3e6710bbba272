// A DeviceTimer for one rank of a collective that runs across processes (MPI
// ranks): start() waits at the group's barrier so that every rank starts its
// clock together, `inner` measures this rank (a host clock, CUDA events), and
// elapsed_seconds() is the maximum over ranks (ProcessGroup::max), the
// project's rule for collectives (docs/allreduce.md). Every rank sees the
// same time, so Google Benchmark makes the same decisions on every rank and
// they call the group's collectives in the same order.
#pragma once

#include <memory>
#include <utility>

#include "backends/backend.h"
#include "common/process_group.h"

namespace tb {

class SlowestRankTimer final : public DeviceTimer {
 public:
  // `group` must outlive the timer.
  SlowestRankTimer(ProcessGroup& group, std::unique_ptr<DeviceTimer> inner) : group_(group), inner_(std::move(inner)) {}

  Status start() override {
    TB_RETURN_IF_ERROR(group_.barrier());
    return inner_->start();
  }
  Status stop() override { return inner_->stop(); }
  // Seconds (s): the slowest rank's inner time. A rank whose own timer failed
  // still joins the max, so that the others do not wait for it; it reports its error.
  Expected<double> elapsed_seconds() override {
    Expected<double> mine = inner_->elapsed_seconds();
    TB_ASSIGN_OR_RETURN(const double slowest, group_.max(mine ? *mine : 0.0));
    if (!mine) return mine.error();
    return slowest;
  }

 private:
  ProcessGroup& group_;
  std::unique_ptr<DeviceTimer> inner_;
};

}  // namespace tb
