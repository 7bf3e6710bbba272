#!/usr/bin/env python3
"""Compiles trainbench problems into NEFF files and records them in the NEFF manifest.

Run on a Trainium (trn1/trn1n/trn2) host with the Neuron compiler and NKI in
the Python environment, and trainbench built (docs/neuron.md, "Compile the
NEFFs"). For each problem string (arguments, or lines of --problems-file) it
checks that the kernel covers the shape, builds seeded inputs with numpy,
compiles the NKI kernel, asks the Neuron runtime which tensors the NEFF
really has (`trainbench neff-info`: names, order, dtypes, shapes), and adds or
replaces the problem's manifest entry with those names. NEFF files go next to
the manifest.

  python3 src/backends/neuron/nki/compile_neffs.py --manifest src/backends/neuron/nki/manifest.json \
      'gemm:m=4096,n=4096,k=4096,dtype=bf16' \
      'attention:b=1,h=32,kvh=8,sq=2048,skv=2048,d=128,causal=1,dtype=bf16,pass=fwd'

Two NKI modules, chosen by the installed compiler (--nki-module overrides):
  nki         SDK 2.28 and later (neuronx-cc 2.23 and later): gemm_nki.py and
              attention_nki.py, wrapped with nki.jit and called with NumPy
              arrays in a child process whose NKI_ARTIFACTS_DIR (read when nki
              is imported) is a fresh folder; the NEFF is its kernel.neff.
              Written against SDK 2.28 to 2.30 (NKI 0.2.0 to 0.4.0).
  neuronxcc   SDK 2.27 and older (neuronx-cc 2.22 and older): the *_legacy.py
              kernels through neuronxcc.nki.baremetal(save_neff_name=...).
              Written against the SDK 2.26 API reference.
Both compile for --target (NEURON_PLATFORM_TARGET_OVERRIDE, and platform_target
for the legacy module) with LNC=1 (NEURON_LOGICAL_NC_CONFIG=1): our kernels run
on one physical NeuronCore, and the adapter runs the runtime with the
manifest's "lnc".

--neff FILE records an already compiled NEFF for one problem (its names read
as above) without compiling. --dry-run checks the problems and prints the
entries and compile settings without the Neuron SDK (works on any machine).

UNTESTED on Trainium: no Neuron SDK was reachable when this was written; the
dry run and --neff against trainbench's fake runtime are what has run.
"""

import argparse
import importlib.metadata
import json
import math
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import attention_nki  # noqa: E402  (the kernels import the SDK lazily)
import gemm_nki  # noqa: E402

MANIFEST_VERSION = 1
LNC = 1  # physical NeuronCores per logical core our kernels are compiled and run with
# The first neuronx-cc of SDK 2.28, the first release without official support for neuronxcc.nki.
NEW_MODULE_FROM_COMPILER = (2, 23)
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
    """Checks the kernel covers the problem; returns (inputs, outputs), inputs named after the kernel's arguments."""
    dt = f["dtype"]
    if kernel == "gemm":
        m, n, k = f["m"], f["n"], f["k"]
        gemm_nki.check_shape(m, n, k)
        # The kernel takes A^T [K, M] and B [K, N]: for ta=0 the adapter transposes
        # A on upload ("transposed"), for tb=1 it transposes B.
        inputs = [_tensor("a_t", dt, (k, m), "row-major" if f["ta"] else "transposed"),
                  _tensor("b", dt, (k, n), "transposed" if f["tb"] else "row-major")]
        outputs = [_tensor("c", dt, (m, n))]
        return inputs, outputs
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
    return inputs, outputs


def neff_name(canonical):
    return re.sub(r"[^A-Za-z0-9.]+", "_", canonical) + ".neff"


def compiler_version_text():
    """The installed neuronx-cc's version ("2.23.6484.0"), or None."""
    try:
        return importlib.metadata.version("neuronx-cc")
    except importlib.metadata.PackageNotFoundError:
        return None


