"""Output file names are made in one place, sanitised and bounded, and stay as they were for plain names."""

from __future__ import annotations

import pytest

from archviz.kinds import CellMode, Direction
from archviz.record import Cell
from archviz.view import names


def _cell(path: str, layer: int = 0, direction: Direction | None = None) -> Cell:
    return Cell("cell-0", "call-0001", path, CellMode.CUSTOM, layer=layer, direction=direction)


def test_plain_names_are_unchanged() -> None:
    assert names.file_stem("/x/examples/gru.py") == "gru"
    assert names.file_stem("gru.py", "build_builtin") == "gru.build_builtin"
    assert names.cell_name("gru", _cell("cells.0"), stacked=False) == "gru.cells.0.gates"
    stacked = _cell("lstm", 1, Direction.REVERSE)
    assert names.cell_name("bilstm", stacked, stacked=True) == "bilstm.lstm.l1.reverse.gates"
    assert names.overview_name("bilstm", "lstm") == "bilstm.lstm.gates"
    assert names.cell_name("m", _cell(""), stacked=False) == "m.model.gates"


@pytest.mark.parametrize("path", ["blocks.a/b", "x\x00y", "../../etc/passwd", "tab\there", "é/ü", "a\nb"])
def test_module_paths_never_leave_the_folder(path: str) -> None:
    name = names.cell_name("model", _cell(path), stacked=False)
    assert "/" not in name and "\\" not in name
    assert all(ch.isprintable() for ch in name)
    assert not name.startswith(".")


def test_long_names_are_bounded_and_stay_distinct() -> None:
    a = names.cell_name("model", _cell("k" * 300 + "a"), stacked=False)
    b = names.cell_name("model", _cell("k" * 300 + "b"), stacked=False)
    assert a != b
    for name in (a, b, names.safe_stem("é" * 400), names.overview_name("s" * 200, "p" * 200)):
        assert len(name.encode("utf-8")) <= names.MAX_NAME_BYTES
        assert len((name + ".gates.svg").encode("utf-8")) < 255
    assert names.safe_stem("...") == "model"
