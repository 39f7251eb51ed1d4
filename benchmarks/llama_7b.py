"""A LLaMA-7B-shaped decoder-only transformer, built on the meta device (6.74 B parameters, no memory).

Shaped after Meta's LLaMA-7B as laid out by the usual PyTorch ports: token embedding `embed_tokens`,
32 identical decoder layers `layers.N` (pre-norm RMSNorm `input_layernorm` → self-attention
`self_attn.{q,k,v,o}_proj` with rotary position embeddings → residual add; RMSNorm
`post_attention_layernorm` → SwiGLU MLP `mlp.{gate,up,down}_proj` → residual add), a final RMSNorm
`norm` and an untied `lm_head`.

Configuration: vocabulary 32000, d_model 4096, 32 heads of 128, MLP width 11008, 32 layers, RMSNorm
eps 1e-6, rope base 10000, no biases. Parameters: 6,738,415,616 (2 × 131 M for the embedding and
lm_head, 202 M per layer).

Everything is built under `torch.device("meta")`, so the forward pass computes shapes only and the
whole model costs no memory; `example_inputs()` gives [1, 16] token ids on meta.

What the diagram should show: the rotary tables (`cos`, `sin`, from `rotary_emb`) and the additive
causal mask (`torch.full(..., -inf).triu(1)`) are each built ONCE in the top-level forward and fed
into EVERY one of the 32 identical `layers.N` blocks (four inputs per block: hidden state, mask,
cos, sin). Inside a block: q/k/v projections reshaped to [b, 32, t, 128], rotary applied to q and k
(rotate_half: split, negate, concatenate), scores = q kᵀ / √128 + mask, softmax, context, o_proj,
and the gated MLP silu(gate) ⊙ up → down.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

VOCAB = 32000
DIM = 4096
HEADS = 32
LAYERS = 32
HIDDEN = 11008
ROPE_BASE = 10000.0


class RMSNorm(nn.Module):
    """x / rms(x) · g, computed in float32 as LLaMA does."""

    def __init__(self, dim: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.variance_epsilon = eps

    def forward(self, x: Tensor) -> Tensor:
        dtype = x.dtype
        x = x.to(torch.float32)
        variance = x.pow(2).mean(-1, keepdim=True)
        x = x * torch.rsqrt(variance + self.variance_epsilon)
        return self.weight * x.to(dtype)


class RotaryEmbedding(nn.Module):
    """The cos/sin tables for positions 0..t-1; called once per forward, by the top model."""

    def __init__(self, head_dim: int, base: float = ROPE_BASE) -> None:
        super().__init__()
        inv_freq = 1.0 / (base ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim))
        self.register_buffer("inv_freq", inv_freq, persistent=False)

    def forward(self, x: Tensor, seq_len: int) -> tuple[Tensor, Tensor]:
        positions = torch.arange(seq_len, device=x.device, dtype=torch.float32)
        freqs = torch.outer(positions, self.inv_freq)  # [t, head_dim / 2]
        emb = torch.cat((freqs, freqs), dim=-1)  # [t, head_dim]
        return emb.cos().to(x.dtype), emb.sin().to(x.dtype)


def rotate_half(x: Tensor) -> Tensor:
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


def apply_rotary(q: Tensor, k: Tensor, cos: Tensor, sin: Tensor) -> tuple[Tensor, Tensor]:
    cos, sin = cos[None, None], sin[None, None]  # broadcast over batch and heads
    return q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin


class Attention(nn.Module):
    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.num_heads = heads
        self.head_dim = dim // heads
        self.q_proj = nn.Linear(dim, dim, bias=False)
        self.k_proj = nn.Linear(dim, dim, bias=False)
        self.v_proj = nn.Linear(dim, dim, bias=False)
        self.o_proj = nn.Linear(dim, dim, bias=False)

    def forward(self, x: Tensor, mask: Tensor, cos: Tensor, sin: Tensor) -> Tensor:
        b, t, d = x.shape
        q = self.q_proj(x).view(b, t, self.num_heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(b, t, self.num_heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(b, t, self.num_heads, self.head_dim).transpose(1, 2)
        q, k = apply_rotary(q, k, cos, sin)
        scores = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(self.head_dim)
        scores = scores + mask  # [1, 1, t, t]: 0 on and below the diagonal, -inf above
        probs = F.softmax(scores, dim=-1, dtype=torch.float32).to(q.dtype)
        context = torch.matmul(probs, v)  # [b, heads, t, head_dim]
        return self.o_proj(context.transpose(1, 2).reshape(b, t, d))


class MLP(nn.Module):
    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.gate_proj = nn.Linear(dim, hidden, bias=False)
        self.up_proj = nn.Linear(dim, hidden, bias=False)
        self.down_proj = nn.Linear(hidden, dim, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class DecoderLayer(nn.Module):
    def __init__(self, dim: int, heads: int, hidden: int) -> None:
        super().__init__()
        self.input_layernorm = RMSNorm(dim)
        self.self_attn = Attention(dim, heads)
        self.post_attention_layernorm = RMSNorm(dim)
        self.mlp = MLP(dim, hidden)

    def forward(self, h: Tensor, mask: Tensor, cos: Tensor, sin: Tensor) -> Tensor:
        h = h + self.self_attn(self.input_layernorm(h), mask, cos, sin)
        return h + self.mlp(self.post_attention_layernorm(h))


class LlamaForCausalLM(nn.Module):
    def __init__(
        self,
        vocab: int = VOCAB,
        dim: int = DIM,
        layers: int = LAYERS,
        heads: int = HEADS,
        hidden: int = HIDDEN,
    ) -> None:
        super().__init__()
        self.embed_tokens = nn.Embedding(vocab, dim)
        self.rotary_emb = RotaryEmbedding(dim // heads)
        self.layers = nn.ModuleList(DecoderLayer(dim, heads, hidden) for _ in range(layers))
        self.norm = RMSNorm(dim)
        self.lm_head = nn.Linear(dim, vocab, bias=False)

    def forward(self, input_ids: Tensor) -> Tensor:
        t = input_ids.shape[1]
        h = self.embed_tokens(input_ids)
        cos, sin = self.rotary_emb(h, t)  # once, shared by every layer
        mask = torch.full((t, t), float("-inf"), dtype=h.dtype, device=h.device).triu(1)[None, None]  # once
        for layer in self.layers:
            h = layer(h, mask, cos, sin)
        return self.lm_head(self.norm(h))


def build_model() -> nn.Module:
    with torch.device("meta"):  # 6.7 B parameters, no memory: shapes and wiring only
        return LlamaForCausalLM().eval()


def example_inputs() -> tuple[Tensor]:
    torch.manual_seed(0)
    return (torch.zeros(1, 16, dtype=torch.long, device="meta"),)


if __name__ == "__main__":
    from smoke import main

    main(build_model, example_inputs)
