// From a measured (or projected) training step to what procurement asks:
// tokens per second, MFU, USD per million tokens, USD per PFLOP-hour, and the
// time and cost to train a token budget. Formulas and units:
// docs/cost.md.
#pragma once

#include <cstdint>

#include "common/error.h"

namespace tb {

struct StepFigures {
  double step_time_s = 0.0;            // one training step of one device (s)
  double tokens_per_step = 0.0;        // tokens one device processes per step (tokens)
  double flop_per_token = 0.0;         // model FLOP per token, training (FLOP)
  double peak_flop_per_s = 0.0;        // one device's peak for the step's dtype (FLOP/s); 0 = unknown
  int devices_per_instance = 1;        // accelerators (or CPU sockets treated as one device) per instance
  double usd_per_hour = 0.0;           // instance price (USD/h); 0 = unpriced
};

struct CostFigures {
  double tokens_per_s_device = 0.0;    // tokens/s
  double tokens_per_s_instance = 0.0;  // tokens/s, all devices of the instance
  double mfu = -1.0;                   // model FLOP/s over peak FLOP/s (fraction); -1 when the peak is unknown
  double usd_per_million_tokens = 0.0;  // USD per 1e6 tokens; 0 when unpriced
  double usd_per_pflop_hour = 0.0;     // USD per 1e15 FLOP/s sustained for one hour of model FLOP; 0 when unpriced
};

// USD per 1e6 tokens when `usd_per_hour` buys `tokens_per_s` (> 0) tokens per second.
double usd_per_million_tokens(double usd_per_hour, double tokens_per_s);

// Whole instances of `per_instance` devices needed for `devices` devices.
std::int64_t whole_instances(std::int64_t devices, std::int64_t per_instance);

// Bad input (kBadInput naming the field) unless every figure is finite and
// positive (peak may be 0: unknown; price may be 0: unpriced, which computes
// tokens/s and MFU and leaves the USD figures 0).
Expected<CostFigures> cost_figures(const StepFigures& step);

struct TrainingBudget {
  double hours = 0.0;  // wall-clock hours for `tokens` on one instance (h)
  double usd = 0.0;    // instance price x hours (USD)
};

// Time and cost to train `tokens` tokens on one instance at `figures`' rate.
Expected<TrainingBudget> training_budget(const CostFigures& figures, double usd_per_hour, double tokens);

}  // namespace tb
