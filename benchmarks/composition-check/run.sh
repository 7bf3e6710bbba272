#!/usr/bin/env bash
# Composition check (issue 17): train the small Llama-shaped model of
# data/models/composition-check.model in PyTorch on this CPU, let trainbench
# compose the same training step from its measured GEMM and attention problems,
# and print both step times and the composition error (docs/measurements.md).
#
# Usage: benchmarks/composition-check/run.sh BUILD_DIR [THREADS]
#   BUILD_DIR  a build directory holding the trainbench binary
#   THREADS    host threads of both runs (default: all logical CPUs)
# Environment: PYTHON, a Python 3 with PyTorch (default: python3 if it imports
# torch, else /usr/bin/python3, where Debian's python3-torch installs it).
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
  echo "usage: $0 BUILD_DIR [THREADS]" >&2
  exit 2
fi
trainbench="$(cd "$1" && pwd)/trainbench"
threads="${2:-$(nproc)}"
[[ -x "$trainbench" ]] || { echo "$0: no trainbench binary in '$1'" >&2; exit 2; }
cd "$(dirname "$0")/../.."  # the repository root

if [[ -z "${PYTHON:-}" ]]; then
  if python3 -c 'import torch' 2>/dev/null; then PYTHON=python3; else PYTHON=/usr/bin/python3; fi
fi

echo "== PyTorch training steps ($threads threads)" >&2
pytorch_json="$("$PYTHON" benchmarks/composition-check/train_step.py --threads "$threads")"
echo "$pytorch_json" >&2

echo "== trainbench run --model composition-check ($threads threads)" >&2
out_dir="$(mktemp -d -t composition-check.XXXXXX)"
"$trainbench" run --backend cpu --model composition-check --threads "$threads" \
  --instance none --out "$out_dir" >&2
result_file="$(ls "$out_dir"/*.json)"

# The composed step time: the measured row of model_run.comparison (its
# step_time_s: the measured kernels, model_run.step_time.step_s, plus the
# memory-bound operations and the optimizer projected at this machine's
# memory bandwidth; docs/results.md, "model_run").
"$PYTHON" -c '
import json, sys
pytorch = json.loads(sys.argv[1])
with open(sys.argv[2]) as f:
    model_run = json.load(f)["model_run"]
if model_run["step_time"] is None:
    sys.exit("composition check: a problem of the step did not pass; no composed step time")
kernels_s = model_run["step_time"]["step_s"]
measured = [r for r in model_run["comparison"]["rows"] if r["provenance"] == "measured"]
composed_s = measured[0]["step_time_s"]
print("trainbench kernels only    %.4f s (%+.1f %% against PyTorch)" % (kernels_s, 100.0 * (kernels_s - pytorch["step_time_s_median"]) / pytorch["step_time_s_median"]))
pytorch_s = pytorch["step_time_s_median"]
error_percent = 100.0 * (composed_s - pytorch_s) / pytorch_s
print("threads                    %d" % pytorch["threads"])
print("PyTorch step, median       %.4f s (p10 %.4f, p90 %.4f; forward+backward %.4f, optimizer %.4f)"
      % (pytorch_s, pytorch["step_time_s_p10"], pytorch["step_time_s_p90"],
         pytorch["forward_backward_s_median"], pytorch["optimizer_s_median"]))
print("trainbench composed step   %.4f s" % composed_s)
print("composition error          %+.1f %% ((composed - PyTorch) / PyTorch)" % error_percent)
print("trainbench result          %s" % sys.argv[2])
' "$pytorch_json" "$result_file"
