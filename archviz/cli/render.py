"""`archviz render`: trace a model file and write its diagram and report (or `--check` them)."""

from __future__ import annotations

import sys
import traceback
import warnings
from typing import Any

import click

from .. import app
from ..app.progress import Progress
from ..kinds import GatesMode, Layout, OpsMode, Theme
from .base import choice, err, handle_errors, load_options, loading_options, main, out, settle


def _render_options(params: dict[str, Any]) -> app.Options:
    """`archviz render`'s parameters as the one options value every front end builds."""
    return app.Options(
        formats=app.parse_formats(params["formats"]),
        depth=params["depth"],
        unroll=params["unroll"],
        ops=OpsMode(params["ops"]),
        direction=Layout(params["direction"].upper()),
        gates=params["gates"],
        theme=Theme(params["theme"]),
        max_nodes=params["max_nodes"],
        doctor=params["doctor"],
        dims=params["dims"],
        focus=params["focus"],
        load=load_options(params),
    )


@main.command()
@loading_options
@click.option("-o", "--out", "out", default="archviz-out", show_default=True, help="Output folder.")
@click.option(
    "--format",
    "formats",
    default="svg,html",
    show_default=True,
    help="Comma list of svg,png,pdf,dot,json,html,mermaid (.mmd: a flowchart for Markdown).",
)
@click.option(
    "--depth",
    type=click.IntRange(min=0),
    default=None,
    help="Collapse modules deeper than N into one node (0: one box).",
)
@click.option(
    "--focus",
    default=None,
    metavar="PATH",
    help="Draw and report one module's inside alone (e.g. encoder.layers.3), its reads from outside as inputs.",
)
@click.option("--unroll", is_flag=True, help="Draw every loop step instead of one rolled step.")
@click.option(
    "--ops", type=choice(OpsMode), default=OpsMode.DEFAULT.value, show_default=True, help="Which ops to draw."
)
@click.option(
    "--direction",
    type=click.Choice([m.value for m in Layout], case_sensitive=False),
    default=Layout.TB.value,
    show_default=True,
)
@click.option("--theme", type=choice(Theme), default=Theme.LIGHT.value, show_default=True)
@click.option(
    "--max-nodes",
    type=click.IntRange(min=1),
    default=400,
    show_default=True,
    help="Above this, collapse depth automatically.",
)
@click.option(
    "--gates",
    default=GatesMode.AUTO.value,
    show_default=True,
    metavar="auto|all|none|PATH,...",
    help="Recurrent cells drawn open: auto (custom cells), all (also nn.LSTM/GRU/RNN), none, or module paths.",
)
@click.option(
    "--grad",
    is_flag=True,
    help="Trace with autograd on (default: off, as under torch.no_grad(); training-only branches such as "
    "activation checkpointing then run as they do in training).",
)
@click.option(
    "-q",
    "--quiet",
    is_flag=True,
    help="No progress display, no notes, hints or Python warnings on stderr; errors only.",
)
@click.option(
    "--doctor",
    is_flag=True,
    help="Also run the model with each input axis grown, so the report says where every size comes from "
    "(as `archviz doctor` does; the model then runs more than once).",
)
@click.option(
    "--dims",
    default=None,
    metavar="auto|NAME=AXES;…",
    help="Draw shapes with axis names, [B=4, T=12, 64]: auto (from the modules) or e.g. 'input_ids=B,T' "
    "(implies --doctor).",
)
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; exit 1 naming each file in the output folder that rendering would change or create.",
)
@handle_errors
def render(**params: Any) -> None:
    """Trace PATH's model and write its diagram and HTML report (svg,html by default) into the output folder."""
    from ..app import doctor as doctoring

    options = _render_options(params)
    doctoring.parse_dims(options.dims)  # a usage mistake is said before the model runs
    settle(params["path"])
    progress = Progress(enabled=not params["quiet"])
    folder = params["out"]
    sink: app.MemorySink | app.FolderSink = app.MemorySink() if params["check"] else app.FolderSink(folder)
    with warnings.catch_warnings():
        if params["quiet"]:  # quiet means quiet: the warnings the model's code (or torch) raises are notes too
            warnings.simplefilter("ignore")
        result = app.run(app.Source.file(params["path"]), options, sink, stage=progress.stage)
    say = _Say(quiet=params["quiet"])
    if result.doctor_failed:
        say.note(f"{result.doctor_failed}; drawn without it")
    for note in result.notes:
        say.note(note)
    if isinstance(sink, app.MemorySink):
        _report_check(app.check(sink.files, folder), folder, result, params["debug"], say)
        return
    for p in sink.paths:
        out(p)
    _exit_if_failed(result, sink.paths, params["debug"], say)
    if result.hint:
        say.note(result.hint)


class _Say:
    """Notes on stderr (`archviz: …`), none with `-q`; errors are always said."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet

    def note(self, text: str) -> None:
        if not self.quiet:
            err(f"archviz: {text}")

    def error(self, text: str) -> None:
        err(f"archviz: {text}")


def _report_check(checked: app.Checked, folder: str, result: app.Result, debug: bool, say: _Say) -> None:
    """`render --check`: one line per file that would change or be created; exit 1 if there is any."""
    for p in checked.changed:
        out(f"would change: {p}")
    for p in checked.missing:
        out(f"missing: {p}")
    counts = [f"{len(checked.changed)} would change"] if checked.changed else []
    counts += [f"{len(checked.missing)} missing"] if checked.missing else []
    err(f"archviz: {', '.join([*counts, f'{len(checked.same)} up to date'])} in {folder}")
    _exit_if_failed(result, [], debug, say)
    if not checked.up_to_date:
        sys.exit(1)


def _exit_if_failed(result: app.Result, written: list[str], debug: bool, say: _Say) -> None:
    """Say where the forward pass failed (or that it returned nothing), then the doctor's hint, and exit 1;
    return if it did not fail."""
    trace = result.trace
    if trace.failure is not None:
        if debug and result.exception is not None:
            err("".join(traceback.format_exception(result.exception)).rstrip())
        say.error(app.failure_message(trace, written))
        if result.hint:
            say.note(result.hint)
        sys.exit(1)
    empty = app.no_output_message(trace)
    if empty:
        say.error(f"error: {empty}")
        sys.exit(1)
