#!/usr/bin/env bash
# Measures the nightly-tracking targets on this machine (docs/measurements.md, "Nightly tracking"):
#  1. `trainbench history import` of 10,000 measurements (200 result files x 50 problems x 10 samples)
#     into a new database (target: under 2 s), then the same files again (all duplicates);
#  2. `trainbench report` over a year of nightly history (365 runs x 50 problems; target: under 3 s),
#     and `trainbench regressions` over the same history;
#  3. the change-point detector on 100 synthetic series (50 with a 10% step, 50 without, 5% noise),
#     10 trials (target: >= 90% of steps found within 2 points, <= 5% false alarms).
# Each wall time is the median of REPS runs (default 5). Usage: benchmarks/measure-history.sh [BUILD_DIR] [REPS]
set -euo pipefail
build=${1:-build}
reps=${2:-5}
tb="$build/trainbench"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# One real result file as the template of the synthetic ones.
"$tb" run --problem gemm:m=64,n=64,k=64 --repetitions 3 --min-time 0.01 --warmup-time 0 --out "$work/template" \
  --format json > /dev/null
template=$(ls "$work"/template/*.json)

median_ms() {  # median of the wall times (ms) of "$@" run $reps times, each after `rm -f $db`
  local times=()
  for _ in $(seq "$reps"); do
    rm -f "$db"
    local start end
    start=$(date +%s%N)
    "$@" > /dev/null
    end=$(date +%s%N)
    times+=($(( (end - start) / 1000000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)] " ms (runs: " NR ", min " a[1] ", max " a[NR] ")"}'
}

echo "=== 1. import of 200 files x 50 problems x 10 samples = 10,000 measurements"
"$build/synthetic_history" "$template" "$work/import" 200 50 10 1
db="$work/import.db"
echo "import, new database: $(median_ms "$tb" history import --db "$db" "$work"/import/*.json)"
"$tb" history import --db "$db" "$work"/import/*.json > /dev/null
start=$(date +%s%N)
"$tb" history import --db "$db" "$work"/import/*.json | tail -1
echo "import again (all duplicates): $(( ($(date +%s%N) - start) / 1000000 )) ms"
ls -l "$db" | awk '{print "database size: " $5 " bytes"}'

echo "=== 2. report over 365 runs x 50 problems"
"$build/synthetic_history" "$template" "$work/year" 365 50 10 2
db="$work/year.db"
"$tb" history import --db "$db" "$work"/year/*.json | tail -1
times=()
for _ in $(seq "$reps"); do
  start=$(date +%s%N)
  "$tb" report --db "$db" --since all -o "$work/report.html" > /dev/null
  times+=($(( ($(date +%s%N) - start) / 1000000 )))
done
printf 'report: %s\n' "$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)] " ms median of " NR " (min " a[1] ", max " a[NR] ")"}')"
ls -l "$work/report.html" | awk '{print "report size: " $5 " bytes"}'
start=$(date +%s%N)
"$tb" regressions --db "$db" --since all | tail -1 || true
echo "regressions: $(( ($(date +%s%N) - start) / 1000000 )) ms"

echo "=== 3. change-point detector accuracy"
"$build/change_point_accuracy" --series 100 --length 60 --noise 0.05 --step 0.10 --trials 10
