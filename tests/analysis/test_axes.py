"""Axis names from the user, module layouts and conventions; conflicts; sizes written with the names.

Module layouts are set on real traces with `dataclasses.replace` as the capture stage records them
(the tests set them all, so they do not depend on which modules the capture stage covers), and the
names are checked against what each model's code means.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from fractions import Fraction

import pytest
import torch
from test_provenance import (
    GRUCellLoop,
    Heads,
    LSTMClassifier,
    Shifts,
    StridedConv,
    TinyTransformerLM,
    calls,
    traced,
)
from torch import nn

from archviz.analysis.axes import Axes, Claim, Evidence, describe, dim_names, name_axes
from archviz.analysis.provenance import Experiment, Origin, Provenance
from archviz.kinds import CallKind
from archviz.record import Call, TensorMeta, Trace

LAYOUTS: dict[str, Callable[[Call], tuple[tuple[str, ...], ...]]] = {
    "LSTM": lambda c: (
        ("B", "T", "F") if c.config is not None and c.config.batch_first else ("T", "B", "F"),
        ("*", "B", "F"),
        ("*", "B", "F"),
    ),
    "Linear": lambda c: (("*", "F"),),
    "Conv1d": lambda c: (("B", "C", "*"),),
    "MaxPool1d": lambda c: (("B", "C", "*"),),
    "MultiheadAttention": lambda c: (("B", "T", "F"),) * 3,
    "TransformerEncoderLayer": lambda c: (("B", "T", "F"),),
}


def with_layouts(trace: Trace, table: dict[str, Callable[[Call], tuple[tuple[str, ...], ...]]] = LAYOUTS) -> Trace:
    """`trace` with the layouts of the modules in `table`, as the capture stage records them, and none elsewhere."""
    return dataclasses.replace(
        trace,
        calls=tuple(
            dataclasses.replace(c, layouts=table[c.type](c)[: len(c.inputs)] if c.type in table else ())
            for c in trace.calls
        ),
    )


def bare(trace: Trace) -> Trace:
    """`trace` with no layouts at all."""
    return with_layouts(trace, {})


def shown(prov: Provenance, axes: Axes, call: str, side: str, index: int, rank: int) -> list[str]:
    """Each dim of one tensor as `describe` writes it (`?` when unknown)."""
    out = []
    for d in range(rank):
        o = prov.origin(call, side, index, d)
        out.append("?" if o is None else describe(o, axes))
    return out


# --- names -----------------------------------------------------------------------------------------


def test_given_names_spread_along_provenance() -> None:
    base, prov = traced(GRUCellLoop(), torch.randn(6, 3, 4))
    base = bare(base)
    axes = name_axes(base, prov, {"x": ("T", "B", "F")})
    assert axes.names == {"g0": "T", "g1": "B", "g2": "F"}
    assert axes.conflicts == ()
    ev, *weaker = axes.evidence["g1"]
    assert ev == Evidence("B", base.calls[0].id, "dim 1 (size 3) of x is named B by the user", Claim.GIVEN)
    assert [(w.name, w.claim) for w in weaker] == [("B", Claim.CONVENTION)]  # `for x_t in x` agrees
    names = dim_names(prov, axes)
    zeros = calls(base, "torch.zeros")[0]
    assert names[(zeros.id, "out", 0, 0)] == "B"  # h0 = zeros(x.size(1), H)
    assert (zeros.id, "out", 0, 1) not in names  # H is a constant
    stack = calls(base, "torch.stack")[0]
    assert [names.get((stack.id, "out", 0, d)) for d in range(3)] == ["T", "B", None]
    assert [names.get(("output", "out", 0, d)) for d in range(3)] == ["T", "B", None]
    # a raw path works as the key too, and `_` leaves a dim unnamed
    # (dim 0 is still T: `for x_t in x` walks the model input along it, a loop's claim)
    partial = name_axes(base, prov, {"args[0]": ("_", "B")})
    assert partial.names == {"g0": "T", "g1": "B"}
    assert [e.claim for e in partial.evidence["g0"]] == [Claim.LOOP]


def test_layouts_name_the_groups_of_a_batch_first_lstm() -> None:
    base, prov = traced(LSTMClassifier(), torch.randint(0, 50, (3, 7)))
    base = with_layouts(base)
    axes = name_axes(base, prov)
    assert axes.names == {"g0": "B", "g1": "T"}
    assert axes.conflicts == ()
    lstm = calls(base, "LSTM")[0]
    texts = [ev.text for ev in axes.evidence["g1"]]
    assert "LSTM 'lstm' (batch_first=True) reads dim 1 (size 7) of input as T" in texts
    assert any(ev.claim == Claim.CONVENTION for ev in axes.evidence["g1"])  # kept, though not needed
    assert {ev.call for ev in axes.evidence["g0"] if ev.claim == Claim.LAYOUT} == {lstm.id}
    last = calls(base, "Tensor.__getitem__")[0]  # out[:, -1]
    assert shown(prov, axes, last.id, "out", 0, 2) == ["B", "6"]
    assert shown(prov, axes, "output", "out", 0, 2) == ["B", "2"]


def test_a_sequence_first_lstm_reading_batch_first_tokens_is_a_conflict() -> None:
    base, prov = traced(LSTMClassifier(batch_first=False), torch.randint(0, 50, (3, 7)))
    base = with_layouts(base)
    axes = name_axes(base, prov)
    lstm = calls(base, "LSTM")[0]
    # the classifier's output keeps dim 0 of the tokens and sums out dim 1: that is stronger than the
    # LSTM's layout, which then names no axis (its layout is wrong as a whole); every claim is kept
    assert axes.names == {"g0": "B", "g1": "T"}
    conflicts = {(g, a.name, a.claim, b.name, b.claim, b.call) for g, a, b in axes.conflicts}
    assert conflicts == {
        ("g0", "B", Claim.OUTPUT, "T", Claim.LAYOUT, lstm.id),
        ("g1", "T", Claim.CONVENTION, "B", Claim.LAYOUT, lstm.id),
    }
    claim = next(b for g, a, b in axes.conflicts if g == "g0")
    assert claim.text == "LSTM 'lstm' (batch_first=False) reads dim 0 (size 3) of input as T"
    assert axes.evidence["g0"][0].text == "every output keeps tokens dim 0 (size 3) and no other input axis: it is B"
    # the user's names beat the layout, and the conflict stays
    given = name_axes(base, prov, {"tokens": ("B", "T")})
    assert given.names == {"g0": "B", "g1": "T"}
    assert {(g, a.claim, b.claim) for g, a, b in given.conflicts} == {
        ("g0", Claim.GIVEN, Claim.LAYOUT),
        ("g1", Claim.GIVEN, Claim.LAYOUT),
    }


def test_a_convention_names_token_ids_only_when_nothing_else_does() -> None:
    base, prov = traced(TinyTransformerLM(), torch.randint(0, 50, (3, 7)))
    axes = name_axes(bare(base), prov)  # no layouts: the 2-D integer input is (B, T)
    assert axes.names == {"g0": "B", "g1": "T"}
    assert all(ev.claim == Claim.CONVENTION for evs in axes.evidence.values() for ev in evs)
    flat = calls(base, "Tensor.reshape")[-1]
    assert shown(prov, axes, flat.id, "out", 0, 2) == ["B·T", "8"]
    assert shown(prov, axes, "output", "out", 0, 2) == ["B·T", "50"]
    # a float input has no convention: its groups are written the way the code asks for them
    base, prov = traced(Shifts(), torch.randn(3, 7, 4))
    axes = name_axes(bare(base), prov)
    assert axes.names == {} and axes.evidence == {}
    assert axes.sources == {"g0": "x.size(0)", "g1": "x.size(1)", "g2": "x.size(2)"}
    assert shown(prov, axes, "output", "out", 0, 3) == ["x.size(0)", "x.size(1)−1", "x.size(2)"]


def test_a_layout_only_names_a_size_that_is_exactly_the_group() -> None:
    base, prov = traced(TinyTransformerLM(), torch.randint(0, 50, (3, 7)))
    base = with_layouts(base)
    axes = name_axes(base, prov)
    out = calls(base, "Linear")[-1]  # reads [B·T, 8]: its ("*", "F") says nothing about a group
    assert all(ev.call != out.id for evs in axes.evidence.values() for ev in evs)
    readers = [calls(base, "TransformerEncoderLayer")[0].id, calls(base, "MultiheadAttention")[0].id]
    assert [ev.call for ev in axes.evidence["g1"] if ev.claim == Claim.LAYOUT] == [readers[0]] + [readers[1]] * 3
    assert axes.evidence["g1"][1].text == "MultiheadAttention 'enc.self_attn' reads dim 1 (size 7) of query as T"


def test_layout_claims_are_decided_by_majority() -> None:
    def call(i: int, name: str, layout: tuple[str, ...]) -> Call:
        x = TensorMeta("args[0]", (4, 9), "float32", "cpu", f"t-{i:04d}")
        return Call(f"call-{i:04d}", CallKind.MODULE, name, "Cell", "call-0000", 1, inputs=(x,), layouts=(layout,))

    root = Call("call-0000", CallKind.MODULE, "", "M", None, 0, arg_names=("x",))
    cells = (call(1, "a", ("B", "F")), call(2, "b", ("B", "F")), call(3, "c", ("T", "F")), call(4, "d", ("F",)))
    x = TensorMeta("args[0]", (4, 9), "float32", "cpu", "t-0000", "input")
    base = Trace("m", "M", "", (x,), (), (root, *cells))
    b, f = Origin(terms=(("g0", Fraction(1)),)), Origin(terms=(("g1", Fraction(1)),))
    origins = {(c.id, "in", 0, d): o for c in cells for d, o in enumerate((b, f))}
    groups = (Experiment("g0", 4, (("args[0]", 0),), ()), Experiment("g1", 9, (("args[0]", 1),), ()))
    axes = name_axes(base, Provenance(groups, origins))
    assert axes.names == {"g0": "B", "g1": "F"}  # two cells say B, one T; `("F",)` does not fit 2 dims
    assert [(g, a.call, b.call) for g, a, b in axes.conflicts] == [("g0", "call-0001", "call-0003")]
    assert len(axes.evidence["g1"]) == 3  # one per distinct sentence


def test_layouts_with_a_star_count_from_both_ends() -> None:
    def call(i: int, shape: tuple[int, ...], layout: tuple[str, ...]) -> Call:
        x = TensorMeta("args[0]", shape, "float32", "cpu", f"t-{i:04d}")
        return Call(f"call-{i:04d}", CallKind.MODULE, f"m{i}", "X", "call-0000", 1, inputs=(x,), layouts=(layout,))

    root = Call("call-0000", CallKind.MODULE, "", "M", None, 0)
    cells = (
        call(1, (2, 3, 5), ("*", "B", "F")),  # h0 of a 2-layer RNN: [layers, B, H]
        call(2, (3, 7, 11, 13), ("B", "C", "*")),  # a 2-D conv's input: [B, C, H, W]
        call(3, (7, 5), ("T", "B", "F")),  # an unbatched RNN input: the layout does not fit
    )
    base = Trace("m", "M", "", (), (), (root, *cells))
    sizes = {2: "g9", 3: "g0", 5: "g1", 7: "g2", 11: "g3", 13: "g4"}
    origins = {
        (c.id, "in", 0, d): Origin(terms=((sizes[n], Fraction(1)),))
        for c in cells
        for d, n in enumerate(c.inputs[0].shape)
    }
    groups = tuple(Experiment(g, n, (), ()) for n, g in sorted(sizes.items()))
    axes = name_axes(base, Provenance(groups, origins))
    assert axes.names == {"g0": "B", "g1": "F", "g2": "C"}


def test_two_groups_with_one_name_are_numbered() -> None:
    class TwoSequences(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.enc = nn.LSTM(4, 6)
            self.dec = nn.LSTM(4, 6)

        def forward(self, src: torch.Tensor, tgt: torch.Tensor) -> torch.Tensor:
            _, state = self.enc(src)
            self.dec(tgt, state)  # its output is not needed here: it reads the groups
            return torch.cat([src[..., :1], tgt[..., :1]])  # [S+T, B, 1]

    base, prov = traced(TwoSequences(), torch.randn(7, 3, 4), torch.randn(5, 3, 4))  # g0 S, g1 B, g2 F, g3 T
    axes = name_axes(with_layouts(base), prov)
    assert axes.names == {"g0": "T", "g1": "B", "g2": "F", "g3": "T2"}
    assert shown(prov, axes, "output", "out", 0, 3) == ["T+T2", "B", "1"]
    assert name_axes(with_layouts(base), prov, {"src": ("S",)}).names["g0"] == "S"


# --- describe --------------------------------------------------------------------------------------

AXES = Axes({"g0": "B", "g1": "T", "g2": "F", "g3": "S"}, {}, sources={"g9": "x.size(2)"})
ONE = Fraction(1)


@pytest.mark.parametrize(
    ("origin", "text"),
    [
        (Origin(terms=(("g1", ONE),)), "T"),
        (Origin(terms=(("g1", ONE),), offset=Fraction(-1)), "T−1"),
        (Origin(terms=(("g1", ONE),), offset=Fraction(2)), "T+2"),
        (Origin(terms=(("g1", Fraction(2)),)), "2·T"),
        (Origin(terms=(("g1", Fraction(1, 2)),)), "T/2"),
        (Origin(terms=(("g1", Fraction(3, 2)),), offset=Fraction(1)), "3·T/2+1"),
        (Origin(terms=(("g0", Fraction(4)),)), "B·4"),
        (Origin(product=("g1", "g0")), "B·T"),
        (Origin(product=("g1", "g0"), factor=Fraction(4)), "B·T·4"),
        (Origin(product=("g1", "g1")), "T·T"),
        (Origin(terms=(("g1", ONE), ("g3", ONE))), "T+S"),
        (Origin(terms=(("g1", ONE), ("g3", -ONE))), "T−S"),
        (Origin(offset=Fraction(20)), "20"),
        (Origin(offset=Fraction(20), blind=("g2",)), "20"),
        (Origin(terms=(("g1", Fraction(1, 2)),), exact=False), "≈T/2"),
        (Origin(product=("g2", "g2"), factor=Fraction(4), exact=False), "≈4·F·F"),
        (Origin(terms=(("g9", Fraction(1, 4)),)), "x.size(2)/4"),
        (Origin(terms=(("g8", ONE),)), "g8"),
        # a packed batch's length follows the lengths' values: a fit over B and T is no derivation
        (Origin(terms=(("g0", Fraction(7)), ("g1", ONE)), offset=Fraction(-9)), "f(B, T)"),
        (Origin(terms=(("g1", ONE), ("g3", ONE)), offset=Fraction(1)), "f(T, S)"),
    ],
)
def test_describe(origin: Origin, text: str) -> None:
    assert describe(origin, AXES) == text


@pytest.mark.parametrize(
    ("model", "args", "given", "where", "texts"),
    [
        (GRUCellLoop(), (torch.randn(6, 3, 4),), {"x": ("T", "B", "F")}, "output", ["T", "B", "5"]),
        (LSTMClassifier(), (torch.randint(0, 50, (3, 7)),), {}, "output", ["B", "2"]),
        (TinyTransformerLM(), (torch.randint(0, 50, (3, 7)),), {}, "output", ["B·T", "50"]),
        (Heads(), (torch.randn(3, 7, 8),), {"x": ("B", "T")}, "Tensor.matmul", ["B·4", "T", "x.size(2)/4"]),
        (Heads(), (torch.randn(3, 7, 8),), {"x": ("B", "T", "F")}, "output", ["B", "4", "T·T"]),
        (StridedConv(), (torch.randn(3, 4, 9),), {"x": ("B", "C", "T")}, "Conv1d", ["B", "6", "≈T/2"]),
        (StridedConv(), (torch.randn(3, 4, 9),), {"x": ("B", "C", "T")}, "output", ["B", "6", "≈T/6"]),
        (Shifts(), (torch.randn(3, 7, 4),), {"x": ("B", "T", "F")}, "output", ["B", "T−1", "F"]),
    ],
)
def test_describe_on_real_models(
    model: nn.Module, args: tuple[torch.Tensor, ...], given: dict[str, tuple[str, ...]], where: str, texts: list[str]
) -> None:
    base, prov = traced(model, *args)
    axes = name_axes(with_layouts(base), prov, given)
    if where == "output":
        assert shown(prov, axes, "output", "out", 0, len(texts)) == texts
    else:
        c = calls(base, where)[0]
        side, shape = ("in", c.inputs[0].shape) if c.kind == CallKind.OP else ("out", c.outputs[0].shape)
        assert shown(prov, axes, c.id, side, 0, len(shape)) == texts


def test_describe_the_other_outputs_of_shifts() -> None:
    base, prov = traced(Shifts(), torch.randn(3, 7, 4))
    axes = name_axes(bare(base), prov, {"x": ("B", "T", "F")})
    assert [shown(prov, axes, "output", "out", i, len(t.shape)) for i, t in enumerate(base.outputs)] == [
        ["B", "T−1", "F"],
        ["B", "2·T", "F"],
        ["B", "T+2", "F"],
        ["B·T", "F"],
    ]
