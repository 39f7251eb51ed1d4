"""MkDocs plugin: fenced `archviz` blocks become the model's diagram when the site is built.

In mkdocs.yml, `plugins: [search, archviz]`; in a page:

    ```archviz
    path: ../examples/gru.py
    model: build_builtin
    depth: 1
    theme: dark
    alt: The GRU
    ```

`path` is relative to the Markdown file's folder, or to `docs_dir` when it starts with "/". `model`,
`depth`, `gates` and `theme` mean what `--model`, `--depth`, `--gates` and `--theme` mean on the command
line; `alt` is the image's text. The block is replaced by an `<img>` of an SVG written into the site as
`assets/archviz/<key>.svg`; the key is the one the Sphinx directive uses (`app.docs`: the model file, its
sibling imports, the options, the archviz and torch versions), and rendered diagrams are kept in
`cache_dir` (default `.cache/archviz` beside mkdocs.yml), so an unchanged diagram is never traced twice and
a build whose diagrams are all cached never imports torch. A model that cannot be drawn gives a build
warning and a visible `archviz-error` block in the page (naming the file as the page wrote it), not a
failed build (unless `mkdocs build --strict`, which fails on warnings).
"""

from __future__ import annotations

import html
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mkdocs.config import config_options
from mkdocs.config.base import Config
from mkdocs.plugins import BasePlugin, get_plugin_logger
from mkdocs.utils import get_relative_url

from . import app
from .app import docs
from .errors import ArchvizError, UsageError
from .kinds import Theme
from .record.text import printable

log = get_plugin_logger(__name__)

ASSETS = "assets/archviz"
KEYS = ("path", "model", "depth", "gates", "theme", "alt")
_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`\s]*)[^`]*$")


@dataclass(frozen=True)
class Block:
    """One fenced `archviz` block: its options as written, its first line (1-based) and its indent."""

    options: dict[str, str]
    line: int
    indent: str


def fenced_blocks(markdown: str, replace: Callable[[Block], str]) -> str:
    """`markdown` with every ```` ```archviz ```` block replaced by `replace(block)`; other fences untouched.

    A fence of another language is skipped whole, so an `archviz` block shown inside a longer fence (as
    documentation of this plugin) stays text.
    """
    lines = markdown.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if opening is None:
            out.append(lines[i])
            i += 1
            continue
        end = _closing(lines, i + 1, opening["fence"])
        if opening["info"] != "archviz":
            out.extend(lines[i : end + 1])
        else:
            body = [line.strip() for line in lines[i + 1 : end]]
            options = dict(_option(line) for line in body if line and not line.startswith("#"))
            out.append(replace(Block(options, i + 1, opening["indent"])))
        i = end + 1
    return "\n".join(out)


def _closing(lines: list[str], start: int, fence: str) -> int:
    """Index of the line closing `fence` (same character, at least as long), or the last line."""
    closing = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
    return next((j for j in range(start, len(lines)) if closing.match(lines[j])), len(lines) - 1)


def _option(line: str) -> tuple[str, str]:
    key, sep, value = line.partition(":")
    return (key.strip().lower(), value.strip()) if sep else (line, "")


def _request(block: Block, path: str) -> docs.Request:
    """The diagram a block asks for; a usage error naming an unknown key or a bad value."""
    unknown = [k for k in block.options if k not in KEYS]
    if unknown:
        raise UsageError(f"unknown option {', '.join(map(repr, unknown))}; an archviz block takes {', '.join(KEYS)}.")
    depth = block.options.get("depth")
    if depth is not None and not (depth.isdigit()):
        raise UsageError(f"depth: {depth!r} is not a number of 0 or more.")
    theme = block.options.get("theme", Theme.LIGHT.value)
    if theme not in [t.value for t in Theme]:
        raise UsageError(f"theme: {theme!r} is not one of {', '.join(t.value for t in Theme)}.")
    return docs.Request(
        path=path,
        model=block.options.get("model") or None,
        depth=int(depth) if depth is not None else None,
        gates=block.options.get("gates") or "auto",
        theme=theme,
    )


