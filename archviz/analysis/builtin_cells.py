"""Gate wiring of nn.LSTM / nn.GRU / nn.RNN and their Cell classes, from PyTorch's documented equations.

Built from the record alone (configuration, parameter names and the call's real shapes); drawn only
when the tracer's recomputation (`capture.verify`) reproduced the call's outputs.
"""

from __future__ import annotations

import dataclasses

from ..kinds import (
    ACTIVATION_SYMBOLS,
    CELL_HIDDEN_NODE,
    CELL_INPUT_NODE,
    H_N_PATHS,
    Activation,
    CellMode,
    Direction,
    WireKind,
)
from ..record import Call, Cell, Check, Gate, RecurrentConfig, WireEdge, WireNode, shape_text

# (gate name, activation) in the row order of weight_ih / weight_hh.
GATES = {
    CellMode.LSTM: (
        ("i", Activation.SIGMOID),
        ("f", Activation.SIGMOID),
        ("g", Activation.TANH),
        ("o", Activation.SIGMOID),
    ),
    CellMode.GRU: (("r", Activation.SIGMOID), ("z", Activation.SIGMOID), ("n", Activation.TANH)),
    CellMode.RNN_TANH: (("h", Activation.TANH),),
    CellMode.RNN_RELU: (("h", Activation.RELU),),
}


@dataclasses.dataclass(frozen=True)
class _Sizes:
    """Batch B, steps T, input I, hidden H and output P sizes of one layer of one call."""

    B: int
    T: int
    I: int  # noqa: E741
    H: int
    P: int


def _batch_steps(call: Call, cfg: RecurrentConfig) -> tuple[int, int] | None:
    """(batch B, steps T) of this call, from its real tensors."""
    if cfg.cell:
        x = call.inputs[0].shape if call.inputs else ()
        return (x[0] if len(x) == 2 else 1), 1
    by_path = {t.path: t.shape for t in call.inputs}
    if "args[0].batch_sizes" in by_path:  # PackedSequence: T = len(batch_sizes), B from h_n
        T = by_path["args[0].batch_sizes"][0]
        h_n = next((t.shape for t in call.outputs if t.path in H_N_PATHS), ())
        return (h_n[1] if len(h_n) == 3 else 1), T
    x = by_path.get("args[0]") or (call.inputs[0].shape if call.inputs else ())
    if len(x) == 2:
        return 1, x[0]
    if len(x) != 3:
        return None
    return (x[0], x[1]) if cfg.batch_first else (x[1], x[0])


def cells(call: Call, cfg: RecurrentConfig, first_id: int) -> list[Cell]:
    """One Cell per layer and direction of a built-in recurrent call (wiring only if verified)."""
    bt = _batch_steps(call, cfg)
    directions = (Direction.FORWARD, Direction.REVERSE) if cfg.bidirectional else (Direction.FORWARD,)
    H = cfg.hidden_size
    P = cfg.proj_size or H
    out: list[Cell] = []
    for k in range(cfg.num_layers):
        for d in directions:
            cid = f"cell-{first_id + len(out)}"
            if bt is None:
                out.append(Cell(cid, call.id, call.name, cfg.mode, k, d, notes=("input layout not understood",)))
                continue
            sizes = _Sizes(bt[0], bt[1], cfg.input_size if k == 0 else len(directions) * P, H, P)
            suffix = "" if cfg.cell else f"_l{k}" + ("_reverse" if d == Direction.REVERSE else "")
            out.append(_cell(cid, call, cfg, k, d, sizes, suffix))
    return out


def _cell(cid: str, call: Call, cfg: RecurrentConfig, k: int, d: Direction, s: _Sizes, suffix: str) -> Cell:
    gates = []
    for row, (g, act) in enumerate(GATES[cfg.mode]):
        rows = f"[{row * s.H}:{(row + 1) * s.H}]"
        w = [
            f"W_i{g} = weight_ih{suffix}{rows} {shape_text((s.H, s.I))}",
            f"W_h{g} = weight_hh{suffix}{rows} {shape_text((s.H, s.P))}",
        ]
        if cfg.bias:
            w += [
                f"b_i{g} = bias_ih{suffix}{rows} {shape_text((s.H,))}",
                f"b_h{g} = bias_hh{suffix}{rows} {shape_text((s.H,))}",
            ]
        gates.append(Gate(g, act, (s.B, s.H), tuple(w)))
    check = call.check
    notes = [] if check is None else [_verdict(check)]
    if s.P != s.H:
        notes.append(f"projection h_t = W_hr·(o ⊙ tanh c_t): weight_hr{suffix} {shape_text((s.P, s.H))}")
    if d == Direction.REVERSE:
        notes.append(f"runs t = {s.T} … 1 (reverse direction)")
    base = Cell(cid, call.id, call.name, cfg.mode, k, d, s.T, tuple(gates), check=check, notes=tuple(notes))
    if check is None or not check.verified:
        why = check.note if check is not None else "verification was switched off"
        return dataclasses.replace(base, notes=(f"drawn closed: {why}",))
    nodes, edges = _Wiring(s, cfg.bias, suffix).build(cfg.mode)
    return dataclasses.replace(base, nodes=tuple(nodes), edges=tuple(edges))


