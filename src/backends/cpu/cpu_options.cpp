#include "backends/cpu/cpu_options.h"

namespace tb {

std::span<const BackendOptionSpec> cpu_options() {
  using Kind = BackendOptionSpec::Kind;
  static const BackendOptionSpec table[] = {
      {"--cpu-attention", Kind::kChoice, "auto",
       "cpu: attention by the fused kernel or composed from oneDNN calls (fp32, scores materialized): auto = both "
       "timed when the problem is prepared, the faster kept (the composition only where its scores fit)",
       {"auto", "fused", "onednn"}, 0, 0},
  };
  return table;
}

}  // namespace tb
