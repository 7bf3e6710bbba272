#!/usr/bin/env bash
# Measures the foundation targets on this machine (docs/measurements.md):
#  1. harness overhead: fp32 GEMM 4096^3 through the backend path vs a direct
#     cblas_sgemm loop, one process, interleaved repetitions;
#  2. fp32 and bf16 GEMM 4096^3 through `trainbench run`;
# each under three OpenBLAS environments: as inherited, OPENBLAS_CORETYPE and
# OPENBLAS_L2_SIZE unset (native kernel), and OPENBLAS_CORETYPE=Haswell.
# Usage: benchmarks/measure-targets.sh [BUILD_DIR]   (results under results/targets/)
set -euo pipefail
build=${1:-build}
out=results/targets
mkdir -p "$out"

median_flops() {  # the FLOP/s counter of a benchmark's median line in GB console output
  awk -v name="$1" '$1 ~ name && $1 ~ /_median$/ { for (i = 1; i <= NF; i++) if ($i ~ /^FLOP\/s=/) { sub("FLOP/s=", "", $i); print $i } }'
}

for mode in inherited unset haswell; do
  case $mode in
    inherited) envcmd=(env) ;;
    unset)     envcmd=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE) ;;
    haswell)   envcmd=(env OPENBLAS_CORETYPE=Haswell) ;;
  esac
  echo "=== OpenBLAS environment: $mode (OPENBLAS_CORETYPE=$("${envcmd[@]}" sh -c 'echo ${OPENBLAS_CORETYPE:-unset}'), OPENBLAS_L2_SIZE=$("${envcmd[@]}" sh -c 'echo ${OPENBLAS_L2_SIZE:-unset}'))"
  log="$out/overhead-$mode.txt"
  "${envcmd[@]}" "$build/gemm_overhead_bench" --benchmark_filter='/4096/' --benchmark_repetitions=5 \
    --benchmark_enable_random_interleaving=true --benchmark_report_aggregates_only=true | tee "$log"
  direct=$(median_flops BM_DirectSgemm < "$log")
  harness=$(median_flops BM_HarnessSgemm < "$log")
  echo "harness/direct (median FLOP/s): $harness / $direct"
  "${envcmd[@]}" "$build/trainbench" run --backend cpu --repetitions 5 --out "$out" \
    --problem gemm:m=4096,n=4096,k=4096,dtype=fp32 --problem gemm:m=4096,n=4096,k=4096,dtype=bf16
done
