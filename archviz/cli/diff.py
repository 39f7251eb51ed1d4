"""`archviz diff OLD NEW`: what a change did to the architecture, for code review and CI.

Exit status: 0 no architectural change (or none that `--fail-on` counts), 1 changed, 2 usage mistake or
a side that cannot be read, loaded or traced.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from ..app.files import write_atomic
from ..app.options import DIFF_FORMATS
from ..kinds import Theme
from .base import _LOADING_OPTIONS, choice, handle_errors, load_options, main, out

_BINARY = ("png",)


def _diff_options(fn: Any) -> Any:
    """The loading options `render` has (`--model`, `--input`, …), without its PATH argument."""
    for option in reversed(_LOADING_OPTIONS[1:]):
        fn = option(fn)
    return fn


@main.command()
@click.argument("old", metavar="OLD")
@click.argument("new", metavar="NEW")
@_diff_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(DIFF_FORMATS),
    default="text",
    show_default=True,
    help="text (terminal), md (a pull-request comment), json, or NEW's diagram with the changes marked "
    "(svg, png, dot, html).",
)
@click.option("-o", "--out", "out_path", default=None, metavar="FILE", help="Write to FILE instead of standard output.")
@click.option(
    "--fail-on",
    "fail_on",
    default="any",
    show_default=True,
    metavar="WHAT,…",
    help="What makes the exit status 1: any, params, params>5%, params>N, checkpoint, outputs, modules, shapes, "
    "wiring, loops, gates.",
)
@click.option("--theme", type=choice(Theme), default=Theme.LIGHT.value, show_default=True, help="Diagram theme.")
@click.option("--grad", is_flag=True, help="Trace model files with autograd on (as `render --grad`).")
@handle_errors
def diff(**params: Any) -> None:
    """Compare two models: OLD and NEW are model files, JSON records (`render --format json`) or `REV:path`
    (a git revision of either, e.g. `HEAD~1:model.py`).

    Reports modules added, removed, renamed and changed, shapes on edges, wiring, loop counts, gates,
    outputs, whether OLD's checkpoint loads into NEW (with a rename map), and totals. Exit 0: no
    architectural change; 1: changed (as `--fail-on` counts it); 2: a usage mistake or an unreadable side.
    """
    from ..app import diffing  # loaded for this command only: `render` and `doctor` start without it

    conditions = diffing.parse_fail_on(params["fail_on"])  # a usage mistake is said before any model runs
    fmt = params["fmt"]
    if fmt in _BINARY and params["out_path"] is None and sys.stdout is not None and sys.stdout.isatty():
        from ..errors import UsageError

        raise UsageError(f"--format {fmt} writes binary data: give -o FILE (or redirect standard output).")
    load = load_options(params)
    old = diffing.load_side(params["old"], load)
    new = diffing.load_side(params["new"], load)
    d = diffing.compare(old, new)
    failed = diffing.failed_on(d, conditions)
    data = diffing.render_diff(old, new, d, fmt, Theme(params["theme"]), failed)
    if params["out_path"]:
        out(write_atomic(os.path.abspath(params["out_path"]), data))
    elif fmt in _BINARY:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        out(data.decode("utf-8"), nl=False)
    if failed:
        sys.exit(1)
