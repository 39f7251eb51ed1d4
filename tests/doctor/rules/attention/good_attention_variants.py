"""Correct uses of softmax next to weighted sums: masked multi-head attention (float32 softmax, cast back,
dropout), a mixture-of-experts router (softmax, top-k, gather), slot attention (softmax over the slots,
renormalised over the inputs before the einsum), linear attention (softmax of q over features and of k
over the sequence), a learned transition matrix, and class probabilities at the end.

Layout: x [B=2, T=6, D=8]; outputs [B, T, D] and [B, 3].
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class Variants(nn.Module):
    def __init__(self, dim: int = 8, heads: int = 2, experts: int = 4, slots: int = 3) -> None:
        super().__init__()
        self.heads, self.slots = heads, slots
        self.qkv = nn.Linear(dim, 3 * dim)
        self.drop = nn.Dropout(0.1)
        self.router = nn.Linear(dim, experts)
        self.experts = nn.ModuleList(nn.Linear(dim, dim) for _ in range(experts))
        self.slot_init = nn.Parameter(torch.randn(1, slots, dim))
        self.transitions = nn.Parameter(torch.randn(dim, dim))
        self.head = nn.Linear(dim, 3)

    def attention(self, x: Tensor) -> Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        scores = q @ k.transpose(-2, -1) / (d // self.heads) ** 0.5
        causal = torch.ones(t, t, dtype=torch.bool).triu(1)
        scores = scores.masked_fill(causal, float("-inf"))
        probs = self.drop(F.softmax(scores, dim=-1, dtype=torch.float32).to(q.dtype))
        return (probs @ v).transpose(1, 2).reshape(b, t, d)

    def moe(self, x: Tensor) -> Tensor:
        flat = x.reshape(-1, x.size(-1))
        gates = F.softmax(self.router(flat), dim=1, dtype=torch.float)
        weights, chosen = torch.topk(gates, 2, dim=-1)
        weights = weights / weights.sum(dim=-1, keepdim=True)
        outs = torch.stack([e(flat) for e in self.experts], dim=1)  # [N, E, D]
        picked = outs.gather(1, chosen.unsqueeze(-1).expand(-1, -1, outs.size(-1)))
        return (picked * weights.unsqueeze(-1)).sum(dim=1).view_as(x)

    def slot_attention(self, x: Tensor) -> Tensor:
        slots = self.slot_init.expand(x.size(0), -1, -1)
        dots = torch.einsum("bid,bjd->bij", slots, x)  # [B, S, T]
        attn = dots.softmax(dim=1) + 1e-8  # over the slots: they compete for each input
        attn = attn / attn.sum(dim=-1, keepdim=True)  # a weighted mean over the inputs
        return torch.einsum("bjd,bij->bid", x, attn)

    def linear_attention(self, x: Tensor) -> Tensor:
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        q = q.softmax(dim=-1)
        k = k.softmax(dim=-2)
        context = k.transpose(1, 2) @ v  # [B, D, D]
        return q @ context

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        y = self.attention(x) + self.moe(x) + self.linear_attention(x)
        pooled = self.slot_attention(y).mean(dim=1)
        pooled = pooled @ torch.softmax(self.transitions, dim=-1)
        return y, torch.softmax(self.head(pooled), dim=-1)


def build_model() -> nn.Module:
    return Variants().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(2, 6, 8)
