"""`--gates` text becomes a typed mode and module paths."""

from __future__ import annotations

import pytest

from archviz.errors import UsageError
from archviz.kinds import GatesMode
from archviz.view import parse_gates


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("auto", (GatesMode.AUTO, ())),
        ("all", (GatesMode.ALL, ())),
        ("none", (GatesMode.NONE, ())),
        ("", (GatesMode.AUTO, ())),
        ("cells.0, lstm", (None, ("cells.0", "lstm"))),
        ("none,cell", (GatesMode.NONE, ("cell",))),
    ],
)
def test_gates_text(text: str, expected: tuple[GatesMode | None, tuple[str, ...]]) -> None:
    assert parse_gates(text) == expected


def test_two_modes_are_a_usage_error() -> None:
    with pytest.raises(UsageError, match="one of auto, all or none"):
        parse_gates("all,none")
