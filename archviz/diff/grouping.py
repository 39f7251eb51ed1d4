"""What a report shows once for numbered siblings: the same change in `encoder.layer.0` … `.11` is one
line with `*` and a count; checkpoint keys under an added or removed module are one line per module.

Presentation only: the `Diff` (and the JSON) keep every entry.
"""

from __future__ import annotations

import re

from .result import Checkpoint, Diff, ModuleChange, Shape

_NUMBER = re.compile(r"(?<=\.)\d+(?=\.|\b)")


def general(text: str) -> str:
    """`blocks.3.ff` -> `blocks.*.ff`."""
    return _NUMBER.sub("*", text)


def module_changes(changes: tuple[ModuleChange, ...]) -> list[tuple[ModuleChange, int]]:
    """Changes with the same words and counts on numbered siblings, as (first, how many), in order."""
    groups: dict[tuple[str, str, tuple[str, ...], tuple[int, int]], list[ModuleChange]] = {}
    for c in changes:
        groups.setdefault((general(c.path), c.type, c.what, c.params), []).append(c)
    out = []
    for (path, _, _, _), members in groups.items():
        first = members[0]
        shown = path if len(members) > 1 else first.path
        out.append((ModuleChange(shown, first.old_path, first.type, first.what, first.params), len(members)))
    return out


def _under(key: str, modules: list[str]) -> str | None:
    return next((m for m in modules if key.startswith(m + ".")), None)


def keys(entries: tuple[tuple[str, Shape], ...], modules: list[str]) -> list[tuple[str, str, int]]:
    """(key or module, shape text or `N keys`, count): keys under `modules` (added or removed) folded into one
    line each; the rest grouped over numbered siblings."""
    folded: dict[str, int] = {}
    grouped: dict[tuple[str, Shape], int] = {}
    for key, shape in entries:
        owner = _under(key, modules)
        if owner is not None:
            folded[owner] = folded.get(owner, 0) + 1
        else:
            grouped[(general(key), shape)] = grouped.get((general(key), shape), 0) + 1
    out = [(f"{m}.*", f"{n} key{'s' if n > 1 else ''} of the module", 1) for m, n in folded.items()]
    out += [(k, _shape(s), n) for (k, s), n in grouped.items()]
    return out


def mismatched(ck: Checkpoint) -> list[tuple[str, Shape, Shape, int]]:
    grouped: dict[tuple[str, Shape, Shape], int] = {}
    for key, a, b in ck.mismatched:
        grouped[(general(key), a, b)] = grouped.get((general(key), a, b), 0) + 1
    return [(k, a, b, n) for (k, a, b), n in grouped.items()]


def added_paths(d: Diff) -> list[str]:
    return [e.path for e in d.added]


def removed_paths(d: Diff) -> list[str]:
    return [e.path for e in d.removed]


def _shape(s: Shape) -> str:
    return "[" + ", ".join(str(x) for x in s) + "]"
