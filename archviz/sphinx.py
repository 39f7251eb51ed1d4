"""Sphinx extension: the `archviz` directive draws a model file's diagram when the docs are built.

In conf.py, `extensions = ["archviz.sphinx"]`; in a document::

    .. archviz:: examples/gru.py
       :model: build_builtin
       :depth: 1
       :gates: all
       :format: svg
       :theme: dark
       :width: 80%
       :align: center
       :alt: The GRU built on nn.GRU
       :class: wide

The path is relative to the document's folder, or to the source folder when it starts with "/" (as for
Sphinx's `image`). `:model:`, `:depth:`, `:gates:` and `:theme:` mean what `--model`, `--depth`, `--gates`
and `--theme` mean on the command line; `:format:` is svg (default) or png. `:width:`, `:height:`,
`:align:` (left, center, right), `:alt:` and `:class:` are those of Sphinx's `image` directive.

Diagrams are cached in `<doctreedir>/_archviz/<key>.<format>` (e.g. `_build/doctrees/_archviz/`): build
output that is kept between builds, shared by builders and not published with the HTML. The key is the
sha256 of the model file, the sibling modules it imports, the options and the archviz and torch versions
(`app.docs`), so an unchanged diagram is never traced twice, and a build whose diagrams are all cached
never imports torch. Sphinx copies the image into the output like any image. A file that cannot be drawn
gives a warning (type `archviz`) and a literal block naming the file as the document wrote it (no
absolute path of the build machine is published), not a failed build.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from . import app
from .app import docs
from .errors import ArchvizError
from .kinds import Theme
from .version import __version__

logger = logging.getLogger(__name__)

CACHE_FOLDER = "_archviz"
IMAGE_FORMATS = ("svg", "png")
ALIGNMENTS = ("left", "center", "right")


def _image_format(argument: str | None) -> str:
    return directives.choice(argument, IMAGE_FORMATS)


def _theme(argument: str | None) -> str:
    return directives.choice(argument, [t.value for t in Theme])


def _align(argument: str | None) -> str:
    return directives.choice(argument, ALIGNMENTS)


class ArchvizDirective(SphinxDirective):
    """`.. archviz:: path/to/model.py` with the view options and those of Sphinx's `image` directive."""

    required_arguments = 1
    final_argument_whitespace = True
    option_spec: ClassVar[dict[str, Callable[[str], Any]]] = {
        "model": directives.unchanged_required,
        "depth": directives.nonnegative_int,
        "gates": directives.unchanged_required,
        "format": _image_format,
        "theme": _theme,
        "width": directives.length_or_percentage_or_unitless,
        "height": directives.length_or_unitless,
        "align": _align,
        "alt": directives.unchanged,
        "class": directives.class_option,
    }

    def run(self) -> list[nodes.Node]:
        given = self.arguments[0]
        _, path = self.env.relfn2path(given, self.env.docname)
        self.env.note_dependency(path)  # a missing file is re-read every build until it exists
        request = docs.Request(
            path=path,
            model=self.options.get("model"),
            depth=self.options.get("depth"),
            gates=self.options.get("gates", "auto"),
            fmt=self.options.get("format", "svg"),
            theme=self.options.get("theme", Theme.LIGHT.value),
        )
        try:
            sources = docs.local_sources(app.check_path(path))
            for source in sources:
                self.env.note_dependency(source)
            cache = os.path.join(self.env.doctreedir, CACHE_FOLDER)
            timeout = self.env.config.archviz_timeout
            drawn = docs.draw(request, sources, cache, lambda text: self._public(text, path, given), timeout)
        except ArchvizError as exc:
            message = self._public(str(exc), path, given)
            self._warn(message)
            return [nodes.literal_block(message, f"archviz: {message}", classes=["archviz-error"])]
        for note in drawn.notes:
            logger.info("archviz: %s: %s", given, note, location=(self.env.docname, self.lineno))
        if drawn.problem:
            self._warn(self._public(drawn.problem, path, given))
        image = nodes.image(self.block_text, uri=self._uri(drawn.image), classes=["archviz"])
        image["alt"] = self.options.get("alt") or f"archviz diagram of {given}"
        for option in ("width", "height", "align"):
            if option in self.options:
                image[option] = self.options[option]
        image["classes"] += self.options.get("class", [])
        self.set_source_info(image)
        return [image]

    def _public(self, message: str, path: str, given: str) -> str:
        """`message` as the page may show it: the model file as the document names it, no absolute path."""
        return docs.public_message(message, path, given, roots=(str(self.env.srcdir),))

    def _warn(self, message: str) -> None:
        logger.warning("archviz: %s", message, location=(self.env.docname, self.lineno), type="archviz")

    def _uri(self, image: str) -> str:
        """`image` relative to the document's folder, as Sphinx resolves image URIs."""
        folder = self.env.doc2path(self.env.docname).parent
        return Path(os.path.relpath(Path(image).resolve(), folder.resolve())).as_posix()


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the `archviz` directive."""
    app.add_directive("archviz", ArchvizDirective)
    # seconds a model's code may run before it is stopped and what ran is drawn; 0: no limit
    app.add_config_value("archviz_timeout", docs.DOCS_TIMEOUT_S, "env", types=[int, float])
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
