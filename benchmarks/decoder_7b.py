"""A decoder-only transformer configured at about 7 billion parameters, built on the meta device.

32 layers, d_model 4096, 32 heads, SwiGLU MLP of width 11008, vocabulary 32000 (the shape of the
LLaMA-7B family): 6.74 B parameters. Built with `torch.device("meta")`, so no weight memory is
allocated; `archviz render benchmarks/decoder_7b.py` traces it on meta tensors (shapes and wiring
only) in seconds. Equations per layer, with RMSNorm N(x) = x / rms(x) · g:
    a = softmax(Q Kᵀ / √d_head, causal) V,  Q, K, V = N(x) W_q, N(x) W_k, N(x) W_v
    x = x + a W_o
    x = x + (silu(N(x) W_gate) ⊙ N(x) W_up) W_down
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class Attention(nn.Module):
    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.q_proj = nn.Linear(dim, dim, bias=False)
        self.k_proj = nn.Linear(dim, dim, bias=False)
        self.v_proj = nn.Linear(dim, dim, bias=False)
        self.o_proj = nn.Linear(dim, dim, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q = self.q_proj(x).view(b, t, self.heads, d // self.heads).transpose(1, 2)
        k = self.k_proj(x).view(b, t, self.heads, d // self.heads).transpose(1, 2)
        v = self.v_proj(x).view(b, t, self.heads, d // self.heads).transpose(1, 2)
        a = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.o_proj(a.transpose(1, 2).reshape(b, t, d))


class MLP(nn.Module):
    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.gate_proj = nn.Linear(dim, hidden, bias=False)
        self.up_proj = nn.Linear(dim, hidden, bias=False)
        self.down_proj = nn.Linear(hidden, dim, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Block(nn.Module):
    def __init__(self, dim: int, heads: int, hidden: int) -> None:
        super().__init__()
        self.attn_norm = RMSNorm(dim)
        self.attn = Attention(dim, heads)
        self.mlp_norm = RMSNorm(dim)
        self.mlp = MLP(dim, hidden)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.attn_norm(x))
        return x + self.mlp(self.mlp_norm(x))


class Decoder(nn.Module):
    def __init__(self, vocab: int = 32000, dim: int = 4096, layers: int = 32, heads: int = 32, hidden: int = 11008) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.layers = nn.ModuleList(Block(dim, heads, hidden) for _ in range(layers))
        self.norm = RMSNorm(dim)
        self.lm_head = nn.Linear(dim, vocab, bias=False)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.embed(tokens)
        for layer in self.layers:
            x = layer(x)
        return self.lm_head(self.norm(x))


def build_model() -> nn.Module:
    with torch.device("meta"):  # 6.7 B parameters, no memory: shapes and wiring only
        return Decoder().eval()


def example_inputs() -> tuple[torch.Tensor]:
    return (torch.zeros(1, 128, dtype=torch.long),)


if __name__ == "__main__":
    model = build_model()
    print(f"{sum(p.numel() for p in model.parameters()) / 1e9:.2f} B parameters")
