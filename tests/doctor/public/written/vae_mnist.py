"""A fully connected VAE in the shape of pytorch/examples' MNIST VAE.

Layout: input images [B=4, 1, 28, 28], flattened with x.view(-1, 784); outputs the
reconstruction [B, 784] (sigmoid, for binary cross-entropy against the flattened image), and the
posterior's mu and logvar, each [B, 20]. The reparameterisation samples in eval mode too, as the
example does.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class VAE(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(784, 400)
        self.fc21 = nn.Linear(400, 20)
        self.fc22 = nn.Linear(400, 20)
        self.fc3 = nn.Linear(20, 400)
        self.fc4 = nn.Linear(400, 784)

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu: Tensor, logvar: Tensor) -> Tensor:
        std = torch.exp(0.5 * logvar)
        eps = torch.randn_like(std)
        return mu + eps * std

    def decode(self, z: Tensor) -> Tensor:
        h3 = F.relu(self.fc3(z))
        return torch.sigmoid(self.fc4(h3))

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        mu, logvar = self.encode(x.view(-1, 784))
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar


def build_model() -> nn.Module:
    return VAE().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.rand(4, 1, 28, 28)
