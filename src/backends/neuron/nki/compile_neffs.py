#!/usr/bin/env python3
"""Compiles trainbench problems into NEFF files and records them in the NEFF manifest.

Run on a Trainium (trn1/trn1n/trn2) host with the Neuron SDK's NKI in the
Python environment (docs/neuron.md). For each problem string (arguments, or
lines of --problems-file) it builds inputs with numpy, compiles the NKI kernel
(gemm_nki.py or attention_nki.py) with nki.benchmark(save_neff_name=...), which
also runs it a few times, and adds or replaces the problem's entry in the
manifest (format: docs/neuron.md, "The NEFF manifest"). NEFF files go next to
the manifest.

  python3 src/backends/neuron/nki/compile_neffs.py --manifest src/backends/neuron/nki/manifest.json \
      'gemm:m=4096,n=4096,k=4096,dtype=bf16' \
      'attention:b=1,h=32,kvh=8,sq=2048,skv=2048,d=128,causal=1,dtype=bf16,pass=fwd'

--dry-run checks the problems and prints the manifest entries without the
Neuron SDK (works on any machine).

UNTESTED on Trainium: no Neuron SDK was reachable when this was written; the
dry run is the only part that has been executed.
"""

import argparse
import json
import math
import os
import re
import struct
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import attention_nki  # noqa: E402  (the kernels import neuronxcc lazily)
import gemm_nki  # noqa: E402

MANIFEST_VERSION = 1
DTYPES = ("fp32", "bf16", "fp16")
SUFFIX = {"": 1, "K": 1024, "M": 1024 ** 2, "G": 1024 ** 3}


# --- problem strings (docs/problem-strings.md), gemm and attention only ---

def _size(key, value, lo, hi):
    m = re.fullmatch(r"([0-9]+)([KMG]?)", value)
    if not m:
        raise ValueError(f"'{key}={value}' is not a size")
    n = int(m.group(1)) * SUFFIX[m.group(2)]
    if not lo <= n <= hi:
        raise ValueError(f"'{key}={n}' is out of range: expected {lo} to {hi}")
    return n


def _decimal(key, value, lo, hi):
    if not re.fullmatch(r"([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?", value):
        raise ValueError(f"'{key}={value}' is not a decimal number (e.g. 0.125 or 1e-3)")
    x = float(value)
    if not lo <= x <= hi:
        raise ValueError(f"'{key}={value}' is out of range: expected {lo:g} to {hi:g}")
    return x


def _choice(key, value, allowed):
    if value not in allowed:
        raise ValueError(f"'{key}={value}' is not one of {', '.join(allowed)}")
    return value


def parse_problem(text):
    """Returns (kernel, fields, canonical string); raises ValueError."""
    kernel, sep, rest = text.partition(":")
    if not sep:
        raise ValueError(f"'{text}' is not a problem string (kernel:key=value,...)")
    kv = {}
    for item in rest.split(",") if rest else []:
        key, eq, value = item.partition("=")
        if not eq or key in kv:
            raise ValueError(f"'{item}' is not a new key=value pair")
        kv[key] = value
    if kernel == "gemm":
        known = {"m", "n", "k", "ta", "tb", "dtype"}
        f = {key: _size(key, kv[key], 1, 2 ** 31 - 1) for key in ("m", "n", "k") if key in kv}
        if len(f) < 3:
            raise ValueError("gemm problem needs m, n and k")
        f["ta"] = _choice("ta", kv.get("ta", "0"), ("0", "1")) == "1"
        f["tb"] = _choice("tb", kv.get("tb", "0"), ("0", "1")) == "1"
        f["dtype"] = _choice("dtype", kv.get("dtype", "fp32"), DTYPES)
        canonical = (f"gemm:m={f['m']},n={f['n']},k={f['k']}" + (",ta=1" if f["ta"] else "") +
                     (",tb=1" if f["tb"] else "") + f",dtype={f['dtype']}")
    elif kernel == "attention":
        known = {"b", "h", "kvh", "sq", "skv", "d", "causal", "dtype", "pass", "scale"}
        f = {key: _size(key, kv[key], 1, 2 ** 20) for key in ("b", "h", "sq", "d") if key in kv}
        if len(f) < 4:
            raise ValueError("attention problem needs b, h, sq and d")
        f["kvh"] = _size("kvh", kv["kvh"], 1, 2 ** 20) if "kvh" in kv else f["h"]
        f["skv"] = _size("skv", kv["skv"], 1, 2 ** 20) if "skv" in kv else f["sq"]
        f["causal"] = _choice("causal", kv.get("causal", "0"), ("0", "1")) == "1"
        f["dtype"] = _choice("dtype", kv.get("dtype", "fp32"), DTYPES)
        f["pass"] = _choice("pass", kv.get("pass", "fwd"), ("fwd", "bwd", "fwdbwd"))
        # The scale is a float32, printed with %.9g, like trainbench's.
        scale = _decimal("scale", kv["scale"], 1e-7, 1e6) if "scale" in kv else 1.0 / math.sqrt(f["d"])
        f["scale"] = struct.unpack("f", struct.pack("f", scale))[0]
        canonical = (f"attention:b={f['b']},h={f['h']},kvh={f['kvh']},sq={f['sq']},skv={f['skv']},d={f['d']},"
                     f"causal={int(f['causal'])},dtype={f['dtype']},pass={f['pass']}" +
                     (f",scale={f['scale']:.9g}" if "scale" in kv else ""))
    else:
        raise ValueError(f"kernel '{kernel}' has no NKI kernel here (gemm and attention only)")
    unknown = sorted(set(kv) - known)
    if unknown:
        raise ValueError(f"unknown key '{unknown[0]}' for kernel {kernel}")
    return kernel, f, canonical


