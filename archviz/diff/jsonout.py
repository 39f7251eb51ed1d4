"""A diff as one JSON document: every change, unabridged, in a fixed order (the same bytes on every run)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from .result import Diff

SCHEMA = 1


def to_json(d: Diff, failed: tuple[str, ...] = ()) -> str:
    """The JSON document: `{"schema", "architecture_changed", "failed_on", ...every field of Diff}`."""
    data: dict[str, Any] = {"schema": SCHEMA, "architecture_changed": d.any, "failed_on": list(failed)}
    for f in dataclasses.fields(d):
        if f.name == "marks":
            continue
        data[f.name] = _plain(getattr(d, f.name))
    data["checkpoint"]["loads"] = d.checkpoint.loads
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value
