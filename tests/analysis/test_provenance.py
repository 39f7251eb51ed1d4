"""Dimension provenance by experiment: real models, traced with one input axis grown at a time.

Each model's sizes are known from its code; the tests check that the origins inferred from the runs
say the same (`T−1` for `x[:, 1:]`, `B·T` for a flatten, an inexact `≈T/2` for a strided conv).
The inputs are grown the way `capture/perturb.py` grows them: every dim of one size, to n+1 and to
2n, by repeating the last slice.
"""

from __future__ import annotations

from fractions import Fraction

import torch
from torch import Tensor, nn

from archviz import capture
from archviz.analysis.provenance import Experiment, Origin, Provenance, Trial, match_calls, provenance
from archviz.record import Call, Trace

H = 5


# --- growing inputs and running the experiments ------------------------------------------------------


def grow(t: Tensor, dim: int, size: int) -> Tensor:
    """`t` with dim `dim` grown to `size` by repeating its last slice."""
    index = torch.arange(size).clamp(max=t.size(dim) - 1)
    return t.index_select(dim, index)


def axis_groups(args: tuple[Tensor, ...]) -> list[tuple[str, int, tuple[tuple[str, int], ...]]]:
    """(group id, size, members) of the positional tensor inputs: dims of one size are one group."""
    members: dict[int, list[tuple[str, int]]] = {}
    for i, a in enumerate(args):
        for d, n in enumerate(a.shape):
            members.setdefault(n, []).append((f"args[{i}]", d))
    return [(f"g{k}", n, tuple(m)) for k, (n, m) in enumerate(members.items())]


def grown(args: tuple[Tensor, ...], members: tuple[tuple[str, int], ...], size: int) -> tuple[Tensor, ...]:
    out = list(args)
    for path, d in members:
        i = int(path[len("args[") : -1])
        out[i] = grow(out[i], d, size)
    return tuple(out)


def experiments(model: nn.Module, args: tuple[Tensor, ...]) -> list[Experiment]:
    """One experiment per axis group: the model traced with that group grown to n+1 and to 2n."""
    found = []
    for group, n, members in axis_groups(args):
        trials = tuple(
            Trial(m, capture.trace_model(model, grown(args, members, m), verify=False)) for m in (n + 1, 2 * n)
        )
        found.append(Experiment(group, n, members, trials))
    return found


def traced(model: nn.Module, *args: Tensor) -> tuple[Trace, Provenance]:
    torch.manual_seed(0)
    model.eval()
    base = capture.trace_model(model, args, verify=False)
    return base, provenance(base, experiments(model, args))


def calls(trace: Trace, type_: str) -> list[Call]:
    return [c for c in trace.calls if c.type == type_]


def groups_of(prov: Provenance, call: str, side: str, index: int, rank: int) -> list[str | None]:
    """The group each dim is exactly (1·group+0), `#n` for a constant n, `?` when unknown."""
    out: list[str | None] = []
    for d in range(rank):
        o = prov.origin(call, side, index, d)
        out.append("?" if o is None else f"#{o.offset}" if o.constant else o.group)
    return out


# --- the models ------------------------------------------------------------------------------------


class GRUCell(nn.Module):
    """A hand-written GRU cell: x [B, 4], h [B, H] -> h [B, H]."""

    def __init__(self) -> None:
        super().__init__()
        self.x2h = nn.Linear(4, 3 * H)
        self.h2h = nn.Linear(H, 3 * H)

    def forward(self, x: Tensor, h: Tensor) -> Tensor:
        xr, xz, xn = self.x2h(x).chunk(3, 1)
        hr, hz, hn = self.h2h(h).chunk(3, 1)
        r = torch.sigmoid(xr + hr)
        z = torch.sigmoid(xz + hz)
        n = torch.tanh(xn + r * hn)
        return (1 - z) * n + z * h


class GRUCellLoop(nn.Module):
    """The cell run over a sequence-first x [T, B, F]; h0 from x.size(1) (or, the bug, x.size(0))."""

    def __init__(self, batch_dim: int = 1) -> None:
        super().__init__()
        self.cell = GRUCell()
        self.batch_dim = batch_dim

    def forward(self, x: Tensor) -> Tensor:
        h = torch.zeros(x.size(self.batch_dim), H)
        outs = []
        for t in range(x.size(0)):
            h = self.cell(x[t], h)
            outs.append(h)
        return torch.stack(outs)


