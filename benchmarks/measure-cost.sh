#!/usr/bin/env bash
# Measures the training-cost targets on this machine (docs/measurements.md, "Training cost"):
#  1. wall time of `run --model llama3.2-1b` at TOKENS tokens per step (default 2048; target: under 3 minutes),
#     with the step breakdown, the cost table (trn1, trn2, p4d, p5, p5en projected) and the projection check
#     (this CPU projected vs measured, per item; target: within 25% for large GEMMs);
#  2. the same comparison recomputed from the result file by `trainbench cost` (no measuring);
#  3. FLOP per token of every shipped model against 6N + attention (`list models`; target: within 3%).
# Usage: benchmarks/measure-cost.sh [BUILD_DIR] [TOKENS]   (results under results/cost/)
set -euo pipefail
build=${1:-build}
tokens=${2:-2048}
out=results/cost
mkdir -p "$out"
tb="$build/trainbench"

echo "=== 1. run --model llama3.2-1b --tokens $tokens"
start=$(date +%s%N)
"$tb" run --model llama3.2-1b --tokens "$tokens" --out "$out"
end=$(date +%s%N)
echo "wall time: $(( (end - start) / 1000000 )) ms"

echo "=== 2. trainbench cost on that file, every projectable instance, spot and on-demand"
latest=$(ls -t "$out"/*.json | head -1)
"$tb" cost --results "$latest" --instance all --train-tokens 1T
"$tb" cost --results "$latest" --instance all --pricing spot --train-tokens 1T

echo "=== 3. FLOP per token vs 6N + attention"
"$tb" list models
