"""A BiGRU encoder whose forward final state starts a left-to-right GRU decoder.

Layout: batch-first source ids src [B=3, Ts=7], target ids tgt [B, Tt=5]; output per-step
logits [B, Tt, V=20]. h_n is [2, B, H=16] (forward, backward); the summary
cat(h_n[-2], h_n[-1]) is [forward | backward], and the decoder starts from its first H
features, the encoder's forward final state.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class BiEncoderDecoder(nn.Module):
    def __init__(self, vocab_size: int = 20, embed_dim: int = 8, hidden_size: int = 16) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.src_embed = nn.Embedding(vocab_size, embed_dim)
        self.tgt_embed = nn.Embedding(vocab_size, embed_dim)
        self.encoder = nn.GRU(embed_dim, hidden_size, batch_first=True, bidirectional=True)
        self.decoder = nn.GRU(embed_dim, hidden_size, batch_first=True)
        self.out = nn.Linear(3 * hidden_size, vocab_size)

    def forward(self, src: Tensor, tgt: Tensor) -> Tensor:
        _, h_n = self.encoder(self.src_embed(src))  # [2, B, H]
        summary = torch.cat([h_n[-2], h_n[-1]], dim=1)
        h0 = summary[:, : self.hidden_size].unsqueeze(0).contiguous()
        out, _ = self.decoder(self.tgt_embed(tgt), h0)  # [B, Tt, H]
        context = summary.unsqueeze(1).expand(-1, out.size(1), -1)
        return self.out(torch.cat([out, context], dim=-1))


def build_model() -> nn.Module:
    return BiEncoderDecoder().eval()


def example_inputs() -> tuple[Tensor, Tensor]:
    torch.manual_seed(0)
    return torch.randint(0, 20, (3, 7)), torch.randint(0, 20, (3, 5))
