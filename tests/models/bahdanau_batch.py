"""Batched seq2seq: packed bidirectional GRU encoder + Bahdanau (additive) attention decoder.

PATTERN: `pack_padded_sequence(..., enforce_sorted=False)` / `pad_packed_sequence` around a
bidirectional nn.GRU; additive attention `v^T tanh(W_q q + W_k k)` with a padding mask applied
via `masked_fill`; a decoder loop over nn.GRUCell with INPUT FEEDING (the attention `context` of
step t is concatenated into the GRUCell input at step t+1) and TEACHER FORCING (step t reads the
gold target embedding `embedded[:, t]`, never its own prediction).

TRUTHS a correct diagram must show (B=3, S=6, T=5):
- `encoder.embedding` -> pack -> `encoder.rnn` (one call, both directions) -> unpack -> `memory`
  [B, S, 2H]. `lengths` feeds pack_padded_sequence. `h_n[0]` and `h_n[1]` (forward and backward
  final states) are concatenated and go through `encoder.bridge` + tanh to become the decoder's
  initial `hidden`.
- `decoder.attention.key_proj` runs ONCE, on `memory`, before the loop (`proj_keys`); inside the
  loop `decoder.attention.query_proj`, `decoder.attention.energy`, `decoder.cell`,
  `decoder.pre_output` and `decoder.generator` each run 5 times.
- `src_mask` is built from `lengths` (`arange(S) < lengths[:, None]`) and enters every step's
  `masked_fill` before the softmax; padded source positions get -inf.
- Per step: cat(embedded[:, t], context) -> `cell` -> new `hidden`; `hidden` is the attention
  query; softmax weights bmm'd with `memory` give the new `context`; cat(embedded[:, t], hidden,
  context) -> `pre_output` -> tanh -> `generator`.
- Loop-carried values: `hidden` (cell output of step t is the cell's hidden at t+1) and `context`
  (attention output of step t enters the cell input at t+1; at step 0 it is `new_zeros`).
- `tgt` feeds `decoder.embedding` once (shifted right with BOS); no edge from `generator` back
  into the embedding. Output: `torch.stack` of the 5 logits -> [B, T, V].
"""

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

PAD, BOS = 0, 1


class Encoder(nn.Module):
    def __init__(self, vocab: int, emb_dim: int, hidden: int, dec_hidden: int):
        super().__init__()
        self.embedding = nn.Embedding(vocab, emb_dim, padding_idx=PAD)
        self.rnn = nn.GRU(emb_dim, hidden, batch_first=True, bidirectional=True)
        self.bridge = nn.Linear(2 * hidden, dec_hidden)

    def forward(self, src: torch.Tensor, lengths: torch.Tensor):
        embedded = self.embedding(src)
        packed = pack_padded_sequence(embedded, lengths.cpu(), batch_first=True, enforce_sorted=False)
        packed_out, h_n = self.rnn(packed)
        memory, _ = pad_packed_sequence(packed_out, batch_first=True, total_length=src.size(1))
        final = torch.cat([h_n[0], h_n[1]], dim=-1)
        return memory, torch.tanh(self.bridge(final))


class AdditiveAttention(nn.Module):
    def __init__(self, query_dim: int, key_dim: int, attn_dim: int):
        super().__init__()
        self.query_proj = nn.Linear(query_dim, attn_dim, bias=False)
        self.key_proj = nn.Linear(key_dim, attn_dim, bias=False)
        self.energy = nn.Linear(attn_dim, 1, bias=False)

    def forward(self, query, proj_keys, values, mask):
        q = self.query_proj(query).unsqueeze(1)  # [B, 1, A]
        scores = self.energy(torch.tanh(q + proj_keys)).squeeze(-1)  # [B, S]
        scores = scores.masked_fill(~mask, float("-inf"))
        alphas = F.softmax(scores, dim=-1)
        context = torch.bmm(alphas.unsqueeze(1), values).squeeze(1)
        return context, alphas


class Decoder(nn.Module):
    def __init__(self, vocab: int, emb_dim: int, hidden: int, mem_dim: int, attn_dim: int):
        super().__init__()
        self.embedding = nn.Embedding(vocab, emb_dim, padding_idx=PAD)
        self.attention = AdditiveAttention(hidden, mem_dim, attn_dim)
        self.cell = nn.GRUCell(emb_dim + mem_dim, hidden)
        self.pre_output = nn.Linear(emb_dim + hidden + mem_dim, hidden)
        self.generator = nn.Linear(hidden, vocab)

    def forward(self, tgt_in, memory, src_mask, hidden):
        embedded = self.embedding(tgt_in)
        proj_keys = self.attention.key_proj(memory)  # computed once for all steps
        context = memory.new_zeros(memory.size(0), memory.size(-1))
        step_logits = []
        for t in range(tgt_in.size(1)):
            prev_emb = embedded[:, t]
            hidden = self.cell(torch.cat([prev_emb, context], dim=-1), hidden)
            context, _ = self.attention(hidden, proj_keys, memory, src_mask)
            pre = torch.tanh(self.pre_output(torch.cat([prev_emb, hidden, context], dim=-1)))
            step_logits.append(self.generator(pre))
        return torch.stack(step_logits, dim=1)


class BahdanauSeq2Seq(nn.Module):
    def __init__(
        self,
        src_vocab: int = 24,
        tgt_vocab: int = 20,
        emb_dim: int = 12,
        enc_hidden: int = 8,
        dec_hidden: int = 16,
        attn_dim: int = 10,
    ):
        super().__init__()
        self.encoder = Encoder(src_vocab, emb_dim, enc_hidden, dec_hidden)
        self.decoder = Decoder(tgt_vocab, emb_dim, dec_hidden, 2 * enc_hidden, attn_dim)

    def forward(self, src: torch.Tensor, lengths: torch.Tensor, tgt: torch.Tensor):
        memory, hidden = self.encoder(src, lengths)
        src_mask = torch.arange(src.size(1), device=src.device)[None, :] < lengths[:, None]
        bos = tgt.new_full((tgt.size(0), 1), BOS)
        tgt_in = torch.cat([bos, tgt[:, :-1]], dim=1)  # teacher forcing, shifted right
        return self.decoder(tgt_in, memory, src_mask, hidden)


def build_model() -> nn.Module:
    torch.manual_seed(0)
    return BahdanauSeq2Seq().eval()


def example_inputs():
    g = torch.Generator().manual_seed(0)
    lengths = torch.tensor([6, 4, 5])
    src = torch.randint(2, 24, (3, 6), generator=g)
    src = src.masked_fill(torch.arange(6)[None, :] >= lengths[:, None], PAD)
    tgt = torch.randint(2, 20, (3, 5), generator=g)
    return src, lengths, tgt


if __name__ == "__main__":
    model = build_model()
    with torch.no_grad():
        logits = model(*example_inputs())
    print("logits", tuple(logits.shape))
