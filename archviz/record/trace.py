"""The frozen plain-data record of one forward pass: calls, tensors, cells, and its JSON round trip.

Nothing here holds a module or a tensor: every later stage works from these values alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TypeGuard

from ..errors import RecordError
from ..kinds import INPUT_PRODUCER, CallKind, FindingCode, Severity
from . import display, jsonio
from .cells import Cell, Check, RecurrentConfig, Stats
from .index import Index
from .inventory import Setting, StateEntry
from .text import json_safe, shape_text

SCHEMA_VERSION = 2
_CALL_PREFIX = "call-"


def call_id(index: int) -> str:
    """The id of the call that began `index`-th in execution order (`call-0007`)."""
    return f"{_CALL_PREFIX}{index:04d}"


def call_number(ref: str) -> int:
    """The execution-order number a call id carries (`call-0007` -> 7); -1 for anything else.

    A number, not a position: a rolled record leaves calls out, so use `Trace.index.position` to find a
    call in `calls`.
    """
    digits = ref[len(_CALL_PREFIX) :] if ref.startswith(_CALL_PREFIX) else ""
    return int(digits) if digits.isdigit() else -1


def is_call_id(ref: str | None) -> TypeGuard[str]:
    """True when a producer or reference names a recorded call (not `input`, not None)."""
    return ref is not None and ref.startswith(_CALL_PREFIX)


@dataclass(frozen=True, slots=True)
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
        given: for a call's output that it handed back unchanged (`return x, lengths`, an Identity): the
            id the tensor had when the call got it (a model input's, an inner call's output's), so a
            reader can look through the call to what made it. Optional ('' otherwise).
        layout: the storage layout when it is not strided (`sparse_coo`, `sparse_csr`); '' for dense.
        nnz: the number of stored values of a sparse tensor; None for dense ones.
    """

    path: str
    shape: tuple[int, ...]
    dtype: str
    device: str
    tid: str
    producer: str | None = None
    given: str = ""
    layout: str = ""
    nnz: int | None = None


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
class Source:
    """Where the user's code made a call: file relative to the model's folder, line, code.

    `site` names the exact instruction: its `line:col-end_col` span (0-based columns, as Python's
    `co_positions` gives them; `line@offset` when Python keeps no columns), after those of the calls that
    led to it from the enclosing module's `forward`, outermost first (`30:12-38 > 21:16-52`; a frame in
    another file carries its file name). The same site again is the same code running again (a loop);
    one helper called from two lines has two sites. '' when unknown (a record made before sites, a
    definition line, the line that raised); readers then fall back to `file` and `line`. An optional
    field: records without it load as before, and `SCHEMA_VERSION` stays.
    """

    file: str
    line: int
    function: str
    code: str
    site: str = ""


@dataclass(frozen=True, slots=True)
class Call:
    """One module call, op call or grouped helper call, in execution order.

    Args:
        id: `call-0007`, numbered in the order calls began.
        kind: module, op or function.
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
        config: settings of a built-in recurrent module, else None.
        check: verdict of recomputing a built-in recurrent module's outputs from its weights.
        arg_names: a module's forward parameter names, for labelling args[i].
        notes: what else a reader of this call should know (`TorchScript: not traced inside`,
            `weight tied with decoder.weight`).
        layouts: the axes a module documents for its tensor inputs, one tuple per input in order
            (`("T", "B", "F")` for a sequence-first nn.LSTM, `("B", "C", "*")` for a conv, `*` for any
            further dims; `()` where it says nothing); for dimension naming and the doctor. Names count
            from the left up to a `*` and from the right after it (`("*", "F")`: the last dim).
        stats: the spread of the values of a sigmoid or tanh op's output (custom cells' gates), or of an
            nn.Sigmoid/nn.Tanh module's; None for meta, integer or complex values.
        settings: a built-in torch layer's constructor settings as it prints them (its `extra_repr()`:
            `8, 8, kernel_size=(3,), dilation=(2,)`); '' for other calls. Layers folded as repeats that
            differ here say so on their frame.
    """

    id: str
    kind: CallKind
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
    config: RecurrentConfig | None = None
    check: Check | None = None
    arg_names: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    layouts: tuple[tuple[str, ...], ...] = ()
    stats: Stats | None = None
    settings: str = ""


