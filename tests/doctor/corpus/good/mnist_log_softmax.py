"""A small digit-recognition CNN that returns log-probabilities for nn.NLLLoss.

Layout: images NCHW. Input [B=4, 1, H=14, W=13]; output log-probabilities [B, 10].
The last op is log_softmax over the class axis on purpose: the model is trained with
nn.NLLLoss (log_softmax + NLLLoss is CrossEntropyLoss split in two), as in pytorch/examples.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class DigitNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3)
        self.conv2 = nn.Conv2d(8, 16, 3)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(16 * 5 * 4, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x: Tensor) -> Tensor:
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2)  # [B, 16, 5, 4]
        x = torch.flatten(self.dropout1(x), 1)
        x = self.dropout2(F.relu(self.fc1(x)))
        return F.log_softmax(self.fc2(x), dim=1)


def build_model() -> nn.Module:
    return DigitNet().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(4, 1, 14, 13)
