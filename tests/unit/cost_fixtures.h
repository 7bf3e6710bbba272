// The training step the cost tests start from: an 8-device instance, a 5 s
// step of 4096 tokens per device, 48.18 GFLOP per token (6 x 8.03e9), a 312
// TFLOP/s peak per device: 6553.6 tokens/s per instance, MFU
// 0.12650338461538463.
#pragma once

#include "cost/cost.h"

namespace tbtest {

// Priced at `usd_per_hour` (USD/h; 0 = unpriced).
inline tb::StepFigures p4d_like_step(double usd_per_hour) {
  tb::StepFigures s;
  s.step_time_s = 5.0;
  s.tokens_per_step = 4096.0;
  s.flop_per_token = 48.18e9;
  s.peak_flop_per_s = 312e12;
  s.devices_per_instance = 8;
  s.usd_per_hour = usd_per_hour;
  return s;
}

}  // namespace tbtest
