#!/usr/bin/env bash
# Measures the attention targets on this machine (docs/measurements.md):
#  1. fused vs composed (OpenBLAS or oneDNN matmul + softmax + matmul) forward and backward,
#     b=1, h=16, s=2048, d=128, fp32, one process, interleaved repetitions;
#  2. fused forward against fp32 GEMM throughput, both through `trainbench run`;
#  3. causal vs non-causal forward at s=4096;
#  4. peak resident memory of a forward at s=32768, h=1, d=128.
# Usage: benchmarks/measure-attention.sh [BUILD_DIR]   (results under results/attention/)
set -euo pipefail
build=${1:-build}
out=results/attention
mkdir -p "$out"
tb="$build/trainbench"

echo "=== 1. fused vs composed"
"$build/attention_bench" --benchmark_repetitions=5 --benchmark_enable_random_interleaving=true \
  --benchmark_report_aggregates_only=true | tee "$out/fused-vs-composed.txt" | grep -E "median|Benchmark"

echo "=== 2. fused forward vs fp32 GEMM (same run)"
"$tb" run --out "$out" --repetitions 5 --problem gemm:m=2048,n=2048,k=2048,dtype=fp32 \
  --problem 'attention:b=1,h=16,sq=2048,d=128,dtype=fp32|bf16,pass=fwd|bwd'

echo "=== 3. causal vs non-causal, s=4096"
"$tb" run --out "$out" --repetitions 5 --problem 'attention:b=1,h=16,sq=4096,d=128,causal=0|1,dtype=fp32'

echo "=== 4. peak resident memory, s=32768, h=1, d=128, forward"
/usr/bin/time -v "$tb" run --out "$out" --repetitions 3 --problem attention:b=1,h=1,sq=32768,d=128,dtype=fp32 \
  2> "$out/rss.txt"
grep -E "Maximum resident set size|Elapsed" "$out/rss.txt"
