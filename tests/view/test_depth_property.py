"""`--depth N` works on every model: random nested module trees, drawn at every depth, rolled and
unrolled, give a consistent view that Graphviz accepts, whose forward edges form no cycle.

A tree node is an op (`tanh`, `* 2`, `+ 1`), a Linear, a block of children (a module that calls them
in order), a layer stack (sibling blocks of one structure, called in a loop: folded ×N), a shared
block called several times in a loop (a loop over time), or a residual block (`x + f(x)`).
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from archviz import analysis, capture, view
from archviz.draw import dot
from archviz.view.graph import forward_cycle

WIDTH = 4


@dataclass(frozen=True)
class Spec:
    kind: str  # op, linear, block, stack, shared, residual
    children: tuple[Spec, ...] = ()
    count: int = 1
    op: str = "tanh"


def _specs(depth: int) -> st.SearchStrategy[Spec]:
    leaf = st.one_of(
        st.sampled_from(["tanh", "double", "inc"]).map(lambda op: Spec("op", op=op)),
        st.just(Spec("linear")),
    )
    if depth == 0:
        return leaf
    inner = _specs(depth - 1)
    kids = st.lists(inner, min_size=1, max_size=3).map(tuple)
    return st.one_of(
        leaf,
        kids.map(lambda k: Spec("block", k)),
        st.tuples(kids, st.integers(2, 4)).map(lambda a: Spec("stack", a[0], a[1])),
        st.tuples(kids, st.integers(2, 3)).map(lambda a: Spec("shared", a[0], a[1])),
        kids.map(lambda k: Spec("residual", k)),
    )


class Gen(nn.Module):
    """A module built from a Spec."""

    def __init__(self, spec: Spec) -> None:
        super().__init__()
        self.spec = spec
        if spec.kind == "linear":
            self.fc = nn.Linear(WIDTH, WIDTH)
        elif spec.kind == "stack":
            self.layers = nn.ModuleList([Gen(Spec("block", spec.children)) for _ in range(spec.count)])
        elif spec.kind in ("block", "shared", "residual"):
            self.parts = nn.ModuleList([Gen(c) for c in spec.children])

    def _ops(self, x: torch.Tensor) -> torch.Tensor:
        if self.spec.op == "tanh":
            return torch.tanh(x)
        return x * 2 if self.spec.op == "double" else x + 1

    def _body(self, x: torch.Tensor) -> torch.Tensor:
        for part in self.parts:
            x = part(x)
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        kind = self.spec.kind
        if kind == "op":
            return self._ops(x)
        if kind == "linear":
            return self.fc(x)
        if kind == "stack":
            for layer in self.layers:
                x = layer(x)
            return x
        if kind == "shared":
            for _ in range(self.spec.count):
                x = self._body(x)
            return x
        if kind == "residual":
            return x + self._body(x)
        return self._body(x)


def _height(spec: Spec) -> int:
    below = [_height(c) for c in spec.children]
    extra = 2 if spec.kind == "stack" else 1
    return (max(below) + extra) if below else 1


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
@settings(max_examples=30, deadline=None, derandomize=True)
@given(st.lists(_specs(3), min_size=1, max_size=3).map(tuple))
def test_every_depth_of_a_random_nested_model_is_consistent(children: tuple[Spec, ...]) -> None:
    model = Gen(Spec("block", children)).eval()
    trace = analysis.annotate(capture.trace_model(model, (torch.randn(2, WIDTH),)))
    assert trace.failure is None and trace.lint() == []
    height = _height(Spec("block", children))
    graphs = [view.build(trace, view.View(depth=d, unroll=u)) for d in range(height + 1) for u in (False, True)]
    graphs.append(view.build(trace, view.View()))
    for g in graphs:
        assert view.lint(g) == [], g.title
        assert forward_cycle(g) == []
        assert sum(n.kind == "output" for n in g.nodes) == 1
    # Graphviz accepts them all (one run on the largest, shallowest and default views keeps it quick).
    for g in {id(g): g for g in (max(graphs, key=lambda g: len(g.nodes)), graphs[0], graphs[-1])}.values():
        done = subprocess.run(["dot", "-Tsvg"], input=dot.to_dot(g).encode(), capture_output=True, timeout=60)
        assert done.returncode == 0, done.stderr.decode()
