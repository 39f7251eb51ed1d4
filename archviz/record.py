"""The frozen plain-data record of one forward pass, and its JSON round trip.

Nothing here holds a module or a tensor: every later stage works from these values alone.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

SCHEMA_VERSION = 1

MODULE = "module"
OP = "op"
FUNCTION = "function"  # a torch Python helper such as pack_padded_sequence, grouping its ops


@dataclass(frozen=True)
class TensorMeta:
    """One tensor seen at a call boundary.

    Args:
        path: where it sat in the argument structure (`args[0]`, `kwargs['mask']`, `output[1][0]`).
        shape: its size.
        dtype: short dtype name (`float32`, `int64`).
        device: device string (`cpu`, `meta`).
        tid: execution-order id of the tensor object (`t-0012`).
        producer: id of the call that produced it (`call-0003`), `input` for a model input,
            or None when archviz never saw it being made (a constant, a parameter).
    """

    path: str
    shape: tuple[int, ...]
    dtype: str
    device: str
    tid: str
    producer: str | None = None


@dataclass(frozen=True)
class ArgMeta:
    """A non-tensor argument, summarised (`dim=1`, `bias=None`, a module's class name)."""

    path: str
    summary: str


@dataclass(frozen=True)
class ParamMeta:
    """One parameter owned directly by a module."""

    name: str
    shape: tuple[int, ...]
    dtype: str
    trainable: bool


@dataclass(frozen=True)
class Source:
    """Where the user's code made a call: file relative to the model's folder, line, code."""

    file: str
    line: int
    function: str
    code: str


@dataclass(frozen=True)
class Check:
    """Verdict of recomputing a built-in recurrent call from its weights (see gates.verify).

    Args:
        verified: the recomputed outputs match the real ones at the dtype's tolerance.
        max_abs_error: largest absolute difference, when a comparison was made.
        tolerance: absolute tolerance used.
        note: `verified`, or why the wiring could not be checked.
    """

    verified: bool
    max_abs_error: float | None
    tolerance: float | None
    note: str


@dataclass(frozen=True)
class Call:
    """One module call, op call or grouped helper call, in execution order.

    Args:
        id: `call-0007`, numbered in the order calls began.
        kind: `module`, `op` or `function`.
        name: module path (`cells.0.update_gate`, `` for the root) or op name (`sigmoid`).
        type: class name for modules, qualified op name for ops (`torch.cat`, `Tensor.mul`).
        parent: id of the enclosing call, None for the root.
        depth: 0 for the root module, 1 for its children, ...
        inputs, outputs: tensor metadata; outputs of modules keep the inner producer so an
            expanded module can be seen through.
        args: non-tensor arguments, summarised.
        params: parameter count of the module including its children (0 for ops).
        param_list: parameters the module owns directly.
        error: `ExcType: message` when this call is where the forward pass failed.
        bookkeeping: True for shape queries, attribute reads and dtype/device moves.
    """

    id: str
    kind: str
    name: str
    type: str
    parent: str | None
    depth: int
    source: Source | None = None
    inputs: tuple[TensorMeta, ...] = ()
    outputs: tuple[TensorMeta, ...] = ()
    args: tuple[ArgMeta, ...] = ()
    params: int = 0
    param_list: tuple[ParamMeta, ...] = ()
    error: str | None = None
    bookkeeping: bool = False
    config: tuple[tuple[str, str], ...] = ()
    check: Check | None = None
    arg_names: tuple[str, ...] = ()  # a module's forward parameter names, for labelling args[i]


@dataclass(frozen=True)
class WireNode:
    """One element of a cell's gate wiring.

    Args:
        id: unique inside the cell (`lin_i`, `act_z`, `call-0013`).
        kind: `input`, `output`, `linear`, `gate`, `pointwise` or `op`.
        label: what the box says (`σ`, `tanh`, `⊙`, `+`, `W_ii·x_t + b_ii + W_hi·h + b_hi`).
        name: the gate's name (`i`, `z`, a variable from the user's source) or role.
        shape: output shape of this element for the traced call.
        detail: weight slices with shapes, or the source line.
        call: the traced call it stands for (custom cells), else None.
    """

    id: str
    kind: str
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
    activation: str
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
        kind: `LSTM`, `GRU`, `RNN_TANH`, `RNN_RELU` or `custom`.
        layer, direction: position inside a stacked/bidirectional module (`forward`, `reverse`).
        steps: time steps of this call (T), 1 for a single cell call.
        gates: the gate table.
        nodes, edges: the wiring; empty when it could not be verified (drawn opaque).
        check: verification verdict for built-in modules.
        notes: what else the diagram should say (shared weights, rounds, why opaque).
        shared: module paths called more than once in one step, with the count.
        rounds: Mogrifier rounds found before the gates (0 if none).
    """

    id: str
    call: str
    path: str
    kind: str
    layer: int = 0
    direction: str = ""
    steps: int = 1
    gates: tuple[Gate, ...] = ()
    nodes: tuple[WireNode, ...] = ()
    edges: tuple[WireEdge, ...] = ()
    check: Check | None = None
    notes: tuple[str, ...] = ()
    shared: tuple[tuple[str, int], ...] = ()
    rounds: int = 0


@dataclass(frozen=True)
class Failure:
    """Why the forward pass stopped: the innermost recorded call that raised, and the text."""

    call: str | None
    exc_type: str
    message: str


@dataclass(frozen=True)
class Trace:
    """The whole record of one forward pass.

    Args:
        model_name: the name the model was found under (`build_model`, `model`, a class name).
        model_class: class name of the root module.
        source_file: the model file, relative to its own folder (just the file name).
        inputs, outputs: model-level tensors (producer `input` for inputs).
        calls: every call in execution order; calls[0] is the root module call.
        failure: set when the forward pass raised; calls then holds what ran.
        meta: free-form facts (torch version, grad mode, training flag).
    """

    model_name: str
    model_class: str
    source_file: str
    inputs: tuple[TensorMeta, ...]
    outputs: tuple[TensorMeta, ...]
    calls: tuple[Call, ...]
    failure: Failure | None = None
    meta: tuple[tuple[str, str], ...] = ()
    cells: tuple[Cell, ...] = ()
    schema_version: int = SCHEMA_VERSION
    _index: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    def call(self, call_id: str) -> Call:
        """Return the call with this id."""
        if not self._index:
            self._index.update({c.id: i for i, c in enumerate(self.calls)})
        return self.calls[self._index[call_id]]

    def children(self) -> dict[str | None, list[Call]]:
        """Map each call id (None for top level) to its direct children in order."""
        kids: dict[str | None, list[Call]] = {}
        for c in self.calls:
            kids.setdefault(c.parent, []).append(c)
        return kids

    def _repr_svg_(self) -> str:
        """Jupyter shows a record as its diagram (rendering lives in the later stages)."""
        from .api import svg  # lazy: the record itself stays plain data with no dependencies

        return svg(self)

    def _repr_html_(self) -> str:
        """An HTML fragment: the diagram and a one-line summary."""
        outs = ", ".join(shape_text(t.shape) for t in self.outputs) or "none"
        head = f"<p><b>{_html(self.model_name)}</b>: {_html(self.model_class)}, {len(self.calls)} calls, outputs {outs}</p>"
        return head + self._repr_svg_()[self._repr_svg_().find("<svg") :]

    def to_json(self, indent: int | None = 1) -> str:
        """Serialise to JSON text with `schema_version` first."""
        data = dataclasses.asdict(self)
        data.pop("_index", None)
        ordered = {"schema_version": data.pop("schema_version"), **data}
        return json.dumps(ordered, indent=indent, sort_keys=False, ensure_ascii=False)

    @staticmethod
    def from_json(text: str) -> Trace:
        """Parse JSON written by `to_json`; refuse another schema version."""
        data = json.loads(text)
        version = data.get("schema_version")
        if version != SCHEMA_VERSION:
            raise ValueError(f"archviz record has schema_version {version!r}, expected {SCHEMA_VERSION}")
        return Trace(
            model_name=data["model_name"],
            model_class=data["model_class"],
            source_file=data["source_file"],
            inputs=_tensors(data["inputs"]),
            outputs=_tensors(data["outputs"]),
            calls=tuple(_call(c) for c in data["calls"]),
            failure=Failure(**data["failure"]) if data.get("failure") else None,
            meta=tuple((str(k), str(v)) for k, v in data.get("meta", ())),
            cells=tuple(_cell(c) for c in data.get("cells", ())),
        )


def _tensors(items: list[dict[str, Any]]) -> tuple[TensorMeta, ...]:
    return tuple(TensorMeta(**{**t, "shape": tuple(t["shape"])}) for t in items)


def _call(c: dict[str, Any]) -> Call:
    return Call(
        **{
            **c,
            "source": Source(**c["source"]) if c.get("source") else None,
            "inputs": _tensors(c["inputs"]),
            "outputs": _tensors(c["outputs"]),
            "args": tuple(ArgMeta(**a) for a in c["args"]),
            "param_list": tuple(
                ParamMeta(**{**p, "shape": tuple(p["shape"])}) for p in c["param_list"]
            ),
            "config": tuple((str(k), str(v)) for k, v in c.get("config", ())),
            "check": Check(**c["check"]) if c.get("check") else None,
            "arg_names": tuple(c.get("arg_names", ())),
        }
    )


def _cell(c: dict[str, Any]) -> Cell:
    return Cell(
        **{
            **c,
            "gates": tuple(Gate(**{**g, "shape": tuple(g["shape"]), "weights": tuple(g["weights"])}) for g in c["gates"]),
            "nodes": tuple(WireNode(**{**n, "shape": tuple(n["shape"])}) for n in c["nodes"]),
            "edges": tuple(WireEdge(**{**e, "shape": tuple(e["shape"])}) for e in c["edges"]),
            "check": Check(**c["check"]) if c.get("check") else None,
            "notes": tuple(c["notes"]),
            "shared": tuple((str(k), int(n)) for k, n in c["shared"]),
        }
    )


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def shape_text(shape: tuple[int, ...]) -> str:
    """Format a shape the way archviz shows it everywhere: `[3, 5, 10]`."""
    return "[" + ", ".join(str(d) for d in shape) + "]"