def compiler_version():
    """The installed neuronx-cc version as a tuple of ints, or None."""
    try:
        return tuple(int(x) for x in compiler_version_text().split(".")[:2])
    except (AttributeError, ValueError):
        return None


def choose_module(requested):
    """'nki' or 'neuronxcc': as requested, else by the installed compiler's version."""
    if requested != "auto":
        return requested
    version = compiler_version()
    if version is None:
        raise RuntimeError("neuronx-cc is not installed in this Python environment (docs/neuron.md, step 2); "
                           "or pass --nki-module")
    return "nki" if version >= NEW_MODULE_FROM_COMPILER else "neuronxcc"


def kernel_for(kernel, fields, module):
    """The kernel function for a problem: its arguments are the NEFF's inputs, by name."""
    if kernel == "gemm":
        if module == "nki":
            return gemm_nki.gemm_kernel
        import gemm_nki_legacy
        return gemm_nki_legacy.gemm_kernel
    source = attention_nki
    if module != "nki":
        import attention_nki_legacy
        source = attention_nki_legacy
    return source.kernel(fields["pass"] == "fwdbwd", fields["scale"], fields["causal"])


def compile_settings(target):
    """The environment every compile runs with (set before the SDK is imported)."""
    return {"NEURON_PLATFORM_TARGET_OVERRIDE": target, "NEURON_LOGICAL_NC_CONFIG": str(LNC)}


def seeded_inputs(inputs):
    """Uniform [-1, 1) arrays for the planned inputs (never zeros), in their dtypes."""
    import numpy as np
    np_dtype = {"fp32": np.float32, "fp16": np.float16}
    if any(t["dtype"] == "bf16" for t in inputs):
        import ml_dtypes  # numpy has no bfloat16; NKI accepts ml_dtypes.bfloat16 arrays
        np_dtype["bf16"] = ml_dtypes.bfloat16
    rng = np.random.default_rng(1)
    return [rng.uniform(-1.0, 1.0, t["shape"]).astype(np_dtype[t["dtype"]]) for t in inputs]


def compile_worker(problem, module, target, neff_path):
    """In a child process: compiles one problem's kernel into neff_path; prints the compiler version."""
    kernel, fields, _ = parse_problem(problem)
    inputs, _ = plan(kernel, fields)
    arrays = seeded_inputs(inputs)
    fn = kernel_for(kernel, fields, module)
    if module == "nki":
        import nki  # after NKI_ARTIFACTS_DIR was set by the parent
        try:
            nki.jit(fn)(*arrays)  # compiles standalone, then runs; the NEFF stays when running fails
        except Exception as e:  # noqa: BLE001  (a host without a free NeuronCore still gets its NEFF)
            print(f"note: running the kernel after compiling failed: {type(e).__name__}: {e}", file=sys.stderr)
        folder = os.environ["NKI_ARTIFACTS_DIR"]
        found = [os.path.join(d, f) for d, _, files in os.walk(folder) for f in files if f.endswith(".neff")]
        preferred = [f for f in found if os.path.basename(f) == "kernel.neff"] or found
        if not preferred:
            raise RuntimeError(f"nki.jit wrote no NEFF under NKI_ARTIFACTS_DIR={folder}")
        shutil.copyfile(preferred[0], neff_path)
    else:
        from neuronxcc import nki
        artifacts = os.environ["NKI_ARTIFACTS_DIR"]  # fresh and empty, as baremetal requires; the parent removes it
        nki.baremetal(save_neff_name=neff_path, artifacts_dir=artifacts, platform_target=target)(fn)(*arrays)
        if not os.path.isfile(neff_path):
            raise RuntimeError(f"nki.baremetal wrote no NEFF at {neff_path}")
    print(f"neuronx-cc {compiler_version_text() or '(not installed as a package)'}")


