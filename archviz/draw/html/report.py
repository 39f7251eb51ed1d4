"""View graph + trace -> one self-contained HTML report, rendered through templates/ with jinja2.

The template gets a plain view-model dict (`viewmodel`); the diagram SVGs come from Graphviz (labels
already escaped by `render.escape`), the data for the side panel is JSON inside a non-executed script
element, and the page's own script and style are allowed by hash in a Content-Security-Policy.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from typing import Any

import jinja2
from markupsafe import Markup

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


def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_shown,
    )


@functools.cache
def template() -> jinja2.Template:
    """The report's template, compiled once per process (about 17 ms each time otherwise)."""
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
