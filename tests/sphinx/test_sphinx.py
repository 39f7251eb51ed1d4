"""The `archviz` Sphinx directive, through real Sphinx HTML builds of a tiny project in tmp_path."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ROOT
from sphinx.application import Sphinx
from sphinx.util.console import strip_colors
from sphinx.util.docutils import docutils_namespace

import archviz
from archviz import sphinx as archviz_sphinx
from archviz.app import docs, tracing

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

    def no_tracing(path: str, **_: object) -> tracing.Target:
        calls.append(path)
        raise AssertionError("traced although the diagram is cached")

    monkeypatch.setattr(tracing, "trace_file", no_tracing)
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
    sources = docs.local_sources(str(model))
    assert sources == [str(model), str(tmp_path / "layers.py")]
    request = docs.Request(str(model))
    key = docs.cache_key(request, sources)
    assert docs.cache_key(docs.Request(str(model), depth=1), sources) != key
    (tmp_path / "unrelated.py").write_text("X = 2\n", encoding="utf-8")
    assert docs.cache_key(request, sources) == key
    (tmp_path / "layers.py").write_text("import torch\nWIDTH = 8\n", encoding="utf-8")
    assert docs.cache_key(request, sources) != key


IMAGE_OPTIONS = """
Options
=======

.. archviz:: gru.py
   :theme: dark
   :width: 80%
   :height: 300px
   :align: center
   :alt: The GRU, dark
   :class: wide framed

.. archviz:: gru.py
"""


def test_image_options_and_the_theme(tmp_path: Path) -> None:
    from archviz.draw.palette import palette

    src = make_project(tmp_path, IMAGE_OPTIONS)
    built = build(src)
    assert built.warnings == ""
    dark, light = built.images()
    assert dark != light and len(cached(src)) == 2  # the theme is part of the cache key
    dark_svg, light_svg = dark.read_text(encoding="utf-8"), light.read_text(encoding="utf-8")
    page = re.compile(r'<title>archviz</title>\s*<polygon fill="([^"]+)"')  # the graph's background
    assert page.search(dark_svg)[1] == palette("dark").page != page.search(light_svg)[1]  # type: ignore[index]
    assert "[3, 5, 20]" in dark_svg  # the same model, drawn on another background
    (tag,) = [t for t in re.findall(r"<img [^>]*>", built.html) if "The GRU, dark" in t]
    classes = set(re.search(r'class="([^"]*)"', tag)[1].split())  # type: ignore[index]
    assert classes == {"archviz", "wide", "framed", "align-center"}
    assert re.search(r'style="width: 80%; height: 300px;"', tag)
    plain = [t for t in re.findall(r"<img [^>]*>", built.html) if "The GRU, dark" not in t]
    assert 'class="archviz"' in plain[0] and "style=" not in plain[0]


@pytest.mark.parametrize(("option", "value"), [("theme", "neon"), ("align", "top"), ("width", "wide")])
def test_a_bad_option_value_is_a_build_error_naming_it(tmp_path: Path, option: str, value: str) -> None:
    src = make_project(tmp_path, f"Bad\n===\n\n.. archviz:: gru.py\n   :{option}: {value}\n")
    built = build(src)
    assert "index.rst:4:" in built.warnings and f'option: "{option}"' in built.warnings
    assert built.images() == []


BROKEN_MODEL = """
import os
from torch import nn

WEIGHTS = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "weights.bin"), "rb")


class Net(nn.Module):
    def forward(self, x):
        return x
"""


def test_error_blocks_publish_no_absolute_path(tmp_path: Path) -> None:
    index = "Broken\n======\n\n.. archviz:: models/missing.py\n\n.. archviz:: /models/broken.py\n"
    src = make_project(tmp_path, index)
    (src / "models").mkdir()
    (src / "models" / "broken.py").write_text(BROKEN_MODEL, encoding="utf-8")
    built = build(src)
    blocks = re.findall(r'<pre class="archviz-error[^"]*">(.*?)</pre>', built.html, flags=re.S)
    assert len(blocks) == 2, built.html
    missing, broken = blocks
    assert missing.startswith("archviz: models/missing.py: no such file")
    assert "broken.py:5" in broken and "FileNotFoundError" in broken and "weights.bin" in broken
    assert "'/models/data/weights.bin'" in broken  # source-relative, as the document named the file
    messages = [line.partition(" WARNING: ")[2] for line in built.warnings.splitlines()]  # after Sphinx's location
    for text in (built.html, *messages):
        assert str(tmp_path) not in text and str(tmp_path.resolve()) not in text
    assert built.warnings.count("[archviz]") == 2


PROBE = """
import sys
from pathlib import Path

extensions = ["archviz.sphinx"]


def setup(app):
    def finished(app, exc):
        Path(app.outdir).parent.joinpath("torch-imported.txt").write_text(str("torch" in sys.modules))

    app.connect("build-finished", finished)
"""


def _sphinx_build_in_a_fresh_process(src: Path) -> bool:
    """A full `sphinx-build -E` (every document read again) in a new interpreter: did it import torch?"""
    out = src.parent / "out"
    command = [sys.executable, "-m", "sphinx", "-E", "-q", "-b", "html", "-d", str(out / "doctrees"), str(src)]
    done = subprocess.run([*command, str(out / "html")], capture_output=True, text=True, cwd=src.parent)
    assert done.returncode == 0 and "WARNING" not in done.stderr, done.stderr
    return {"True": True, "False": False}[(out / "torch-imported.txt").read_text(encoding="utf-8")]


def test_a_warm_rebuild_imports_no_torch_until_a_diagram_is_stale(tmp_path: Path) -> None:
    src = make_project(tmp_path, TWO_VIEWS)
    (src / "conf.py").write_text(PROBE, encoding="utf-8")
    assert _sphinx_build_in_a_fresh_process(src)  # cold: both diagrams traced (the probe sees torch)
    before = cached(src)
    assert not _sphinx_build_in_a_fresh_process(src)  # warm: every directive ran, every diagram was cached
    assert cached(src) == before
    model = src / "gru.py"
    model.write_text(model.read_text(encoding="utf-8").replace("num_layers: int = 2", "num_layers: int = 3"))
    assert _sphinx_build_in_a_fresh_process(src)  # stale: traced again
    assert len(cached(src) - before) == 2


FAILING_FORWARD = """
import os
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "stats", "mean.pt"), "rb") as fh:
            return self.fc(x) - torch.load(fh)


def example_inputs():
    return (torch.randn(3, 4),)
"""


def test_a_partial_diagram_publishes_no_absolute_path(tmp_path: Path) -> None:
    src = make_project(tmp_path, "Partial\n=======\n\n.. archviz:: models/net.py\n")
    (src / "models").mkdir()
    (src / "models" / "net.py").write_text(FAILING_FORWARD, encoding="utf-8")
    built = build(src)
    # paths under the model's folder are written relative to it, in the page as in every other output
    assert "forward pass failed" in built.warnings and "'stats/mean.pt'" in built.warnings
    (image,) = built.images()  # drawn up to the failing call, the error in red
    svg = image.read_text(encoding="utf-8")
    assert "FileNotFoundError" in svg and "stats/mean.pt" in svg
    for text in (svg, built.html, built.warnings.partition(" WARNING: ")[2]):
        assert str(tmp_path) not in text and str(tmp_path.resolve()) not in text
