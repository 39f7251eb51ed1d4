"""The diff's HTML page: one self-contained file with NEW's marked diagram (light and dark, as the
reader's system prefers) and the report, for a CI artifact (the model report's tabs are the report's)."""

from __future__ import annotations

import html

from .result import Diff
from .text import summary_line, to_text

_CSP = (
    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
    'img-src data:">'
)
_CSS = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 1.5rem; background: #ffffff; color: #0f172a; }
pre { background: #f1f5f9; padding: .75rem; overflow: auto; }
.dark { display: none; }
@media (prefers-color-scheme: dark) {
  body { background: #0f172a; color: #e2e8f0; }
  pre { background: #1e293b; }
  .light { display: none; }
  .dark { display: block; }
}
.diagram svg { max-width: 100%; height: auto; }
"""


def to_html(d: Diff, svg_light: str, svg_dark: str) -> str:
    """The page: headline, both diagrams (one shown per colour scheme), and the text report."""
    title = html.escape(f"archviz diff: {d.old} → {d.new}")
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            _CSP,
            f"<title>{title}</title><style>{_CSS}</style></head><body>",
            f"<h1>{title}</h1>",
            f"<p><strong>{html.escape(summary_line(d))}</strong></p>",
            f'<div class="diagram light">{_svg_body(svg_light)}</div>',
            f'<div class="diagram dark">{_svg_body(svg_dark)}</div>',
            f"<h2>Report</h2><pre>{html.escape(to_text(d))}</pre>",
            "</body></html>",
            "",
        ]
    )


def _svg_body(svg: str) -> str:
    """The `<svg>` element of Graphviz's output (its XML prolog and doctype left out)."""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else ""
