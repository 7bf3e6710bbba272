"""Flash attention (forward, and forward + backward) for one NeuronCore in NKI's
current module, ``nki`` (SDK 2.28 and later).

UNTESTED: no Trainium host, Neuron compiler or NKI package was reachable when
this was written (they install from AWS's pip repository only). It is written
against the NKI API reference of SDK 2.28 to 2.30 (NKI 0.2.0 to 0.4.0), using
only calls whose signatures agree in all three, always with keyword arguments
(``affine_select``'s positional order changed in 2.29): ``nl.ndarray`` tiles,
``nisa.dma_copy``, ``nisa.nc_matmul`` into float32 PSUM (no ``accumulate=``),
``nisa.nc_transpose`` (output dtype = input dtype), ``nisa.activation`` (exp
with a [P, 1] bias tile, as NeuronCore-v2 requires, and its row sum),
``nisa.tensor_reduce``, ``nisa.tensor_scalar``, ``nisa.tensor_tensor``,
``nisa.reciprocal``, ``nisa.affine_select`` and ``nisa.tensor_copy``.
docs/neuron.md says what has been checked; check_kernels.py checks the tile
limits and indices statically. The legacy kernels for SDK 2.27 and older
(``neuronxcc.nki``) are in attention_nki_legacy.py and share check_shape.

Semantics are trainbench's (kernels/attention/attention_shape.h):
  * scores = scale * q k^T; softmax over keys; o = softmax @ v;
    lse = natural log-sum-exp of the scaled, masked scores (fp32);
  * GQA: query head g * (h // kvh) + j reads key/value head g;
  * causal, bottom-right aligned: query i attends key j iff j <= i + skv - sq.

Tensors as the manifest describes them (docs/neuron.md):
  inputs   q_t [b, h, d, sq]    "transposed" (d on the partitions: the
           k_t [b, kvh, d, skv] "transposed"  Tensor Engine contracts over them)
           v   [b, kvh, skv, d]
           do  [b, h, sq, d]     (fwdbwd only)
  outputs  o [b, h, sq, d], lse [b, h, sq] fp32,
           dq [b, h, sq, d], dk / dv [b, kvh, skv, d]   (fwdbwd only)
in this order (a NEFF names inputs after these arguments, and its outputs
output_0, output_1, ... in this order).

Tiles: 128 queries (partitions, and the stationary free size), 512 keys in the
forward's score tile (the moving free size: one PSUM bank of float32), 128
keys in the backward's. Limits (check_shape): d <= 128; sq a multiple of 128;
skv a multiple of 512; causal needs sq <= skv (no fully masked rows); the
backward keeps dq for one key/value head group in SBUF. pass=bwd alone has no
NEFF: it gets only q, k, v and do, so it would recompute the forward inside
the timed execution; compile pass=fwdbwd.

Every loop is a Python loop: NKI unrolls all loops when it traces a kernel,
and the causal mask skips whole tiles by the loops' bounds (no break or
continue, no `is`, which NKI 0.3.0's parser refuses). Indices are affine in the loop
variables all the same (check_kernels.py), as the legacy module requires.
"""

try:
    import nki.isa as nisa
    import nki.language as nl
except ImportError:  # check_shape and compile_neffs.py --dry-run work without the SDK
    nisa = nl = None

Q_TILE = 128    # queries per tile: partitions, and the stationary free size
K_TILE = 512    # keys per forward score tile: the moving free size
KB_TILE = 128   # keys per backward tile (its transposes are at most 128 x 128)
NEG = -3.0e38   # a masked score: exp(NEG - max) == 0 in fp32
DQ_SBUF_BYTES = 64 * 1024  # per partition, for the backward's dq accumulators


