"""Diagrams for documentation builders (the Sphinx directive, the MkDocs plugin): cached by content.

A diagram is cached under a key that is the sha256 of the model file, the sibling modules it imports,
the view options and the archviz and torch versions, so an unchanged diagram is never traced twice and
a cache hit never imports torch. Messages meant for a published page name paths as the page wrote them.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..kinds import Format, Theme
from ..version import __version__
from . import messages
from .files import ensure_dir, write_atomic
from .options import LoadOptions, Options
from .pipeline import MemorySink
from .run import Source, run
from .sources import local_sources as local_sources  # the builders find their files here


@dataclass(frozen=True)
class Request:
    """One diagram to draw: the model file (absolute) and the view options a document asked for."""

    path: str
    model: str | None = None
    depth: int | None = None
    gates: str = "auto"
    fmt: str = "svg"
    theme: str = "light"


@dataclass
class Drawn:
    """A rendered diagram: its image file, notes for the log, and a problem to warn about (partial trace)."""

    image: str
    notes: list[str] = field(default_factory=list)
    problem: str | None = None


def cache_key(request: Request, sources: list[str]) -> str:
    """sha256 of the source files' bytes, the view options and the archviz and torch versions.

    torch's version is read from its installed metadata: a cache hit never imports torch.
    """
    digest = hashlib.sha256()
    settings = {
        "model": request.model,
        "depth": request.depth,
        "gates": request.gates,
        "format": request.fmt,
        "theme": request.theme,
        "files": [os.path.basename(s) for s in sources],
        "archviz": __version__,
        "torch": _torch_version(),
    }
    digest.update(json.dumps(settings, sort_keys=True).encode("utf-8"))
    for source in sources:
        data = Path(source).read_bytes()
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


def _torch_version() -> str:
    try:
        return importlib.metadata.version("torch")
    except importlib.metadata.PackageNotFoundError:
        return "none"


DOCS_TIMEOUT_S = 300.0  # a model that hangs stops a docs build after this long, not forever


def draw(
    request: Request,
    sources: list[str],
    cache: str,
    public: Callable[[str], str] = str,
    timeout: float | None = DOCS_TIMEOUT_S,
) -> Drawn:
    """The main diagram of `request`, reused from `cache` when its key is there, else made by `app.run`
    with the options a command line with the same words would give (the same bytes as `archviz render`).

    A partial diagram (the forward pass failed or returned no tensor) is written beside the cache, never
    as a cache hit, so the next build traces the file again and warns again. `public` rewrites the
    failure's text for the page's warning. `timeout` (seconds; None or 0: none) stops a model that hangs,
    and draws what ran.
    """
    key = cache_key(request, sources)
    ensure_dir(cache)
    image = os.path.join(cache, f"{key}.{request.fmt}")
    if os.path.isfile(image):
        return Drawn(image)
    if threading.current_thread() is not threading.main_thread():
        timeout = None  # the alarm exists only in the main thread; a threaded builder waits as before
    options = Options(
        formats=(Format(request.fmt),),
        depth=request.depth,
        gates=request.gates,
        theme=Theme(request.theme),
        load=LoadOptions(model=request.model, timeout=timeout or None),
    )
    sink = MemorySink()
    result = run(Source.file(request.path), options, sink)
    traced = result.trace
    problem = messages.failure_message(traced, []) if traced.failure is not None else messages.no_output_message(traced)
    if problem:
        image = os.path.join(cache, f"{key}.partial.{request.fmt}")
        problem = public(problem)
    write_atomic(image, sink.files[f"{result.stem}.{request.fmt}"])
    return Drawn(image, result.notes, problem)


# An absolute path left in a message after the known folders are taken out: POSIX or Windows.
_ABSOLUTE = re.compile(r"(?<![\w.:/\\-])(?:/|[A-Za-z]:\\)(?:[\w.@+-]+[/\\])+(?=[\w.@+-])")


def public_message(message: str, path: str, given: str, roots: tuple[str, ...] = ()) -> str:
    """`message` with the absolute `path` written as the document gave it (`given`) and no other absolute path.

    Folders of `roots` (the docs' source folder, say) are taken off the paths under them; any other
    absolute path keeps only its file name, so a published page never shows the build machine's layout.
    """
    # Placeholders keep the document's own paths (which may start with "/") out of the last step.
    text = message.replace(path, "\0path\0")
    folder, given_folder = os.path.dirname(path), os.path.dirname(given)
    if folder:
        text = text.replace(folder + os.sep, "\0folder\0")
    for root in sorted(roots, key=len, reverse=True):
        if root:
            text = text.replace(root.rstrip(os.sep) + os.sep, "")
    text = _ABSOLUTE.sub("", text)
    return text.replace("\0path\0", given).replace("\0folder\0", given_folder.rstrip("/") + "/" if given_folder else "")
