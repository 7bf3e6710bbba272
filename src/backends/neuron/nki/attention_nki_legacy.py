"""Flash attention (forward, and forward + backward) for a NeuronCore in the
legacy NKI module, ``neuronxcc.nki``.

For Neuron SDK 2.27 and older (neuronx-cc 2.22 and older), written against the
SDK 2.26 NKI API reference (nl.load / nl.store, nl.matmul(..., transpose_x=True),
nisa.nc_transpose, nisa.affine_select). From SDK 2.30 ``neuronxcc.nki`` in a
kernel is a compile error; for SDK 2.28 and later compile_neffs.py uses
attention_nki.py (the ``nki`` module), whose check_shape and tiling this shares.

UNTESTED: no Trainium host and no Neuron SDK were reachable when this was
written; it has never been compiled or run. docs/neuron.md says what has been
verified and how; check_kernels.py checks its tile limits and that every index
is an affine expression of the loop variables, as this module requires (the
query head is g * group + j over two loops, not hq // group).

Semantics, the tensors (names, order, layouts) and the limits are those of
attention_nki.py, whose docstring describes them and whose check_shape and
tiling this module imports.

Loops over query and key tiles are Python loops (unrolled at trace time) so
that the causal mask can skip whole tiles; batch and heads use nl.affine_range.
"""

try:
    import neuronxcc.nki.isa as nisa
    import neuronxcc.nki.language as nl
except ImportError:  # compile_neffs.py --dry-run checks shapes without the SDK
    nisa = nl = None

from attention_nki import KB_TILE, K_TILE, NEG, Q_TILE, check_shape  # noqa: E402  (one tiling for both modules)
from attention_nki import all_visible as _all_visible  # noqa: E402
from attention_nki import any_visible as _any_visible  # noqa: E402


def _mask(scores, q0, k0, k_tile, offset):
    """Sets scores[i, j] to NEG where key k0 + j is after query q0 + i (+ offset)."""
    i_q = nl.arange(Q_TILE)[:, None]
    i_k = nl.arange(k_tile)[None, :]
    return nisa.affine_select(pred=(q0 + offset + i_q - k0 - i_k >= 0), on_true_tile=scores, on_false_value=NEG)


