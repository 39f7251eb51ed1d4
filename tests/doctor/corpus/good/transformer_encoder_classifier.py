"""A Transformer encoder text classifier with a key padding mask and mean pooling over real tokens.

Layout: batch-first (nn.TransformerEncoder with batch_first=True). Input token ids [B=3, T=9]
padded with 0 and their lengths [B] (9, 4, 6); output class logits [B, C=5] for
nn.CrossEntropyLoss. The mask is True at padding, so attention never reads it, and the pooled
vector averages each sequence over its own real tokens only.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn


class TransformerClassifier(nn.Module):
    def __init__(
        self,
        vocab_size: int = 60,
        d_model: int = 32,
        nhead: int = 4,
        num_layers: int = 2,
        num_classes: int = 5,
        max_len: int = 64,
    ) -> None:
        super().__init__()
        self.d_model = d_model
        self.embedding = nn.Embedding(vocab_size, d_model, padding_idx=0)
        self.position = nn.Embedding(max_len, d_model)
        layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward=64, dropout=0.1, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers)
        self.classifier = nn.Linear(d_model, num_classes)

    def forward(self, tokens: Tensor, lengths: Tensor) -> Tensor:
        positions = torch.arange(tokens.size(1), device=tokens.device)
        x = self.embedding(tokens) * math.sqrt(self.d_model) + self.position(positions)
        padding = positions.unsqueeze(0) >= lengths.unsqueeze(1)  # [B, T], True at padding
        h = self.encoder(x, src_key_padding_mask=padding)
        keep = (~padding).unsqueeze(-1).to(h.dtype)  # [B, T, 1]
        pooled = (h * keep).sum(dim=1) / keep.sum(dim=1)
        return self.classifier(pooled)


def build_model() -> nn.Module:
    return TransformerClassifier().eval()


def example_inputs() -> tuple[Tensor, Tensor]:
    torch.manual_seed(0)
    lengths = torch.tensor([9, 4, 6])
    tokens = torch.randint(1, 60, (3, 9))
    pad = torch.arange(9).unsqueeze(0) >= lengths.unsqueeze(1)
    return tokens.masked_fill(pad, 0), lengths
