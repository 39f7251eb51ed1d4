"""View graph + trace -> one self-contained HTML report, rendered through templates/ with jinja2.

The template gets a plain view-model dict (`viewmodel`); the diagram SVGs come from Graphviz (labels
already escaped by `render.escape`), the data for the side panel is JSON inside a non-executed script
element, and the page's own script and style are allowed by hash in a Content-Security-Policy.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import sys
from typing import Any

import jinja2
from markupsafe import Markup

from ... import version
from ...record import Rolling, Trace
from ...record.text import printable
from ...view.graph import Graph
from ..inner import Inner
from ..palette import dark_overrides
from .resources import templates_dir
from .viewmodel import view_model


def _shown(value: Any) -> Any:
    """Every `{{ }}` value passes here before autoescape: text through the one sanitiser (no control
    character or lone surrogate reaches the page); Markup (SVG, JSON, the page's own script) as it is."""
    return printable(value) if isinstance(value, str) and not isinstance(value, Markup) else value


_OPTIONS: dict[str, Any] = {"autoescape": True, "trim_blocks": True, "lstrip_blocks": True}


def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,
        finalize=_shown,
        bytecode_cache=_compiled_cache(),
        **_OPTIONS,
    )


class _Cache(jinja2.FileSystemBytecodeCache):
    """jinja2's cache of compiled templates, quiet when its file cannot be written: a cache, never a failure."""

    def dump_bytecode(self, bucket: Any) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass

    def load_bytecode(self, bucket: Any) -> None:
        try:
            super().load_bytecode(bucket)
        except OSError:
            bucket.reset()


def _compiled_cache() -> jinja2.BytecodeCache | None:
    """The compiled template kept between runs (compiling it is 17 ms of each process's report), in
    jinja2's folder for the user in the temp dir, under a name that changes with anything that changes
    the compiled code but not the template's text (jinja2 checks that itself); none when that folder
    cannot be made safely. The compiled code is the same either way: no file's bytes depend on it."""
    key = f"{version.__version__}|{jinja2.__version__}|{sys.version}|{sorted(_OPTIONS.items())}"
    try:
        return _Cache(pattern=f"__archviz-{hashlib.sha256(key.encode()).hexdigest()[:16]}-%s.cache")
    except (RuntimeError, OSError):
        return None


@functools.cache
def template() -> jinja2.Template:
    """The report's template, loaded once per process."""
    return _env().get_template("report.html.j2")


def render_report(
    trace: Trace,
    graph: Graph,
    stem: str,
    svgs: dict[str, str],
    rolling: Rolling,
    notes: list[str] | None = None,
    axes: str = "",
    origins: dict[tuple[str, str, int], tuple[str, ...]] | None = None,
    insides: list[tuple[Inner, str]] | None = None,
) -> str:
    """The report's HTML text.

    Args:
        trace: the record (with cells).
        graph: the main view graph.
        stem: file stem; drill-in SVGs are looked up in `svgs` by their file names (`view.names`).
        svgs: rendered SVG text by file stem (main diagram under `stem`).
        rolling: the record's loops (the analysis's), for the module tree and the embedded rolled record.
        notes: warnings to show (auto-collapse).
        axes, origins: the doctor's axis names and where each size of each tensor comes from.
        insides: the precomputed insides of collapsed boxes (`draw.inner.insides`) and their SVGs.
    """
    vm = view_model(trace, rolling, graph, stem, svgs, notes or [], axes, origins or {}, insides or [])
    script = (templates_dir() / "report.js").read_text(encoding="utf-8")
    style = (templates_dir() / "report.css").read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    csp = (
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
        f"script-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'"
    )
    return template().render(vm=vm, csp=csp, script=Markup(script), style=Markup(themed(style)))


def _scoped(rules: str, scope: str) -> str:
    """CSS rules (one per line, `selectors { declarations }`) with every selector put under `scope`."""
    out = []
    for line in rules.splitlines():
        head, brace, body = line.partition("{")
        if not brace or head.lstrip().startswith(("/*", "@")):
            out.append(line)
            continue
        selectors = [x.strip() for x in head.split(",")]
        out.append(
            ", ".join(scope + ("" if x == ":root" else " ") + x.replace(":root", "") for x in selectors) + " {" + body
        )
    return "\n".join(out)


def themed(style: str) -> str:
    """The page's style with its dark block (and the diagrams' dark palette, the main diagram's and the gate
    diagrams') applied in the system's dark mode unless the theme button chose light, and when it chose dark."""
    start, end = "/* DARK */", "/* END DARK */"
    a, b = style.index(start), style.index(end)
    dark = (
        style[a + len(start) : b].strip()
        + "\n"
        + dark_overrides().replace(".diagram svg", ":is(.diagram, .cell-diagram) svg")
    )
    auto = _scoped(dark, ':root:not([data-theme="light"])')
    chosen = _scoped(dark, ':root[data-theme="dark"]')
    return (
        style[:a] + style[b + len(end) :] + "\n@media (prefers-color-scheme: dark) {\n" + auto + "\n}\n" + chosen + "\n"
    )
