"""The MkDocs plugin, through real `mkdocs build` runs (a new interpreter each) of a tiny site in tmp_path."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import EXAMPLES, tensor_shapes

from archviz.mkdocs import Block, fenced_blocks
from archviz.record import shape_text

pytest.importorskip("mkdocs")

CONFIG = """site_name: Models
plugins:
  - archviz
hooks:
  - probe.py
"""
# A hook (mkdocs.yml `hooks:`) that writes down, at the end of the build, whether torch was imported.
PROBE = """import sys
from pathlib import Path


def on_post_build(config):
    Path(config.config_file_path).with_name("torch-imported.txt").write_text(str("torch" in sys.modules))
"""
INDEX = """# Models

The built-in GRU, one level deep, on a dark page:
```archviz
path: ../examples/gru.py
model: build_builtin
depth: 1
theme: dark
alt: The GRU
```

How to write a block (shown, not drawn):

````markdown
```archviz
path: ../examples/nothing.py
```
````
"""
NESTED = """# Nested

```archviz
path: /../examples/gru.py
alt: The hand-written GRU
```
"""
FAILING = """import torch
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
BROKEN = """# Broken

```archviz
path: ../examples/broken.py
alt: A model whose forward pass fails
```

```archviz
path: ../examples/missing.py
```

```archviz
path: ../examples/gru.py
colour: red
```
"""


@dataclass
class Site:
    root: Path
    stderr: str

    def page(self, name: str) -> str:
        return (self.root / "site" / name).read_text(encoding="utf-8")

    def images(self, name: str) -> list[tuple[Path, str]]:
        """(file the <img> points at, its alt text) for each diagram of a built page, in order."""
        page = self.root / "site" / name
        found = re.findall(r'<p class="archviz"><img src="([^"]+)" alt="([^"]*)"></p>', page.read_text("utf-8"))
        return [((page.parent / src).resolve(), alt) for src, alt in found]

    def torch_imported(self) -> bool:
        return {"True": True, "False": False}[(self.root / "torch-imported.txt").read_text(encoding="utf-8")]


def make_site(root: Path, pages: dict[str, str]) -> Path:
    (root / "examples").mkdir(parents=True)
    shutil.copy(EXAMPLES / "gru.py", root / "examples" / "gru.py")
    (root / "examples" / "broken.py").write_text(FAILING, encoding="utf-8")
    (root / "mkdocs.yml").write_text(CONFIG, encoding="utf-8")
    (root / "probe.py").write_text(PROBE, encoding="utf-8")
    for name, text in pages.items():
        (root / "docs" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "docs" / name).write_text(text, encoding="utf-8")
    return root


def mkdocs_build(root: Path) -> Site:
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build"], capture_output=True, text=True, cwd=root)
    assert done.returncode == 0, done.stderr
    return Site(root, done.stderr)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    return mkdocs_build(make_site(tmp_path_factory.mktemp("mkdocs"), {"index.md": INDEX, "sub/nested.md": NESTED}))


def test_a_fenced_block_becomes_the_models_diagram(site: Site) -> None:
    import gru  # examples/ is on sys.path (conftest)
    import torch

    assert "WARNING" not in site.stderr, site.stderr
    ((image, alt),) = site.images("index.html")
    assert alt == "The GRU"
    assert image.parent == (site.root / "site" / "assets" / "archviz").resolve() and image.suffix == ".svg"
    svg = image.read_text(encoding="utf-8")
    with torch.no_grad():
        (shape,) = tensor_shapes(gru.build_builtin()(*gru.example_inputs()))
    assert shape_text(shape) in svg and ">gru<" in svg  # the nn.GRU's real output, in its box
    assert "cells.0.update_gate" not in svg  # build_builtin, not the hand-written model
    assert '<polygon fill="#0f172a"' in svg  # theme: dark
    assert "../examples/nothing.py" in site.page("index.html")  # the block inside a longer fence stays text
    assert len(list((site.root / "site" / "assets" / "archviz").iterdir())) == 2


def test_paths_are_relative_to_the_page_or_to_docs_dir(site: Site) -> None:
    ((image, alt),) = site.images("sub/nested/index.html")
    assert alt == "The hand-written GRU" and image.is_file()
    assert 'src="../../assets/archviz/' in site.page("sub/nested/index.html")
    svg = image.read_text(encoding="utf-8")
    assert "cells.0.update_gate" in svg and "loop ×5" in svg


def test_diagrams_are_cached_and_a_warm_build_imports_no_torch(site: Site) -> None:
    cache = site.root / ".cache" / "archviz"
    before = {p.name: p.stat().st_mtime_ns for p in cache.iterdir()}
    assert len(before) == 2 and site.torch_imported()  # the cold build traced (the probe sees torch)
    again = mkdocs_build(site.root)
    assert not again.torch_imported()
    assert {p.name: p.stat().st_mtime_ns for p in cache.iterdir()} == before
    assert [p.name for p, _ in again.images("index.html")] == [p.name for p, _ in site.images("index.html")]


def test_a_failing_model_warns_and_shows_an_error_block(tmp_path: Path) -> None:
    site = mkdocs_build(make_site(tmp_path, {"index.md": BROKEN}))
    warnings = [line for line in site.stderr.splitlines() if line.startswith("WARNING")]
    assert len(warnings) == 3, site.stderr
    assert all("archviz: index.md:" in w for w in warnings)
    page = site.page("index.html")
    errors = re.findall(r'<pre class="archviz-error">(.*?)</pre>', page, flags=re.S)
    assert len(errors) == 3
    failed, missing, unknown = errors
    assert "forward pass failed" in failed and "Linear" in failed and "broken.py:11" in failed
    assert missing.startswith("archviz: ../examples/missing.py: no such file")
    assert "unknown option &#x27;colour&#x27;" in unknown
    ((image, alt),) = site.images("index.html")  # the failing model is still drawn, up to where it failed
    assert alt == "A model whose forward pass fails" and image.is_file()
    assert str(tmp_path) not in page and str(tmp_path.resolve()) not in page


def test_fenced_blocks_are_found_whatever_the_fence() -> None:
    seen: list[Block] = []

    def replace(block: Block) -> str:
        seen.append(block)
        return "<drawn>"

    text = (
        "a\n~~~~ archviz\npath: m.py\n# a comment\ndepth: 1\n~~~~\n"  # tildes, a comment line
        "```python\n```archviz\n```\n"  # inside another fence: text
        "  ```archviz\n  path: x.py\n  ```\n"  # indented (in a list item)
    )
    assert fenced_blocks(text, replace) == "a\n<drawn>\n```python\n```archviz\n```\n<drawn>\n"
    assert [(b.options, b.line, b.indent) for b in seen] == [
        ({"path": "m.py", "depth": "1"}, 2, ""),
        ({"path": "x.py"}, 10, "  "),
    ]
