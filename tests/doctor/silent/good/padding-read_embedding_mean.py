"""A fastText-style bag-of-embeddings classifier over padded token batches.

Layout: batch-first token ids [B=4, T=12] padded with id 0 after each text; output class logits
[B, 5]. The text vector is the mean of the embeddings of the real tokens (id != 0).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class BagOfEmbeddings(nn.Module):
    def __init__(self, vocab_size: int = 100, embed_dim: int = 16, num_classes: int = 5) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.fc = nn.Linear(embed_dim, num_classes)

    def forward(self, tokens: Tensor) -> Tensor:
        emb = self.embedding(tokens)  # [B, T, E]
        keep = (tokens != 0).unsqueeze(-1).float()
        pooled = (emb * keep).sum(dim=1) / keep.sum(dim=1)
        return self.fc(pooled)


def build_model() -> nn.Module:
    return BagOfEmbeddings().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    lengths = torch.tensor([12, 5, 9, 2])
    tokens = torch.randint(1, 100, (4, 12))
    return tokens.masked_fill(torch.arange(12).unsqueeze(0) >= lengths.unsqueeze(1), 0)