def compile_neff(problem, module, target, neff_path):
    """Compiles in a child process (NKI reads its artifacts folder when imported); returns the compiler text."""
    artifacts = tempfile.mkdtemp(prefix="trainbench-nki-artifacts-")
    env = dict(os.environ, **compile_settings(target), NKI_ARTIFACTS_DIR=artifacts)
    try:
        done = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", problem, "--nki-module", module,
                               "--target", target, "--worker-neff", neff_path],
                              env=env, capture_output=True, text=True, check=False)
    finally:
        shutil.rmtree(artifacts, ignore_errors=True)
    sys.stderr.write(done.stderr)
    if done.returncode != 0:
        raise RuntimeError(f"compiling failed (exit {done.returncode}): {done.stderr.strip().splitlines()[-1:]}")
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "neuronx-cc (version unknown)"


# --- the NEFF's real tensor names ---

def neff_tensors(trainbench, neff_path, runtime):
    """The NEFF's tensors as the Neuron runtime reports them (`trainbench neff-info`)."""
    argv = [trainbench, "neff-info", neff_path, "--lnc", str(LNC)] + (["--neuron-runtime", runtime] if runtime else [])
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed: {done.stderr.strip()}")
    return json.loads(done.stdout)["tensors"]


def bind_names(inputs, outputs, arg_names, tensors):
    """The planned inputs and outputs with the NEFF's own names: inputs by the kernel's
    argument names, outputs in return order (output_0, output_1, ... or the planned
    names); each checked for dtype and shape. Raises ValueError listing the NEFF's tensors."""
    listing = "; ".join(f"{t['usage']} '{t['name']}' {t['dtype']} {t['shape']}" for t in tensors)
    neff_in = {t["name"]: t for t in tensors if t["usage"] == "input"}
    neff_out = [t for t in tensors if t["usage"] == "output"]
    if sorted(neff_in) != sorted(arg_names):
        raise ValueError(f"the NEFF's inputs are not the kernel's arguments ({', '.join(arg_names)}): it has {listing}")
    numbered = [re.fullmatch(r"output_?([0-9]+)", t["name"]) for t in neff_out]
    if neff_out and all(numbered):
        neff_out = [t for _, t in sorted(zip((int(m.group(1)) for m in numbered), neff_out), key=lambda p: p[0])]
    elif sorted(t["name"] for t in neff_out) == sorted(t["name"] for t in outputs):
        by_name = {t["name"]: t for t in neff_out}
        neff_out = [by_name[t["name"]] for t in outputs]
    else:
        raise ValueError(f"cannot tell which NEFF output is which (expected {len(outputs)} named output_0.. or "
                         f"{', '.join(t['name'] for t in outputs)}): it has {listing}")
    if len(neff_out) != len(outputs):
        raise ValueError(f"the NEFF has {len(neff_out)} outputs, the problem {len(outputs)}: it has {listing}")
    bound = []
    for planned, actual in list(zip(inputs, (neff_in[a] for a in arg_names))) + list(zip(outputs, neff_out)):
        if actual["dtype"] != planned["dtype"] or list(actual["shape"]) != list(planned["shape"]):
            raise ValueError(f"NEFF {actual['usage']} '{actual['name']}' is {actual['dtype']} {actual['shape']}, "
                             f"the problem's {planned['name']} is {planned['dtype']} {planned['shape']}: it has {listing}")
        bound.append(dict(planned, name=actual["name"]))
    return bound[:len(inputs)], bound[len(inputs):]


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
        return {"manifest_version": MANIFEST_VERSION, "target": target, "lnc": LNC, "neffs": []}
    with open(path) as f:
        doc = json.load(f)
    if doc.get("manifest_version") != MANIFEST_VERSION:
        sys.exit(f"{path}: manifest_version {doc.get('manifest_version')!r}; this script writes {MANIFEST_VERSION}")
    if doc.get("neffs") and doc.get("target") != target:
        sys.exit(f"{path} holds NEFFs for target {doc.get('target')!r}, not {target!r}: use another --manifest")
    if doc.get("neffs") and doc.get("lnc", 1) != LNC:
        sys.exit(f"{path} holds NEFFs for LNC={doc.get('lnc')}, this script compiles for LNC={LNC}: use another --manifest")
    doc["target"] = target
    doc["lnc"] = LNC
    return doc


