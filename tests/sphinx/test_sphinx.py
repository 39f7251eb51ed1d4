"""The `archviz` Sphinx directive, through real Sphinx HTML builds of a tiny project in tmp_path."""

from __future__ import annotations

import io
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ROOT
from sphinx.application import Sphinx
from sphinx.util.console import strip_colors
from sphinx.util.docutils import docutils_namespace

import archviz
from archviz import app
from archviz import sphinx as archviz_sphinx

EXAMPLES = ROOT / "examples"
CONF = 'extensions = ["archviz.sphinx"]\n'
TWO_VIEWS = """
Models
======

.. archviz:: gru.py

.. archviz:: /gru.py
   :model: build_builtin
   :depth: 1
"""


@dataclass
class Built:
    app: Sphinx
    html: str
    warnings: str
    out: Path

    def images(self) -> list[Path]:
        """The files the page's <img> tags point at, in page order."""
        return [self.out / src for src in re.findall(r'<img [^>]*src="([^"]+)"', self.html)]


def make_project(root: Path, index: str) -> Path:
    src = root / "src"
    src.mkdir()
    (src / "conf.py").write_text(CONF, encoding="utf-8")
    (src / "index.rst").write_text(index, encoding="utf-8")
    shutil.copy(EXAMPLES / "gru.py", src / "gru.py")
    return src


def build(src: Path) -> Built:
    """A fresh Sphinx app and a full HTML build; output and doctrees go beside `src`."""
    out = src.parent / "out" / "html"
    warning = io.StringIO()
    with docutils_namespace():  # each app registers the directive again; keep that out of the warnings
        doctrees = src.parent / "out" / "doctrees"
        app = Sphinx(src, src, out, doctrees, "html", status=None, warning=warning, freshenv=True)
        app.build()
    html = (out / "index.html").read_text(encoding="utf-8")
    return Built(app, html, strip_colors(warning.getvalue()), out)


def cached(src: Path) -> set[Path]:
    return set((src.parent / "out" / "doctrees" / archviz_sphinx.CACHE_FOLDER).iterdir())


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Built]:
    src = make_project(tmp_path_factory.mktemp("sphinx"), TWO_VIEWS)
    return src, build(src)


def test_extension_metadata(project: tuple[Path, Built]) -> None:
    ext = project[1].app.extensions["archviz.sphinx"]
    assert ext.version == archviz.__version__
    assert ext.parallel_read_safe and ext.parallel_write_safe


def test_diagrams_are_rendered_into_the_output(project: tuple[Path, Built]) -> None:
    built = project[1]
    assert built.warnings == ""
    images = built.images()
    assert len(images) == 2
    assert all(p.suffix == ".svg" and p.is_file() for p in images), images
    custom, builtin = (p.read_text(encoding="utf-8") for p in images)
    assert "<svg" in custom and "cells.0.update_gate" in custom and "loop ×5" in custom
    assert custom != builtin
    assert ">gru<" in builtin  # the nn.GRU's module path, as a node label
    assert "cells.0.update_gate" not in builtin
    assert 'alt="archviz diagram of gru.py"' in built.html
    assert 'alt="archviz diagram of /gru.py"' in built.html


def test_the_model_file_is_a_dependency_of_the_document(project: tuple[Path, Built]) -> None:
    src, built = project
    assert (src / "gru.py").resolve() in {Path(p).resolve() for p in built.app.env.dependencies["index"]}


def test_rebuild_reuses_the_cache_without_tracing(project: tuple[Path, Built], monkeypatch: pytest.MonkeyPatch) -> None:
    src, first = project
    calls: list[str] = []

    def no_tracing(path: str, **_: object) -> app.Target:
        calls.append(path)
        raise AssertionError("traced although the diagram is cached")

    monkeypatch.setattr(app, "trace_file", no_tracing)
    before = cached(src)
    again = build(src)
    assert calls == [] and again.warnings == ""
    assert cached(src) == before
    assert [p.name for p in again.images()] == [p.name for p in first.images()]
    assert all(p.is_file() for p in again.images())


def test_editing_the_model_file_renders_a_new_diagram(tmp_path: Path) -> None:
    src = make_project(tmp_path, "Model\n=====\n\n.. archviz:: gru.py\n")
    first = build(src)
    before = cached(src)
    model = src / "gru.py"
    source = model.read_text(encoding="utf-8")
    model.write_text(source.replace("hidden_size: int = 20", "hidden_size: int = 24"), encoding="utf-8")
    second = build(src)
    assert first.warnings == second.warnings == ""
    new = cached(src) - before
    assert len(new) == 1 and before <= cached(src)
    text = new.pop().read_text(encoding="utf-8")
    assert "[3, 24]" in text and "[3, 20]" not in text
    (image,) = second.images()
    assert image.read_text(encoding="utf-8") == text


def test_a_missing_model_file_warns_and_the_build_finishes(tmp_path: Path) -> None:
    src = make_project(tmp_path, "Broken\n======\n\nSome text.\n\n.. archviz:: models/missing.py\n")
    built = build(src)
    assert "missing.py" in built.warnings and "no such file" in built.warnings
    assert "index.rst:6:" in built.warnings and "WARNING" in built.warnings
    assert built.images() == []
    assert "archviz-error" in built.html and "missing.py" in built.html


def test_the_cache_key_follows_imported_siblings(tmp_path: Path) -> None:
    (tmp_path / "layers.py").write_text("import torch\nWIDTH = 4\n", encoding="utf-8")
    (tmp_path / "unrelated.py").write_text("X = 1\n", encoding="utf-8")
    model = tmp_path / "model.py"
    model.write_text("import torch\nfrom layers import WIDTH\n", encoding="utf-8")
    sources = archviz_sphinx.local_sources(str(model))
    assert sources == [str(model), str(tmp_path / "layers.py")]
    request = archviz_sphinx.Request(str(model))
    key = archviz_sphinx.cache_key(request, sources)
    assert archviz_sphinx.cache_key(archviz_sphinx.Request(str(model), depth=1), sources) != key
    (tmp_path / "unrelated.py").write_text("X = 2\n", encoding="utf-8")
    assert archviz_sphinx.cache_key(request, sources) == key
    (tmp_path / "layers.py").write_text("import torch\nWIDTH = 8\n", encoding="utf-8")
    assert archviz_sphinx.cache_key(request, sources) != key
