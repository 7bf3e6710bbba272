#!/usr/bin/env python3
"""Composition check (issue 17): time real training steps of a small Llama-shaped
model in PyTorch on this CPU.

The shape is data/models/composition-check.model (4 layers, hidden 512, 8 query
heads, 2 key/value heads, SwiGLU ffn 1536, vocab 8192, untied LM head, seq_len
512, fp32). run.sh compares the median step time printed here with the step
`trainbench run --model composition-check` composes from its measured GEMM and
attention problems (docs/measurements.md).

The QKV and the gate/up projections are single fused Linear layers, so the
GEMM shapes are the ones trainbench's step decomposition lists
(docs/models.md). What trainbench leaves out (embedding lookup, norms, RoPE,
activations, residual adds, cross-entropy, the optimizer) is in this step; the
optimizer is also timed on its own. The attention here is the explicit
softmax(Q K^T) V of the full S x S score matrix, masked: PyTorch 1.13 has no
fused scaled_dot_product_attention (it is used where present, PyTorch >= 2.0).

Prints one JSON line. Python is used only because the check trains a model in
PyTorch.
"""
import argparse
import json
import math
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

# The model shape: keep in step with data/models/composition-check.model.
LAYERS = 4
HIDDEN = 512
HEADS = 8
KV_HEADS = 2
HEAD_DIM = HIDDEN // HEADS  # 64
FFN = 1536
VOCAB = 8192
SEQ_LEN = 512
ROPE_THETA = 10000.0
NORM_EPS = 1e-5


class RMSNorm(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return self.weight * x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + NORM_EPS)


def rope_tables(seq_len, head_dim):
    """cos and sin of the rotary position embedding, each [seq_len, head_dim]."""
    inv_freq = 1.0 / (ROPE_THETA ** (torch.arange(0, head_dim, 2).float() / head_dim))
    angles = torch.outer(torch.arange(seq_len).float(), inv_freq)  # [S, hd/2]
    angles = torch.cat([angles, angles], dim=-1)  # [S, hd]
    return angles.cos(), angles.sin()


def apply_rope(x, cos, sin):
    """x: [B, heads, S, hd]; rotates the two halves of each head (Llama's layout)."""
    half = x.shape[-1] // 2
    rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
    return x * cos + rotated * sin


