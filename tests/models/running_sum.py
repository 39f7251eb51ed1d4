"""Temporal statistics pooling: loop-carried accumulators that are NOT recurrent hidden states.

PATTERN: inside forward, a Python loop over time steps updates three accumulators:
a running sum `total = total + self.proj(x[:, t])`, a running max
`running_max = torch.maximum(running_max, self.score(x[:, t]))` and an exponential moving average
`ema = self.decay * ema + (1 - self.decay) * torch.tanh(self.smooth(x[:, t]))`. No RNN module is
involved; the per-step layers never see the accumulators.

TRUTHS a correct diagram must show (B=2, T=6, features 10, dim 16):
- `proj`, `score` and `smooth` each run 6 times, once per step, each reading only `x[:, t]`
  (never `total`, `running_max` or `ema`): there is no recurrence through these layers.
- `total`: starts at `x.new_zeros` and gets one add per step; the add at step t reads the add of
  step t-1 and `proj` at step t. After the loop, `mean = total / steps` divides it once.
- `running_max`: starts at `new_full(-inf)`; one `torch.maximum` per step, chained across steps,
  reading `score` at step t.
- `ema`: starts at `new_zeros`; per step a multiply by `decay`, a `tanh` of `smooth`, a multiply by
  `1 - decay` and an add, chained across steps.
- Only the FINAL values (after step 6) reach `torch.cat([mean, running_max, ema])` -> `head`
  (Linear 48 -> 3) -> output [2, 3]. No per-step value is an output.
"""

import torch
import torch.nn as nn


class TemporalStatsPooling(nn.Module):
    def __init__(self, in_features: int = 10, dim: int = 16, n_classes: int = 3, decay: float = 0.8):
        super().__init__()
        self.dim = dim
        self.decay = decay
        self.proj = nn.Linear(in_features, dim)
        self.score = nn.Linear(in_features, dim)
        self.smooth = nn.Linear(in_features, dim)
        self.head = nn.Linear(3 * dim, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: [B, T, in_features]
        batch, steps, _ = x.shape
        total = x.new_zeros(batch, self.dim)
        running_max = x.new_full((batch, self.dim), float("-inf"))
        ema = x.new_zeros(batch, self.dim)
        for t in range(steps):
            total = total + self.proj(x[:, t])
            running_max = torch.maximum(running_max, self.score(x[:, t]))
            ema = self.decay * ema + (1 - self.decay) * torch.tanh(self.smooth(x[:, t]))
        mean = total / steps
        return self.head(torch.cat([mean, running_max, ema], dim=-1))


def build_model() -> nn.Module:
    torch.manual_seed(0)
    return TemporalStatsPooling().eval()


def example_inputs():
    g = torch.Generator().manual_seed(0)
    return torch.randn(2, 6, 10, generator=g)


if __name__ == "__main__":
    model = build_model()
    with torch.no_grad():
        out = model(example_inputs())
    print("out", tuple(out.shape))
