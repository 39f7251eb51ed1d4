"""A recurrent feature writer that fills preallocated buffers in place, then attends over them.

PATTERN: six in-place write styles in one forward:
`steps[i] = self.step_proj(h)` (indexed assignment in a loop), `steps[i] += torch.sigmoid(
self.gate_proj(x_i))` (indexed in-place add), `memory.copy_(steps.transpose(0, 1))`,
`memory.index_put_((batch_idx, last_idx), h)`, `scores.masked_fill_(pad_mask, -inf)` and
`acc.add_(...)`. Every buffer is read afterwards, so the output depends on all writes.

TRUTHS a correct diagram must show (B=3, T=5, d_in=10, d_model=16):
- `cell` (nn.GRUCell) runs 5 times; its `h` is loop-carried (zeros at step 0).
- Each step i: `step_proj` reads the cell's NEW `h` and its output is written into `steps[i]`;
  `gate_proj` reads `x[:, i]`, goes through sigmoid and is ADDED into `steps[i]` (5 + 5 writes
  into the single `steps` buffer, which was created by `x.new_zeros`).
- `memory.copy_(...)` reads `steps` AFTER all 10 writes (edges from step_proj and gate_proj,
  through the writes, into `memory`); `memory` is a fresh `torch.zeros` buffer so its content
  comes only from the copy, not from the `zeros`.
- `memory.index_put_` overwrites each sequence's last valid position (`lengths - 1`, computed
  from `pad_mask`) with the FINAL `h` from `cell`: an edge cell(step 4) -> memory.
- `query` reads the final `h`; `scores = bmm(memory, query(h))` reads memory AFTER copy_ and
  index_put_; `scores.masked_fill_(pad_mask, -inf)` writes into `scores` before `softmax`.
- `context = bmm(attn, memory)`; `acc` (zeros) receives `acc.add_(context)` and
  `acc.add_(self.skip(h))`; `out` reads `acc` after both adds -> logits [3, 4].
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


class RecurrentMemoryReader(nn.Module):
    def __init__(self, d_in: int = 10, d_model: int = 16, n_classes: int = 4):
        super().__init__()
        self.d_model = d_model
        self.cell = nn.GRUCell(d_in, d_model)
        self.step_proj = nn.Linear(d_model, d_model)
        self.gate_proj = nn.Linear(d_in, d_model)
        self.query = nn.Linear(d_model, d_model)
        self.skip = nn.Linear(d_model, d_model)
        self.out = nn.Linear(d_model, n_classes)

    def forward(self, x: torch.Tensor, pad_mask: torch.Tensor) -> torch.Tensor:
        # x: [B, T, d_in]; pad_mask: [B, T], True where padded
        batch, steps_n, _ = x.shape
        steps = x.new_zeros(steps_n, batch, self.d_model)
        h = x.new_zeros(batch, self.d_model)
        for i in range(steps_n):
            x_i = x[:, i]
            h = self.cell(x_i, h)
            steps[i] = self.step_proj(h)
            steps[i] += torch.sigmoid(self.gate_proj(x_i))

        memory = torch.zeros(batch, steps_n, self.d_model)
        memory.copy_(steps.transpose(0, 1))
        lengths = (~pad_mask).sum(dim=1)
        batch_idx = torch.arange(batch)
        memory.index_put_((batch_idx, lengths - 1), h)

        scores = torch.bmm(memory, self.query(h).unsqueeze(2)).squeeze(2)  # [B, T]
        scores.masked_fill_(pad_mask, float("-inf"))
        attn = F.softmax(scores / self.d_model**0.5, dim=1)
        context = torch.bmm(attn.unsqueeze(1), memory).squeeze(1)

        acc = torch.zeros(batch, self.d_model)
        acc.add_(context)
        acc.add_(self.skip(h))
        return self.out(acc)


def build_model() -> nn.Module:
    torch.manual_seed(0)
    return RecurrentMemoryReader().eval()


def example_inputs():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(3, 5, 10, generator=g)
    lengths = torch.tensor([5, 3, 4])
    pad_mask = torch.arange(5)[None, :] >= lengths[:, None]
    return x, pad_mask


if __name__ == "__main__":
    model = build_model()
    with torch.no_grad():
        logits = model(*example_inputs())
    print("logits", tuple(logits.shape))
    # the in-place writes are also autograd-safe
    x, mask = example_inputs()
    model(x.requires_grad_(True), mask).sum().backward()
    print("input grad", tuple(x.grad.shape))