class LSTMClassifier(nn.Module):
    """Token ids [B, T] -> embedding -> LSTM -> the last step's states -> class logits [B, 2]."""

    def __init__(self, batch_first: bool = True) -> None:
        super().__init__()
        self.emb = nn.Embedding(50, 8)
        self.lstm = nn.LSTM(8, 6, batch_first=batch_first)
        self.fc = nn.Linear(6, 2)

    def forward(self, tokens: Tensor) -> Tensor:
        out, _ = self.lstm(self.emb(tokens))
        return self.fc(out[:, -1])


class TinyTransformerLM(nn.Module):
    """Token ids [B, T] -> encoder layer (batch-first) -> flattened to [B·T, 8] -> logits over 50 tokens."""

    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(50, 8)
        self.enc = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
        self.out = nn.Linear(8, 50)

    def forward(self, tokens: Tensor) -> Tensor:
        h = self.enc(self.emb(tokens))
        return self.out(h.reshape(-1, h.size(-1)))


class Heads(nn.Module):
    """Attention scores by hand: heads folded into the batch (B·4), scores flattened to T·T."""

    def forward(self, x: Tensor) -> Tensor:
        b, t, f = x.shape
        q = x.reshape(b, t, 4, f // 4).transpose(1, 2).reshape(b * 4, t, f // 4)
        return (q @ q.transpose(1, 2)).reshape(b, 4, t * t)


class StridedConv(nn.Module):
    """x [B, C=4, T] -> Conv1d with stride 2 (about T/2 steps) -> max-pool by 3 (about T/6)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv1d(4, 6, 3, stride=2, padding=1)
        self.pool = nn.MaxPool1d(3)

    def forward(self, x: Tensor) -> Tensor:
        return self.pool(self.conv(x))


class Shifts(nn.Module):
    """x [B, T, F]: inputs shifted by one step (T−1), doubled (2·T), padded (T+2) and flattened (B·T)."""

    def forward(self, x: Tensor) -> tuple[Tensor, ...]:
        shifted = x[:, 1:]
        doubled = torch.cat([x, x], dim=1)
        padded = nn.functional.pad(x, (0, 0, 1, 1))
        flat = x.reshape(-1, x.size(2))
        return shifted, doubled, padded, flat


# --- the tests -------------------------------------------------------------------------------------


def test_gru_cell_loop_sizes_follow_batch_and_time() -> None:
    base, prov = traced(GRUCellLoop(), torch.randn(6, 3, 4))  # g0 T=6, g1 B=3, g2 F=4
    assert base.failure is None
    zeros = calls(base, "torch.zeros")[0]
    assert groups_of(prov, zeros.id, "out", 0, 2) == ["g1", "#5"]
    steps = calls(base, "Tensor.__getitem__")
    assert len(steps) == 6
    # x[t]: [B, F]. The runs with more features fail in step 0 (the Linear is built for 4), so from
    # step 1 on nothing says how sizes follow F: the origins say so (blind), and give the rest
    assert groups_of(prov, steps[0].id, "out", 0, 2) == ["g1", "g2"]
    for step in steps[1:]:
        assert groups_of(prov, step.id, "out", 0, 2) == ["g1", "#4"]
        assert prov.origin(step.id, "out", 0, 1) == Origin(offset=Fraction(4), blind=("g2",))
    for op in calls(base, "Tensor.add") + calls(base, "torch.sigmoid"):
        assert groups_of(prov, op.id, "out", 0, 2) == ["g1", "#5"]
    assert groups_of(prov, "input", "in", 0, 3) == ["g0", "g1", "g2"]
    assert groups_of(prov, "output", "out", 0, 3) == ["g0", "g1", "#5"]
    stack = calls(base, "torch.stack")[0]
    assert groups_of(prov, stack.id, "out", 0, 3) == ["g0", "g1", "#5"]
    # every base call has its counterpart in the longer runs of T and B
    assert "g0" not in prov.unmatched and "g1" not in prov.unmatched
    # the features cannot grow (the Linear is built for 4): both runs fail, and say why
    assert [(g, size) for g, size, _ in prov.failed] == [("g2", 5), ("g2", 8)]
    assert all("mat1 and mat2" in why for _, _, why in prov.failed)
    assert prov.untested == ()  # the runs were made; they failed inside the model


def test_h0_built_from_the_time_axis_is_traced_to_it() -> None:
    base, prov = traced(GRUCellLoop(batch_dim=0), torch.randn(6, 3, 4))
    assert base.failure is not None and base.failure.call is not None
    failing = base.call(base.failure.call)
    assert failing.type == "Tensor.add"  # xr + hr: [3, 5] + [6, 5]
    assert [t.shape for t in failing.inputs] == [(3, 5), (6, 5)]
    assert groups_of(prov, failing.id, "in", 0, 2) == ["g1", "#5"]  # B, from x[t]
    assert groups_of(prov, failing.id, "in", 1, 2) == ["g0", "#5"]  # T, from h0 = zeros(x.size(0), H)
    zeros = calls(base, "torch.zeros")[0]
    assert groups_of(prov, zeros.id, "out", 0, 2) == ["g0", "#5"]


def test_loop_steps_match_step_by_step_when_the_run_is_longer() -> None:
    model = GRUCellLoop().eval()
    x = torch.randn(6, 3, 4)
    base = capture.trace_model(model, (x,), verify=False)
    longer = capture.trace_model(model, (grow(x, 0, 9),), verify=False)
    image = match_calls(base, longer)
    assert set(image) == {c.id for c in base.calls}  # every base call has a counterpart
    base_steps, long_steps = calls(base, "Tensor.__getitem__"), calls(longer, "Tensor.__getitem__")
    assert len(base_steps) == 6 and len(long_steps) == 9
    assert [image[c.id] for c in base_steps] == [c.id for c in long_steps[:6]]  # step k -> step k
    assert {longer.call(image[c.id]).args[0].summary for c in base_steps} == {str(k) for k in range(6)}
    # the calls of each step map inside the same step, and the steps only the longer run made are left over
    for c in base.calls:
        other = longer.call(image[c.id])
        assert (other.type, other.name, other.source) == (c.type, c.name, c.source)
        if c.parent is not None:
            assert other.parent == image[c.parent]
    # what only the longer run made is its three last steps: after step 6 began, before the stack
    made = set(image.values())
    extra = [i for i, c in enumerate(longer.calls) if c.id not in made]
    start = longer.calls.index(long_steps[6])
    assert extra == list(range(start, start + len(extra)))
    assert longer.calls[start + len(extra)].type == "torch.stack"
    per_step = longer.calls.index(long_steps[7]) - start
    assert len(extra) == 3 * per_step
    stack = calls(base, "torch.stack")[0]
    assert image[stack.id] == calls(longer, "torch.stack")[0].id


def test_iterating_over_a_tensor_matches_its_steps() -> None:
    class Elman(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.ih = nn.Linear(4, H)
            self.hh = nn.Linear(H, H)

        def forward(self, x: Tensor) -> Tensor:
            h = torch.zeros(x.size(1), H)
            for x_t in x:
                h = torch.tanh(self.ih(x_t) + self.hh(h))
            return h

    base, prov = traced(Elman(), torch.randn(6, 3, 4))
    unbind = calls(base, "Tensor.unbind")[0]
    assert len(unbind.outputs) == 6
    for j in range(6):
        assert groups_of(prov, unbind.id, "out", j, 2) == ["g1", "g2"]
    for lin in calls(base, "Linear"):
        assert groups_of(prov, lin.id, "out", 0, 2) == ["g1", "#5"]


def test_batch_first_lstm_last_step() -> None:
    base, prov = traced(LSTMClassifier(), torch.randint(0, 50, (3, 7)))  # g0 B=3, g1 T=7
    lstm = calls(base, "LSTM")[0]
    assert groups_of(prov, lstm.id, "in", 0, 3) == ["g0", "g1", "#8"]
    assert [t.path for t in lstm.outputs] == ["output[0]", "output[1][0]", "output[1][1]"]
    assert groups_of(prov, lstm.id, "out", 0, 3) == ["g0", "g1", "#6"]
    assert groups_of(prov, lstm.id, "out", 1, 3) == ["#1", "g0", "#6"]  # h_n: [layers, B, H]
    last = calls(base, "Tensor.__getitem__")[0]  # out[:, -1]
    assert groups_of(prov, last.id, "out", 0, 2) == ["g0", "#6"]
    assert groups_of(prov, "output", "out", 0, 2) == ["g0", "#2"]
    assert prov.failed == () and prov.unmatched == {}


def test_a_flatten_of_batch_and_time_is_their_product() -> None:
    base, prov = traced(TinyTransformerLM(), torch.randint(0, 50, (3, 7)))
    flat = calls(base, "Tensor.reshape")[-1]
    product = prov.origin(flat.id, "out", 0, 0)
    assert product == Origin(product=("g0", "g1"), factor=Fraction(1))
    assert product.value({"g0": 3, "g1": 7}) == 21 and product.value({"g0": 5, "g1": 2}) == 10
    assert product.group is None and product.groups == ("g0", "g1") and not product.constant
    out = prov.origin("output", "out", 0, 0)
    assert out is product  # origins are shared values
    attention = calls(base, "MultiheadAttention")[0]
    assert groups_of(prov, attention.id, "in", 0, 3) == ["g0", "g1", "#8"]


def test_heads_folded_into_the_batch_are_a_coefficient() -> None:
    base, prov = traced(Heads(), torch.randn(3, 7, 8))  # g0 B, g1 T, g2 F=8
    q = calls(base, "Tensor.matmul")[0].inputs[0]
    assert q.shape == (12, 7, 2)
    matmul = calls(base, "Tensor.matmul")[0]
    assert prov.origin(matmul.id, "in", 0, 0) == Origin(terms=(("g0", Fraction(4)),))
    assert prov.origin(matmul.id, "in", 0, 1) == Origin(terms=(("g1", Fraction(1)),))
    # F/4: F=9 cannot be split into 4 heads, so one run (F=16) gives the form, unchecked
    per_head = prov.origin(matmul.id, "in", 0, 2)
    assert per_head == Origin(terms=(("g2", Fraction(1, 4)),), checked=False)
    assert [(g, size) for g, size, _ in prov.failed] == [("g2", 9)]
    scores = prov.origin("output", "out", 0, 2)  # t * t
    assert scores == Origin(product=("g1", "g1"))


def test_a_strided_conv_moves_with_time_but_not_linearly() -> None:
    base, prov = traced(StridedConv(), torch.randn(3, 4, 9))  # g0 B=3, g1 C=4, g2 T=9
    conv, pool = calls(base, "Conv1d")[0], calls(base, "MaxPool1d")[0]
    assert conv.outputs[0].shape == (3, 6, 5)
    # (the runs with more channels fail at the conv: nothing after it can say how it follows C)
    half = prov.origin(conv.id, "out", 0, 2)
    assert half == Origin(terms=(("g2", Fraction(1, 2)),), exact=False, blind=("g1",))
    assert half.group is None and half.groups == ("g2",)
    assert prov.origin(pool.id, "out", 0, 2) == Origin(terms=(("g2", Fraction(1, 6)),), exact=False, blind=("g1",))
    assert groups_of(prov, conv.id, "out", 0, 2) == ["g0", "#6"]


def test_slices_concatenations_and_pads_are_linear() -> None:
    base, prov = traced(Shifts(), torch.randn(3, 7, 4))  # g0 B, g1 T, g2 F
    assert [t.shape for t in base.outputs] == [(3, 6, 4), (3, 14, 4), (3, 9, 4), (21, 4)]
    t = Fraction(1)
    assert prov.origin("output", "out", 0, 1) == Origin(terms=(("g1", t),), offset=Fraction(-1))
    assert prov.origin("output", "out", 1, 1) == Origin(terms=(("g1", Fraction(2)),))
    assert prov.origin("output", "out", 2, 1) == Origin(terms=(("g1", t),), offset=Fraction(2))
    assert prov.origin("output", "out", 3, 0) == Origin(product=("g0", "g1"))
    for i, rank in ((0, 3), (1, 3), (2, 3)):
        assert groups_of(prov, "output", "out", i, rank)[::2] == ["g0", "g2"]
    assert prov.origin("output", "out", 0, 1).value({"g1": 20}) == 19  # type: ignore[union-attr]


def test_a_call_only_some_sizes_make_is_unknown() -> None:
    class OddOnly(nn.Module):
        def forward(self, x: Tensor) -> Tensor:
            if x.size(1) % 2:
                x = x * 2  # only for an odd T: the runs (T=8, T=14) never make this call
            return x + 1

    base, prov = traced(OddOnly(), torch.randn(3, 7))
    mul = calls(base, "Tensor.mul")[0]
    add = calls(base, "Tensor.add")[0]
    assert prov.origin(mul.id, "out", 0, 0) is None
    assert prov.unmatched == {"g1": 1}
    # the add exists in every run, but reads the mul in one and x in the others: still matched
    assert groups_of(prov, add.id, "out", 0, 2) == ["g0", "g1"]


def test_a_run_that_could_not_be_made_leaves_its_group_untested() -> None:
    model = Shifts().eval()
    x = torch.randn(3, 7, 4)
    base = capture.trace_model(model, (x,), verify=False)
    runs = experiments(model, (x,))
    runs[1] = Experiment("g1", 7, runs[1].members, (Trial(8, None, "TraceError: refused"), Trial(14, None, "")))
    prov = provenance(base, runs)
    assert prov.untested == ("g1",)
    assert prov.failed == (("g1", 8, "TraceError: refused"), ("g1", 14, "the run could not be made"))
    # the sizes still follow the groups that were tried; T now looks constant (nothing tested it)
    assert prov.origin("output", "out", 0, 0) == Origin(terms=(("g0", Fraction(1)),))
    assert prov.origin("output", "out", 0, 1) == Origin(offset=Fraction(6))
    assert prov.origin("output", "out", 3, 0) == Origin(terms=(("g0", Fraction(7)),))


def test_a_model_that_takes_one_length_only_still_gives_the_other_axes() -> None:
    class Positions(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.pos = nn.Parameter(torch.zeros(8, 4))  # at most 8 positions

        def forward(self, x: Tensor) -> Tensor:
            return (x + self.pos[: x.size(1)]).sum(-1)

    base, prov = traced(Positions(), torch.randn(3, 7, 4))  # T=7: the run at 8 works, at 14 fails
    assert base.failure is None
    assert [(g, size) for g, size, _ in prov.failed] == [("g1", 14), ("g2", 5), ("g2", 8)]
    out = prov.origin("output", "out", 0, 1)
    assert out == Origin(terms=(("g1", Fraction(1)),), checked=False, blind=("g2",))  # from one run only
    assert out is not None and out.group == "g1"
    assert prov.origin("output", "out", 0, 0) == Origin(terms=(("g0", Fraction(1)),), blind=("g2",))
    assert prov.origin("input", "in", 0, 2) == Origin(terms=(("g2", Fraction(1)),))


def test_origins_of_hand_built_traces() -> None:
    """A call no run of a group made is unknown; one run makes an unchecked form; tensors are found by path."""
    from archviz.kinds import CallKind
    from archviz.record import TensorMeta

    def t(path: str, *shape: int) -> TensorMeta:
        return TensorMeta(path, shape, "float32", "cpu", "t-0000")

    def trace(n: int, extra: bool) -> Trace:
        root = Call("call-0000", CallKind.MODULE, "", "M", None, 0, inputs=(t("args[0]", n, 2),))
        ops = [Call("call-0001", CallKind.OP, "cat", "torch.cat", "call-0000", 1, outputs=(t("output", 2 * n, 2),))]
        if extra:
            ins = (t("args[0][1]", n, 2), t("args[0][0]", 1, 2))  # another order of the tensors
            ops.append(Call("call-0002", CallKind.OP, "cat", "torch.cat", "call-0000", 1, inputs=ins))
        return Trace("m", "M", "", (t("args[0]", n, 2),), (), (root, *ops))

    base = trace(3, True)
    members = (("args[0]", 0),)
    prov = provenance(base, [Experiment("g0", 3, members, (Trial(4, trace(4, False)), Trial(6, trace(6, False))))])
    assert prov.origin("call-0001", "out", 0, 0) == Origin(terms=(("g0", Fraction(2)),))
    assert prov.origin("call-0002", "in", 0, 0) is None  # both runs finished without it
    assert prov.unmatched == {"g0": 1}
    prov = provenance(base, [Experiment("g0", 3, members, (Trial(4, trace(4, False)), Trial(6, trace(6, True))))])
    assert prov.origin("call-0002", "in", 0, 0) == Origin(terms=(("g0", Fraction(1)),), checked=False)
    assert prov.origin("call-0002", "in", 1, 0) == Origin(offset=Fraction(1))
    assert prov.unmatched == {}
