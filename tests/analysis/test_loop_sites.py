"""A loop step is the same code running again: calls are told apart by their site (the instruction and
the calls that led to it from the module's forward), not by their line. One line's chain of ops, and one
helper called from two lines, are straight-line code; a helper called in a loop, a Mogrifier whose rounds
run inside the time loop of the same forward, and a greedy decoder are loops with their back edges."""

from __future__ import annotations

import json

import torch
import torch.nn.functional as F
from torch import nn

from archviz import analysis, capture, record, view
from archviz.analysis import loops


def _trace(model: nn.Module, *args: torch.Tensor) -> record.Trace:
    return analysis.annotate(capture.trace_model(model.eval(), args))


def _counts(trace: record.Trace) -> list[int]:
    return [lp.count for lp in loops.rolling_for(trace, all_ops=False).loops]


def _source(c: record.Call) -> record.Source:
    assert c.source is not None, c
    return c.source


def _back(trace: record.Trace) -> list[tuple[str, str, str]]:
    """The dashed edges of the drawing: (source title, target title, label), sorted."""
    g = view.build(trace)
    titles = {n.id: n.title for n in g.nodes}
    return sorted((titles.get(e.src, e.src), titles.get(e.dst, e.dst), e.label) for e in g.edges if e.back)


# ---- straight-line code ---------------------------------------------------------------------------


