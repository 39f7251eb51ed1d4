"""Every front end takes one path (`app.run`) and writes the same bytes: the CLI, the Python API, the
Sphinx directive and the MkDocs plugin, for the three examples and a model whose forward pass fails.
And no clock decides content: a machine made to look slow, or the model moved to another folder, gives
the same files too."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import EXAMPLES

import archviz
from archviz.cli import main

MODELS = ("gru", "mogrifier", "bilstm_classifier", "fails")
FAILS = """import torch
from torch import nn


class Broken(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(10, 4)

    def forward(self, x):
        return self.fc(x[:, :7])


def example_inputs():
    return (torch.randn(2, 10),)
"""
FORMATS = "svg,dot,json,html"


def models(folder: Path) -> Path:
    """The three examples and the failing model, side by side in `folder`."""
    folder.mkdir(parents=True)
    for name in MODELS[:3]:
        shutil.copy(EXAMPLES / f"{name}.py", folder / f"{name}.py")
    (folder / "fails.py").write_text(FAILS, encoding="utf-8")
    return folder


def cli(path: Path, out: Path, *extra: str) -> dict[str, bytes]:
    result = CliRunner().invoke(main, ["render", str(path), "-o", str(out), "--format", FORMATS, *extra])
    assert result.exit_code == (1 if path.stem == "fails" else 0), result.stderr
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, bytes]]:
    """Every model rendered by the CLI, and its main SVG as the API, Sphinx and MkDocs made it."""
    root = tmp_path_factory.mktemp("front")
    folder = models(root / "docs" / "models")
    made: dict[str, dict[str, bytes]] = {}
    for name in MODELS:
        made[f"cli:{name}"] = cli(folder / f"{name}.py", root / "cli" / name)
        out = root / "api" / name
        archviz.render(str(folder / f"{name}.py"), out=out, formats=FORMATS)
        made[f"api:{name}"] = {p.name: p.read_bytes() for p in sorted(out.iterdir())}
    made["sphinx"] = _sphinx(root)
    made["mkdocs"] = _mkdocs(root)
    return made


def _sphinx(root: Path) -> dict[str, bytes]:
    from sphinx.application import Sphinx
    from sphinx.util.docutils import docutils_namespace

    src = root / "docs"
    (src / "conf.py").write_text('extensions = ["archviz.sphinx"]\n', encoding="utf-8")
    blocks = "".join(f".. archviz:: models/{name}.py\n\n" for name in MODELS)
    (src / "index.rst").write_text(f"Models\n======\n\n{blocks}", encoding="utf-8")
    out = root / "sphinx"
    with docutils_namespace():
        app = Sphinx(src, src, out / "html", out / "doctrees", "html", status=None, warning=io.StringIO())
        app.build()
    html = (out / "html" / "index.html").read_text(encoding="utf-8")
    images = [src for src in _img_sources(html)]
    assert len(images) == len(MODELS)
    return {name: (out / "html" / image).read_bytes() for name, image in zip(MODELS, images, strict=True)}


def _mkdocs(root: Path) -> dict[str, bytes]:
    site = root / "site"
    docs = site / "docs"
    docs.mkdir(parents=True)
    blocks = "".join(f"```archviz\npath: ../../docs/models/{name}.py\n```\n\n" for name in MODELS)
    (docs / "index.md").write_text(f"# Models\n\n{blocks}", encoding="utf-8")
    (site / "mkdocs.yml").write_text("site_name: Models\nplugins:\n  - archviz\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build"], capture_output=True, text=True, cwd=site)
    assert done.returncode == 0, done.stderr
    page = site / "site" / "index.html"
    images = _img_sources(page.read_text(encoding="utf-8"))
    assert len(images) == len(MODELS)
    return {name: (page.parent / image).read_bytes() for name, image in zip(MODELS, images, strict=True)}


def _img_sources(html: str) -> list[str]:
    import re

    return re.findall(r'<img [^>]*src="([^"]+)"', html)


@pytest.mark.parametrize("name", MODELS)
def test_cli_and_api_write_the_same_files(built: dict[str, dict[str, bytes]], name: str) -> None:
    cli_files, api_files = built[f"cli:{name}"], built[f"api:{name}"]
    assert set(cli_files) == set(api_files) and f"{name}.svg" in cli_files and f"{name}.html" in cli_files
    assert [f for f in cli_files if cli_files[f] != api_files[f]] == []
    if name == "fails":  # the failure is drawn, in red, with what raised
        assert b"mat1 and mat2 shapes cannot be multiplied" in cli_files["fails.svg"]


@pytest.mark.parametrize("name", MODELS)
def test_sphinx_and_mkdocs_draw_the_clis_svg(built: dict[str, dict[str, bytes]], name: str) -> None:
    svg = built[f"cli:{name}"][f"{name}.svg"]
    assert built["sphinx"][name] == svg
    assert built["mkdocs"][name] == svg


def test_a_slow_machine_writes_the_same_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every clock archviz could read jumps an hour per call (a machine loaded beyond use): the files are
    the same as on a quiet one."""
    folder = models(tmp_path / "models")
    quiet = cli(folder / "gru.py", tmp_path / "quiet")
    ticks = iter(range(10**9))
    for clock in ("perf_counter", "monotonic", "time"):
        monkeypatch.setattr(time, clock, lambda: 3600.0 * next(ticks))
    busy = cli(folder / "gru.py", tmp_path / "busy")
    monkeypatch.undo()
    assert quiet == busy


def test_the_models_folder_does_not_change_a_byte(tmp_path: Path) -> None:
    """Paths are written relative to the model's folder: two checkouts in two places give the same files,
    a failure's message included."""
    for name in ("gru", "fails"):
        a = cli(models(tmp_path / "a" / name / "x") / f"{name}.py", tmp_path / "out-a" / name)
        b = cli(models(tmp_path / "b" / name / "deeper" / "y") / f"{name}.py", tmp_path / "out-b" / name)
        assert a == b
        assert str(tmp_path).encode() not in b"".join(a.values())
