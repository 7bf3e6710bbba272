// trainbench list models: the shipped model shapes with their parameter
// counts and training FLOP per token, the decomposition's figure beside the
// analytic 6N + attention estimate (docs/models.md).
#include <cstdio>
#include <iostream>

#include "cli/commands.h"
#include "common/plain_table.h"
#include "model/step_decomposition.h"

namespace tb::cli {
namespace {

std::string format(const char* spec, double value) {
  char buf[48];
  std::snprintf(buf, sizeof buf, spec, value);
  return buf;
}

}  // namespace

int list_models_command() {
  std::vector<std::vector<std::string>> rows = {
      {"model", "layers", "hidden", "heads/kv", "ffn", "vocab", "seq_len", "params", "matmul N", "FLOP/token",
       "6N+attn", "diff"},
      {"", "", "", "", "", "", "tokens", "1e9", "1e9", "GFLOP", "GFLOP", "%"}};
  for (const std::string& name : list_models()) {
    Expected<ModelConfig> model = load_model(name);
    if (!model) return report_error(model.error());
    Expected<StepDecomposition> step = decompose(*model);
    if (!step) return report_error(step.error());
    const ModelConfig& m = *model;
    const double ours = step->flop_per_token();
    const double analytic = analytic_flop_per_token(m, step->run.seq_len);
    const ParameterCount p = m.parameters();
    rows.push_back({name, std::to_string(m.layers), std::to_string(m.hidden),
                    std::to_string(m.heads) + "/" + std::to_string(m.kv_heads), std::to_string(m.ffn),
                    std::to_string(m.vocab), std::to_string(step->run.seq_len),
                    format("%.3f", static_cast<double>(p.total) / 1e9), format("%.3f", static_cast<double>(p.matmul) / 1e9),
                    format("%.2f", ours / 1e9), format("%.2f", analytic / 1e9),
                    format("%+.2f", 100.0 * (ours / analytic - 1.0))});
  }
  std::cout << render_rows(rows, {false, true, true, true, true, true, true, true, true, true, true, true});
  std::cout << "FLOP/token: one training step's model FLOP (forward and backward) per token from the step "
               "decomposition at the model's seq_len; 6N+attn: 6 x matmul N + 12 x layers x hidden x seq_len / 2 "
               "(metrics.md, causal halving)\n";
  return 0;
}

}  // namespace tb::cli
