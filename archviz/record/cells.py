"""Recurrent cells in the record: a built-in module's settings, its verification verdict, gate wiring."""

from __future__ import annotations

from dataclasses import dataclass

from ..kinds import Activation, CellMode, Direction, WireKind


@dataclass(frozen=True)
class RecurrentConfig:
    """The settings of a built-in recurrent module (nn.LSTM/GRU/RNN or a Cell class) that decide its wiring.

    Args:
        mode: LSTM, GRU, RNN_TANH or RNN_RELU.
        cell: True for nn.LSTMCell/GRUCell/RNNCell (one step per call).
        training: the module's training flag during the traced call (inter-layer dropout).
    """

    mode: CellMode
    input_size: int
    hidden_size: int
    bias: bool
    cell: bool
    num_layers: int = 1
    bidirectional: bool = False
    batch_first: bool = False
    proj_size: int = 0
    dropout: float = 0.0
    training: bool = False

    @property
    def directions(self) -> int:
        """1, or 2 for a bidirectional module."""
        return 2 if self.bidirectional else 1


@dataclass(frozen=True)
class Stats:
    """How the values of a gate activation were spread on the traced inputs (values are never kept).

    Args:
        kind: `sigmoid` (values in 0…1) or `tanh` (−1…1).
        count: how many values (NaN included: it is counted in no bin).
        low, high: fractions saturated: below 0.01 / above 0.99 for sigmoid, below −0.99 / above 0.99 for tanh.
        hist: counts in 10 equal bins over the activation's range (the top one includes its maximum).
    """

    kind: str
    count: int
    low: float
    high: float
    hist: tuple[int, ...]


@dataclass(frozen=True)
class GateSpread:
    """How one gate of a cell was spread over every traced step, and the call whose panel shows it."""

    gate: str
    stats: Stats
    call: str


@dataclass(frozen=True)
class GateStats:
    """The spread of one gate of a built-in recurrent module, recomputed from its weights."""

    gate: str
    layer: int
    direction: str
    stats: Stats


@dataclass(frozen=True)
class Check:
    """Verdict of recomputing a built-in recurrent call from its weights (see capture.verify).

    Args:
        verified: the recomputed outputs match the real ones at the dtype's tolerance.
        max_abs_error: largest absolute difference (two significant digits) when they do not match;
            None when they match (the exact difference varies from run to run with thread scheduling).
        tolerance: absolute tolerance used.
        note: `verified`, or why the wiring could not be checked.
        saturation: how the recomputed gate values were spread, per layer, direction and gate (LSTM
            i, f, g, o; GRU r, z, n; none for nn.RNN), steps past a sequence's length left out; only
            for a verified recomputation on real values.
    """

    verified: bool
    max_abs_error: float | None
    tolerance: float | None
    note: str
    saturation: tuple[GateStats, ...] = ()

    def verdict(self) -> str:
        """`verified within 2e-05 (the dtype's tolerance)`, or why not: the same text in every output."""
        if self.verified:
            return f"verified within {self.tolerance:.0e} (the dtype's tolerance)" if self.tolerance else "verified"
        return self.note


@dataclass(frozen=True)
class WireNode:
    """One element of a cell's gate wiring.

    Args:
        id: unique inside the cell (`lin_i`, `act_z`, `call-0013`).
        kind: input, output, linear, gate, pointwise or op.
        label: what the box says (`σ`, `tanh`, `⊙`, `+`, `W_ii·x_t + b_ii + W_hi·h + b_hi`).
        name: the gate's name (`i`, `z`, a variable from the user's source) or role.
        shape: output shape of this element for the traced call.
        detail: weight slices with shapes, or the source line.
        call: the traced call it stands for (custom cells), else None.
    """

    id: str
    kind: WireKind
    label: str
    name: str = ""
    shape: tuple[int, ...] = ()
    detail: str = ""
    call: str | None = None


@dataclass(frozen=True)
class WireEdge:
    """Data flow inside a cell; `state` marks the cell-state line, `back` the recurrent edge."""

    src: str
    dst: str
    shape: tuple[int, ...] = ()
    state: bool = False
    back: bool = False


@dataclass(frozen=True)
class Gate:
    """One row of a cell's gate table."""

    name: str
    activation: Activation
    shape: tuple[int, ...]
    weights: tuple[str, ...] = ()
    source: str = ""


@dataclass(frozen=True)
class Cell:
    """The gate wiring of one recurrent cell: a layer and direction of a built-in module, or a custom cell.

    Args:
        id: `cell-0`, in order of the calls they belong to.
        call: id of the module call (for custom cells, the first step's call).
        path: module path of that call.
        kind: LSTM, GRU, RNN_TANH, RNN_RELU or custom.
        layer, direction: position inside a stacked/bidirectional module (`forward`, `reverse`).
        steps: time steps of this call (T), 1 for a single cell call.
        gates: the gate table.
        nodes, edges: the wiring; empty when it could not be verified (drawn opaque).
        check: verification verdict for built-in modules.
        notes: what else the diagram should say (shared weights, rounds, why opaque).
        shared: module paths called more than once in one step, with the count.
        rounds: Mogrifier rounds found before the gates (0 if none).
        spreads: each gate's values over every step (saturation, histogram), where values were seen;
            computed once by the analysis, read by the report and the doctor.
    """

    id: str
    call: str
    path: str
    kind: CellMode
    layer: int = 0
    direction: Direction | None = None
    steps: int = 1
    gates: tuple[Gate, ...] = ()
    nodes: tuple[WireNode, ...] = ()
    edges: tuple[WireEdge, ...] = ()
    check: Check | None = None
    notes: tuple[str, ...] = ()
    shared: tuple[tuple[str, int], ...] = ()
    rounds: int = 0
    spreads: tuple[GateSpread, ...] = ()

    @property
    def custom(self) -> bool:
        """True for a hand-written cell read from the traced ops."""
        return self.kind == CellMode.CUSTOM
