#!/usr/bin/env python3
"""A static check of the NKI kernels, for machines without the Neuron SDK.

No NKI compiler or simulator can be installed here (they come only from AWS's
pip repository; `nki.simulate` needs the `nki` wheel), so this reads the kernel
sources with Python's ast module and checks the two rules the issue names:

1. Tile limits (NKI API reference, "tile size" of nc_matmul and nl.tile_size):
   partitions at most 128 (pmax), the stationary free size at most 128
   (gemm_stationary_fmax), the moving free size at most 512
   (gemm_moving_fmax). Each kernel module declares its tile constants; their
   roles and limits are listed in TILE_LIMITS below, and every constant a
   module assigns must have a role.
2. Affine indices (legacy NKI: "an affine expression is a linear combination
   of variables plus a constant"; the current module unrolls every loop, so
   the same indices are ints there): every subscript index and slice bound,
   and every arithmetic value assigned or passed as an argument (a mask
   predicate, a helper's offset), that depends on a loop variable must be
   affine in the loop variables: sums and differences, products where at most
   one side depends on a loop variable, no //, %, / or ** of one. Loop
   variables are the targets of every `for` loop, names assigned arithmetic
   values of them, and the parameters of the module's helpers that receive
   them. Loop bounds are exempt (arguments of range, min, max and key_tiles):
   NKI traces them as Python ints.

  python3 src/backends/neuron/nki/check_kernels.py [FILE.py ...]

With no files it checks the four kernels next to it. Exit 0: no violation;
1: each violation printed as FILE:LINE: message. `--self-test` checks the
checker against kernels with known violations.
"""

import ast
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
KERNELS = ("gemm_nki.py", "gemm_nki_legacy.py", "attention_nki.py", "attention_nki_legacy.py")

# Role of each tile constant, and its limit (NKI API reference, SDK 2.26 to 2.30).
LIMITS = {"partitions": 128, "stationary free size": 128, "moving free size": 512}
TILE_LIMITS = {
    "TILE_K": "partitions",               # gemm: the contraction, on the partitions
    "TILE_M": "stationary free size",     # gemm: a_t tile [K, M] is the stationary operand
    "TILE_N": "moving free size",         # gemm: b tile [K, N] is the moving operand, one PSUM bank
    "Q_TILE": "partitions",               # attention: queries on the partitions / stationary free size
    "K_TILE": "moving free size",         # attention: keys of a forward score tile (moving)
    "KB_TILE": "stationary free size",    # attention: keys of a backward tile (also transposed: <= 128)
}


# Calls whose arguments are loop bounds or sizes, which need not be affine.
LOOP_BOUND_BUILTINS = {"range", "min", "max", "len", "int", "abs", "key_tiles"}


class Violations(list):
    def add(self, path, node, message):
        self.append(f"{path}:{getattr(node, 'lineno', 0)}: {message}")


def check_tiles(path, tree, out):
    """Every module-level *TILE* constant has a role, and is within its limit."""
    for node in tree.body:
        if not isinstance(node, ast.Assign) or len(node.targets) != 1 or not isinstance(node.targets[0], ast.Name):
            continue
        name = node.targets[0].id
        if "TILE" not in name:
            continue
        if name not in TILE_LIMITS:
            out.add(path, node, f"tile constant {name} has no role in TILE_LIMITS (add its role and limit)")
            continue
        if not isinstance(node.value, ast.Constant) or not isinstance(node.value.value, int):
            out.add(path, node, f"tile constant {name} is not an integer literal")
            continue
        role = TILE_LIMITS[name]
        if not 0 < node.value.value <= LIMITS[role]:
            out.add(path, node, f"{name} = {node.value.value}: the {role} must be at most {LIMITS[role]}")


def names_in(node):
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