def _forward(q_t, k_t, v, o, lse, bi, hq, g, scale, causal):
    """o and lse of query head hq of batch bi, one query tile at a time."""
    d, sq = q_t.shape[2], q_t.shape[3]
    skv = k_t.shape[3]
    offset = skv - sq
    for qi in range(sq // Q_TILE):
        q0 = qi * Q_TILE
        q_tile = nl.load(q_t[bi, hq, :, q0:q0 + Q_TILE])            # [d, 128 q]
        row_max = nl.full((Q_TILE, 1), NEG, nl.float32, buffer=nl.sbuf)
        row_sum = nl.zeros((Q_TILE, 1), nl.float32, buffer=nl.sbuf)
        acc = nl.zeros((Q_TILE, d), nl.float32, buffer=nl.sbuf)
        for kj in range(skv // K_TILE):
            k0 = kj * K_TILE
            if causal and not _any_visible(q0, k0, offset):
                break
            k_tile = nl.load(k_t[bi, g, :, k0:k0 + K_TILE])         # [d, 512 k]
            s = nl.multiply(nl.matmul(q_tile, k_tile, transpose_x=True), scale)  # [128 q, 512 k] fp32
            if causal and not _all_visible(q0, k0, K_TILE, offset):
                s = _mask(s, q0, k0, K_TILE, offset)
            # Online softmax: rescale what was accumulated with the old maximum.
            new_max = nl.maximum(row_max, nl.max(s, axis=1, keepdims=True))
            p = nl.exp(nl.subtract(s, new_max))
            alpha = nl.exp(nl.subtract(row_max, new_max))
            row_sum = nl.add(nl.multiply(row_sum, alpha), nl.sum(p, axis=1, keepdims=True))
            pv = nl.zeros((Q_TILE, d), nl.float32, buffer=nl.psum)
            for c in range(K_TILE // 128):                          # contract 128 keys at a time
                p_t = nl.copy(nisa.nc_transpose(p[:, c * 128:(c + 1) * 128]), dtype=v.dtype)  # [128 k, 128 q]
                v_tile = nl.load(v[bi, g, k0 + c * 128:k0 + (c + 1) * 128, :])                # [128 k, d]
                pv += nl.matmul(p_t, v_tile, transpose_x=True)
            acc = nl.add(nl.multiply(acc, alpha), pv)
            row_max = new_max
        nl.store(o[bi, hq, q0:q0 + Q_TILE, :], value=nl.copy(nl.divide(acc, row_sum), dtype=o.dtype))
        i_q = nl.arange(Q_TILE)[:, None]
        nl.store(lse[bi, hq, q0 + i_q], value=nl.add(row_max, nl.log(row_sum)))


def _backward(q_t, k_t, v, do, o, lse, dq, dk, dv, bi, g, scale, causal):
    """dk and dv of key/value head g, and dq of the query heads it serves (FlashAttention 2)."""
    h, d, sq = q_t.shape[1], q_t.shape[2], q_t.shape[3]
    kvh, skv = k_t.shape[1], k_t.shape[3]
    group = h // kvh
    offset = skv - sq
    n_q = sq // Q_TILE
    # dq accumulators of every query tile of the group, in SBUF across the key loop.
    dq_acc = [[nl.zeros((Q_TILE, d), nl.float32, buffer=nl.sbuf) for _ in range(n_q)] for _ in range(group)]
    for kj in range(skv // KB_TILE):
        k0 = kj * KB_TILE
        k_tile = nl.load(k_t[bi, g, :, k0:k0 + KB_TILE])                               # [d, 128 k]
        k_rows = nl.copy(nisa.nc_transpose(k_tile), dtype=k_t.dtype)                  # [128 k, d]
        v_t = nl.copy(nisa.nc_transpose(nl.load(v[bi, g, k0:k0 + KB_TILE, :])), dtype=v.dtype)  # [d, 128 k]
        dk_acc = nl.zeros((KB_TILE, d), nl.float32, buffer=nl.sbuf)
        dv_acc = nl.zeros((KB_TILE, d), nl.float32, buffer=nl.sbuf)
        for j in range(group):
            hq = g * group + j
            for qi in range(n_q):
                q0 = qi * Q_TILE
                if causal and not _any_visible(q0, k0, offset):
                    continue
                q_tile = nl.load(q_t[bi, hq, :, q0:q0 + Q_TILE])                      # [d, 128 q]
                q_rows = nl.copy(nisa.nc_transpose(q_tile), dtype=q_t.dtype)          # [128 q, d]
                do_rows = nl.load(do[bi, hq, q0:q0 + Q_TILE, :])                      # [128 q, d]
                do_t = nl.copy(nisa.nc_transpose(do_rows), dtype=do.dtype)            # [d, 128 q]
                o_rows = nl.load(o[bi, hq, q0:q0 + Q_TILE, :])
                i_q = nl.arange(Q_TILE)[:, None]
                lse_col = nl.load(lse[bi, hq, q0 + i_q])                              # [128 q, 1]
                delta = nl.sum(nl.multiply(do_rows, o_rows, dtype=nl.float32), axis=1, keepdims=True)

                s = nl.multiply(nl.matmul(q_tile, k_tile, transpose_x=True), scale)  # [128 q, 128 k]
                if causal and not _all_visible(q0, k0, KB_TILE, offset):
                    s = _mask(s, q0, k0, KB_TILE, offset)
                p = nl.exp(nl.subtract(s, lse_col))                                   # softmax, fp32
                p_lp = nl.copy(p, dtype=do.dtype)
                dv_acc = nl.add(dv_acc, nl.matmul(p_lp, do_rows, transpose_x=True))   # P^T dO [128 k, d]
                dp = nl.matmul(do_t, v_t, transpose_x=True)                          # dO V^T [128 q, 128 k]
                ds = nl.multiply(nl.multiply(p, nl.subtract(dp, delta)), scale)       # dS, scale folded in
                ds_lp = nl.copy(ds, dtype=q_t.dtype)
                dk_acc = nl.add(dk_acc, nl.matmul(ds_lp, q_rows, transpose_x=True))   # dS^T Q [128 k, d]
                ds_t = nl.copy(nisa.nc_transpose(ds_lp), dtype=q_t.dtype)            # [128 k, 128 q]
                dq_acc[j][qi] = nl.add(dq_acc[j][qi], nl.matmul(ds_t, k_rows, transpose_x=True))  # dS K
        nl.store(dk[bi, g, k0:k0 + KB_TILE, :], value=nl.copy(dk_acc, dtype=dk.dtype))
        nl.store(dv[bi, g, k0:k0 + KB_TILE, :], value=nl.copy(dv_acc, dtype=dv.dtype))
    for j in range(group):
        for qi in range(n_q):
            q0 = qi * Q_TILE
            nl.store(dq[bi, g * group + j, q0:q0 + Q_TILE, :], value=nl.copy(dq_acc[j][qi], dtype=dq.dtype))


def _outputs(q_t, k_t, backward):
    b, h, d, sq = q_t.shape
    kvh, skv = k_t.shape[1], k_t.shape[3]
    o = nl.ndarray((b, h, sq, d), dtype=q_t.dtype, buffer=nl.shared_hbm)
    lse = nl.ndarray((b, h, sq), dtype=nl.float32, buffer=nl.shared_hbm)
    if not backward:
        return o, lse
    dq = nl.ndarray((b, h, sq, d), dtype=q_t.dtype, buffer=nl.shared_hbm)
    dk = nl.ndarray((b, kvh, skv, d), dtype=q_t.dtype, buffer=nl.shared_hbm)
    dv = nl.ndarray((b, kvh, skv, d), dtype=q_t.dtype, buffer=nl.shared_hbm)
    return o, lse, dq, dk, dv


def flash_fwd(q_t, k_t, v, scale=1.0, causal=False):
    """pass=fwd: returns (o, lse)."""
    b, h, d, sq = q_t.shape
    kvh, skv = k_t.shape[1], k_t.shape[3]
    check_shape(b, h, kvh, sq, skv, d, causal, backward=False)
    o, lse = _outputs(q_t, k_t, backward=False)
    group = h // kvh
    for bi in nl.affine_range(b):
        for g in nl.affine_range(kvh):
            for j in nl.affine_range(group):
                _forward(q_t, k_t, v, o, lse, bi, g * group + j, g, scale, causal)
    return o, lse


def flash_fwdbwd(q_t, k_t, v, do, scale=1.0, causal=False):
    """pass=fwdbwd: the forward (o, lse), then the backward from them: returns (o, lse, dq, dk, dv)."""
    b, h, d, sq = q_t.shape
    kvh, skv = k_t.shape[1], k_t.shape[3]
    check_shape(b, h, kvh, sq, skv, d, causal, backward=True)
    o, lse, dq, dk, dv = _outputs(q_t, k_t, backward=True)
    group = h // kvh
    for bi in nl.affine_range(b):
        for g in nl.affine_range(kvh):
            for j in nl.affine_range(group):
                _forward(q_t, k_t, v, o, lse, bi, g * group + j, g, scale, causal)
    # The backward reads o and lse back from HBM (a read-after-write the compiler orders).
    for bi in nl.affine_range(b):
        for g in nl.affine_range(kvh):
            _backward(q_t, k_t, v, do, o, lse, dq, dk, dv, bi, g, scale, causal)
    return o, lse, dq, dk, dv


def kernel(backward, scale, causal):
    """flash_fwdbwd or flash_fwd with scale and causal fixed: the arguments are
    the NEFF's inputs, by name (q_t, k_t, v[, do])."""
    if backward:
        def flash_fwdbwd_kernel(q_t, k_t, v, do):
            return flash_fwdbwd(q_t, k_t, v, do, scale=scale, causal=causal)
        return flash_fwdbwd_kernel

    def flash_fwd_kernel(q_t, k_t, v):
        return flash_fwd(q_t, k_t, v, scale=scale, causal=causal)
    return flash_fwd_kernel
