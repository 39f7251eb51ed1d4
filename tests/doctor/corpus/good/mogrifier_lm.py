"""A Mogrifier LSTM language model (Melis et al., ICLR 2020): next-token logits at every step.

Layout: batch-first. Input token ids [B=4, T=6] (vocabulary 50); output logits [B, T, V=50].

Before each LSTM step, x and h gate each other over r rounds (here r = 4):
    odd i:   x ← 2 σ(Qⁱ h) ⊙ x
    even i:  h ← 2 σ(Rⁱ x) ⊙ h
then the usual LSTM update with [i, f, g, o] = W_ih x + W_hh h + b.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class MogrifierCell(nn.Module):
    def __init__(self, input_size: int, hidden_size: int, rounds: int = 4) -> None:
        super().__init__()
        self.rounds = rounds
        self.q = nn.ModuleList(nn.Linear(hidden_size, input_size) for _ in range((rounds + 1) // 2))
        self.r = nn.ModuleList(nn.Linear(input_size, hidden_size) for _ in range(rounds // 2))
        self.ih = nn.Linear(input_size, 4 * hidden_size)
        self.hh = nn.Linear(hidden_size, 4 * hidden_size, bias=False)

    def forward(self, x: Tensor, state: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor]:
        h, c = state
        for i in range(1, self.rounds + 1):
            if i % 2 == 1:
                x = 2 * torch.sigmoid(self.q[i // 2](h)) * x
            else:
                h = 2 * torch.sigmoid(self.r[i // 2 - 1](x)) * h
        i_gate, f_gate, g, o_gate = (self.ih(x) + self.hh(h)).chunk(4, dim=-1)
        c = torch.sigmoid(f_gate) * c + torch.sigmoid(i_gate) * torch.tanh(g)
        h = torch.sigmoid(o_gate) * torch.tanh(c)
        return h, c


class MogrifierLM(nn.Module):
    def __init__(self, vocab_size: int = 50, embed_dim: int = 12, hidden_size: int = 24) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.cell = MogrifierCell(embed_dim, hidden_size)
        self.decoder = nn.Linear(hidden_size, vocab_size)

    def forward(self, tokens: Tensor) -> Tensor:
        emb = self.embedding(tokens)
        batch = tokens.size(0)
        h = emb.new_zeros(batch, self.hidden_size)
        c = emb.new_zeros(batch, self.hidden_size)
        states: list[Tensor] = []
        for t in range(tokens.size(1)):
            h, c = self.cell(emb[:, t], (h, c))
            states.append(h)
        return self.decoder(torch.stack(states, dim=1))


def build_model() -> nn.Module:
    return MogrifierLM()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randint(0, 50, (4, 6))