class AffineChecker:
    """Checks one module's functions; `tainted` maps a function to its parameters that hold loop values."""

    def __init__(self, path, tree, out):
        self.path, self.out = path, out
        self.functions = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef):
                self.functions.setdefault(node.name, node)
        self.tainted = {name: set() for name in self.functions}
        self.reported = set()

    def depends(self, node, loop):
        return bool(names_in(node) & loop)

    def affine(self, node, loop):
        """Whether `node` is an affine expression of the names in `loop` (constants and other names are free)."""
        if not self.depends(node, loop):
            return True
        if isinstance(node, ast.Name):
            return True
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            return self.affine(node.operand, loop)
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, (ast.Add, ast.Sub)):
                return self.affine(node.left, loop) and self.affine(node.right, loop)
            if isinstance(node.op, ast.Mult):
                left, right = self.depends(node.left, loop), self.depends(node.right, loop)
                return not (left and right) and self.affine(node.left, loop) and self.affine(node.right, loop)
            return False  # //, %, /, ** of a loop variable
        if isinstance(node, ast.Subscript):  # a shape entry or a list element indexed by a loop variable
            return not self.depends(node.value, loop) and self.affine_index(node.slice, loop)
        return False

    def affine_index(self, node, loop):
        if isinstance(node, ast.Tuple):
            return all(self.affine_index(e, loop) for e in node.elts)
        if isinstance(node, ast.Slice):
            return all(p is None or self.affine(p, loop) for p in (node.lower, node.upper, node.step))
        return self.affine(node, loop)

    def report(self, node, message):
        key = (node.lineno, message)
        if key not in self.reported:
            self.reported.add(key)
            self.out.add(self.path, node, message)

    @staticmethod
    def arithmetic(node):
        """An index-like value: names, constants, and + - * // % / ** and comparisons of them."""
        return all(isinstance(n, (ast.Name, ast.Constant, ast.BinOp, ast.UnaryOp, ast.Compare, ast.operator,
                                  ast.unaryop, ast.cmpop, ast.Load, ast.expr_context))
                   for n in ast.walk(node))

    def affine_value(self, node, loop):
        if isinstance(node, ast.Compare):
            return all(self.affine(part, loop) for part in [node.left] + node.comparators)
        return self.affine(node, loop)

    def check_function(self, fn):
        """One pass over `fn`; returns True when it tainted another function's parameter."""
        loop = set(self.tainted[fn.name])
        changed = False
        for node in ast.walk(fn):
            if isinstance(node, ast.For):
                loop |= names_in(node.target)
        # Names assigned an arithmetic value of loop variables are loop values too (to a fixed point).
        grew = True
        while grew:
            grew = False
            for node in ast.walk(fn):
                if isinstance(node, ast.Assign) and self.arithmetic(node.value) and self.depends(node.value, loop):
                    for target in node.targets:
                        new = names_in(target) - loop
                        if new:
                            loop |= new
                            grew = True
        for node in ast.walk(fn):
            if isinstance(node, ast.Subscript) and self.depends(node.slice, loop):
                if not self.affine_index(node.slice, loop):
                    self.report(node, f"in {fn.name}: index '{ast.unparse(node.slice)}' is not an affine "
                                      f"expression of the loop variables")
            elif isinstance(node, ast.Assign) and self.arithmetic(node.value) and self.depends(node.value, loop):
                if not self.affine_value(node.value, loop):
                    self.report(node, f"in {fn.name}: '{ast.unparse(node)}' is not affine in the loop variables")
            elif isinstance(node, ast.Call):
                callee = node.func.id if isinstance(node.func, ast.Name) else None
                if callee in LOOP_BOUND_BUILTINS:
                    continue  # loop bounds and sizes, not indices: any Python int is fine at trace time
                values = [(i, a) for i, a in enumerate(node.args)] + [(None, k.value) for k in node.keywords]
                for i, arg in values:
                    if not self.arithmetic(arg) or not self.depends(arg, loop):
                        continue
                    if not self.affine_value(arg, loop):
                        self.report(arg, f"in {fn.name}: argument '{ast.unparse(arg)}' of "
                                         f"{ast.unparse(node.func)} is not affine in the loop variables")
                    if callee in self.functions and i is not None:
                        params = [a.arg for a in self.functions[callee].args.args]
                        if i < len(params) and params[i] not in self.tainted[callee]:
                            self.tainted[callee].add(params[i])
                            changed = True
        return changed

    def run(self):
        while any([self.check_function(fn) for fn in self.functions.values()]):
            pass


def check_file(path, out):
    with open(path) as f:
        tree = ast.parse(f.read(), filename=path)
    check_tiles(path, tree, out)
    AffineChecker(path, tree, out).run()


def self_test():
    """The checker finds what it must, and passes what it must."""
    cases = {
        "bad_floor_div_argument": ("def k(a):\n    for hq in range(8):\n        f(a, hq // 2)\n"
                                   "def f(a, g):\n    return a[g]\n", 1),
        "bad_index_through_helper": ("def k(a):\n    for i in range(8):\n        f(a, i)\n"
                                     "def f(a, i):\n    return a[i % 4]\n", 1),
        "bad_product_of_loops": "def k(a):\n    for i in range(4):\n        for j in range(4):\n            x = i * j\n",
        "bad_tile": "TILE_N = 1024\n",
        "bad_unknown_tile": "BIG_TILE = 64\n",
        "good": ("TILE_M = 128\ndef k(a, n):\n    for g in range(4):\n        for j in range(2):\n"
                 "            hq = g * 2 + j\n            x = a[hq, 0:n, g * 128:(g + 1) * 128]\n"
                 "            f(a, hq, g * n - 1)\ndef f(a, h, o):\n    return a[h, o:o + 128]\n"),
    }
    failures = []
    for name, case in cases.items():
        text = case[0] if isinstance(case, tuple) else case
        out = Violations()
        tree = ast.parse(text)
        check_tiles(name, tree, out)
        AffineChecker(name, tree, out).run()
        if name.startswith("bad") != bool(out):
            failures.append(f"{name}: expected {'a violation' if name.startswith('bad') else 'none'}, got {list(out)}")
    for f in failures:
        print(f"self-test: {f}", file=sys.stderr)
    print(f"self-test: {len(cases) - len(failures)} of {len(cases)} cases as expected")
    return 1 if failures else 0


def main(argv):
    if argv == ["--self-test"]:
        return self_test()
    files = argv or [os.path.join(HERE, k) for k in KERNELS]
    out = Violations()
    for path in files:
        check_file(path, out)
    for line in out:
        print(line)
    print(f"check_kernels: {len(files)} files, {len(out)} violations "
          f"(tile limits: partitions and stationary free size <= 128, moving free size <= 512; affine indices)",
          file=sys.stderr)
    return 1 if out else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
