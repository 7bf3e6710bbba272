#include "report/model_report.h"

#include <cstdio>
#include <vector>

#include "common/format.h"
#include "common/plain_table.h"
#include "cost/cost_table.h"
#include "report/cost_report.h"

namespace tb {
namespace {

std::string breakdown_table(const ModelRunRecord& m) {
  std::vector<std::vector<std::string>> rows = {
      {"phase", "what", "count", "time", "total", "share", "problem measured"},
      {"", "", "per step", "ms per execution", "ms per step", "% of step", ""}};
  const double step_s = m.step ? m.step->step_s : 0.0;
  for (const StepItemResult& r : m.items) {
    const double total = static_cast<double>(r.item.count) * r.time_s;
    std::string measured = r.measured_problem;
    if (r.scale != 1.0) measured += " (time scaled x" + format_fixed(r.scale, 2) + " by bytes)";
    rows.push_back({r.item.phase, r.item.what, std::to_string(r.item.count), r.time_s > 0 ? format_fixed(r.time_s * 1e3, 3) : "-",
                    r.time_s > 0 ? format_fixed(total * 1e3, 1) : "-", step_s > 0 ? format_fixed(100.0 * total / step_s, 1) : "-",
                    measured});
  }
  return render_rows(rows, {false, false, true, true, true, true, false});
}
}  // namespace

std::string render_model_report(const ModelRunRecord& m, const Comparison& c) {
  std::string out = "\nModel " + m.model.name + ": " + std::to_string(m.model.layers) + " layers, hidden " +
                    std::to_string(m.model.hidden) + ", " + std::string(dtype_name(m.run.dtype)) + "; micro_batch " +
                    std::to_string(m.run.micro_batch) + " x seq_len " + std::to_string(m.run.seq_len) + " = " +
                    std::to_string(m.tokens) + " tokens per step, tp=" + std::to_string(m.run.tp) +
                    " dp=" + std::to_string(m.run.dp) + "\n";
  char line[256];
  std::snprintf(line, sizeof line, "model FLOP per token (training): %.4g FLOP; one device's step: %.4g FLOP\n",
                m.flop_per_token, m.device_flop);
  out += line;
  out += "\nStep breakdown on this machine (measured; data-parallel all-reduce overlapped with the backward: " +
         std::string(m.step_options.overlap_dp_with_backward ? "on" : "off") + ")\n";
  out += breakdown_table(m);
  if (m.step) {
    std::string shares;
    for (const auto& [name, fraction] : m.step->shares) {
      shares += (shares.empty() ? "" : ", ") + name + " " + format_fixed(100.0 * fraction, 1) + "%";
    }
    std::snprintf(line, sizeof line, "step time %.3f s (compute %.3f s, tp all-reduce %.3f s, dp all-reduce %.3f s of "
                  "which %.3f s exposed)\n",
                  m.step->step_s, m.step->compute_s, m.step->tp_comm_s, m.step->dp_comm_s, m.step->dp_exposed_s);
    out += line;
    out += "share of step time: " + shares + "\n";
  }
  out += "\nCost comparison (" + m.model.name + ", " + std::to_string(m.tokens) + " tokens per step; " + m.pricing +
         " prices; projected rows use data/efficiency.csv)\n";
  out += render_cost_table(c.rows, m.train_tokens);
  for (const std::string& s : c.skipped) out += "not projected: " + s + "\n";
  if (!c.check.empty()) {
    out += "\nProjection check: this machine projected with the same model, against what was measured\n";
    out += render_check_table(c);
  }
  return out;
}

}  // namespace tb