# --- what each NEFF takes and returns, as the manifest records it ---

def _tensor(name, dtype, shape, layout="row-major"):
    return {"name": name, "dtype": dtype, "shape": list(shape), "layout": layout}


def plan(kernel, f):
    """Checks the kernel covers the problem; returns (inputs, outputs, kernel args)."""
    dt = f["dtype"]
    if kernel == "gemm":
        m, n, k = f["m"], f["n"], f["k"]
        gemm_nki.check_shape(m, n, k)
        # The kernel takes A^T [K, M] and B [K, N]: for ta=0 the adapter transposes
        # A on upload ("transposed"), for tb=1 it transposes B.
        inputs = [_tensor("a_t", dt, (k, m), "row-major" if f["ta"] else "transposed"),
                  _tensor("b", dt, (k, n), "transposed" if f["tb"] else "row-major")]
        outputs = [_tensor("c", dt, (m, n))]
        return inputs, outputs, {}
    b, h, kvh, sq, skv, d = f["b"], f["h"], f["kvh"], f["sq"], f["skv"], f["d"]
    if f["pass"] == "bwd":
        raise ValueError("pass=bwd has no NEFF: a NEFF only gets q, k, v and do, so it would time a hidden "
                         "forward too; compile pass=fwdbwd instead")
    backward = f["pass"] == "fwdbwd"
    attention_nki.check_shape(b, h, kvh, sq, skv, d, f["causal"], backward)
    inputs = [_tensor("q_t", dt, (b, h, d, sq), "transposed"),
              _tensor("k_t", dt, (b, kvh, d, skv), "transposed"),
              _tensor("v", dt, (b, kvh, skv, d))]
    outputs = [_tensor("o", dt, (b, h, sq, d)), _tensor("lse", "fp32", (b, h, sq))]
    if backward:
        inputs.append(_tensor("do", dt, (b, h, sq, d)))
        outputs += [_tensor("dq", dt, (b, h, sq, d)), _tensor("dk", dt, (b, kvh, skv, d)),
                    _tensor("dv", dt, (b, kvh, skv, d))]
    return inputs, outputs, {"scale": f["scale"], "causal": f["causal"]}


def neff_name(canonical):
    return re.sub(r"[^A-Za-z0-9.]+", "_", canonical) + ".neff"


