"""`archviz doctor` and `archviz summary`: the checks and the torchinfo table of a model file."""

from __future__ import annotations

import sys
from typing import Any

import click

from .. import app
from .base import handle_errors, load_options, loading_options, main, out, settle


@main.command()
@loading_options
@click.option("--depth", type=click.IntRange(min=0), default=4, show_default=True, help="Depth of the torchinfo table.")
@handle_errors
def summary(**params: Any) -> None:
    """Print the torchinfo table of PATH's model with the same model and inputs as `render`."""
    out(app.summary_table(params["path"], load_options(params), depth=params["depth"]))


@main.command()
@loading_options
@click.option("--dims", metavar="NAME=AXES;…", help="Input axis names: x=B,T (default: example_dims() or the modules).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif"]), default="text", show_default=True)
@click.option("--select", multiple=True, metavar="CODES", help="Report only these finding codes (comma list).")
@click.option("--ignore", multiple=True, metavar="CODES", help="Never report these finding codes (comma list).")
@click.option("--concise", is_flag=True, help="One line per finding, then a summary line.")
@handle_errors
def doctor(**params: Any) -> None:
    """Find shape bugs in PATH's model: where every size comes from, and what looks wrong.

    `# archviz: ignore[CODE,…]` on the line a finding points at suppresses it (a bare one: every code).
    A failed forward pass is reported under any --select: nothing after it was checked.

    \b
    Exit status:
      0  nothing found, or notes only
      1  a warning or an error was reported (a failed forward pass is an error)
      2  a usage mistake: no such file, an unknown code, a bad option value
      3  the model could not be loaded: it fails to import, has no model or no inputs
    """
    from ..app import doctor as doctoring
    from ..app import findings

    choice = findings.Choice.parse(params["select"], params["ignore"], params["fmt"], params["concise"])
    doctoring.parse_dims(params["dims"])  # usage mistakes are said before the model runs
    settle(params["path"])
    options = app.Options(formats=(), doctor=True, dims=params["dims"], load=load_options(params))
    with findings.loading(options.load):  # a model that cannot be loaded exits 3
        result = app.run(app.Source.file(params["path"]), options)
    report = findings.of_run(result, choice)
    out(findings.render(report), nl=False)
    sys.exit(report.exit_status)
