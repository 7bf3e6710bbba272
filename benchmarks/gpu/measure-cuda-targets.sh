#!/usr/bin/env bash
# Issue 8's GPU targets in one short device call (docs/measurements.md, "GPU
# targets"): the GPU unit tests, then trainbench and PyTorch on the same card
# in the same session, and the ratios.
#
# Here:            cmake --build build && scripts/bundle-for-gpu.sh --tests
# On the GPU box:  benchmarks/gpu/measure-cuda-targets.sh [BUNDLE] [OUT]
#                  (BUNDLE default gpu-bundle; OUT default $OUT, else /tmp/tb-gpu)
#
# NVIDIA's libraries that trainbench loads at run time (cuBLASLt, cuDNN, NCCL)
# are taken from the CUDA toolkit there and from the nvidia-* Python packages
# next to PyTorch, whose lib/ folders go on the loader path.
#
# Writes to OUT: nvidia-smi.csv, unit-tests.log, trainbench.json (the result
# file), torch.jsonl, ratios.txt; prints the ratios.
set -uo pipefail
bundle="${1:-gpu-bundle}"
out="${2:-${OUT:-/tmp/tb-gpu}}"
mkdir -p "$out"
here="$(cd "$(dirname "$0")" && pwd)"

nvidia_libs="$(python3 - <<'PY'
import glob, importlib, os
dirs = []
for name in ("nvidia.cudnn", "nvidia.nccl", "nvidia.cublas", "nvidia.cu13"):
    try:
        module = importlib.import_module(name)
    except ImportError:
        continue
    for root in module.__path__:
        for d in [os.path.join(root, "lib")] + glob.glob(os.path.join(root, "**", "lib"), recursive=True):
            if os.path.isdir(d) and d not in dirs:
                dirs.append(d)
print(":".join(dirs))
PY
)"
export LD_LIBRARY_PATH="${nvidia_libs}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
echo "nvidia library folders: ${nvidia_libs:-none found}"

nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,clocks.mem,memory.total --format=csv \
  | tee "$out/nvidia-smi.csv"

echo "== GPU unit tests"
timeout 180 "$bundle/run.sh" --exe unit_tests \
  --gtest_filter='*Cuda*:*Cudnn*:*Nccl*:*CublasLt*:*Fp8*' 2>&1 | tee "$out/unit-tests.log" \
  | grep -E "^\[  (PASSED|FAILED|SKIPPED) |^\[  FAILED  \]|tests ran" 

echo "== trainbench"
timeout 180 "$bundle/run.sh" run --backend cuda --repetitions 10 \
  --problem gemm:m=8192,n=8192,k=8192,dtype=bf16 \
  --problem attention:b=4,h=32,sq=4096,d=128,causal=1,dtype=bf16,pass=fwd \
  --format json > "$out/trainbench.json" 2> "$out/trainbench.err"
echo "trainbench exit status $?"; tail -5 "$out/trainbench.err"

echo "== PyTorch"
timeout 120 python3 "$here/torch_baseline.py" --reps 20 | tee "$out/torch.jsonl"

python3 - "$out" <<'PY' | tee "$out/ratios.txt"
import json, sys
out = sys.argv[1]
torch = {r["what"]: r for r in map(json.loads, open(f"{out}/torch.jsonl"))}
ours = json.load(open(f"{out}/trainbench.json"))
device = ours["context"]["trainbench"]["device"]
print("card:", device.get("name"), "| torch:", next(iter(torch.values()))["torch"])
for r in ours["results"]:
    what = r["kernel"]
    t = r.get("time_s", {}).get("median")
    if r["status"] != "passed" or t is None:
        print(f"{r['problem']}: {r['status']} {r.get('reason', '')}")
        continue
    base = torch.get(what)
    ratio = base["median_ms"] * 1e-3 / t if base else float("nan")
    print(f"{r['problem']}: {t*1e3:.3f} ms, {r['flop_per_s']/1e12:.1f} TFLOP/s, "
          f"{100*(r.get('fraction_of_peak') or 0):.1f}% of spec peak; torch {base['median_ms']:.3f} ms; "
          f"speed vs torch {ratio:.3f}x; implementation: {r['implementation']}")
print("torch d2d copy:", f"{torch['copy']['bytes_per_s']/1e12:.2f} TB/s" if "copy" in torch else "n/a")
print("trainbench d2d copy:", device.get("properties", {}).get("d2d_copy_bandwidth", "n/a"),
      "| spec HBM:", device.get("memory_bandwidth_bytes_per_s"))
PY
