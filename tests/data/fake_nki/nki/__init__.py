"""A stand-in for AWS's ``nki`` module, for testing compile_neffs.py without the Neuron SDK.

It implements only what compile_neffs.py's compile path uses: ``nki.jit(fn)``
called with NumPy arrays "compiles" by writing a fake NEFF (the format the
tests' fake runtime loads, tests/fake_nrt/fake_nrt.h) to
``$NKI_ARTIFACTS_DIR/kernel.neff``, naming the inputs after ``fn``'s
arguments and the outputs output_0, output_1, ... as AWS's NEFF debugging
tutorial shows an NKI-compiled NEFF does. The kernel body is not traced.

Environment (set by the test):
  FAKE_NKI_PROBLEM     the canonical problem string the fake NEFF runs
  FAKE_NKI_OUTPUTS     ';'-separated "<dtype> <dim,dim,...>" of each output, in return order
  FAKE_NKI_TRANSPOSED  ','-separated argument names stored transposed
  FAKE_NKI_LOG         where to write what the compile saw: the target, LNC and
                       artifacts folder from the environment, and the arguments
"""

import inspect
import os

__version__ = "0.0-fake"

_DTYPES = {"float32": "fp32", "float16": "fp16", "bfloat16": "bf16"}


def _shape(shape):
    return ",".join(str(d) for d in shape)


def jit(fn):
    def compile_and_run(*arrays):
        names = list(inspect.signature(fn).parameters)
        transposed = set(filter(None, os.environ.get("FAKE_NKI_TRANSPOSED", "").split(",")))
        lines = ["FAKE-NEFF 1", "kernel " + os.environ["FAKE_NKI_PROBLEM"]]
        for name, a in zip(names, arrays):
            lines.append(f"input {name} {_DTYPES[str(a.dtype)]} {_shape(a.shape)}" +
                         (" transposed" if name in transposed else ""))
        for i, out in enumerate(filter(None, os.environ.get("FAKE_NKI_OUTPUTS", "").split(";"))):
            lines.append(f"output output_{i} {out}")
        folder = os.environ["NKI_ARTIFACTS_DIR"]
        with open(os.path.join(folder, "kernel.neff"), "w") as f:
            f.write("\n".join(lines) + "\n")
        with open(os.environ["FAKE_NKI_LOG"], "w") as f:
            f.write(f"target={os.environ.get('NEURON_PLATFORM_TARGET_OVERRIDE')}\n"
                    f"lnc={os.environ.get('NEURON_LOGICAL_NC_CONFIG')}\n"
                    f"artifacts={folder}\n"
                    f"arguments={','.join(names)}\n")
        raise RuntimeError("fake nki: no NeuronCore to run on (the NEFF was written)")
    return compile_and_run
