"""A variational autoencoder on flat feature vectors that returns (reconstruction, mu, logvar).

Layout: per-sample vectors. Input x [B=4, F=30]; outputs the reconstruction [B, 30] (the mean of
a Gaussian decoder, trained with MSE) and the posterior's mu and logvar [B, 6] (for the KL term).
In training z = mu + σ ⊙ ε; in eval (as built here) z = mu, so the forward pass is deterministic.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class VAE(nn.Module):
    def __init__(self, num_features: int = 30, hidden: int = 24, latent: int = 6) -> None:
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(num_features, hidden), nn.ReLU())
        self.mu = nn.Linear(hidden, latent)
        self.logvar = nn.Linear(hidden, latent)
        self.decoder = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, num_features))

    def reparameterize(self, mu: Tensor, logvar: Tensor) -> Tensor:
        if self.training:
            std = torch.exp(0.5 * logvar)
            return mu + std * torch.randn_like(std)
        return mu

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        h = self.encoder(x)
        mu, logvar = self.mu(h), self.logvar(h)
        z = self.reparameterize(mu, logvar)
        return self.decoder(z), mu, logvar


def build_model() -> nn.Module:
    return VAE().eval()


def example_inputs() -> Tensor:
    torch.manual_seed(0)
    return torch.randn(4, 30)