def causal_attention(q, k, v):
    """q: [B, H, S, hd]; k, v: [B, H, S, hd] (key/value heads already repeated)."""
    if hasattr(F, "scaled_dot_product_attention"):  # PyTorch >= 2.0
        return F.scaled_dot_product_attention(q, k, v, is_causal=True)
    seq = q.shape[-2]
    scores = (q @ k.transpose(-2, -1)) / math.sqrt(q.shape[-1])  # [B, H, S, S]
    mask = torch.ones(seq, seq, dtype=torch.bool, device=q.device).triu(1)
    scores = scores.masked_fill(mask, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.attn_norm = RMSNorm(HIDDEN)
        # Fused Q, K, V: out = (heads + 2 kv_heads) x head_dim = 768.
        self.qkv = nn.Linear(HIDDEN, (HEADS + 2 * KV_HEADS) * HEAD_DIM, bias=False)
        self.attn_out = nn.Linear(HEADS * HEAD_DIM, HIDDEN, bias=False)
        self.mlp_norm = RMSNorm(HIDDEN)
        # Fused SwiGLU gate and up: out = 2 x ffn = 3072.
        self.gate_up = nn.Linear(HIDDEN, 2 * FFN, bias=False)
        self.down = nn.Linear(FFN, HIDDEN, bias=False)

    def forward(self, x, cos, sin):
        batch, seq, _ = x.shape
        q, k, v = self.qkv(self.attn_norm(x)).split(
            [HEADS * HEAD_DIM, KV_HEADS * HEAD_DIM, KV_HEADS * HEAD_DIM], dim=-1)
        q = q.view(batch, seq, HEADS, HEAD_DIM).transpose(1, 2)  # [B, H, S, hd]
        k = k.view(batch, seq, KV_HEADS, HEAD_DIM).transpose(1, 2)  # [B, KVH, S, hd]
        v = v.view(batch, seq, KV_HEADS, HEAD_DIM).transpose(1, 2)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        # Grouped-query attention: each key/value head serves HEADS / KV_HEADS query heads.
        group = HEADS // KV_HEADS
        k = k.repeat_interleave(group, dim=1)
        v = v.repeat_interleave(group, dim=1)
        attn = causal_attention(q, k, v).transpose(1, 2).reshape(batch, seq, HIDDEN)
        x = x + self.attn_out(attn)
        gate, up = self.gate_up(self.mlp_norm(x)).chunk(2, dim=-1)
        return x + self.down(F.silu(gate) * up)


class LlamaModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, HIDDEN)
        self.blocks = nn.ModuleList([Block() for _ in range(LAYERS)])
        self.norm = RMSNorm(HIDDEN)
        self.lm_head = nn.Linear(HIDDEN, VOCAB, bias=False)  # untied (tie_embeddings = 0)
        cos, sin = rope_tables(SEQ_LEN, HEAD_DIM)
        self.register_buffer("rope_cos", cos, persistent=False)
        self.register_buffer("rope_sin", sin, persistent=False)

    def forward(self, tokens, targets):
        """tokens, targets: [B, S] token ids; returns the mean cross-entropy loss."""
        x = self.embed(tokens)
        for block in self.blocks:
            x = block(x, self.rope_cos, self.rope_sin)
        logits = self.lm_head(self.norm(x))  # [B, S, vocab]
        return F.cross_entropy(logits.view(-1, VOCAB), targets.view(-1))


def percentile(values, fraction):
    """Linear interpolation between the closest ranks (numpy's default)."""
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=0,
                        help="torch.set_num_threads; 0 = all logical CPUs (as trainbench's --threads 0)")
    parser.add_argument("--steps", type=int, default=20, help="timed optimizer steps")
    parser.add_argument("--warmup", type=int, default=3, help="untimed optimizer steps first")
    parser.add_argument("--micro-batch", type=int, default=1, help="sequences per step")
    args = parser.parse_args()
    if args.steps < 1 or args.warmup < 0 or args.micro_batch < 1 or args.threads < 0:
        parser.error("need --steps >= 1, --warmup >= 0, --micro-batch >= 1, --threads >= 0")

    torch.set_num_threads(args.threads if args.threads > 0 else os.cpu_count())
    torch.manual_seed(0)
    model = LlamaModel()  # fp32 parameters
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    # Seeded random tokens: the inputs and their next-token targets.
    tokens = torch.randint(0, VOCAB, (args.micro_batch, SEQ_LEN + 1))
    inputs, targets = tokens[:, :-1].contiguous(), tokens[:, 1:].contiguous()

    step_s, forward_backward_s, optimizer_s = [], [], []
    for step in range(args.warmup + args.steps):
        start = time.perf_counter()
        loss = model(inputs, targets)
        loss.backward()
        after_backward = time.perf_counter()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        end = time.perf_counter()
        if step >= args.warmup:
            step_s.append(end - start)
            forward_backward_s.append(after_backward - start)
            optimizer_s.append(end - after_backward)

    print(json.dumps({
        "model": "composition-check",
        "threads": torch.get_num_threads(),
        "steps": args.steps,
        "step_time_s_median": percentile(step_s, 0.5),
        "step_time_s_p10": percentile(step_s, 0.1),
        "step_time_s_p90": percentile(step_s, 0.9),
        "forward_backward_s_median": percentile(forward_backward_s, 0.5),
        "optimizer_s_median": percentile(optimizer_s, 0.5),
        "tokens_per_step": args.micro_batch * SEQ_LEN,
        "torch_version": torch.__version__,
    }))


if __name__ == "__main__":
    main()