def write_manifest(path, doc):
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".manifest.", suffix=".json")
    with os.fdopen(fd, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


def default_trainbench(here):
    """$TRAINBENCH, else build/trainbench of this source tree."""
    return os.environ.get("TRAINBENCH") or os.path.join(here, "..", "..", "..", "..", "build", "trainbench")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("problems", nargs="*", help="problem strings (gemm or attention)")
    ap.add_argument("--problems-file", help="a file with one problem string per line ('#' starts a comment)")
    ap.add_argument("--manifest", default=os.path.join(here, "manifest.json"), help="manifest to create or update")
    ap.add_argument("--target", help="trn1, trn1n or trn2 (default: this instance's type, from its DMI product name)")
    ap.add_argument("--nki-module", choices=("auto", "nki", "neuronxcc"), default="auto",
                    help="nki (SDK 2.28+) or neuronxcc (SDK 2.27 and older); default: by the installed neuronx-cc")
    ap.add_argument("--neff", help="record this already compiled NEFF for the one problem given; compile nothing")
    ap.add_argument("--trainbench", default=default_trainbench(here),
                    help="the trainbench executable that reads the NEFF's tensors (default: $TRAINBENCH, build/trainbench)")
    ap.add_argument("--neuron-runtime", help="passed to trainbench neff-info (default: its own search)")
    ap.add_argument("--dry-run", action="store_true", help="check and print the entries; compile and write nothing")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--worker-neff", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        compile_worker(args.worker, args.nki_module, args.target, args.worker_neff)
        return 0

    problems = list(args.problems)
    if args.problems_file:
        with open(args.problems_file) as f:
            problems += [ln.split("#")[0].strip() for ln in f if ln.split("#")[0].strip()]
    if not problems:
        ap.error("no problem strings given")
    if args.neff and len(problems) != 1:
        ap.error("--neff records one NEFF: give exactly one problem string")
    target = args.target or detect_target() or ("trn1" if args.dry_run or args.neff else None)
    if target is None:
        sys.exit("cannot tell the instance type: pass --target trn1|trn1n|trn2")
    module = None if args.dry_run or args.neff else choose_module(args.nki_module)

    manifest = load_manifest(args.manifest, target)
    folder = os.path.dirname(os.path.abspath(args.manifest))
    failures = 0
    for text in problems:
        try:
            kernel, fields, canonical = parse_problem(text)
            inputs, outputs = plan(kernel, fields)
            arg_names = [t["name"] for t in inputs]  # plan() names inputs after the kernels' arguments
            entry = {"problem": canonical, "neff": neff_name(canonical), "compiled_with": "dry run",
                     "inputs": inputs, "outputs": outputs}
            if args.dry_run:
                entry["compile_settings"] = dict(compile_settings(target), module=args.nki_module)
                print(json.dumps(entry, indent=2))
                continue
            if args.neff:
                entry["neff"] = os.path.relpath(os.path.abspath(args.neff), folder)
                neff_path = os.path.abspath(args.neff)
                entry["compiled_with"] = f"recorded from {args.neff}; target {target}, LNC {LNC}"
            else:
                neff_path = os.path.join(folder, entry["neff"])
                compiler = compile_neff(canonical, module, target, neff_path)
                entry["compiled_with"] = (f"{compiler}; NKI module {module}; src/backends/neuron/nki/"
                                          f"{kernel}_nki{'' if module == 'nki' else '_legacy'}.py; target {target}, "
                                          f"LNC {LNC}")
            tensors = neff_tensors(args.trainbench, neff_path, args.neuron_runtime)
            entry["inputs"], entry["outputs"] = bind_names(inputs, outputs, arg_names, tensors)
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