@dataclass(frozen=True)
class Failure:
    """Why the forward pass stopped: the innermost recorded call that raised, and the text.

    `raised_at` is the line of the user's code the exception came out of (the deepest frame of its
    traceback in the user's files), when there is one: a `parts[5]` in `forward` raises at that line,
    not at the line that called the module.
    """

    call: str | None
    exc_type: str
    message: str
    raised_at: Source | None = None


@dataclass(frozen=True)
class Finding:
    """One diagnosis.

    Args:
        severity: error (the forward pass failed), warning (very probably a bug) or note.
        code: the kind of finding (`shape-clash`, `batch-time`, `padding-read`, `probabilities`,
            `dead-module`, `dead-param`, `dead-result`, `batch-mix`, `gate-saturation`, `forward-failed`).
        title: one line saying what is wrong.
        source: the line of the user's code responsible, when known.
        seen: what was seen in the real shapes of this forward pass.
        why: why it is probably a bug.
        fix: the likely fix.
        calls: the calls involved (their boxes carry a badge in the report).
    """

    severity: Severity
    code: FindingCode
    title: str
    source: Source | None
    seen: str
    why: str
    fix: str
    calls: tuple[str, ...] = ()

    @property
    def where(self) -> str:
        """`model.py:17`, or '' when no line is known."""
        return f"{self.source.file}:{self.source.line}" if self.source else ""


