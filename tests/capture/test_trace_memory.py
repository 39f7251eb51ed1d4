"""What a trace holds while the model runs: a tensor the model has let go of is freed as in a plain
forward pass. (A hand-back, an eval Dropout, is recorded with the frame it was made in; holding that
frame after it returned kept its locals, every activation of a BERT, alive until the trace ended.)"""

from __future__ import annotations

import weakref

import torch
from torch import nn

from archviz import capture

made: list[weakref.ref[torch.Tensor]] = []
alive_at_end: list[bool] = []


class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(16, 16)
        self.drop = nn.Dropout(0.1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        wide = self.fc(x)  # a local of this frame only: dead once the block returns
        made.append(weakref.ref(wide))
        return self.drop(wide) * 2  # eval Dropout hands `wide` back, recorded at this line


class Stack(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(Block() for _ in range(4))
        self.head = nn.Linear(16, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = block(x)
        out = self.head(x)  # a module call ends after every block has returned
        alive_at_end.extend(r() is not None for r in made)
        return out


def test_a_returned_blocks_locals_are_freed_during_the_trace() -> None:
    made.clear()
    alive_at_end.clear()
    model = Stack().eval()
    with torch.no_grad():
        model(torch.randn(3, 16))
    assert alive_at_end == [False] * 4  # the plain pass: nothing keeps `wide`
    made.clear()
    alive_at_end.clear()
    trace = capture.trace_model(model, (torch.randn(3, 16),))
    assert alive_at_end == [False] * 4
    # and the hand-backs are still wired: each block's multiply reads the Dropout, which reads the fc
    muls = [c for c in trace.calls if c.name == "mul"]
    assert len(muls) == 4
    for mul in muls:
        drop = trace.call(mul.inputs[0].producer or "")
        assert drop.name.endswith("drop")
        assert trace.call(drop.inputs[0].producer or "").name.endswith("fc")
