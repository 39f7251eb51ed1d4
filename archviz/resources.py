"""Locate archviz's packaged resources (the report templates) independently of the working folder."""

from __future__ import annotations

from pathlib import Path


def templates_dir() -> Path:
    """Return the templates folder: inside the installed wheel, or at the source checkout's top level."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "templates", here.parent / "templates"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"archviz templates not found next to {here}; the installation is incomplete")
