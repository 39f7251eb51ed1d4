"""The one frozen options value every front end builds: what to run, how to draw it, what to write.

The CLI, the Python API, the Sphinx directive, the MkDocs plugin and the notebook display each
translate their own syntax into an `Options` and call `app.run`; nothing else decides what a file
contains, so the same model and options give the same bytes through every one of them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from ..errors import UsageError
from ..kinds import Format, GatesMode, Layout, OpsMode, Theme
from ..view import View, parse_gates


@dataclass(frozen=True)
class LoadOptions:
    """How a model file is run: `--model`, `--input`, `--vocab`, `--script`, `--call`, `--device`,
    `--grad` and `--timeout` (seconds the model's code may run; None: no limit)."""

    model: str | None = None
    inputs: tuple[str, ...] = ()
    vocab: int = 100
    script: bool = False
    call: int = 1
    device: str | None = None
    grad: bool = False
    timeout: float | None = None


@dataclass(frozen=True)
class Options:
    """How to run, check and draw a model, and which files to make.

    Args:
        formats: any of svg, png, pdf, dot, json, html, mermaid; () makes no file (a trace, a doctor run).
        depth, unroll, ops, direction: the view (see `view.View`).
        gates: `--gates` text: auto, all, none, or a comma list of module paths.
        theme: `light`, `dark` or `transparent` diagram background.
        max_nodes: above this many boxes, collapse depth (and roll loops) automatically.
        doctor: run the doctor's experiments (the model traced again with each input axis grown) so that
            the report says where every size comes from (`render --doctor`, `archviz doctor`). Off, the
            model runs once and the doctor checks only what that one run shows.
        dims: `--dims` text: input axis names (`x=B,T,F`) or `auto`; named axes are drawn as `[B=4, …]`
            and imply the experiments.
        name: the output files' stem (default: the model file's, or the model's class name).
        focus: `--focus`: a module path (or call id) whose first call alone is drawn — its inside, with what
            it reads from outside as the inputs — and reported; None for the whole model.
        load: how a model file is run.
    """

    formats: tuple[Format, ...] = (Format.SVG, Format.HTML)
    depth: int | None = None
    unroll: bool = False
    ops: OpsMode = OpsMode.DEFAULT
    direction: Layout = Layout.TB
    gates: str = GatesMode.AUTO
    theme: Theme = Theme.LIGHT
    max_nodes: int = 400
    doctor: bool = False
    dims: str | None = None
    name: str | None = None
    focus: str | None = None
    load: LoadOptions = field(default_factory=LoadOptions)

    def __post_init__(self) -> None:
        if self.depth is not None and self.depth < 0:
            raise UsageError(f"--depth {self.depth}: the depth must be 0 or more.")
        object.__setattr__(self, "ops", OpsMode(self.ops))
        object.__setattr__(self, "direction", Layout(str(self.direction).upper()))
        object.__setattr__(self, "theme", Theme(self.theme))
        object.__setattr__(self, "formats", tuple(Format(f) for f in self.formats))

    @property
    def experiments(self) -> bool:
        """Whether the doctor re-runs the model to learn where sizes come from: asked for, never timed."""
        return self.doctor or self.dims is not None

    def view(self) -> View:
        """The view these options ask for."""
        mode, paths = parse_gates(self.gates)
        return View(
            depth=self.depth, unroll=self.unroll, ops=self.ops, direction=self.direction, gates=mode, open_paths=paths
        )

    def replace(self, **changes: object) -> Options:
        """A copy with `changes` (a front end's defaults over another's)."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


def parse_formats(text: str | tuple[str, ...] | list[str]) -> tuple[Format, ...]:
    """`svg,png` (or a sequence of names) -> (svg, png); a usage error naming unknown formats."""
    parts = text.split(",") if isinstance(text, str) else list(text)
    chosen = tuple(dict.fromkeys(str(f).strip().lower() for f in parts if str(f).strip()))
    known = [f.value for f in Format]
    unknown = [f for f in chosen if f not in known]
    if unknown or not chosen:
        shown = text if isinstance(text, str) else ",".join(map(str, text))
        raise UsageError(
            f"--format {shown!r}: unknown format {', '.join(unknown) or '(none)'}; choose from {', '.join(known)}."
        )
    return tuple(Format(f) for f in chosen)


# What `archviz diff --format` writes (here, not in `diffing`: the command line names them without loading it).
DIFF_FORMATS = ("text", "md", "json", "svg", "png", "dot", "html")
