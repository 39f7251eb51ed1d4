"""Colours and line styles that mark a diff on a diagram: added, removed (a ghost), changed, renamed.

Paul Tol's "vibrant" and "bright" colours, told apart by readers with any common colour-vision
deficiency; each mark also has its own line style and a word in the box, so colour is never the only
cue. Every colour keeps 3:1 (WCAG 1.4.11, graphics) against its theme's page — for `transparent`,
against white and black alike (`tests/diff/test_diagram.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..kinds import Theme


@dataclass(frozen=True)
class Mark:
    """How one kind of change is drawn: colour per theme, DOT style, mermaid dash, and its legend text."""

    name: str
    light: str
    dark: str
    transparent: str
    style: str  # DOT style of a marked box's outline
    dash: str  # mermaid stroke-dasharray ('' for solid)
    sign: str
    legend: str

    def colour(self, theme: Theme | str) -> str:
        return {Theme.LIGHT: self.light, Theme.DARK: self.dark, Theme.TRANSPARENT: self.transparent}[Theme(theme)]


MARKS = {
    m.name: m
    for m in (
        Mark("added", "#0077BB", "#33BBEE", "#0077BB", "rounded,bold", "", "+", "added (solid)"),
        Mark("removed", "#CC3311", "#EE7733", "#CC3311", "rounded,dashed", "6 4", "−", "removed: ghost (dashed)"),
        Mark("changed", "#AA3377", "#EE3377", "#EE3377", "rounded,bold", "", "~", "changed (double line)"),
        Mark("renamed", "#009988", "#44BB99", "#009988", "rounded,dotted", "2 3", "→", "renamed or moved (dotted)"),
    )
}
ORDER = ("added", "removed", "changed", "renamed")  # which mark wins when a box has two


def stronger(a: str | None, b: str) -> str:
    """The mark that wins on one box (added over changed over renamed)."""
    if a is None:
        return b
    return a if ORDER.index(a) <= ORDER.index(b) else b
