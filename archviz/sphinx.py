"""Sphinx extension: the `archviz` directive draws a model file's diagram when the docs are built.

In conf.py, `extensions = ["archviz.sphinx"]`; in a document::

    .. archviz:: examples/gru.py
       :model: build_builtin
       :depth: 1
       :gates: all
       :format: svg
       :alt: The GRU built on nn.GRU

The path is relative to the document's folder, or to the source folder when it starts with "/" (as for
Sphinx's `image`). `:model:`, `:depth:` and `:gates:` mean what `--model`, `--depth` and `--gates` mean
on the command line; `:format:` is svg (default) or png.

Diagrams are cached in `<doctreedir>/_archviz/<key>.<format>` (e.g. `_build/doctrees/_archviz/`): build
output that is kept between builds, shared by builders and not published with the HTML. The key is the
sha256 of the model file, the sibling modules it imports, the options and the archviz and torch versions,
so an unchanged diagram is never traced twice. Sphinx copies the image into the output like any image.
A file that cannot be drawn gives a warning (type `archviz`) and a literal block, not a failed build.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.metadata
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from . import app
from .app.files import ensure_dir
from .errors import ArchvizError
from .kinds import Format
from .version import __version__

logger = logging.getLogger(__name__)

CACHE_FOLDER = "_archviz"
IMAGE_FORMATS = ("svg", "png")


@dataclass(frozen=True)
class Request:
    """One diagram to draw: the model file (absolute) and the directive's view options."""

    path: str
    model: str | None = None
    depth: int | None = None
    gates: str = "auto"
    fmt: str = "svg"


@dataclass
class Drawn:
    """A rendered diagram: its image file, notes for the log, and a problem to warn about (partial trace)."""

    image: str
    notes: list[str] = field(default_factory=list)
    problem: str | None = None


def local_sources(path: str) -> list[str]:
    """`path` first, then the sibling .py files it imports, directly or not (the loader puts its folder on sys.path)."""
    folder = os.path.dirname(path)
    seen = {path}
    queue = [path]
    while queue:
        for name in _imported_names(queue.pop()):
            sibling = os.path.join(folder, name + ".py")
            if sibling not in seen and os.path.isfile(sibling):
                seen.add(sibling)
                queue.append(sibling)
    return [path, *sorted(seen - {path})]


def _imported_names(path: str) -> set[str]:
    """Top-level module names of the absolute imports in a Python file (none when it does not parse)."""
    try:
        tree = ast.parse(Path(path).read_bytes())
    except (OSError, SyntaxError, ValueError):
        return set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.partition(".")[0])
    return names


def cache_key(request: Request, sources: list[str]) -> str:
    """sha256 of the source files' bytes, the view options and the archviz and torch versions.

    torch's version is read from its installed metadata: a cache hit never imports torch.
    """

    digest = hashlib.sha256()
    settings = {
        "model": request.model, "depth": request.depth, "gates": request.gates, "format": request.fmt,
        "files": [os.path.basename(s) for s in sources], "archviz": __version__, "torch": _torch_version(),
    }  # fmt: skip
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


def draw(request: Request, sources: list[str], cache: str) -> Drawn:
    """The main diagram of `request`, reused from `cache` when its key is there, else traced and rendered.

    A partial diagram (the forward pass failed or returned no tensor) is written beside the cache, never
    as a cache hit, so the next build traces the file again and warns again.
    """
    key = cache_key(request, sources)
    ensure_dir(cache)
    image = os.path.join(cache, f"{key}.{request.fmt}")
    if os.path.isfile(image):
        return Drawn(image)
    target = app.trace_file(request.path, model=request.model)
    options = app.Options(formats=(Format(request.fmt),), depth=request.depth, gates=request.gates)
    with tempfile.TemporaryDirectory(prefix=".render-", dir=cache) as scratch:
        written = app.write(target.trace, target.stem, scratch, options)
        traced = written.trace or target.trace
        if traced.failure is not None:
            problem: str | None = app.failure_message(traced, [])
        else:
            problem = app.no_output_message(traced)
        if problem:
            image = os.path.join(cache, f"{key}.partial.{request.fmt}")
        os.replace(os.path.join(scratch, f"{target.stem}.{request.fmt}"), image)
    return Drawn(image, written.notes, problem)


def _image_format(argument: str | None) -> str:
    return directives.choice(argument, IMAGE_FORMATS)


class ArchvizDirective(SphinxDirective):
    """`.. archviz:: path/to/model.py` with options model, depth, gates, format and alt."""

    required_arguments = 1
    final_argument_whitespace = True
    option_spec: ClassVar[dict[str, Callable[[str], Any]]] = {
        "model": directives.unchanged_required,
        "depth": directives.nonnegative_int,
        "gates": directives.unchanged_required,
        "format": _image_format,
        "alt": directives.unchanged,
    }

    def run(self) -> list[nodes.Node]:
        given = self.arguments[0]
        _, path = self.env.relfn2path(given, self.env.docname)
        self.env.note_dependency(path)  # a missing file is re-read every build until it exists
        request = Request(
            path=path,
            model=self.options.get("model"),
            depth=self.options.get("depth"),
            gates=self.options.get("gates", "auto"),
            fmt=self.options.get("format", "svg"),
        )
        try:
            sources = local_sources(app.check_path(path))
            for source in sources:
                self.env.note_dependency(source)
            drawn = draw(request, sources, os.path.join(self.env.doctreedir, CACHE_FOLDER))
        except ArchvizError as exc:
            self._warn(str(exc))
            return [nodes.literal_block(str(exc), f"archviz: {exc}", classes=["archviz-error"])]
        for note in drawn.notes:
            logger.info("archviz: %s: %s", given, note, location=(self.env.docname, self.lineno))
        if drawn.problem:
            self._warn(drawn.problem)
        image = nodes.image(self.block_text, uri=self._uri(drawn.image), classes=["archviz"])
        image["alt"] = self.options.get("alt") or f"archviz diagram of {given}"
        self.set_source_info(image)
        return [image]

    def _warn(self, message: str) -> None:
        logger.warning("archviz: %s", message, location=(self.env.docname, self.lineno), type="archviz")

    def _uri(self, image: str) -> str:
        """`image` relative to the document's folder, as Sphinx resolves image URIs."""
        folder = self.env.doc2path(self.env.docname).parent
        return Path(os.path.relpath(Path(image).resolve(), folder.resolve())).as_posix()


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the `archviz` directive."""
    app.add_directive("archviz", ArchvizDirective)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
