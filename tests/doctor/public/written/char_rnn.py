"""A character-level RNN name classifier in the shape of the "classifying names" tutorial.

Layout: one name at a time. Input line_tensor [L=7, 1, n_letters=57] (one-hot letters, one row
per character; the middle 1 is the tutorial's batch of one). The cell concatenates the letter
and the hidden state [1, 32], produces the next hidden state and a log-softmax over 18
languages; the model steps it over dim 0 and returns the last step's output [1, 18].
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

N_LETTERS = 57
N_CATEGORIES = 18


class RNN(nn.Module):
    def __init__(self, input_size: int, hidden_size: int, output_size: int) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.i2h = nn.Linear(input_size + hidden_size, hidden_size)
        self.i2o = nn.Linear(input_size + hidden_size, output_size)
        self.softmax = nn.LogSoftmax(dim=1)

    def forward(self, input: Tensor, hidden: Tensor) -> tuple[Tensor, Tensor]:
        combined = torch.cat((input, hidden), 1)
        hidden = self.i2h(combined)
        output = self.softmax(self.i2o(combined))
        return output, hidden

    def initHidden(self) -> Tensor:
        return torch.zeros(1, self.hidden_size)


class NameClassifier(nn.Module):
    """What the tutorial's evaluate() does with the cell: feed the name one letter at a time."""

    def __init__(self) -> None:
        super().__init__()
        self.rnn = RNN(N_LETTERS, 32, N_CATEGORIES)

    def forward(self, line_tensor: Tensor) -> Tensor:
        hidden = self.rnn.initHidden()
        for i in range(line_tensor.size()[0]):
            output, hidden = self.rnn(line_tensor[i], hidden)
        return output


def build_model() -> nn.Module:
    return NameClassifier().eval()


def example_inputs() -> Tensor:
    letters = [7, 4, 11, 11, 14, 30, 2]  # fixed letter indices: a name has no randomness to seed
    line = torch.zeros(len(letters), 1, N_LETTERS)
    for i, letter in enumerate(letters):
        line[i][0][letter] = 1
    return line