def _verdict(check: Check) -> str:
    if check.verified:
        return f"recomputed from the weights: {check.verdict()}"
    return f"not verified: {check.note}"


class _Wiring:
    """The colah-style wiring of one step: linear maps, gates, pointwise nodes, state in and out."""

    def __init__(self, s: _Sizes, bias: bool, suffix: str) -> None:
        self.s, self.bias, self.suffix = s, bias, suffix
        self.bh, self.bd = (s.B, s.H), (s.B, s.P)
        self.n: list[WireNode] = [
            WireNode(CELL_INPUT_NODE, WireKind.INPUT, "x(t)", shape=(s.B, s.I)),
            WireNode("h0", WireKind.INPUT, "h(t−1)", shape=self.bd),
        ]
        self.e: list[WireEdge] = []

    def linear(self, g: str, parts: str = "xh") -> str:
        b = self.bias
        terms = []
        if "x" in parts:
            terms.append(f"W_i{g}·x(t)" + (f" + b_i{g}" if b else ""))
        if "h" in parts:
            terms.append(f"W_h{g}·h(t−1)" + (f" + b_h{g}" if b else ""))
        nid = f"lin_{g}{parts}"
        self.n.append(WireNode(nid, WireKind.LINEAR, " + ".join(terms), g, self.bh))
        if "x" in parts:
            self.e.append(WireEdge("x", nid, (self.s.B, self.s.I)))
        if "h" in parts:
            self.e.append(WireEdge("h0", nid, self.bd))
        return nid

    def gate(self, g: str, act: Activation, src: str) -> str:
        self.n.append(WireNode(f"act_{g}", WireKind.GATE, ACTIVATION_SYMBOLS[act], g, self.bh))
        self.e.append(WireEdge(src, f"act_{g}", self.bh))
        return f"act_{g}"

    def point(self, nid: str, label: str, srcs: tuple[str, ...], state: tuple[str, ...] = ()) -> str:
        self.n.append(WireNode(nid, WireKind.POINTWISE, label, shape=self.bh))
        self.e.extend(WireEdge(src, nid, self.bh, state=src in state) for src in srcs)
        return nid

    def output(self, nid: str, label: str, shape: tuple[int, ...]) -> None:
        self.n.append(WireNode(nid, WireKind.OUTPUT, label, shape=shape))

    def build(self, mode: CellMode) -> tuple[list[WireNode], list[WireEdge]]:
        {CellMode.LSTM: self._lstm, CellMode.GRU: self._gru}.get(mode, self._rnn)(mode)
        return self.n, self.e

    def _lstm(self, mode: CellMode) -> None:
        bh, bd, s = self.bh, self.bd, self.s
        self.n.append(WireNode("c0", WireKind.INPUT, "c(t−1)", shape=bh))
        acts = {g: self.gate(g, act, self.linear(g)) for g, act in GATES[mode]}
        self.point("mul_f", "⊙", ("c0", acts["f"]), state=("c0",))
        self.point("mul_i", "⊙", (acts["i"], acts["g"]))
        self.point("add_c", "+", ("mul_f", "mul_i"), state=("mul_f",))
        self.n.append(WireNode("tanh_c", WireKind.GATE, "tanh", "", bh))
        self.e.append(WireEdge("add_c", "tanh_c", bh))
        last = self.point("mul_o", "⊙", (acts["o"], "tanh_c"))
        if s.P != s.H:
            detail = f"weight_hr{self.suffix} {shape_text((s.P, s.H))}"
            self.n.append(WireNode("proj", WireKind.LINEAR, "W_hr·", "projection", bd, detail))
            self.e.append(WireEdge(last, "proj", bh))
            last = "proj"
        self.output("c1", "c(t)", bh)
        self.output(CELL_HIDDEN_NODE, "h(t)", bd)
        self.e += [WireEdge("add_c", "c1", bh, state=True), WireEdge(last, "h1", bd)]
        self.e += [WireEdge("c1", "c0", bh, state=True, back=True), WireEdge("h1", "h0", bd, back=True)]

    def _gru(self, mode: CellMode) -> None:
        bh = self.bh
        r = self.gate("r", Activation.SIGMOID, self.linear("r"))
        z = self.gate("z", Activation.SIGMOID, self.linear("z"))
        hn = self.linear("n", "h")
        self.point("mul_r", "⊙", (r, hn))
        self.point("add_n", "+", (self.linear("n", "x"), "mul_r"))
        n_ = self.gate("n", Activation.TANH, "add_n")
        self.point("one_minus_z", "1 −", (z,))
        self.point("mul_n", "⊙", ("one_minus_z", n_))
        self.point("mul_z", "⊙", (z, "h0"))
        self.point("add_h", "+", ("mul_n", "mul_z"))
        self.output(CELL_HIDDEN_NODE, "h(t)", bh)
        self.e += [WireEdge("add_h", "h1", bh), WireEdge("h1", "h0", bh, back=True)]

    def _rnn(self, mode: CellMode) -> None:
        a = self.gate("h", GATES[mode][0][1], self.linear("h"))
        self.output(CELL_HIDDEN_NODE, "h(t)", self.bh)
        self.e += [WireEdge(a, "h1", self.bh), WireEdge("h1", "h0", self.bh, back=True)]
