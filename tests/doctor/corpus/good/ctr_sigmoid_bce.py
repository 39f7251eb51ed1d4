"""A click-through-rate MLP that outputs click probabilities, trained with nn.BCELoss.

Layout: per-sample tabular rows. Inputs: dense features [B=4, 13] and categorical ids
[B, 5 fields] (one shared table, each field offset into it); output click probabilities [B, 1].
The final sigmoid is on purpose: the model is documented to output probabilities and is trained
with nn.BCELoss (not BCEWithLogitsLoss), and serving reads the probability directly.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class CTRModel(nn.Module):
    def __init__(self, num_dense: int = 13, num_fields: int = 5, field_size: int = 20, embed_dim: int = 8) -> None:
        super().__init__()
        self.embedding = nn.Embedding(num_fields * field_size, embed_dim)
        self.register_buffer("offsets", torch.arange(num_fields) * field_size, persistent=False)
        self.mlp = nn.Sequential(
            nn.Linear(num_dense + num_fields * embed_dim, 32),
            nn.ReLU(),
            nn.Linear(32, 16),
            nn.ReLU(),
            nn.Linear(16, 1),
        )

    def forward(self, dense: Tensor, categorical: Tensor) -> Tensor:
        embedded = self.embedding(categorical + self.offsets).flatten(1)  # [B, fields · embed_dim]
        logit = self.mlp(torch.cat([dense, embedded], dim=1))
        return torch.sigmoid(logit)


def build_model() -> nn.Module:
    return CTRModel()


def example_inputs() -> tuple[Tensor, Tensor]:
    torch.manual_seed(0)
    return torch.randn(4, 13), torch.randint(0, 20, (4, 5))
