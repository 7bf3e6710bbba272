"""PyTorch baselines for issue 8's CUDA targets, timed like trainbench times.

Runs on the GPU machine (its python3 holds PyTorch); trainbench itself is C++,
this script only measures the framework we are compared with:
  gemm       torch.matmul, bf16, M=N=K=8192 (row-major A[M,K] @ B[K,N])
  attention  torch.nn.functional.scaled_dot_product_attention, bf16,
             [b,h,s,d] = [4,32,4096,128], is_causal=True, forward only
  copy       device-to-device copy of 1 GiB (bytes read + written per second)

Method (docs/measurements.md "GPU targets"): seeded random normal inputs
(never zeros), 3 warm-up calls, then REPS calls each timed with its own pair
of CUDA events on the current stream; the median and the 10th/90th
percentiles of those times are printed as one JSON object per line:
  {"what": "gemm", "median_ms": ..., "p10_ms": ..., "p90_ms": ..., "reps": ..., "backend": ...}

usage: python3 torch_baseline.py [--reps 20] [--only gemm,attention,copy]
"""
import argparse
import json
import statistics

import torch
import torch.nn.functional as F


def timed(fn, reps):
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        start = torch.cuda.Event(enable_timing=True)
        stop = torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        stop.record()
        stop.synchronize()
        times.append(start.elapsed_time(stop))
    times.sort()
    q = statistics.quantiles(times, n=10, method="inclusive")
    return {"median_ms": statistics.median(times), "p10_ms": q[0], "p90_ms": q[-1], "reps": reps}


def gemm(reps):
    g = torch.Generator(device="cuda").manual_seed(1)
    a = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16, generator=g)
    b = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16, generator=g)
    r = timed(lambda: torch.matmul(a, b), reps)
    r["tflop_per_s"] = 2 * 8192**3 / (r["median_ms"] * 1e-3) / 1e12
    return r


def attention(reps):
    g = torch.Generator(device="cuda").manual_seed(2)
    shape = (4, 32, 4096, 128)
    q, k, v = (torch.randn(shape, device="cuda", dtype=torch.bfloat16, generator=g) for _ in range(3))
    return timed(lambda: F.scaled_dot_product_attention(q, k, v, is_causal=True), reps)


def copy(reps):
    n = 1 << 30
    src = torch.randint(0, 255, (n,), device="cuda", dtype=torch.uint8)
    dst = torch.empty_like(src)
    r = timed(lambda: dst.copy_(src), reps)
    r["bytes_per_s"] = 2 * n / (r["median_ms"] * 1e-3)
    return r


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--only", default="gemm,attention,copy")
    args = parser.parse_args()
    device = torch.cuda.get_device_name(0)
    for what in args.only.split(","):
        result = {"gemm": gemm, "attention": attention, "copy": copy}[what](args.reps)
        result.update({"what": what, "device": device, "torch": torch.__version__})
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
