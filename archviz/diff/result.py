"""What `archviz diff` found between two records, as plain frozen data (every format reads only this)."""

from __future__ import annotations

from dataclasses import dataclass, field

Shape = tuple[int, ...]


@dataclass(frozen=True)
class ModuleEntry:
    """A module added or removed (the outermost of a subtree; `inside` counts the modules under it)."""

    path: str
    type: str
    params: int
    inside: int = 0


@dataclass(frozen=True)
class Renamed:
    """A module that moved or was renamed, found by structure (type, parameter shapes, place in the flow)."""

    old: str
    new: str
    type: str
    params: int


@dataclass(frozen=True)
class ModuleChange:
    """A module on both sides (matched by path, or renamed) whose own facts differ.

    Args:
        path: its path in NEW (`old_path` in OLD when renamed).
        what: one text per difference (`type LayerNorm → RMSNorm`, `weight [32, 16] → [64, 16]`).
        params: total parameters (its children included) in OLD and NEW.
    """

    path: str
    old_path: str
    type: str
    what: tuple[str, ...]
    params: tuple[int, int]


@dataclass(frozen=True)
class OpChange:
    """Ops added to or removed from a module's forward, by op name (`+ add ×2 in blocks.0`)."""

    sign: str  # "+" or "-"
    op: str
    where: str  # module path, '' for the model's own forward
    count: int


@dataclass(frozen=True)
class EdgeChange:
    """A tensor handed from `src` to `dst` on both sides whose shape changed."""

    src: str
    dst: str
    slot: str
    old: Shape
    new: Shape
    count: int = 1  # the same change on numbered siblings (`blocks.*`), said once


@dataclass(frozen=True)
class Wiring:
    """Data flow that changed: a residual added or removed, a different input read, an input added or dropped.

    Args:
        kind: `residual`, `reads` (a different producer), `input` (an argument added or dropped).
        sign: `+`, `-` or `~`.
        text: one line saying it (`+ residual in blocks.0: add(x, blocks.0.ff)`).
    """

    kind: str
    sign: str
    text: str
    count: int = 1


@dataclass(frozen=True)
class CountChange:
    """A count that changed: a loop's steps or a repeated stack's layers (`blocks ×11 → ×12`)."""

    what: str
    old: int
    new: int


@dataclass(frozen=True)
class GateChange:
    """Gates added to or removed from one recurrent cell."""

    cell: str
    added: tuple[str, ...]
    removed: tuple[str, ...]


@dataclass(frozen=True)
class OutputChange:
    """A model output whose shape changed, or that appeared or went (shape None on that side)."""

    path: str
    old: Shape | None
    new: Shape | None


@dataclass(frozen=True)
class Checkpoint:
    """Which keys of OLD's state dict would not load into NEW (`load_state_dict(strict=True)`).

    Args:
        missing: NEW's keys OLD lacks, after the rename map is applied.
        unexpected: OLD's keys NEW lacks, after the rename map is applied.
        mismatched: (key, OLD shape, NEW shape) for keys on both sides.
        renames: OLD key → NEW key for keys of renamed modules (apply it to load OLD's checkpoint).
        complete: both records hold their state dicts (buffers included); otherwise the keys are those of
            the parameters of modules that ran.
    """

    missing: tuple[tuple[str, Shape], ...] = ()
    unexpected: tuple[tuple[str, Shape], ...] = ()
    mismatched: tuple[tuple[str, Shape, Shape], ...] = ()
    renames: tuple[tuple[str, str], ...] = ()
    complete: bool = True

    @property
    def loads(self) -> bool:
        """True when OLD's checkpoint loads into NEW as it is (no rename needed either)."""
        return not (self.missing or self.unexpected or self.mismatched or self.renames)


@dataclass(frozen=True)
class Totals:
    """Totals of one side: parameters, buffers (None when not recorded), buffer elements, ops."""

    params: int
    buffers: int | None
    buffer_values: int | None
    ops: int


@dataclass(frozen=True)
class Diff:
    """Everything `archviz diff` reports; `changed` is False only when nothing differs.

    Args:
        old, new: how each side was named on the command line (`HEAD~1:model.py`, `new.json`).
        old_model, new_model: the models' names and classes.
        marks: NEW's call ids (and OLD's, for removed) with their mark, for diagrams: `added`, `changed`,
            `renamed`, and `removed` for OLD calls drawn as ghosts.
    """

    old: str
    new: str
    old_model: str
    new_model: str
    added: tuple[ModuleEntry, ...] = ()
    removed: tuple[ModuleEntry, ...] = ()
    renamed: tuple[Renamed, ...] = ()
    changed: tuple[ModuleChange, ...] = ()
    ops: tuple[OpChange, ...] = ()
    edges: tuple[EdgeChange, ...] = ()
    wiring: tuple[Wiring, ...] = ()
    counts: tuple[CountChange, ...] = ()
    gates: tuple[GateChange, ...] = ()
    outputs: tuple[OutputChange, ...] = ()
    checkpoint: Checkpoint = field(default_factory=Checkpoint)
    totals: tuple[Totals, Totals] = (Totals(0, 0, 0, 0), Totals(0, 0, 0, 0))
    notes: tuple[str, ...] = ()
    marks: tuple[tuple[str, str], ...] = ()

    @property
    def any(self) -> bool:
        """True when the architecture changed in any way reported."""
        parts = (self.added, self.removed, self.renamed, self.changed, self.ops, self.edges, self.wiring)
        more = (self.counts, self.gates, self.outputs)
        old, new = self.totals
        buffers = old.buffers is not None and new.buffers is not None and old.buffers != new.buffers
        totals = old.params != new.params or old.ops != new.ops or buffers
        return any(parts) or any(more) or not self.checkpoint.loads or totals
