"""Output file names, made in one place: the main diagram, drill-ins and the report.

Every name derived from a model file or a module path is sanitised here: characters other than
letters, digits, `.`, `_` and `-` become `_` (so `/`, control characters and spaces never reach the
file system), and a name longer than `MAX_NAME_BYTES` is cut and given a short hash of the full text,
so two long names stay distinct. A module path that had to be changed also gets the hash of the path
as it was, so that ModuleDict keys `a/b` and `a_b` write two files. The full module path stays in the
diagrams' titles and the report.
"""

from __future__ import annotations

import hashlib
import os

from ..record import Cell

MAX_NAME_BYTES = 110  # a file name's stem, before its extension; file systems allow 255 bytes
_HASH_CHARS = 8
_STEM_BYTES = 40  # of a drill-in's name that is too long: the module path gets the rest


def _clean(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in text)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:_HASH_CHARS]


def _cut(text: str, limit: int) -> str:
    return text.encode("utf-8")[:limit].decode("utf-8", "ignore")


def bounded(name: str, original: str | None = None) -> str:
    """`name` cut to MAX_NAME_BYTES with a hash of `original` (default: `name`) when it is longer."""
    if len(name.encode("utf-8")) <= MAX_NAME_BYTES:
        return name
    return f"{_cut(name, MAX_NAME_BYTES - _HASH_CHARS - 1)}-{_digest(original or name)}"


def safe_stem(text: str) -> str:
    """A file stem that stays inside the output folder whatever the model or file is called."""
    cleaned = _clean(text).strip(".")
    return bounded(cleaned or "model", text)


def file_stem(path: str, model: str | None = None) -> str:
    """`gru` for gru.py, `gru.build_builtin` with `--model build_builtin`."""
    base = os.path.splitext(os.path.basename(path))[0]
    return safe_stem(base + (f".{model}" if model else ""))


def _module_part(path: str) -> str:
    """`cells.0` as it is; `a_b-1f2e3d4c` for `a/b`: a path that had to change carries its hash."""
    cleaned = _clean(path).strip(".") or "model"
    return cleaned if cleaned == path or not path else f"{cleaned}-{_digest(path)}"


def _drill_in(stem: str, part: str, original: str) -> str:
    """`stem.part.gates`; when longer than MAX_NAME_BYTES, the stem and then the part are cut (the stem
    to _STEM_BYTES, so the module path stays readable) and a hash of `original` keeps it distinct."""
    name = f"{stem}.{part}.gates"
    if len(name.encode("utf-8")) <= MAX_NAME_BYTES:
        return name
    head = _cut(stem, _STEM_BYTES)
    room = MAX_NAME_BYTES - len(head.encode("utf-8")) - len("..gates") - _HASH_CHARS - 1
    return f"{head}.{_cut(part, room)}-{_digest(original)}.gates"


def cell_name(stem: str, cell: Cell, stacked: bool) -> str:
    """`gru.cells.0.gates`; `bilstm.lstm.l1.reverse.gates` for a layer of a stacked/bidirectional module."""
    base = _module_part(cell.path)
    suffix = f"{base}.l{cell.layer}.{cell.direction}" if stacked else base
    return _drill_in(stem, suffix, f"{stem}\0{cell.path}\0{suffix}")


def overview_name(stem: str, module_path: str) -> str:
    """`bilstm.lstm.gates`: the layers-and-directions overview of a stacked module."""
    return _drill_in(stem, _module_part(module_path), f"{stem}\0{module_path}\0overview")
