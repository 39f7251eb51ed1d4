"""Every file archviz writes has a name made in `view.names`: inside the output folder, at most 120 bytes,
distinct for distinct module paths, whatever the ModuleDict keys and class names are."""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import torch
from markupsafe import escape
from torch import nn

import archviz
from archviz.record import Trace
from archviz.record.text import printable
from archviz.view import names

MAX_FILE_BYTES = 120
LONG = "k" * 300
KEYS = ("a/b", "a_b", "../../etc", LONG, "ctl\x07\x1b[1mkey\x00\r", "..")
SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}"


class SigmoidCell(nn.Module):
    """A hand-written recurrent cell: one sigmoid gate mixing the input and the state."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.gate = nn.Linear(2 * n, n)
        self.cand = nn.Linear(2 * n, n)

    def forward(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        xh = torch.cat([x, h], dim=-1)
        z = torch.sigmoid(self.gate(xh))
        return z * h + (1 - z) * torch.tanh(self.cand(xh))


def _model(cls_name: str) -> nn.Module:
    """Recurrent cells under hostile ModuleDict keys (set through `_modules`: torch refuses `.` in a key)."""

    def forward(self: nn.Module, x: torch.Tensor) -> torch.Tensor:
        h = torch.zeros(x.shape[1], 4)
        for key, cell in self.cells.items():
            if isinstance(cell, nn.GRU):
                h = cell(x)[0][-1]
                continue
            for t in range(x.shape[0]):
                h = cell(x[t], h)
            del key
        return h

    model = type(cls_name, (nn.Module,), {"forward": forward})()
    cells = nn.ModuleDict()
    for i, key in enumerate(KEYS):
        cells._modules[key] = nn.GRUCell(4, 4) if i % 2 == 0 else SigmoidCell(4)
    cells._modules["stack/ed"] = nn.GRU(4, 4, num_layers=2)  # stacked: one overview and a file per layer
    model.cells = cells
    return model


def test_every_written_file_is_inside_bounded_and_distinct(tmp_path: Path) -> None:
    out = tmp_path / "out"
    cls_name = "Net/" + "w" * 300
    paths = archviz.render(_model(cls_name), torch.randn(3, 2, 4), out=out, formats="svg,png,pdf,dot,json,html")
    files = sorted(os.listdir(out))
    assert sorted(os.path.basename(p) for p in paths) == sorted(set(files)) == files
    for p in paths:
        assert Path(os.path.realpath(p)).parent == out.resolve()
        assert len(os.path.basename(p).encode("utf-8")) <= MAX_FILE_BYTES
    stem = names.safe_stem(cls_name)
    assert {os.path.basename(p) for p in paths} >= {f"{stem}.{ext}" for ext in ("svg", "png", "pdf", "dot", "json")}
    trace = Trace.from_json((out / f"{stem}.json").read_text(encoding="utf-8"))
    assert trace.model_class == cls_name  # the record keeps the names as they were
    cells = {c.path for c in trace.cells}
    assert {f"cells.{k}" for k in KEYS} | {"cells.stack/ed"} <= cells
    # one drill-in per cell, one per GRU layer, and an overview of the stacked GRU: all distinct
    drill_ins = [f for f in files if f.endswith(".svg") and f != f"{stem}.svg"]
    assert len(drill_ins) == len(trace.cells) + 1
    for f in drill_ins:
        assert ET.parse(out / f).getroot().tag == SVG + "svg"
    # the main diagram's boxes link to the drill-ins by these names: every link finds its file
    links = {h for f in (f"{stem}.svg", *drill_ins) for el in ET.parse(out / f).iter() if (h := el.get(XLINK + "href"))}
    assert len([h for h in links if not h.startswith("#")]) >= len(KEYS) + 1
    assert all(h.startswith("#") or h in files for h in links)


def test_each_drill_in_is_titled_with_the_full_module_path(tmp_path: Path) -> None:
    model = _model("Net")
    paths = archviz.render(model, torch.randn(3, 2, 4), out=tmp_path, formats="svg,html", name="net")
    trace = archviz.trace(model, torch.randn(3, 2, 4))
    by_call: dict[str, int] = {}
    for cell in trace.cells:
        by_call[cell.call] = by_call.get(cell.call, 0) + 1
    for cell in trace.cells:
        name = names.cell_name("net", cell, by_call[cell.call] > 1)
        svg = tmp_path / f"{name}.svg"
        assert str(svg) in paths
        texts = [el.text or "" for el in ET.parse(svg).getroot().iter(SVG + "text")]
        # the title is the first text; a path longer than a label line is folded over the next lines
        assert printable(cell.path).replace("\n", "") in "".join(texts), (cell.path, texts[:3])
    report = (tmp_path / "net.html").read_text(encoding="utf-8")
    for key in KEYS:
        assert str(escape(printable(f"cells.{key}"))) in report


def test_module_paths_that_had_to_change_carry_a_hash() -> None:
    assert names.overview_name("m", "cells.a/b") != names.overview_name("m", "cells.a_b")
    assert names.overview_name("m", "cells.a_b") == "m.cells.a_b.gates"  # nothing to change: as it was
    assert re.fullmatch(r"m\.cells\.a_b-[0-9a-f]{8}\.gates", names.overview_name("m", "cells.a/b"))
