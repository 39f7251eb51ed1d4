"""What the frame of a run of repeated layers says: their names, shapes, parameters, and what differs.

`layers.0–11 ×12 · [2, 32, 768] → [2, 32, 768]` on the first line; on the second the parameters
(`7,087,872 params each (not shared), 85,054,464 in all`) and what differs between the layers that
the fold would otherwise hide: parameter shapes (`layers.3 differs in up.weight`) and the non-tensor
arguments of their calls (`conv dilation=1/2/4`, `chomp1 getitem [:, :, :-2]/[:, :, :-4]/[:, :, :-8]`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from ..kinds import GETITEM, CallKind, op_stem
from ..record import Call, Trace, shape_text
from ..record.loops import Loop
from .labels import index_text, name_range

Kids = dict[str | None, list[Call]]
_SHOWN_VALUES = 4  # argument values listed per difference (`1/2/4/8`), then `…`
_SHOWN_DIFFERENCES = 2  # differences listed on a frame, then `+N more`


def repeat_label(trace: Trace, lp: Loop, kids: Kids, drawn: Kids | None = None) -> str:
    """The frame's two lines: names ×N · shapes in → out, then parameters and what differs.

    Args:
        trace: the record.
        lp: a repeat (`Loop.repeat`).
        kids: every call's children (for the parameters of whole layers).
        drawn: the children the view draws (bookkeeping left out), for the arguments that differ.
    """
    head = f"{layer_names(trace, lp)} ×{lp.count}{_through(trace, lp)}"
    params = _params_text(trace, lp, kids)
    # layers whose parameter shapes differ have their widths said already: their settings would repeat them
    arguments = _arguments_text(trace, lp, drawn or kids, settings="differ" not in params)
    tail = [part for part in (params, arguments) if part]
    return head + ("\n" + " · ".join(tail) if tail else "")


def layer_names(trace: Trace, lp: Loop) -> str:
    """`layers.0–11`; `encoder.layers.encoder_layer_0 … encoder_layer_11`; `stem, body, head` (up to four
    one-module layers whose names are no numbering are listed)."""
    firsts = [_modules(trace, step) for step in lp.steps]
    if not firsts[0] or not firsts[-1]:
        return "?"
    ranged = name_range(firsts[0][0], firsts[-1][-1])
    names = [m[0] for m in firsts if len(m) == 1]
    if "…" not in ranged or len(names) != len(firsts) or len(names) > 4 or _numbered(names):
        return ranged
    return ", ".join(names)


def members(trace: Trace, lp: Loop) -> tuple[tuple[str, ...], ...]:
    """The module paths each member of a repeat runs at its top, in order: `(("layers.0",), ("layers.1",), …)`."""
    return tuple(tuple(_modules(trace, step)) for step in lp.steps)


def _modules(trace: Trace, step: tuple[str, ...]) -> list[str]:
    return [trace.call(cid).name for cid in step if trace.call(cid).kind == CallKind.MODULE]


def _numbered(names: list[str]) -> bool:
    """Whether names differ only in digits (`encoder_layer_0`, `encoder_layer_1`)."""
    stripped = {"".join(ch for ch in n if not ch.isdigit()) for n in names}
    return len(stripped) == 1


def _through(trace: Trace, lp: Loop) -> str:
    """Return ` · [2, 32, 768] → [2, 32, 768]`, into the first layer and out of the last (modules before
    ops); empty when unknown."""
    first = _first([trace.call(cid) for cid in lp.steps[0]], lambda c: bool(c.inputs))
    last = _first([trace.call(cid) for cid in reversed(lp.steps[-1])], lambda c: bool(c.outputs))
    if first is None or last is None:
        return ""
    return f" · {shape_text(first.inputs[0].shape)} → {shape_text(last.outputs[0].shape)}"


def _first(calls: list[Call], has: Callable[[Call], bool]) -> Call | None:
    """The first module call that `has` it, else the first call."""
    found = [c for c in calls if has(c)]
    return next((c for c in found if c.kind == CallKind.MODULE), found[0] if found else None)


# ---- parameters ------------------------------------------------------------------------------------


def _params(trace: Trace, kids: Kids, step: tuple[str, ...]) -> tuple[int, dict[str, tuple[int, ...]]]:
    """A step's parameter count, and the shape of each parameter by its path inside the layer."""
    total = 0
    shapes: dict[str, tuple[int, ...]] = {}
    for cid in step:
        call = trace.call(cid)
        if call.kind != CallKind.MODULE:
            continue
        total += call.params
        root = call.name
        stack = [call]
        while stack:
            c = stack.pop()
            inner = c.name[len(root) :].lstrip(".") if c.name.startswith(root) else c.name
            shapes.update({(inner + "." if inner else "") + p.name: p.shape for p in c.param_list})
            stack.extend(k for k in kids.get(c.id, []) if k.kind == CallKind.MODULE)
    return total, shapes


def _params_text(trace: Trace, lp: Loop, kids: Kids) -> str:
    """`7,087,872 params each (not shared), 85,054,464 in all`, or which layers' parameter shapes differ."""
    counted = [_params(trace, kids, step) for step in lp.steps]
    total = sum(n for n, _ in counted)
    if not total:
        return ""
    shapes = [s for _, s in counted]
    differ = _differing(shapes)
    if not differ:
        return f"{counted[0][0]:,} params each (not shared), {total:,} in all"
    return f"{total:,} params in all · {_odd_layers(trace, lp, shapes)} in {', '.join(differ[:3])}"


