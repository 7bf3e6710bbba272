"""Tiled GEMM for a NeuronCore in the legacy NKI module, ``neuronxcc.nki``.

For Neuron SDK 2.27 and older (neuronx-cc 2.22 and older), written against the
SDK 2.26 NKI API reference (nl.load / nl.store, nl.matmul(..., transpose_x=True)
into a PSUM tile, nl.affine_range). AWS ended support for ``neuronxcc.nki``
after 2.27, and from SDK 2.30 using it in a kernel is a compile error; for SDK
2.28 and later compile_neffs.py uses gemm_nki.py (the ``nki`` module).

UNTESTED: no Trainium host and no Neuron SDK were reachable when this was
written; it has never been compiled or run. docs/neuron.md says what has been
verified and how; check_kernels.py checks its tile limits and indices.

The kernel function is plain (not decorated): compile_neffs.py compiles it
with nki.baremetal(save_neff_name=...).

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

from gemm_nki import TILE_K, TILE_M, TILE_N, check_shape  # noqa: E402  (one tiling for both modules)


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