def check_shape(b, h, kvh, sq, skv, d, causal, backward):
    """Raises ValueError unless these kernels cover the problem."""
    bad = []
    if h % kvh != 0:
        bad.append(f"h={h} is not a multiple of kvh={kvh}")
    if d > 128:
        bad.append(f"d={d} exceeds 128 (one partition tile)")
    if sq % Q_TILE != 0:
        bad.append(f"sq={sq} is not a multiple of {Q_TILE}")
    if skv % K_TILE != 0:
        bad.append(f"skv={skv} is not a multiple of {K_TILE}")
    if causal and sq > skv:
        bad.append(f"causal with sq={sq} > skv={skv} has fully masked rows")
    if backward and kvh and (h // kvh) * (sq // Q_TILE) * d * 4 > DQ_SBUF_BYTES:
        bad.append(f"dq of {h // kvh} heads x sq={sq} x d={d} does not fit the SBUF budget")
    if bad:
        raise ValueError("attention_nki: " + "; ".join(bad))


def any_visible(q0, k0, offset):
    """Causal: whether some key of the tile at k0 is visible to the query tile at q0."""
    return k0 <= q0 + Q_TILE - 1 + offset


def key_tiles(q0, k_tile, skv, offset, causal):
    """How many key tiles of `k_tile` keys the query tile at q0 reads: all, or (causal) up to its last visible key."""
    if not causal:
        return skv // k_tile
    return min(skv // k_tile, (q0 + Q_TILE - 1 + offset) // k_tile + 1)


def all_visible(q0, k0, k_tile, offset):
    """Causal: whether every key of the tile is visible to every query of the tile."""
    return k0 + k_tile - 1 <= q0 + offset


def _tile(shape, dtype, buffer):
    return nl.ndarray(shape, dtype=dtype, buffer=buffer)


def _load(src, shape, dtype):
    t = _tile(shape, dtype, nl.sbuf)
    nisa.dma_copy(dst=t, src=src)
    return t


def _transpose(data, rows, cols, dtype):
    """data [rows, cols] in SBUF -> [cols, rows] in SBUF (Tensor Engine, through PSUM)."""
    t_psum = _tile((cols, rows), dtype, nl.psum)
    nisa.nc_transpose(dst=t_psum, data=data)
    t = _tile((cols, rows), dtype, nl.sbuf)
    nisa.tensor_copy(dst=t, src=t_psum)
    return t


def _scores(q_tile, k_tile, keys, scale, q0, k0, offset, causal):
    """scale * q k^T for a [Q_TILE q, keys k] tile in SBUF (fp32), masked when causal."""
    s_psum = _tile((Q_TILE, keys), nl.float32, nl.psum)
    nisa.nc_matmul(dst=s_psum, stationary=q_tile, moving=k_tile)  # [d, Q].T @ [d, keys]
    s = _tile((Q_TILE, keys), nl.float32, nl.sbuf)
    nisa.tensor_scalar(dst=s, data=s_psum, op0=nl.multiply, operand0=scale)
    if causal and not all_visible(q0, k0, keys, offset):
        # Keep s[p, j] where q0 + offset + p - (k0 + j) >= 0.
        nisa.affine_select(dst=s, pattern=[[-1, keys]], channel_multiplier=1, on_true_tile=s,
                           on_false_value=NEG, cmp_op=nl.greater_equal, offset=q0 + offset - k0)
    return s


def _forward_tile(q_t, k_t, v, o, lse_rows, bi, hq, g, q0, scale, causal):
    """o and lse of queries q0 .. q0 + 127 of head hq (online softmax over key tiles)."""
    d, sq = q_t.shape[2], q_t.shape[3]
    skv = k_t.shape[3]
    offset = skv - sq
    q_tile = _load(q_t[bi, hq, 0:d, q0:q0 + Q_TILE], (d, Q_TILE), q_t.dtype)
    row_max = _tile((Q_TILE, 1), nl.float32, nl.sbuf)
    nisa.memset(dst=row_max, value=NEG)
    row_sum = _tile((Q_TILE, 1), nl.float32, nl.sbuf)
    nisa.memset(dst=row_sum, value=0.0)
    acc = _tile((Q_TILE, d), nl.float32, nl.sbuf)
    nisa.memset(dst=acc, value=0.0)
    for kj in range(key_tiles(q0, K_TILE, skv, offset, causal)):
        k0 = kj * K_TILE
        k_tile = _load(k_t[bi, g, 0:d, k0:k0 + K_TILE], (d, K_TILE), k_t.dtype)
        s = _scores(q_tile, k_tile, K_TILE, scale, q0, k0, offset, causal)
        tile_max = _tile((Q_TILE, 1), nl.float32, nl.sbuf)
        nisa.tensor_reduce(dst=tile_max, op=nl.maximum, data=s, axis=1)
        new_max = _tile((Q_TILE, 1), nl.float32, nl.sbuf)
        nisa.tensor_tensor(dst=new_max, data1=row_max, data2=tile_max, op=nl.maximum)
        neg_max = _tile((Q_TILE, 1), nl.float32, nl.sbuf)
        nisa.tensor_scalar(dst=neg_max, data=new_max, op0=nl.multiply, operand0=-1.0)
        # p = exp(s - new_max) in v's dtype for the next matmul, and its row sum (fp32).
        p = _tile((Q_TILE, K_TILE), v.dtype, nl.sbuf)
        p_sum = _tile((Q_TILE, 1), nl.float32, nl.sbuf)
        nisa.activation(dst=p, op=nl.exp, data=s, bias=neg_max, scale=1.0, reduce_op=nl.add, reduce_res=p_sum)
        # alpha = exp(old max - new max) rescales what was accumulated.
        alpha = _tile((Q_TILE, 1), nl.float32, nl.sbuf)
        nisa.activation(dst=alpha, op=nl.exp, data=row_max, bias=neg_max, scale=1.0)
        nisa.tensor_tensor(dst=row_sum, data1=row_sum, data2=alpha, op=nl.multiply)
        nisa.tensor_tensor(dst=row_sum, data1=row_sum, data2=p_sum, op=nl.add)
        pv = _tile((Q_TILE, d), nl.float32, nl.psum)
        for c in range(K_TILE // 128):  # contract 128 keys at a time: p^T on the partitions
            p_t = _transpose(p[0:Q_TILE, c * 128:(c + 1) * 128], Q_TILE, 128, v.dtype)  # [128 k, Q]
            v_tile = _load(v[bi, g, k0 + c * 128:k0 + (c + 1) * 128, 0:d], (128, d), v.dtype)
            nisa.nc_matmul(dst=pv, stationary=p_t, moving=v_tile)  # [128 k, Q].T @ [128 k, d]
        nisa.tensor_scalar(dst=acc, data=acc, op0=nl.multiply, operand0=alpha)
        nisa.tensor_tensor(dst=acc, data1=acc, data2=pv, op=nl.add)
        nisa.tensor_copy(dst=row_max, src=new_max)
    inv_sum = _tile((Q_TILE, 1), nl.float32, nl.sbuf)
    nisa.reciprocal(dst=inv_sum, data=row_sum)
    o_tile = _tile((Q_TILE, d), o.dtype, nl.sbuf)
    nisa.tensor_scalar(dst=o_tile, data=acc, op0=nl.multiply, operand0=inv_sum)
    nisa.dma_copy(dst=o[bi, hq, q0:q0 + Q_TILE, 0:d], src=o_tile)
    lse_tile = _tile((Q_TILE, 1), nl.float32, nl.sbuf)  # row_max + log(row_sum)
    nisa.activation(dst=lse_tile, op=nl.log, data=row_sum, bias=row_max, scale=1.0)
    row0 = (bi * q_t.shape[1] + hq) * sq + q0
    nisa.dma_copy(dst=lse_rows[row0:row0 + Q_TILE, 0:1], src=lse_tile)


def _backward_head(q_t, k_t, v, do, o, lse_rows, dq, dk, dv, bi, g, scale, causal):
    """dk and dv of key/value head g, and dq of the query heads it serves (FlashAttention 2)."""
    h, d, sq = q_t.shape[1], q_t.shape[2], q_t.shape[3]
    kvh, skv = k_t.shape[1], k_t.shape[3]
    group = h // kvh
    offset = skv - sq
    n_q = sq // Q_TILE
    dq_acc = []  # [group][n_q], fp32 in SBUF across the key loop
    for j in range(group):
        row = []
        for qi in range(n_q):
            t = _tile((Q_TILE, d), nl.float32, nl.sbuf)
            nisa.memset(dst=t, value=0.0)
            row.append(t)
        dq_acc.append(row)
    for kj in range(skv // KB_TILE):
        k0 = kj * KB_TILE
        k_tile = _load(k_t[bi, g, 0:d, k0:k0 + KB_TILE], (d, KB_TILE), k_t.dtype)          # [d, 128 k]
        k_rows = _transpose(k_tile, d, KB_TILE, k_t.dtype)                                   # [128 k, d]
        v_rows = _load(v[bi, g, k0:k0 + KB_TILE, 0:d], (KB_TILE, d), v.dtype)
        v_cols = _transpose(v_rows, KB_TILE, d, v.dtype)                                      # [d, 128 k]
        dk_acc = _tile((KB_TILE, d), nl.float32, nl.psum)
        dv_acc = _tile((KB_TILE, d), nl.float32, nl.psum)
        for j in range(group):
            hq = g * group + j
            # Causal: the query tiles that see key tile k0 are the last ones, from first_q on.
            first_q = 0 if not causal else max(0, (k0 - offset) // Q_TILE)
            for qi in range(first_q, n_q):
                q0 = qi * Q_TILE
                q_tile = _load(q_t[bi, hq, 0:d, q0:q0 + Q_TILE], (d, Q_TILE), q_t.dtype)      # [d, 128 q]
                q_rows = _transpose(q_tile, d, Q_TILE, q_t.dtype)                             # [128 q, d]
                do_rows = _load(do[bi, hq, q0:q0 + Q_TILE, 0:d], (Q_TILE, d), do.dtype)      # [128 q, d]
                do_cols = _transpose(do_rows, Q_TILE, d, do.dtype)                            # [d, 128 q]
                o_rows = _load(o[bi, hq, q0:q0 + Q_TILE, 0:d], (Q_TILE, d), o.dtype)
                row0 = (bi * h + hq) * sq + q0
                neg_lse = _load(lse_rows[row0:row0 + Q_TILE, 0:1], (Q_TILE, 1), nl.float32)
                nisa.tensor_scalar(dst=neg_lse, data=neg_lse, op0=nl.multiply, operand0=-1.0)
                # delta = rowsum(dO * O)
                prod = _tile((Q_TILE, d), nl.float32, nl.sbuf)
                nisa.tensor_tensor(dst=prod, data1=do_rows, data2=o_rows, op=nl.multiply)
                delta = _tile((Q_TILE, 1), nl.float32, nl.sbuf)
                nisa.tensor_reduce(dst=delta, op=nl.add, data=prod, axis=1)
                s = _scores(q_tile, k_tile, KB_TILE, scale, q0, k0, offset, causal)       # [128 q, 128 k]
                p = _tile((Q_TILE, KB_TILE), nl.float32, nl.sbuf)                          # softmax, fp32
                nisa.activation(dst=p, op=nl.exp, data=s, bias=neg_lse, scale=1.0)
                p_lp = _tile((Q_TILE, KB_TILE), do.dtype, nl.sbuf)
                nisa.tensor_copy(dst=p_lp, src=p)
                nisa.nc_matmul(dst=dv_acc, stationary=p_lp, moving=do_rows)                # P^T dO [128 k, d]
                dp = _tile((Q_TILE, KB_TILE), nl.float32, nl.psum)
                nisa.nc_matmul(dst=dp, stationary=do_cols, moving=v_cols)                  # dO V^T [128 q, 128 k]
                ds = _tile((Q_TILE, KB_TILE), nl.float32, nl.sbuf)                         # P (dP - delta) scale
                nisa.tensor_scalar(dst=ds, data=dp, op0=nl.subtract, operand0=delta, op1=nl.multiply, operand1=scale)
                nisa.tensor_tensor(dst=ds, data1=ds, data2=p, op=nl.multiply)
                ds_lp = _tile((Q_TILE, KB_TILE), q_t.dtype, nl.sbuf)
                nisa.tensor_copy(dst=ds_lp, src=ds)
                nisa.nc_matmul(dst=dk_acc, stationary=ds_lp, moving=q_rows)                # dS^T Q [128 k, d]
                ds_t = _transpose(ds_lp, Q_TILE, KB_TILE, q_t.dtype)                       # [128 k, 128 q]
                dq_part = _tile((Q_TILE, d), nl.float32, nl.psum)
                nisa.nc_matmul(dst=dq_part, stationary=ds_t, moving=k_rows)                # dS K [128 q, d]
                nisa.tensor_tensor(dst=dq_acc[j][qi], data1=dq_acc[j][qi], data2=dq_part, op=nl.add)
        dk_tile = _tile((KB_TILE, d), dk.dtype, nl.sbuf)
        nisa.tensor_copy(dst=dk_tile, src=dk_acc)
        nisa.dma_copy(dst=dk[bi, g, k0:k0 + KB_TILE, 0:d], src=dk_tile)
        dv_tile = _tile((KB_TILE, d), dv.dtype, nl.sbuf)
        nisa.tensor_copy(dst=dv_tile, src=dv_acc)
        nisa.dma_copy(dst=dv[bi, g, k0:k0 + KB_TILE, 0:d], src=dv_tile)
    for j in range(group):
        for qi in range(n_q):
            t = _tile((Q_TILE, d), dq.dtype, nl.sbuf)
            nisa.tensor_copy(dst=t, src=dq_acc[j][qi])
            nisa.dma_copy(dst=dq[bi, g * group + j, qi * Q_TILE:(qi + 1) * Q_TILE, 0:d], src=t)


def _attention(q_t, k_t, v, do, backward, scale, causal):
    b, h, d, sq = q_t.shape
    kvh, skv = k_t.shape[1], k_t.shape[3]
    check_shape(b, h, kvh, sq, skv, d, causal, backward)
    group = h // kvh
    o = nl.ndarray((b, h, sq, d), dtype=q_t.dtype, buffer=nl.shared_hbm)
    lse = nl.ndarray((b, h, sq), dtype=nl.float32, buffer=nl.shared_hbm)
    lse_rows = lse.reshape((b * h * sq, 1))  # one query per partition when a tile is stored
    for bi in range(b):
        for g in range(kvh):
            for j in range(group):
                for qi in range(sq // Q_TILE):
                    _forward_tile(q_t, k_t, v, o, lse_rows, bi, g * group + j, g, qi * Q_TILE, scale, causal)
    if not backward:
        return o, lse
    dq = nl.ndarray((b, h, sq, d), dtype=q_t.dtype, buffer=nl.shared_hbm)
    dk = nl.ndarray((b, kvh, skv, d), dtype=q_t.dtype, buffer=nl.shared_hbm)
    dv = nl.ndarray((b, kvh, skv, d), dtype=q_t.dtype, buffer=nl.shared_hbm)
    # The backward reads o and lse back from HBM (a read-after-write the compiler orders).
    for bi in range(b):
        for g in range(kvh):
            _backward_head(q_t, k_t, v, do, o, lse_rows, dq, dk, dv, bi, g, scale, causal)
    return o, lse, dq, dk, dv


def kernel(backward, scale, causal):
    """The kernel for pass=fwd (q_t, k_t, v -> o, lse) or pass=fwdbwd (q_t, k_t,
    v, do -> o, lse, dq, dk, dv), with scale and causal fixed: its arguments are
    the NEFF's inputs, by name."""
    if backward:
        def flash_fwdbwd(q_t, k_t, v, do):
            return _attention(q_t, k_t, v, do, True, scale, causal)
        return flash_fwdbwd

    def flash_fwd(q_t, k_t, v):
        return _attention(q_t, k_t, v, None, False, scale, causal)
    return flash_fwd
