#!/usr/bin/env bash
# Measures the CPU attention targets on this machine (docs/measurements.md, "Attention"):
#  1. attention_bench: fp32 GEMM, fused, oneDNN-composed and PyTorch-composed forward and
#     backward (b=1, h=16, s=2048, d=128, fp32), one process, interleaved repetitions,
#     the rates and ratios, and the fused kernel's phase breakdown;
#  2. the same with the instruction set capped at AVX2 (TRAINBENCH_MAX_ISA, ONEDNN_MAX_CPU_ISA,
#     ATEN_CPU_CAPABILITY for PyTorch; OpenBLAS follows OPENBLAS_CORETYPE as the environment sets it);
#  3. through `trainbench run` (--cpu-attention auto: the backend's choice, named in the
#     implementation column of the JSON), with the fp32 GEMM of the same run;
#  4. causal vs non-causal forward at s=4096;
#  5. peak resident memory of a forward at s=32768, h=1, d=128 (auto keeps the fused kernel).
# PyTorch's column needs libtorch-dev at configure time (the C++ library of python3-torch).
# Usage: benchmarks/measure-attention.sh [BUILD_DIR]   (results under results/attention/)
set -euo pipefail
build=${1:-build}
out=results/attention
mkdir -p "$out"
tb="$build/trainbench"
bench=("$build/attention_bench" --benchmark_repetitions=5 --benchmark_enable_random_interleaving=true
       --benchmark_report_aggregates_only=true)

echo "=== 1. every implementation, this CPU's widest instruction set"
"${bench[@]}" | tee "$out/attention-bench.txt" | sed -n '/^# Attention/,$p'

echo "=== 2. the same, capped at AVX2"
TRAINBENCH_MAX_ISA=avx2 ONEDNN_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2 "${bench[@]}" | tee "$out/attention-bench-avx2.txt" |
  sed -n '/^# Attention/,$p'

echo "=== 3. through trainbench run, the backend's choice"
"$tb" run --out "$out" --repetitions 5 --problem gemm:m=2048,n=2048,k=2048,dtype=fp32 \
  --problem 'attention:b=1,h=16,sq=2048,d=128,dtype=fp32|bf16,pass=fwd|bwd'

echo "=== 4. causal vs non-causal, s=4096"
"$tb" run --out "$out" --repetitions 5 --problem 'attention:b=1,h=16,sq=4096,d=128,causal=0|1,dtype=fp32'

echo "=== 5. peak resident memory, s=32768, h=1, d=128, forward"
/usr/bin/time -v "$tb" run --out "$out" --repetitions 3 --problem attention:b=1,h=1,sq=32768,d=128,dtype=fp32 \
  2> "$out/rss.txt"
grep -E "Maximum resident set size|Elapsed" "$out/rss.txt"
