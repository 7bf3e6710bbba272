"""Tiled GEMM for a NeuronCore, written in NKI (Neuron Kernel Interface).

UNTESTED: no Trainium host and no Neuron SDK were reachable when this was
written. It follows the documented NKI API (neuronxcc.nki, Neuron SDK 2.2x:
nl.load / nl.store, nl.matmul(..., transpose_x=True) into a PSUM tile,
nl.affine_range) but has never been compiled or run. docs/neuron.md says what
has been verified and where.

The kernel functions are plain (not decorated): compile_neffs.py wraps them
with nki.benchmark(save_neff_name=...); wrap them with nki.jit to call them
from a framework.

Computes c[M, N] = a[M, K] @ b[K, N] with:
  * the left operand passed transposed, a_t = A^T stored [K, M], because the
    Tensor Engine contracts over the partition dimension (nc_matmul computes
    stationary.T @ moving); the manifest marks it "layout": "transposed" and the
    trainbench adapter transposes A on upload (or passes it as is for ta=1);
  * tiles of 128 (M, stationary free size) x 512 (N, moving free size) x 128
    (K, partitions), so M and K must be multiples of 128 and N of 512;
  * fp32 accumulation in PSUM, one PSUM tile per output tile, rounded to the
    output dtype (the inputs' dtype: bf16, fp16 or fp32) on the way out.
"""

try:
    import neuronxcc.nki.language as nl
except ImportError:  # compile_neffs.py --dry-run checks shapes without the SDK
    nl = None

TILE_M = 128  # stationary free size: at most 128
TILE_K = 128  # partition (contraction) size: at most 128
TILE_N = 512  # moving free size: at most 512


def check_shape(m, n, k):
    """Raises ValueError unless the kernel's tiling covers an M x N x K GEMM."""
    bad = [f"{name}={value} is not a multiple of {tile}"
           for name, value, tile in (("m", m, TILE_M), ("n", n, TILE_N), ("k", k, TILE_K))
           if value % tile != 0]
    if bad:
        raise ValueError("gemm_nki tiles 128 x 512 x 128: " + "; ".join(bad))


def gemm_kernel(a_t, b):
    """a_t: [K, M] (A transposed), b: [K, N]; returns c: [M, N] in b's dtype."""
    k_size, m_size = a_t.shape
    k_size_b, n_size = b.shape
    assert k_size == k_size_b, "a_t and b disagree on K"
    check_shape(m_size, n_size, k_size)

    c = nl.ndarray((m_size, n_size), dtype=b.dtype, buffer=nl.shared_hbm)

    for mi in nl.affine_range(m_size // TILE_M):
        for ni in nl.affine_range(n_size // TILE_N):
            # fp32 accumulator in PSUM for one [128, 512] output tile.
            acc = nl.zeros((TILE_M, TILE_N), nl.float32, buffer=nl.psum)
            for ki in nl.affine_range(k_size // TILE_K):
                a_tile = nl.load(a_t[ki * TILE_K:(ki + 1) * TILE_K, mi * TILE_M:(mi + 1) * TILE_M])
                b_tile = nl.load(b[ki * TILE_K:(ki + 1) * TILE_K, ni * TILE_N:(ni + 1) * TILE_N])
                # a_tile is already [K, M]: no transpose is inserted.
                acc += nl.matmul(a_tile, b_tile, transpose_x=True)
            c_tile = nl.copy(acc, dtype=c.dtype)  # PSUM -> SBUF, rounded to the output dtype
            nl.store(c[mi * TILE_M:(mi + 1) * TILE_M, ni * TILE_N:(ni + 1) * TILE_N], value=c_tile)

    return c
