"""Repeated layers fold to one block ×N; shared side inputs are references; mask construction is one box."""

from __future__ import annotations

import torch
from conftest import MODELS, ROOT, trace_file
from torch import nn

from archviz import analysis, capture, view
from archviz.analysis import loops
from archviz.kinds import ClusterKind, NodeKind
from archviz.view.graph import forward_cycle


class Block(nn.Module):
    def __init__(self, width: int = 8, hidden: int = 16) -> None:
        super().__init__()
        self.up, self.down = nn.Linear(width, hidden), nn.Linear(hidden, width)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return x + self.down(torch.relu(self.up(x))) * mask


class Stack(nn.Module):
    def __init__(self, hidden: tuple[int, ...] = (16, 16, 16, 16)) -> None:
        super().__init__()
        self.layers = nn.ModuleList([Block(hidden=h) for h in hidden])
        self.head = nn.Linear(8, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mask = torch.ones(x.shape[0], 1)
        mask = mask.triu()  # a second op: the mask is built, not just made
        for layer in self.layers:
            x = layer(x, mask)
        return self.head(x)


def _trace(model: nn.Module) -> object:
    return analysis.annotate(capture.trace_model(model, (torch.randn(3, 8),)))


def test_four_identical_layers_fold_into_one_block_of_four() -> None:
    trace = _trace(Stack())
    (rep,) = [lp for lp in loops.rolling_for(trace, all_ops=False).loops if lp.repeat]
    assert rep.count == 4  # the maximal run, not ×2
    g = view.build(trace)
    (frame,) = [c for c in g.clusters if c.kind == ClusterKind.REPEAT]
    per_layer = 8 * 16 + 16 + 16 * 8 + 8
    head = "layers.0–3 ×4 · [3, 8] → [3, 8]"
    assert frame.label == f"{head}\n{per_layer:,} params each (not shared), {4 * per_layer:,} in all"
    assert [n.title for n in g.nodes].count("layers.0.up") == 1 and "layers.1.up" not in [n.title for n in g.nodes]
    chained = [e for e in g.edges if e.back]
    assert chained and all(e.label.endswith("×4") for e in chained)
    assert forward_cycle(g) == []
    unrolled = view.build(trace, view.View(unroll=True))
    assert {f"layers.{i}.up" for i in range(4)} <= {n.title for n in unrolled.nodes}
    collapsed = view.build(trace, view.View(depth=1))
    assert [c.label.split(" ·")[0] for c in collapsed.clusters if c.kind == ClusterKind.REPEAT] == ["layers.0–3 ×4"]
    assert [n.title for n in collapsed.nodes if n.title.startswith("layers.")] == ["layers.0"]


def test_layers_whose_shapes_differ_in_the_middle_are_folded_with_the_difference_said() -> None:
    trace = _trace(Stack(hidden=(16, 16, 32, 32)))
    (frame,) = [c for c in view.build(trace).clusters if c.kind == ClusterKind.REPEAT]
    assert frame.label.startswith("layers.0–3 ×4 · [3, 8] → [3, 8]\n")
    assert frame.label.endswith("layers.2, layers.3 differ in down.weight, up.bias, up.weight")
    g = view.build(_trace(Stack(hidden=(16, 16, 16, 32, 16, 16))))
    (odd,) = [c for c in g.clusters if c.kind == ClusterKind.REPEAT]
    assert odd.label.endswith("1,952 params in all · layers.3 differs in down.weight, up.bias, up.weight")


def test_realistic_stacks_fold_their_maximal_runs() -> None:
    bert = trace_file(MODELS / "bert_like.py")
    labels = [c.label for c in view.build(bert).clusters if c.kind == ClusterKind.REPEAT]
    assert [label.split(" ·")[0] for label in labels] == ["encoder.layer.0–2 ×3"]
    resnet = trace_file(ROOT / "benchmarks" / "resnet50.py")
    labels = [c.label.split(" ·")[0] for c in view.build(resnet).clusters if c.kind == ClusterKind.REPEAT]
    assert labels == ["layer1.1–2 ×2", "layer2.1–3 ×3", "layer3.1–5 ×5", "layer4.1–2 ×2"]  # block 0 has a downsample


def test_time_loops_stay_loops_and_a_stacked_gru_keeps_both_cells() -> None:
    trace = trace_file(ROOT / "examples" / "gru.py")
    found = loops.rolling_for(trace, all_ops=False).loops
    assert [(lp.repeat, lp.count) for lp in found] == [(False, 5)]  # cells.0 and cells.1 differ in input size


def test_a_mask_built_once_is_one_box_read_by_the_folded_block() -> None:
    g = view.build(_trace(Stack()))
    (mask,) = [n for n in g.nodes if n.title == "mask construction"]
    assert mask.notes == ("2 ops: ones, triu",)
    assert len([e for e in g.edges if e.src == mask.id]) == 1
    bert = view.build(trace_file(MODELS / "bert_like.py"))
    (ext,) = [n for n in bert.nodes if n.title == "extended_mask"]  # it reads attention_mask: named for what it makes
    assert ext.notes == ("3 ops: getitem, rsub, mul",)


def test_a_side_input_read_by_many_far_layers_is_a_reference_beside_each() -> None:
    trace = _trace(Stack(hidden=(16,) * 8))
    g = view.build(trace, view.View(unroll=True))
    refs = [n for n in g.nodes if n.kind == NodeKind.REFERENCE]
    (mask,) = [n for n in g.nodes if n.title == "mask construction" and n.kind == NodeKind.OP]
    assert len(refs) >= 3 and all(r.refers == mask.id and r.title == "mask construction" for r in refs)
    layers = [f"cl-{c.id}" for c in trace.calls if c.name.startswith("layers.") and c.name.count(".") == 1]
    assert {r.cluster for r in refs} == set(layers[-len(refs) :])  # the far layers, each its own
    near = [e for e in g.edges if e.src == mask.id]
    assert len(near) + len(refs) == 8  # every reader still reads the mask, once
    assert all(e.dst in {n.id for n in g.nodes if n.cluster in layers[: len(near)]} for e in near)
    assert view.lint(g) == [] and forward_cycle(g) == []
