"""Tiled GEMM for one NeuronCore in NKI's current module, ``nki`` (SDK 2.28 and later).

UNTESTED: no Trainium host, Neuron compiler or NKI package was reachable when
this was written (they install from AWS's pip repository only). It is written
against the NKI API reference of SDK 2.28 to 2.30 (NKI 0.2.0 to 0.4.0; pip
``nki`` 0.2.0 to 0.4.0 with neuronx-cc 2.23.6484.0 to 2.25.3371.0), using only
calls whose signatures are the same in all three: ``nl.ndarray`` for every
tile, ``nisa.dma_copy`` (``nl.load``/``nl.store`` do not exist in 2.28),
``nisa.nc_matmul`` into a float32 PSUM tile (no ``accumulate=``, new in 2.29:
the first write to a PSUM tile overwrites, later ones add), ``nisa.tensor_copy``
out of PSUM, and keyword arguments throughout. docs/neuron.md says what has been
checked and how; check_kernels.py checks the tile limits and indices statically.
The legacy kernel for SDK 2.27 and older (``neuronxcc.nki``) is gemm_nki_legacy.py.

Computes c[M, N] = a[M, K] @ b[K, N], taking the left operand transposed,
a_t = A^T stored [K, M] (nc_matmul computes stationary.T @ moving, contracting
over the partition dimension; the manifest marks a_t "transposed" for ta=0 and
the trainbench adapter transposes A on upload). Tiles: K 128 (partitions), M 128
(stationary free size), N 512 (moving free size, one PSUM bank of float32), so
M and K must be multiples of 128 and N of 512. float32 accumulation; the output
is rounded to b's dtype (fp32, bf16 or fp16).

The kernel is plain (not decorated): compile_neffs.py wraps it with ``nki.jit``
and calls it with NumPy arrays, which compiles it standalone.
"""

try:
    import nki.isa as nisa
    import nki.language as nl
except ImportError:  # check_shape and compile_neffs.py --dry-run work without the SDK
    nisa = nl = None

TILE_K = 128  # partitions: the contraction (nl.tile_size.pmax)
TILE_M = 128  # stationary free size (nl.tile_size.gemm_stationary_fmax)
TILE_N = 512  # moving free size (nl.tile_size.gemm_moving_fmax)


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
    _, n_size = b.shape
    check_shape(m_size, n_size, k_size)
    c = nl.ndarray((m_size, n_size), dtype=b.dtype, buffer=nl.shared_hbm)
    for mi in range(m_size // TILE_M):
        for ni in range(n_size // TILE_N):
            acc = nl.ndarray((TILE_M, TILE_N), dtype=nl.float32, buffer=nl.psum)
            for ki in range(k_size // TILE_K):
                a_tile = nl.ndarray((TILE_K, TILE_M), dtype=a_t.dtype, buffer=nl.sbuf)
                nisa.dma_copy(dst=a_tile, src=a_t[ki * TILE_K:(ki + 1) * TILE_K, mi * TILE_M:(mi + 1) * TILE_M])
                b_tile = nl.ndarray((TILE_K, TILE_N), dtype=b.dtype, buffer=nl.sbuf)
                nisa.dma_copy(dst=b_tile, src=b[ki * TILE_K:(ki + 1) * TILE_K, ni * TILE_N:(ni + 1) * TILE_N])
                nisa.nc_matmul(dst=acc, stationary=a_tile, moving=b_tile)  # acc (+)= a_tile.T @ b_tile
            c_tile = nl.ndarray((TILE_M, TILE_N), dtype=b.dtype, buffer=nl.sbuf)
            nisa.tensor_copy(dst=c_tile, src=acc)  # PSUM -> SBUF, rounded to the output dtype
            nisa.dma_copy(dst=c[mi * TILE_M:(mi + 1) * TILE_M, ni * TILE_N:(ni + 1) * TILE_N], src=c_tile)
    return c
