"""A JSON codec for the record's frozen dataclasses, driven by their type annotations.

`encode` gives plain dicts in field order (private fields, named with a leading `_`, and optional
fields at their default are left out);
`decode` rebuilds the dataclasses, turning lists back into tuples and strings into enums, so that
`decode(cls, encode(x)) == x` for every record type.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from enum import Enum
from functools import cache
from typing import Any, TypeVar, cast

T = TypeVar("T")


def encode(value: Any) -> Any:
    """Plain JSON-ready data for a record value (dataclasses, tuples, enums, scalars)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: encode(v) for f in _fields(type(value)) if not _is_default(f, v := getattr(value, f.name))}
    if isinstance(value, (tuple, list)):
        return [encode(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    return value


def decode(cls: type[T], data: dict[str, Any]) -> T:
    """Rebuild dataclass `cls` from `encode`'s output; missing fields take their defaults."""
    hints = _hints(cast(type, cls))
    kwargs = {f.name: _value(hints[f.name], data[f.name]) for f in _fields(cast(type, cls)) if f.name in data}
    return cls(**kwargs)


def _is_default(f: dataclasses.Field[Any], value: Any) -> bool:
    """An optional field left at an empty default (None, (), False, ""): left out of the JSON, restored by
    `decode`, so records stay small."""
    empty = f.default is None or (f.default in ((), False, "") and type(value) is type(f.default))
    return empty and value == f.default  # (a schema version, never empty, is always written)


@cache
def _fields(cls: type) -> tuple[dataclasses.Field[Any], ...]:
    return tuple(f for f in dataclasses.fields(cls) if f.init and not f.name.startswith("_"))


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _value(tp: Any, v: Any) -> Any:
    if v is None:
        return None
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        return _value(next(a for a in args if a is not type(None)), v)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_value(args[0], x) for x in v)
        return tuple(_value(a, x) for a, x in zip(args, v, strict=True))
    if isinstance(tp, type):
        if dataclasses.is_dataclass(tp):
            return decode(tp, v)
        if issubclass(tp, Enum):
            return tp(v)
        if tp is float:
            return float(v)
    return v
