"""A temporal convolutional network in the shape of locuslab's TCN, with hook-based weight normalisation.

Layout: channels-first sequences, input [B=4, C=3, L=32]. Each TemporalBlock runs two dilated
causal convolutions (padding (k−1)·d on both sides, then `Chomp1d` cuts the extra right-hand
steps), wrapped in `torch.nn.utils.weight_norm` (weight recomputed from weight_g and weight_v by
a forward pre-hook). The block registers its layers as attributes *and* collects the same
modules in `self.net`, which forward calls. The classifier reads the last step, y[:, :, -1],
→ logits [B, 5].
"""

from __future__ import annotations

import warnings

import torch
from torch import Tensor, nn

with warnings.catch_warnings():
    warnings.simplefilter("ignore", FutureWarning)  # the hook-based weight_norm is deprecated, not removed
    from torch.nn.utils import weight_norm


class Chomp1d(nn.Module):
    def __init__(self, chomp_size: int) -> None:
        super().__init__()
        self.chomp_size = chomp_size

    def forward(self, x: Tensor) -> Tensor:
        return x[:, :, : -self.chomp_size].contiguous()


class TemporalBlock(nn.Module):
    def __init__(
        self,
        n_inputs: int,
        n_outputs: int,
        kernel_size: int,
        stride: int,
        dilation: int,
        padding: int,
        dropout: float = 0.2,
    ) -> None:
        super().__init__()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            self.conv1 = weight_norm(
                nn.Conv1d(n_inputs, n_outputs, kernel_size, stride=stride, padding=padding, dilation=dilation)
            )
            self.conv2 = weight_norm(
                nn.Conv1d(n_outputs, n_outputs, kernel_size, stride=stride, padding=padding, dilation=dilation)
            )
        self.chomp1 = Chomp1d(padding)
        self.relu1 = nn.ReLU()
        self.dropout1 = nn.Dropout(dropout)
        self.chomp2 = Chomp1d(padding)
        self.relu2 = nn.ReLU()
        self.dropout2 = nn.Dropout(dropout)
        self.net = nn.Sequential(
            self.conv1, self.chomp1, self.relu1, self.dropout1, self.conv2, self.chomp2, self.relu2, self.dropout2
        )
        self.downsample = nn.Conv1d(n_inputs, n_outputs, 1) if n_inputs != n_outputs else None
        self.relu = nn.ReLU()
        self.init_weights()

    def init_weights(self) -> None:
        self.conv1.weight.data.normal_(0, 0.01)
        self.conv2.weight.data.normal_(0, 0.01)
        if self.downsample is not None:
            self.downsample.weight.data.normal_(0, 0.01)

    def forward(self, x: Tensor) -> Tensor:
        out = self.net(x)
        res = x if self.downsample is None else self.downsample(x)
        return self.relu(out + res)


class TemporalConvNet(nn.Module):
    def __init__(self, num_inputs: int, num_channels: list[int], kernel_size: int = 2, dropout: float = 0.2) -> None:
        super().__init__()
        layers = []
        for i, out_channels in enumerate(num_channels):
            dilation_size = 2**i
            in_channels = num_inputs if i == 0 else num_channels[i - 1]
            layers.append(
                TemporalBlock(
                    in_channels,
                    out_channels,
                    kernel_size,
                    stride=1,
                    dilation=dilation_size,
                    padding=(kernel_size - 1) * dilation_size,
                    dropout=dropout,
                )
            )
        self.network = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return self.network(x)


class TCN(nn.Module):
    def __init__(self, input_size: int = 3, output_size: int = 5, num_channels: tuple[int, ...] = (16, 16, 16)):
        super().__init__()
        self.tcn = TemporalConvNet(input_size, list(num_channels), kernel_size=3, dropout=0.1)
        self.linear = nn.Linear(num_channels[-1], output_size)

    def forward(self, inputs: Tensor) -> Tensor:
        y1 = self.tcn(inputs)  # [B, C, L]
        return self.linear(y1[:, :, -1])


def build_model() -> nn.Module:
    return TCN().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(4, 3, 32)
