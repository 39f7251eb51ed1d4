"""Sequence-to-sequence with Bahdanau (additive) attention, trained with teacher forcing.

Layout: batch-first. Inputs: source ids [B=4, S=9] (vocabulary 40) and target ids [B, T=7]
(vocabulary 35, starting with <bos>); output logits [B, T, 35] for nn.CrossEntropyLoss.

Encoder: Embedding → bidirectional GRU (batch_first) → outputs [B, S, 2·24]; the decoder's
first state is tanh(W [h→_S ; h←_1]). Decoder step t (input: the gold token y_t):
    e_{t,s} = vᵀ tanh(W_s s_{t−1} + W_h h_s)      a_t = softmax_s(e_t)   (over source positions)
    c_t = Σ_s a_{t,s} h_s
    s_t = GRUCell([emb(y_t); c_t], s_{t−1})
    logits_t = W_o [s_t; c_t; emb(y_t)]
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class Encoder(nn.Module):
    def __init__(self, vocab_size: int, embed_dim: int, hidden: int, dec_hidden: int) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.rnn = nn.GRU(embed_dim, hidden, batch_first=True, bidirectional=True)
        self.bridge = nn.Linear(2 * hidden, dec_hidden)

    def forward(self, src: Tensor) -> tuple[Tensor, Tensor]:
        outputs, h_n = self.rnn(self.embedding(src))
        init = torch.tanh(self.bridge(torch.cat([h_n[-2], h_n[-1]], dim=-1)))
        return outputs, init


class AdditiveAttention(nn.Module):
    def __init__(self, dec_hidden: int, enc_dim: int, attn_dim: int) -> None:
        super().__init__()
        self.query = nn.Linear(dec_hidden, attn_dim, bias=False)
        self.keys = nn.Linear(enc_dim, attn_dim, bias=False)
        self.v = nn.Linear(attn_dim, 1, bias=False)

    def forward(self, state: Tensor, encoder_outputs: Tensor) -> tuple[Tensor, Tensor]:
        energy = self.v(torch.tanh(self.query(state).unsqueeze(1) + self.keys(encoder_outputs))).squeeze(-1)
        weights = torch.softmax(energy, dim=1)  # [B, S], over source positions
        context = torch.bmm(weights.unsqueeze(1), encoder_outputs).squeeze(1)  # [B, enc_dim]
        return context, weights


class Decoder(nn.Module):
    def __init__(self, vocab_size: int, embed_dim: int, enc_dim: int, hidden: int) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.attention = AdditiveAttention(hidden, enc_dim, 20)
        self.cell = nn.GRUCell(embed_dim + enc_dim, hidden)
        self.out = nn.Linear(hidden + enc_dim + embed_dim, vocab_size)

    def forward(self, token: Tensor, state: Tensor, encoder_outputs: Tensor) -> tuple[Tensor, Tensor]:
        emb = self.embedding(token)
        context, _ = self.attention(state, encoder_outputs)
        state = self.cell(torch.cat([emb, context], dim=-1), state)
        return self.out(torch.cat([state, context, emb], dim=-1)), state


class Seq2Seq(nn.Module):
    def __init__(self, src_vocab: int = 40, tgt_vocab: int = 35) -> None:
        super().__init__()
        self.encoder = Encoder(src_vocab, 16, 24, 32)
        self.decoder = Decoder(tgt_vocab, 16, 48, 32)

    def forward(self, src: Tensor, tgt: Tensor) -> Tensor:
        encoder_outputs, state = self.encoder(src)
        logits: list[Tensor] = []
        for t in range(tgt.size(1)):
            step_logits, state = self.decoder(tgt[:, t], state, encoder_outputs)
            logits.append(step_logits)
        return torch.stack(logits, dim=1)


def build_model() -> nn.Module:
    return Seq2Seq()


def example_inputs() -> tuple[Tensor, Tensor]:
    torch.manual_seed(0)
    src = torch.randint(1, 40, (4, 9))
    tgt = torch.randint(1, 35, (4, 7))
    tgt[:, 0] = 1  # <bos>
    return src, tgt
