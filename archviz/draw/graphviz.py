"""The Graphviz call that lays DOT text out: system `dot`, else graphviz-pure, always with a time limit.

archviz runs `dot` as a subprocess rather than through the `graphviz` Python package: that package's
`pipe` has no time limit (a large layout would hang instead of failing clearly), it cannot fall back to
graphviz-pure, and its quoting passes Graphviz escape sequences through, which `escape` must not.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

from ..errors import RenderError


def program(fmt: str) -> str:
    """The layout program: system `dot`, else `graphviz-pure` (the `standalone` extra, no PDF)."""
    exe = shutil.which("dot")
    if exe is not None:
        return exe
    pure = shutil.which("graphviz-pure")
    if pure is not None and fmt != "pdf":
        return pure
    extra = " (graphviz-pure cannot write PDF; install Graphviz for --format pdf)" if pure else ""
    raise RenderError(
        "Graphviz's `dot` program was not found on PATH, so the diagram could not be laid out "
        f"(the .dot file was written){extra}. Install Graphviz: `apt-get install graphviz` (Debian/Ubuntu), "
        "`brew install graphviz` (macOS) or `conda install -c conda-forge graphviz`; or install the "
        "standalone extra, `pip install 'archviz[standalone]'`, for SVG and PNG without Graphviz."
    )


def render(dot_text: str, fmt: str, *, timeout: float = 120.0) -> bytes:
    """Lay out DOT text and return the `fmt` (svg, png, pdf) bytes.

    Graphviz runs as a subprocess with a time limit, so a layout that would take minutes
    becomes a clear error instead of a hang.
    """
    exe = program(fmt)
    try:
        done = subprocess.run(
            [exe, f"-T{fmt}"], input=dot_text.encode("utf-8"), capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise RenderError(
            f"Graphviz took longer than {timeout:.0f} s to lay out the diagram; draw less with `--depth N` "
            "or keep loops rolled (no `--unroll`)."
        ) from exc
    if done.returncode != 0:
        err = done.stderr.decode("utf-8", "replace").strip()
        raise RenderError(
            f"Graphviz `{os.path.basename(exe)} -T{fmt}` failed with status {done.returncode}: {err[:500]}"
        )
    return _undated(done.stdout) if fmt == "pdf" else done.stdout


def render_svgs(dot_texts: list[str], *, timeout: float = 120.0) -> list[str]:
    """Lay out several DOT graphs as SVG with one Graphviz process (one start-up instead of one per
    diagram: a model's drill-ins are many small graphs). Each SVG is the one `render` would give alone."""
    if len(dot_texts) <= 1:
        return [render(t, "svg", timeout=timeout).decode("utf-8") for t in dot_texts]
    out = render("\n".join(dot_texts), "svg", timeout=timeout).decode("utf-8")
    starts = [m.start() for m in re.finditer(r"<\?xml ", out)]
    if len(starts) != len(dot_texts):  # a layout program that writes one document: lay them out one by one
        return [render(t, "svg", timeout=timeout).decode("utf-8") for t in dot_texts]
    svgs = [out[a:b] for a, b in zip(starts, [*starts[1:], len(out)], strict=True)]
    # dot numbers the later graphs' top group (`page0,1_graph0`); alone, each would be `graph0`
    return [_GRAPH_ID.sub(r'\1"graph0"', svg, count=1) for svg in svgs]


_GRAPH_ID = re.compile(r'(<g id=)"[^"]*graph0"(?= class="graph")')


# cairo writes the time of rendering into every PDF (and ignores SOURCE_DATE_EPOCH before cairo 1.17).
_PDF_DATE = re.compile(rb"/(CreationDate|ModDate) \(D:(\d{14})")


def _undated(pdf: bytes) -> bytes:
    """The PDF with its creation and modification dates set to one fixed time, byte lengths kept (the
    cross-reference table counts bytes): no clock decides what a file contains."""
    return _PDF_DATE.sub(lambda m: b"/" + m[1] + b" (D:19700101000000", pdf)
