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
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

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
    """Lay out several DOT graphs as SVG: one Graphviz process per graph, a few at a time.

    Never several graphs in one process: Graphviz 2.43 (Debian 12's) orders a graph's clusters by where
    their names lie in memory, which a process that already laid out other graphs leaves to chance, so a
    batch's SVGs changed from run to run (5 of 200 runs of the bilstm example's drill-ins). Alone, each
    graph is laid out the same every time; each SVG is the one `render` gives, whatever the worker count.
    """
    return start_svgs(dot_texts, timeout=timeout)()


def start_svgs(dot_texts: list[str], *, timeout: float = 120.0) -> Callable[[], list[str]]:
    """Start laying out DOT graphs as SVG, as `render_svgs` does, and return at once: the function returned
    waits for them and gives their SVGs in order (or raises the first failed graph's error). Other work
    (the main diagram's layout) runs meanwhile on the cores a single `dot` leaves idle."""
    if not dot_texts:
        return list
    pool = ThreadPoolExecutor(max_workers=min(len(dot_texts), _WORKERS))
    futures = [pool.submit(render, text, "svg", timeout=timeout) for text in dot_texts]
    pool.shutdown(wait=False)
    return lambda: [future.result().decode("utf-8") for future in futures]


# Graphviz processes run at once: each waits on its own process, so a few more than the cores hide start-up.
_WORKERS = max(2, min(8, (os.cpu_count() or 1) + 2))


# cairo writes the time of rendering into every PDF (and ignores SOURCE_DATE_EPOCH before cairo 1.17).
_PDF_DATE = re.compile(rb"/(CreationDate|ModDate) \(D:(\d{14})")


def _undated(pdf: bytes) -> bytes:
    """The PDF with its creation and modification dates set to one fixed time, byte lengths kept (the
    cross-reference table counts bytes): no clock decides what a file contains."""
    return _PDF_DATE.sub(lambda m: b"/" + m[1] + b" (D:19700101000000", pdf)