def compile_neff(kernel, inputs, kwargs, neff_path, warmup, iters):
    """Compiles (and benchmarks) the kernel with nki.benchmark; returns the compiler version."""
    import numpy as np
    from neuronxcc import nki
    import neuronxcc
    np_dtype = {"fp32": np.float32, "fp16": np.float16}
    if any(t["dtype"] == "bf16" for t in inputs):
        import ml_dtypes  # numpy has no bfloat16; NKI accepts ml_dtypes.bfloat16 arrays
        np_dtype["bf16"] = ml_dtypes.bfloat16
    rng = np.random.default_rng(1)
    arrays = [rng.uniform(-1.0, 1.0, t["shape"]).astype(np_dtype[t["dtype"]]) for t in inputs]
    fn = gemm_nki.gemm_kernel if kernel == "gemm" else (
        attention_nki.flash_fwdbwd if len(inputs) == 4 else attention_nki.flash_fwd)
    nki.benchmark(warmup=warmup, iters=iters, save_neff_name=neff_path)(fn)(*arrays, **kwargs)
    if not os.path.isfile(neff_path):
        raise RuntimeError(f"nki.benchmark wrote no NEFF at {neff_path}")
    return f"neuronx-cc {getattr(neuronxcc, '__version__', 'unknown')}; src/backends/neuron/nki/{fn.__module__}.py:{fn.__name__}"


# --- the manifest ---

def detect_target():
    """trn1, trn1n, trn2 ... from the DMI product name (e.g. trn1.32xlarge), or None."""
    try:
        with open("/sys/devices/virtual/dmi/id/product_name") as f:
            family = f.read().strip().split(".")[0]
    except OSError:
        return None
    return family if re.fullmatch(r"(trn|inf)[0-9]+n?", family) else None


def load_manifest(path, target):
    if not os.path.exists(path):
        return {"manifest_version": MANIFEST_VERSION, "target": target, "neffs": []}
    with open(path) as f:
        doc = json.load(f)
    if doc.get("manifest_version") != MANIFEST_VERSION:
        sys.exit(f"{path}: manifest_version {doc.get('manifest_version')!r}; this script writes {MANIFEST_VERSION}")
    if doc.get("neffs") and doc.get("target") != target:
        sys.exit(f"{path} holds NEFFs for target {doc.get('target')!r}, not {target!r}: use another --manifest")
    doc["target"] = target
    return doc


def write_manifest(path, doc):
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".manifest.", suffix=".json")
    with os.fdopen(fd, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("problems", nargs="*", help="problem strings (gemm or attention)")
    ap.add_argument("--problems-file", help="a file with one problem string per line ('#' starts a comment)")
    ap.add_argument("--manifest", default=os.path.join(here, "manifest.json"), help="manifest to create or update")
    ap.add_argument("--target", help="trn1, trn1n or trn2 (default: this instance's type)")
    ap.add_argument("--warmup", type=int, default=2, help="nki.benchmark warm-up runs")
    ap.add_argument("--iters", type=int, default=10, help="nki.benchmark timed runs")
    ap.add_argument("--dry-run", action="store_true", help="check and print the entries; compile and write nothing")
    args = ap.parse_args()

    problems = list(args.problems)
    if args.problems_file:
        with open(args.problems_file) as f:
            problems += [ln.split("#")[0].strip() for ln in f if ln.split("#")[0].strip()]
    if not problems:
        ap.error("no problem strings given")
    target = args.target or detect_target() or ("trn1" if args.dry_run else None)
    if target is None:
        sys.exit("cannot tell the instance type: pass --target trn1|trn1n|trn2")

    manifest = load_manifest(args.manifest, target)
    folder = os.path.dirname(os.path.abspath(args.manifest))
    failures = 0
    for text in problems:
        try:
            kernel, fields, canonical = parse_problem(text)
            inputs, outputs, kwargs = plan(kernel, fields)
            entry = {"problem": canonical, "neff": neff_name(canonical), "compiled_with": "dry run",
                     "inputs": inputs, "outputs": outputs}
            if args.dry_run:
                print(json.dumps(entry, indent=2))
                continue
            entry["compiled_with"] = compile_neff(kernel, inputs, kwargs, os.path.join(folder, entry["neff"]),
                                                  args.warmup, args.iters) + f"; target {target}"
        except Exception as e:  # one bad problem does not stop the others
            print(f"{text}: {e}", file=sys.stderr)
            failures += 1
            continue
        manifest["neffs"] = [n for n in manifest["neffs"] if n["problem"] != canonical] + [entry]
        write_manifest(args.manifest, manifest)  # after each NEFF: a later failure keeps what was done
        print(f"{canonical}: {entry['neff']}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
