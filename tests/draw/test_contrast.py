"""Every text of a dark or transparent diagram (and of the report's dark mode) has a contrast of at
least 4.5:1 (WCAG AA) against what is behind it, computed from the SVG Graphviz wrote.

What is behind a text: the last filled shape of its own box that contains the text's anchor (a table
cell, the box's background), else the page — for `transparent`, a white page and a black one both.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import MODELS, ROOT

from archviz.cli import main
from archviz.draw.palette import DARK, LIGHT, contrast, dark_overrides

SVG = "{http://www.w3.org/2000/svg}"
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def _box(element: ET.Element) -> tuple[float, float, float, float] | None:
    if element.tag == f"{SVG}ellipse":
        cx, cy, rx, ry = (float(element.get(k, 0)) for k in ("cx", "cy", "rx", "ry"))
        return (cx - rx, cy - ry, cx + rx, cy + ry)
    raw = element.get("points") or element.get("d") or ""
    values = [float(v) for v in NUMBER.findall(raw)]
    xs, ys = values[0::2], values[1::2]
    return (min(xs), min(ys), max(xs), max(ys)) if xs and ys else None


def _fill(element: ET.Element, overrides: dict[tuple[str, str], str]) -> str | None:
    fill = element.get("fill")
    if fill in (None, "none", "transparent"):
        return None
    return overrides.get(("fill", fill), fill)


def texts_against_backgrounds(svg: str, pages: list[str], overrides: dict[tuple[str, str], str] | None = None,
                              default_text: str = "#000000") -> list[tuple[str, str, str]]:  # fmt: skip
    """(text, its colour, the colour behind it) for every text of the SVG, once per page colour."""
    overrides = overrides or {}
    root = ET.fromstring(svg)
    parent = {child: node for node in root.iter() for child in node}
    found = []
    for t in root.iter(f"{SVG}text"):
        if not (t.text and t.text.strip()):
            continue
        group = parent.get(t)
        while group is not None and group.get("class") not in ("node", "edge", "cluster", "graph"):
            group = parent.get(group)
        x, y = float(t.get("x", 0)), float(t.get("y", 0)) - 3
        colour = t.get("fill") or default_text
        colour = overrides.get(("text", colour), colour)
        behind = None
        if group is not None and group.get("class") == "node":
            for shape in group.iter():
                if shape.tag not in (f"{SVG}polygon", f"{SVG}path", f"{SVG}ellipse"):
                    continue
                box, fill = _box(shape), _fill(shape, overrides)
                if box and fill and box[0] <= x <= box[2] and box[1] <= y <= box[3]:
                    behind = fill
        for page in [behind] if behind else pages:
            found.append((t.text.strip(), colour, page))
    return found


def _render(tmp_path: Path, model: Path, theme: str, extra: tuple[str, ...] = ()) -> list[Path]:
    out = tmp_path / theme
    result = CliRunner().invoke(
        main, ["render", str(model), "-o", str(out), "--format", "svg", "--theme", theme, "-q", *extra]
    )
    assert result.exit_code in (0, 1), result.stderr
    return sorted(out.glob("*.svg"))


MODELS_TO_CHECK = [
    ROOT / "examples" / "gru.py",
    ROOT / "examples" / "bilstm_classifier.py",
    ROOT / "examples" / "mogrifier.py",
    MODELS / "bert_like.py",
]


@pytest.mark.parametrize("theme", ["dark", "transparent"])
def test_every_text_of_a_themed_diagram_reads(tmp_path: Path, theme: str) -> None:
    pages = [DARK.page] if theme == "dark" else ["#ffffff", "#000000"]
    default = DARK.text if theme == "dark" else "#000000"
    checked = 0
    for model in MODELS_TO_CHECK:
        extra = ("--gates", "all") if "bilstm" in model.name else ()
        for svg in _render(tmp_path, model, theme, extra):
            for text, colour, page in texts_against_backgrounds(
                svg.read_text(encoding="utf-8"), pages, default_text=default or "#000000"
            ):
                assert contrast(colour, page) >= 4.5, (svg.name, text, colour, page)
                checked += 1
    assert checked > 500


def test_the_reports_dark_mode_repaints_the_diagram_legibly(tmp_path: Path) -> None:
    mapping = {}
    for rule in dark_overrides().splitlines():
        m = re.match(r'\.diagram svg \[(fill|stroke)="([^"]+)"\] \{ \w+: ([^;]+); \}', rule)
        if m:
            mapping[(m[1], m[2])] = m[3]
    mapping[("fill", "white")] = DARK.page
    mapping[("text", "#000000")] = DARK.text
    mapping[("text", LIGHT.label)] = DARK.label
    mapping[("text", LIGHT.loop)] = DARK.loop
    mapping[("text", LIGHT.repeat)] = DARK.repeat
    mapping[("text", LIGHT.title)] = DARK.title
    checked = 0
    for model in MODELS_TO_CHECK:
        for svg in _render(tmp_path, model, "light"):
            for text, colour, page in texts_against_backgrounds(svg.read_text(encoding="utf-8"), [DARK.page], mapping):
                assert contrast(colour, page) >= 4.5, (svg.name, text, colour, page)
                checked += 1
    assert checked > 500


def test_the_check_can_fail() -> None:
    """Black text on the dark page, as the legend once was, is caught."""
    svg = '<svg xmlns="http://www.w3.org/2000/svg"><g class="graph"><text x="1" y="9">legend</text></g></svg>'
    ((text, colour, page),) = texts_against_backgrounds(svg, [DARK.page])
    assert text == "legend" and contrast(colour, page) < 4.5