@dataclass(frozen=True)
class Idle:
    """A registered module or parameter the forward pass did not use (`Trace.idle`), with what the code
    says about it: the doctor decides from this whether it is dead or unused only in this mode.

    Args:
        name: the module path (`encoder.norm`) or parameter name (`h0`), as `Trace.uncalled`/`unread` give it.
        kind: `module` or `parameter`.
        type: the module's class name (`Dropout`), `Parameter` for a parameter.
        params: the number of parameter elements it holds (0 for a module without parameters).
        built: the line that makes it (`self.drop = nn.Dropout(p)`), in the file of the class that owns it.
        library: that class is not in the user's files (a library's model, such as Hugging Face's).
        entry: for a library one, the path of the outermost library module above it (`''` for the root):
            the user's code built that one.
        ran: where code that ran in this pass refers to it by name (an attribute read, a method call, a
            `getattr` name), in a branch or mode the pass did not take, or read for an attribute.
        elsewhere: references in functions this pass did not run but something calls (another method, a
            training step, a base class's hook): used in another mode.
        dead: references only in functions nothing in the code calls (and that override nothing).
    """

    name: str
    kind: str
    type: str
    params: int = 0
    built: Source | None = None
    library: bool = False
    entry: str = ""
    ran: tuple[Source, ...] = ()
    elsewhere: tuple[Source, ...] = ()
    dead: tuple[Source, ...] = ()


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
        cells: the gate wiring of recurrent cells (added by the analysis stage).
        uncalled: registered submodules (paths) the forward pass never called, though their parent ran:
            the outermost only, none with anything inside used, containers looked through, nothing
            inside TorchScript; empty when the pass failed (see capture.unused).
        unread: parameters (names as `model.named_parameters()` gives them, tied ones once) no recorded
            op read, on modules that ran (a call of a torch layer reads its weights); empty when the
            pass failed.
        idle: each of `uncalled` and `unread` with what the code says about it (see `Idle`); empty in
            records made before it (the doctor then reads `uncalled` and `unread` alone).
        findings: what `archviz doctor` found (added by the analysis stage), most severe first.
        state: the model's `state_dict()` entries after the pass (keys, shapes, buffers), for checkpoint
            checks; empty when not recorded (a record of an older archviz).
        settings: each module's constructor settings (`extra_repr`), by path; empty when not recorded.
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
    uncalled: tuple[str, ...] = ()
    unread: tuple[str, ...] = ()
    idle: tuple[Idle, ...] = ()
    findings: tuple[Finding, ...] = ()
    state: tuple[StateEntry, ...] = ()
    settings: tuple[Setting, ...] = ()
    schema_version: int = SCHEMA_VERSION
    # Derived lookups, built on first use and never copied: `dataclasses.replace` leaves this field out
    # (init=False), so a copy builds its own index over its own calls.
    _index: Index[Call] | None = field(default=None, init=False, compare=False, repr=False)

    @property
    def index(self) -> Index[Call]:
        """Positions, children, subtree ends and readers of this record's calls (see `record.index`)."""
        if self._index is None:
            object.__setattr__(self, "_index", Index(self.calls))
        assert self._index is not None
        return self._index

    def call(self, call_id: str) -> Call:
        """Return the call with this id."""
        return self.index.call(call_id)

    def children(self) -> dict[str | None, list[Call]]:
        """Map each call id (None for top level) to its direct children in order (a fresh dict)."""
        return {k: list(v) for k, v in self.index.child_map.items()}

    def lint(self) -> list[str]:
        """Problems that would make any drawing of this record lie; [] for a sound record.

        Checks that ids follow execution order (a rolled record leaves folded steps out, so numbers
        may skip), every parent and producer is an earlier call, depths nest, and the failure and the
        cells name calls that exist.
        """
        problems: list[str] = []
        seen: dict[str, Call] = {}
        last = -1
        for i, c in enumerate(self.calls):
            number = call_number(c.id)
            if number <= last or c.id != call_id(number):
                problems.append(f"{c.id} is call number {i}, out of execution order")
            last = number
            parent = seen.get(c.parent) if c.parent is not None else None
            if c.parent is not None and parent is None:
                problems.append(f"{c.id} names parent {c.parent}, which is not an earlier call")
            elif parent is not None and c.depth != parent.depth + 1:
                problems.append(f"{c.id} has depth {c.depth} inside {parent.id} of depth {parent.depth}")
            for t in c.inputs:
                if t.producer not in (None, INPUT_PRODUCER) and t.producer not in seen:
                    problems.append(f"{c.id} reads {t.path} from {t.producer}, which is not an earlier call")
            seen[c.id] = c
        if self.failure is not None and self.failure.call is not None and self.failure.call not in seen:
            problems.append(f"the failure names {self.failure.call}, which is not a call")
        problems += [
            f"{cell.id} belongs to {cell.call}, which is not a call" for cell in self.cells if cell.call not in seen
        ]
        return problems

    def to_json(self, indent: int | None = 1) -> str:
        """Serialise to JSON text with `schema_version` first."""
        data = jsonio.encode(self)
        ordered = {"schema_version": data.pop("schema_version"), **data}
        # a lone surrogate (a name or message built from bytes) as an escape: the text stays writable as UTF-8
        return json_safe(json.dumps(ordered, indent=indent, sort_keys=False, ensure_ascii=False))

    @staticmethod
    def from_json(text: str) -> Trace:
        """Parse JSON written by `to_json`; refuse another schema version."""
        data = json.loads(text)
        version = data.get("schema_version") if isinstance(data, dict) else None
        if version != SCHEMA_VERSION:
            raise RecordError(f"archviz record has schema_version {version!r}, expected {SCHEMA_VERSION}")
        return jsonio.decode(Trace, data)

    def summary(self) -> str:
        """One line: model, class, number of calls, and the outputs or where the forward pass failed."""
        head = f"{_clip(self.model_name, 60)}: {_clip(self.model_class, 60)}, {len(self.calls)} calls"
        if self.failure is None:
            shapes = [shape_text(t.shape) for t in self.outputs[:4]]
            more = f" … ({len(self.outputs)} in all)" if len(self.outputs) > 4 else ""
            return f"{head}, outputs {', '.join(shapes) or 'none'}{more}"
        where = ""
        if self.failure.call is not None and self.failure.call in self.index:
            c = self.call(self.failure.call)
            what = f"{c.type} '{c.name}'" if c.kind == CallKind.MODULE else f"op {c.type}"
            where = f" at {_clip(what, 60)}" + (f" ({c.source.file}:{c.source.line})" if c.source else "")
        message = (self.failure.message.strip().splitlines() or [""])[0]
        return f"{head}, failed{where}: {_clip(f'{self.failure.exc_type}: {message}', 120)}"

    def __repr__(self) -> str:
        """A one-line summary (the dataclass's own repr would print every call: tens of kilobytes)."""
        return f"<Trace {self.summary()}>"

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict[str, str]:
        """Jupyter: the summary as text and, once `archviz.api` is imported, as HTML above the diagram.

        The bundle holds the diagram once: IPython adds a `_repr_*_` result only for a MIME type the
        bundle lacks, so the record has no `_repr_svg_` beside its HTML.
        """
        bundle = {"text/plain": repr(self)}
        fragment = display.show(self, "text/html")
        if fragment is not None:
            bundle["text/html"] = fragment
        return bundle

    def _repr_html_(self) -> str | None:
        """An HTML fragment: a one-line summary and the diagram."""
        return display.show(self, "text/html")


def _clip(text: str, limit: int) -> str:
    """`text`, cut to `limit` characters with an ellipsis when longer."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
