#include "cost/cost.h"

#include <cmath>
#include <string>

namespace tb {
namespace {

Status positive(const char* name, double value) {
  if (std::isfinite(value) && value > 0.0) return {};
  return bad_input(std::string(name) + " = " + std::to_string(value) + " is not a positive number");
}

// A price may be 0: unpriced (docs/cost.md).
Status price_or_unpriced(double usd_per_hour) {
  if (std::isfinite(usd_per_hour) && usd_per_hour >= 0.0) return {};
  return bad_input("price (USD/h) = " + std::to_string(usd_per_hour) + " is not a number >= 0 (0: unpriced)");
}

}  // namespace

double usd_per_million_tokens(double usd_per_hour, double tokens_per_s) {
  // USD per 1M tokens = (USD per hour / 3600) / (tokens per second) x 1e6.
  return usd_per_hour / 3600.0 / tokens_per_s * 1e6;
}

std::int64_t whole_instances(std::int64_t devices, std::int64_t per_instance) {
  return (devices + per_instance - 1) / per_instance;
}

Expected<CostFigures> cost_figures(const StepFigures& s) {
  TB_RETURN_IF_ERROR(positive("step time (s)", s.step_time_s));
  TB_RETURN_IF_ERROR(positive("tokens per step", s.tokens_per_step));
  TB_RETURN_IF_ERROR(positive("FLOP per token", s.flop_per_token));
  TB_RETURN_IF_ERROR(positive("devices per instance", s.devices_per_instance));
  TB_RETURN_IF_ERROR(price_or_unpriced(s.usd_per_hour));
  if (!(std::isfinite(s.peak_flop_per_s) && s.peak_flop_per_s >= 0.0)) {
    return bad_input("peak FLOP/s = " + std::to_string(s.peak_flop_per_s) + " is not a number >= 0 (0: unknown)");
  }
  CostFigures c;
  c.tokens_per_s_device = s.tokens_per_step / s.step_time_s;
  c.tokens_per_s_instance = c.tokens_per_s_device * s.devices_per_instance;
  const double model_flop_per_s_device = c.tokens_per_s_device * s.flop_per_token;
  if (s.peak_flop_per_s > 0.0) c.mfu = model_flop_per_s_device / s.peak_flop_per_s;
  if (s.usd_per_hour == 0.0) return c;  // unpriced: the USD figures stay 0
  c.usd_per_million_tokens = usd_per_million_tokens(s.usd_per_hour, c.tokens_per_s_instance);
  // USD per PFLOP-hour delivered = price per hour / achieved PFLOP/s of the instance.
  c.usd_per_pflop_hour = s.usd_per_hour / (model_flop_per_s_device * s.devices_per_instance / 1e15);
  return c;
}

Expected<TrainingBudget> training_budget(const CostFigures& figures, double usd_per_hour, double tokens) {
  TB_RETURN_IF_ERROR(positive("tokens per second (instance)", figures.tokens_per_s_instance));
  TB_RETURN_IF_ERROR(positive("price (USD/h)", usd_per_hour));
  TB_RETURN_IF_ERROR(positive("token budget", tokens));
  TrainingBudget b;
  b.hours = tokens / figures.tokens_per_s_instance / 3600.0;
  b.usd = b.hours * usd_per_hour;
  return b;
}

}  // namespace tb
