"""The diff's Markdown, diagram and mermaid text: they say what the report says, escaped, in readable colours."""

from __future__ import annotations

import re

import pytest
from diffpairs import diff_of, side

from archviz.app import diffing
from archviz.draw.marks import MARKS
from archviz.draw.palette import contrast, palette
from archviz.kinds import Theme


def _md(old: str, new: str) -> str:
    d = diff_of(old, new)
    return diffing.render_diff(side(old), side(new), d, "md", Theme.LIGHT).decode("utf-8")


def _tables(md: str) -> list[list[str]]:
    """Each Markdown table's lines."""
    tables, current = [], []
    for line in md.splitlines():
        if line.startswith("|"):
            current.append(line)
        elif current:
            tables.append(current)
            current = []
    return [*tables, *([current] if current else [])]


def _cells(row: str) -> int:
    """Cells of a table row: unescaped pipes, less the two at the ends."""
    return len(re.findall(r"(?<!\\)\|", row)) - 1


@pytest.mark.parametrize("pair", ["widen", "residual", "norm", "rename", "batch_first", "stack"])
def test_markdown_tables_are_well_formed(pair: str) -> None:
    md = _md(f"{pair}_old", f"{pair}_new")
    tables = _tables(md)
    assert tables
    for t in tables:
        assert re.fullmatch(r"\|(---\|)+", t[1])
        assert {_cells(r) for r in t} == {_cells(t[0])}


def test_markdown_of_a_rename_carries_the_map_and_the_changed_region() -> None:
    md = _md("rename_old", "rename_new")
    assert "| → renamed | `encoder.ff` → `encoder.mlp` | Sequential |" in md
    assert "'encoder.ff.0.weight': 'encoder.mlp.0.weight'," in md
    region = md.split("```mermaid\n", 1)[1].split("```", 1)[0]
    assert region.startswith("flowchart TB")
    assert "encoder.mlp.0" in region and "d_renamed" in region


def test_markdown_of_no_change_is_short() -> None:
    md = _md("residual_new", "refactor_new")
    assert "**no architectural change**" in md and "mermaid" not in md


def test_markdown_cells_escape_what_would_break_a_table() -> None:
    from archviz.diff.text import code, md_cell

    assert md_cell("a|b <i>") == "a\\|b &lt;i&gt;"
    assert md_cell(code("x|y")) == "`x\\|y`"
    assert md_cell("weight_ih_l0 *") == "weight\\_ih\\_l0 \\*"


@pytest.mark.parametrize("theme", list(Theme))
def test_mark_colours_read_on_every_page(theme: Theme) -> None:
    """3:1 against the page (graphics, WCAG 1.4.11); `transparent` sits on white or black pages."""
    pages = ["#ffffff", "#000000"] if theme == Theme.TRANSPARENT else [palette(theme).page]
    for mark in MARKS.values():
        for page in pages:
            assert contrast(mark.colour(theme), page.replace("white", "#ffffff")) >= 3.0, (mark.name, page)
    assert len({m.colour(theme) for m in MARKS.values()}) == len(MARKS)


def test_diagram_marks_ghosts_changes_and_legend() -> None:
    d = diff_of("batch_first_old", "batch_first_new")
    dot = diffing.render_diff(side("batch_first_old"), side("batch_first_new"), d, "dot", Theme.DARK).decode()
    ghosts = re.findall(r'"(ghost-call-\d+)" \[id=', dot)
    assert len(ghosts) == 2  # the two transposes OLD had
    assert dot.count(">− removed<") == 2  # a word in each ghost box (the legend says "− removed: ghost")
    removed, changed = MARKS["removed"].dark, MARKS["changed"].dark
    for g in ghosts:
        assert f'"{g}" [shape=box, style="rounded,dashed", color="{removed}"' in dot
        assert re.search(rf'"{g}" -> "[^"]+" \[label="[^"]*", color="{removed}".*style="dashed"', dot)
    assert re.search(rf'\[shape=box, style="rounded,bold", color="{changed}".*peripheries=2', dot)
    assert 'id="diff-legend"' in dot and "renamed or moved" in dot


def test_repeat_frame_says_the_old_count() -> None:
    d = diff_of("stack_old", "stack_new")
    dot = diffing.render_diff(side("stack_old"), side("stack_new"), d, "dot", Theme.LIGHT).decode()
    assert "×12" in dot and "was ×11" in dot
    assert f'color="{MARKS["changed"].light}"; penwidth=3;' in dot


def test_html_page_holds_both_themes() -> None:
    d = diff_of("widen_old", "widen_new")
    page = diffing.render_diff(side("widen_old"), side("widen_new"), d, "html", Theme.LIGHT).decode()
    assert page.count("<svg") == 2
    assert MARKS["changed"].light.lower() in page.lower() and MARKS["changed"].dark.lower() in page.lower()
    assert "prefers-color-scheme: dark" in page and "fc1.weight" in page