def _error_block(message: str) -> str:
    return f'<pre class="archviz-error">archviz: {html.escape(printable(message))}</pre>'


def _html_blocks(blocks: list[str], indent: str) -> str:
    """Raw HTML blocks for Markdown: each on its own line, blank lines around, so no paragraph swallows one."""
    return "\n" + "\n\n".join(indent + b for b in blocks) + "\n"


class ArchvizConfig(Config):
    """The plugin's settings in mkdocs.yml."""

    cache_dir = config_options.Type(str, default=".cache/archviz")  # relative to mkdocs.yml's folder
    timeout = config_options.Type((int, float), default=docs.DOCS_TIMEOUT_S)  # seconds per model; 0: none


class ArchvizPlugin(BasePlugin[ArchvizConfig]):
    """Render fenced `archviz` blocks into SVGs under `assets/archviz/` of the site."""

    def __init__(self) -> None:
        self._assets: dict[str, str] = {}  # file name in ASSETS -> rendered file in the cache
        self._sources: set[str] = set()  # model files and their siblings, for `mkdocs serve` to watch
        self._cache = ".cache/archviz"
        self._roots: tuple[str, ...] = ()  # folders taken off the paths in messages

    def on_config(self, config: Any) -> None:
        self._assets, self._sources = {}, set()
        root = os.path.dirname(os.path.abspath(config.config_file_path or "mkdocs.yml"))
        self._cache = os.path.join(root, self.config.cache_dir)
        self._roots = (str(config.docs_dir), root)

    def on_page_markdown(self, markdown: str, /, *, page: Any, config: Any, files: Any) -> str:
        return fenced_blocks(markdown, lambda block: self._render(block, page, config))

    def _render(self, block: Block, page: Any, config: Any) -> str:
        given = block.options.get("path", "")
        where = f"{page.file.src_uri}:{block.line}"
        folder = config.docs_dir if given.startswith("/") else os.path.dirname(page.file.abs_src_path)
        path = os.path.normpath(os.path.join(folder, given.lstrip("/")))
        try:
            if not given:
                raise UsageError("the block names no model file; write `path: model.py` on its first line.")
            request = _request(block, path)
            sources = docs.local_sources(app.check_path(path))
            self._sources.update(sources)
            public = lambda text: self._public(text, path, given)  # noqa: E731
            drawn = docs.draw(request, sources, self._cache, public, self.config.timeout)
        except ArchvizError as exc:
            message = self._public(str(exc), path, given)
            log.warning("%s: %s", where, message)
            return _html_blocks([_error_block(message)], block.indent)
        for note in drawn.notes:
            log.info("%s: %s: %s", where, given, note)
        name = os.path.basename(drawn.image)
        self._assets[name] = drawn.image
        src = get_relative_url(f"{ASSETS}/{name}", page.url)
        alt = block.options.get("alt") or f"archviz diagram of {given}"
        shown = [f'<p class="archviz"><img src="{html.escape(src)}" alt="{html.escape(alt)}"></p>']
        if drawn.problem:  # a partial diagram: drawn up to the failing call, and said so
            message = self._public(drawn.problem, path, given)
            log.warning("%s: %s", where, message)
            shown.append(_error_block(message))
        return _html_blocks(shown, block.indent)

    def _public(self, message: str, path: str, given: str) -> str:
        return docs.public_message(message, path, given, self._roots)

    def on_post_build(self, *, config: Any) -> None:
        target = os.path.join(config.site_dir, *ASSETS.split("/"))
        os.makedirs(target, exist_ok=True)
        for name, image in sorted(self._assets.items()):
            shutil.copyfile(image, os.path.join(target, name))

    def on_serve(self, server: Any, /, *, config: Any, builder: Callable[..., Any]) -> Any:
        for source in sorted(self._sources):  # `mkdocs serve` rebuilds when a drawn model file changes
            server.watch(source)
        return server