def _differing(shapes: list[dict[str, tuple[int, ...]]]) -> list[str]:
    """Return the sorted paths of parameters whose shape differs between the first layer and another (or is absent)."""
    first, rest = shapes[0], shapes[1:]
    return sorted(
        {p for s in rest for p in s if s.get(p) != first.get(p)} | {p for p in first if any(p not in s for s in rest)}
    )


def _odd_layers(trace: Trace, lp: Loop, shapes: list[dict[str, tuple[int, ...]]]) -> str:
    """Return `layers.3, layers.7 differ`: up to three layers whose parameter shapes differ from the first's."""
    odd = [i for i, s in enumerate(shapes) if s != shapes[0]]
    layers = [trace.call(lp.steps[i][0]).name for i in odd[:3]] + (["…"] if len(odd) > 3 else [])
    return f"{', '.join(layers)} differ{'s' if len(odd) == 1 else ''}"


# ---- arguments ---------------------------------------------------------------------------------------


def _walk(kids: Kids, step: tuple[str, ...], trace: Trace) -> Iterator[tuple[Call, str]]:
    """A step's calls and their drawn sub-calls in execution order, each with the path of the module it
    is or runs in, inside its layer (`net.0`; '' for the layer itself)."""
    for cid in step:
        top = trace.call(cid)
        stack = [(top, top.name)]
        while stack:
            c, module = stack.pop()
            here = c.name if c.kind == CallKind.MODULE else module
            yield c, here[len(top.name) :].lstrip(".") if here.startswith(top.name) else here
            stack.extend((k, here) for k in reversed(kids.get(c.id, [])))


def _arguments_text(trace: Trace, lp: Loop, kids: Kids, settings: bool = True) -> str:
    """`differ in conv dilation=1/2/4 · chomp1 getitem [:, :, :-2]/[:, :, :-4]`: the non-tensor arguments
    that are not the same in every layer, at the same place in each; '' when all are the same."""
    walks = [list(_walk(kids, step, trace)) for step in lp.steps]
    if len({len(w) for w in walks}) != 1:
        return ""  # not aligned call by call (never for a repeat the analysis found)
    found: list[str] = []
    for aligned in zip(*walks, strict=True):
        calls = [c for c, _ in aligned]
        if len({c.args for c in calls}) > 1 or (settings and len({c.settings for c in calls}) > 1):
            found.append(_difference(calls, aligned[0][1], settings))
    if not found:
        return ""
    more = f" +{len(found) - _SHOWN_DIFFERENCES} more" if len(found) > _SHOWN_DIFFERENCES else ""
    return "differ in " + " · ".join(found[:_SHOWN_DIFFERENCES]) + more


def _difference(calls: list[Call], module: str, settings: bool = True) -> str:
    """One call's arguments across the layers: `conv dilation=1/2/4`, `chomp1 getitem [:, :, :-2]/[:, :, :-4]`."""
    first = calls[0]
    what = module if first.kind == CallKind.MODULE else f"{module} {op_stem(first.name) or first.name}".strip()
    if first.name == GETITEM:
        return f"{what} " + _values([index_text(c) for c in calls])
    paths = dict.fromkeys(a.path for c in calls for a in c.args)
    parts = []
    for path in paths:
        values = [next((a.summary for a in c.args if a.path == path), "—") for c in calls]
        if len(set(values)) > 1:
            parts.append(f"{_arg_name(path)}={_values(values)}")
    printed = [_settings(c.settings) for c in calls] if settings else []
    for key in dict.fromkeys(k for s in printed for k in s):
        values = [s.get(key, "default") for s in printed]
        if len(set(values)) > 1:
            parts.append(f"{key}={_values(values)}")
    return f"{what} {', '.join(parts)}".strip()


def _settings(text: str) -> dict[str, str]:
    """A layer's printed settings by name (`kernel_size` -> `(3,)`); positional ones as `#0`, `#1`.
    Commas inside brackets do not split (`kernel_size=(3, 3)`)."""
    items, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += (ch in "([{") - (ch in ")]}")
        if ch == "," and depth == 0:
            items.append(text[start:i].strip())
            start = i + 1
    items.append(text[start:].strip())
    found: dict[str, str] = {}
    for i, item in enumerate(x for x in items if x):
        key, eq, value = item.partition("=")
        found[key.strip() if eq else f"#{i}"] = value.strip() if eq else item
    return found


def _arg_name(path: str) -> str:
    """`dilation` for `kwargs['dilation']`; a positional path as it is."""
    return path[len("kwargs['") : -2] if path.startswith("kwargs['") and path.endswith("']") else path


def _values(values: list[str]) -> str:
    """`1/2/4`, up to `_SHOWN_VALUES` of them, then `…`; a value that repeats is shown each time."""
    shown = values[:_SHOWN_VALUES] + (["…"] if len(values) > _SHOWN_VALUES else [])
    return "/".join(shown)
