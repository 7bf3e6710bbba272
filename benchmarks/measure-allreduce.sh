#!/usr/bin/env bash
# Measures the all-reduce targets on this machine (docs/measurements.md):
#  1. threads transport, 2 ranks, 64 MB fp32: busbw against the memcpy
#     bandwidth the CPU backend measures at start-up in the same run;
#  2. MPI transport, 2 processes, 1 MB to 64 MB fp32: our ring's busbw against
#     Open MPI's MPI_Allreduce, both in the same mpirun;
#  3. correctness sweep: ranks 2, 3, 4 (threads) and 2, 3 (MPI), every dtype,
#     sizes not divisible by the ranks, zero wrong elements required.
# Usage: benchmarks/measure-allreduce.sh [BUILD_DIR]   (results under results/allreduce/)
set -euo pipefail
build=${1:-build}
out=results/allreduce
mkdir -p "$out"
tb="$build/trainbench"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpirun=(mpirun --oversubscribe)

# Rows of the nccl-tests table: size count type redop ranks algo transport
# time algbw busbw #wrong (out-of-place) time algbw busbw #wrong (in-place).
rows() { grep -E '^ +[0-9]+ +[0-9]+ ' || true; }

echo "=== 1. threads, 2 ranks, 64 MB fp32 vs memcpy (same run)"
"$tb" run --out "$out" --repetitions 9 --problem 'allreduce:bytes=64M,ranks=2,dtype=fp32' | tee "$out/threads.txt"
copy=$(sed -n 's/.*the larger of 1 thread (\([0-9.]*\) GB\/s) and \([0-9]*\) threads (\([0-9.]*\) GB\/s).*/\1 \3/p' "$out/threads.txt")
rows < "$out/threads.txt" | awk -v copy="$copy" '{
  split(copy, c, " "); best = c[1] > c[2] ? c[1] : c[2];
  printf "busbw out-of-place %.2f GB/s, in-place %.2f GB/s; memcpy 1 thread %.2f GB/s, all threads %.2f GB/s\n", $10, $14, c[1], c[2];
  printf "ratio to the larger memcpy bandwidth: out-of-place %.0f%%, in-place %.0f%% (target >= 50%%)\n", 100*$10/best, 100*$14/best }'

echo "=== 2. MPI, 2 processes, ring vs MPI_Allreduce, 1 MB .. 64 MB fp32 (three runs: loopback is noisy)"
for run in 1 2 3; do
  "${mpirun[@]}" -np 2 "$tb" run --out "$out" --repetitions 9 \
    --problem 'allreduce:bytes=1M:64M:*2,ranks=2,dtype=fp32,algo=ring|mpi' > "$out/mpi-$run.txt"
  echo "run $run: busbw (GB/s)"
  rows < "$out/mpi-$run.txt" | awk '
    $6 == "ring" { ring_out[$1] = $10; ring_in[$1] = $14 }
    $6 == "mpi"  { mpi_out[$1] = $10; mpi_in[$1] = $14 }
    END {
      printf "%12s %10s %10s %8s %10s %10s %8s\n", "size(B)", "ring", "MPI", "ratio", "ring-in", "MPI-in", "ratio"
      for (s in ring_out) printf "%12d %10.3f %10.3f %8.2f %10.3f %10.3f %8.2f\n", s, ring_out[s], mpi_out[s], ring_out[s]/mpi_out[s], ring_in[s], mpi_in[s], ring_in[s]/mpi_in[s] | "sort -n"
    }'
done

echo "=== 3. zero wrong elements: ranks, dtypes, odd sizes"
"$tb" run --out "$out" --repetitions 2 --min-time 0.01 \
  --problem 'allreduce:bytes=4|12|1028|300000|1000008,ranks=2|3|4,dtype=fp32' \
  --problem 'allreduce:bytes=2|6|1030|300002|1000006,ranks=2|3|4,dtype=bf16|fp16,op=sum|max' | grep -E "Out of bounds|error"
for np in 2 3; do
  "${mpirun[@]}" -np "$np" "$tb" run --out "$out" --repetitions 2 --min-time 0.01 \
    --problem "allreduce:bytes=4|12|1028|300000|1000008,ranks=$np,dtype=fp32,algo=ring|mpi" \
    --problem "allreduce:bytes=2|6|1030|300002,ranks=$np,dtype=bf16|fp16,algo=ring|mpi" | grep -E "Out of bounds|error"
done