class ScaledResidual(nn.Module):
    """Two lines of the same ops, then one line of four chained products (runs once)."""

    def __init__(self) -> None:
        super().__init__()
        self.b, self.c, self.d, self.e = (nn.Parameter(torch.rand(3) + 0.5) for _ in range(4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = (x + self.b) * self.c
        z = (y + self.d) * self.e
        s = x * self.b * self.c * self.d * self.e
        return z + s


def test_one_line_chain_of_products_is_not_a_loop() -> None:
    trace = _trace(ScaledResidual(), torch.randn(2, 3))
    assert _counts(trace) == []
    assert _back(trace) == []
    muls = [c for c in trace.calls if c.name == "mul"]
    assert len(muls) == 2 + 4
    chain = [_source(c) for c in muls[2:]]
    assert len({s.line for s in chain}) == 1  # one line ...
    assert len({s.site for s in chain}) == 4  # ... four instructions


def affine(x: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return (x + a) * b


class TwoAffinesThenLoop(nn.Module):
    """A helper called from two lines (twice, straight-line), then the same ops in a loop of 3."""

    def __init__(self) -> None:
        super().__init__()
        self.p = nn.ParameterList([nn.Parameter(torch.rand(3) + 0.5) for _ in range(4)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = affine(x, self.p[0], self.p[1])
        z = affine(y, self.p[2], self.p[3])
        for _ in range(3):
            z = (z + self.p[0]) * self.p[1]
        return z


def test_a_helper_called_from_two_lines_is_two_sites_not_a_loop() -> None:
    trace = _trace(TwoAffinesThenLoop(), torch.randn(2, 3))
    assert _counts(trace) == [3]  # the for loop only
    (lp,) = loops.rolling_for(trace, all_ops=False).loops
    assert all(_source(trace.call(cid)).code.startswith("z = (z + self.p[0])") for cid in lp.steps[0])
    assert _back(trace) == [("mul", "add", "[2, 3] ×3")]
    first, second = [[_source(c) for c in trace.calls[i : i + 2]] for i in (1, 3)]  # add, mul of each call
    assert [s.line for s in first] == [s.line for s in second]  # the helper's line
    outer = {s.site.split(" > ")[0] for s in first + second}
    inner = [s.site.split(" > ")[1] for s in first + second]
    assert len(outer) == 2 and inner[:2] == inner[2:]  # two call sites of the same instructions


def elman(w: nn.Module, u: nn.Module, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    return torch.tanh(w(x) + u(h))


class WarmStartRNN(nn.Module):
    """A step helper called once for the first step, then in a loop over the remaining steps."""

    def __init__(self) -> None:
        super().__init__()
        self.w, self.u = nn.Linear(4, 6), nn.Linear(6, 6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        xs = x.unbind(1)
        h = elman(self.w, self.u, xs[0], torch.zeros(x.shape[0], 6))
        for x_t in xs[1:]:
            h = elman(self.w, self.u, x_t, h)
        return h


def test_a_loop_calling_a_helper_rolls_only_the_calls_from_the_loop() -> None:
    trace = _trace(WarmStartRNN(), torch.randn(2, 5, 4))
    assert _counts(trace) == [4]  # steps 1–4; step 0 is its own line, drawn before the loop
    (lp,) = loops.rolling_for(trace, all_ops=False).loops
    steps = [[_source(trace.call(cid)).site for cid in step] for step in lp.steps]
    assert all(step == steps[0] for step in steps)  # the same sites each step
    assert len(steps[0][0].split(" > ")) == 2  # the loop's call of the helper, then the helper's line
    assert [label for *_, label in _back(trace)] == ["[2, 6] ×4"]  # h into u
    g = view.build(trace)
    assert [n.title for n in g.nodes].count("w") == 2  # the warm start, and the rolled step


class Refine(nn.Module):
    """A recursive helper: every depth runs the same code again."""

    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(4, 4)

    def refine(self, h: torch.Tensor, n: int) -> torch.Tensor:
        return h if n == 0 else self.refine(torch.tanh(self.lin(h)) + h, n - 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.refine(x, 4)


def test_each_depth_of_a_recursion_has_one_site() -> None:
    trace = _trace(Refine(), torch.randn(2, 4))
    assert _counts(trace) == [4]
    assert len({c.source.site for c in trace.calls if c.name == "lin" and c.source}) == 1


# ---- Mogrifier rounds inside the time loop of one forward ------------------------------------------


class MogrifierLSTM(nn.Module):
    """Per-round matrices (fawazsammani/mogrifier-lstm-pytorch) around nn.LSTMCell, the time loop here."""

    def __init__(self, i: int = 6, h: int = 8, rounds: int = 4) -> None:
        super().__init__()
        self.rounds = rounds
        self.lstm = nn.LSTMCell(i, h)
        self.mogrifier_list = nn.ModuleList([nn.Linear(h, i) if k % 2 == 0 else nn.Linear(i, h) for k in range(rounds)])
        self.out = nn.Linear(h, 3)

    def mogrify(self, xt: torch.Tensor, ht: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        for k in range(1, self.rounds + 1):
            if k % 2 == 0:
                ht = (2 * torch.sigmoid(self.mogrifier_list[k - 1](xt))) * ht
            else:
                xt = (2 * torch.sigmoid(self.mogrifier_list[k - 1](ht))) * xt
        return xt, ht

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.zeros(x.shape[0], 8)
        c = torch.zeros(x.shape[0], 8)
        outs = []
        for t in range(x.shape[1]):
            xt, h = self.mogrify(x[:, t], h)
            h, c = self.lstm(xt, (h, c))
            outs.append(h)
        return self.out(torch.stack(outs, 1))


class SharedMogrifierLSTM(nn.Module):
    """Melis et al.'s 5 rounds with one Q and one R, over `x.unbind(1)`: a step may start with a round."""

    def __init__(self, i: int = 6, h: int = 8) -> None:
        super().__init__()
        self.q, self.r = nn.Linear(h, i), nn.Linear(i, h)
        self.lstm = nn.LSTMCell(i, h)

    def mogrify(self, x: torch.Tensor, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        for k in range(1, 6):
            if k % 2:
                x = 2 * torch.sigmoid(self.q(h)) * x
            else:
                h = 2 * torch.sigmoid(self.r(x)) * h
        return x, h

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.zeros(x.shape[0], 8)
        c = torch.zeros(x.shape[0], 8)
        for x_t in x.unbind(1):
            x_t, h = self.mogrify(x_t, h)
            h, c = self.lstm(x_t, (h, c))
        return h


def _rounds(trace: record.Trace) -> list[str]:
    return [n.gate for n in view.build(trace).nodes if n.gate]


def test_mogrifier_rounds_inside_the_time_loop_of_one_forward_roll_with_it() -> None:
    trace = _trace(MogrifierLSTM(), torch.randn(2, 3, 6))
    assert _counts(trace) == [3]
    assert _rounds(trace) == ["round 1", "round 2", "round 3", "round 4"]
    # h is mogrified before the cell reads it: it comes back into round 1's layer and round 2's product
    assert _back(trace) == [
        ("lstm", "lstm", "c(t−1) [2, 8] ×3"),
        ("lstm", "mogrifier_list.0", "[2, 8] ×3"),
        ("lstm", "mul", "[2, 8] ×3"),
    ]
    g = view.build(trace)
    assert [n.title for n in g.nodes].count("lstm") == 1 and [n.title for n in g.nodes].count("sigmoid") == 4


def test_shared_mogrifier_rounds_are_numbered_and_the_time_loop_rolled() -> None:
    trace = _trace(SharedMogrifierLSTM(), torch.randn(2, 3, 6))
    assert _counts(trace) == [3]  # the time loop; no loop of rounds inside it
    assert _rounds(trace) == [f"round {k}" for k in range(1, 6)]
    assert _back(trace) == [
        ("lstm", "lstm", "c(t−1) [2, 8] ×3"),
        ("lstm", "mul", "[2, 8] ×3"),  # h into round 2's product
        ("lstm", "q", "[2, 8] ×3"),  # h into round 1's Q
    ]


class MogrifyOnce(nn.Module):
    """Shared-Q/R rounds run once, no time loop: the Python loop over rounds is numbered, never rolled."""

    def __init__(self) -> None:
        super().__init__()
        self.inner = SharedMogrifierLSTM()

    def forward(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        x, h = self.inner.mogrify(x, h)
        return x.sum(-1) + h.sum(-1)


def test_a_loop_of_rounds_alone_is_not_rolled() -> None:
    trace = _trace(MogrifyOnce(), torch.randn(2, 6), torch.randn(2, 8))
    assert _counts(trace) == []
    assert _back(trace) == []
    assert [n.title for n in view.build(trace).nodes].count("sigmoid") == 5


# ---- a greedy seq2seq decoder --------------------------------------------------------------------


class GreedyDecoder(nn.Module):
    """Feeds back its argmax token, its attention context, its hidden state and a running score."""

    def __init__(self, vocab: int = 12, hidden: int = 8) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, hidden)
        self.cell = nn.GRUCell(2 * hidden, hidden)
        self.att = nn.Linear(hidden, hidden)
        self.out = nn.Linear(2 * hidden, vocab)

    def forward(self, memory: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        batch = memory.shape[0]
        tok = torch.zeros(batch, dtype=torch.long)
        h = memory.mean(1)
        ctx = torch.zeros(batch, 8)
        score = torch.zeros(batch)
        logits_all = []
        for _ in range(4):
            e = self.emb(tok)
            h = self.cell(torch.cat([e, ctx], -1), h)
            a = F.softmax(torch.bmm(memory, self.att(h).unsqueeze(2)).squeeze(2), -1)
            ctx = torch.bmm(a.unsqueeze(1), memory).squeeze(1)
            logits = self.out(torch.cat([h, ctx], -1))
            score = score + logits.max(-1).values
            tok = logits.argmax(-1)
            logits_all.append(logits)
        return torch.stack(logits_all, 1), score


def test_greedy_decoder_feeds_back_token_context_state_and_score() -> None:
    trace = _trace(GreedyDecoder(), torch.randn(2, 5, 8))
    assert _counts(trace) == [4]
    assert _back(trace) == [
        ("add", "add", "[2] ×4"),  # score = score + max
        ("argmax", "emb", "[2] int64 ×4"),  # the greedy token
        ("cell", "cell", "h(t−1) [2, 8] ×4"),
        ("squeeze", "cat", "[2, 8] ×4"),  # the attention context
    ]


# ---- the record ----------------------------------------------------------------------------------


def test_sites_round_trip_and_records_without_them_still_load() -> None:
    trace = capture.trace_model(GreedyDecoder().eval(), (torch.randn(2, 5, 8),))
    again = capture.trace_model(GreedyDecoder().eval(), (torch.randn(2, 5, 8),))
    sites = [c.source.site if c.source else None for c in trace.calls]
    assert sites == [c.source.site if c.source else None for c in again.calls]  # positions, never ids
    assert all(sites[1:])
    text = trace.to_json()
    assert record.Trace.from_json(text) == trace
    data = json.loads(text)
    assert data["schema_version"] == record.SCHEMA_VERSION
    for c in data["calls"]:
        if "source" in c:
            c["source"].pop("site", None)  # a record written before sites
    old = record.Trace.from_json(json.dumps(data))
    assert all(c.source is None or c.source.site == "" for c in old.calls)
    assert [lp.count for lp in loops.find_loops(old, lambda c: not c.bookkeeping).loops] == [4]  # by line


def test_the_drill_in_of_a_loop_in_forward_names_each_state_and_reads_the_input() -> None:
    """`h, c = self.lstm(...)`: two states, each named by its position, each with its own back edge; and the
    model input the step slices is wired to the slice."""
    trace = _trace(MogrifierLSTM(), torch.randn(2, 3, 6))
    (cell,) = [c for c in trace.cells if c.custom]
    assert sorted(n.id for n in cell.nodes if n.kind == "output") == ["out:c", "out:h"]  # not one merged "state"
    assert {(e.src, e.dst) for e in cell.edges if e.back} == {("out:h", "in:h"), ("out:c", "in:c")}
    assert [e.dst for e in cell.edges if e.src == "in:args[0]"] == ["call-0006"]  # x feeds the slice x[:, t]
    assert trace.call("call-0006").name == "__getitem__"
