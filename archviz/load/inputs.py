"""The forward pass's inputs: from `--input` specs (seeded) or the file's `example_inputs`; devices."""

from __future__ import annotations

import dataclasses
import os
import re
from typing import Any

import torch
from torch import nn

from ..errors import LoadError, LoadUsageError, NoInputsError
from .userfile import exit_text, user_line

_DTYPES = {
    "float": torch.float32,
    "float32": torch.float32,
    "float64": torch.float64,
    "double": torch.float64,
    "float16": torch.float16,
    "half": torch.float16,
    "bfloat16": torch.bfloat16,
    "long": torch.int64,
    "int64": torch.int64,
    "int": torch.int32,
    "int32": torch.int32,
    "int16": torch.int16,
    "int8": torch.int8,
    "uint8": torch.uint8,
    "bool": torch.bool,
}
_SPEC = re.compile(r"^(?:(?P<dtype>[a-z0-9]+):)?(?P<shape>\d+(?:x\d+)*)$")
INPUT_SEED = 0
MAX_INPUT_ELEMENTS = 2**31 - 1  # beyond this torch cannot index a tensor; no diagram needs it


def parse_input(spec: str, vocab: int, generator: torch.Generator, meta: bool = False) -> torch.Tensor:
    """Make a tensor from `--input` text such as `3x5x10`, `long:8x20` or `float64:2x3`."""
    m = _SPEC.match(spec.strip().lower())
    if m is None or (m["dtype"] and m["dtype"] not in _DTYPES):
        raise LoadUsageError(
            f"--input {spec!r} is not a tensor spec. Write the shape as sizes joined by x, with an optional "
            f"dtype prefix: 3x5x10, long:8x20, float64:2x3. Known dtypes: {', '.join(sorted(_DTYPES))}."
        )
    dtype = _DTYPES[m["dtype"] or "float"]
    shape = tuple(int(d) for d in m["shape"].split("x"))
    elements = 1
    for d in shape:
        elements *= d
    if elements > MAX_INPUT_ELEMENTS:
        raise LoadUsageError(
            f"--input {spec!r} asks for {elements:,} elements, more than archviz makes ({MAX_INPUT_ELEMENTS:,}); "
            "give a smaller shape (the diagram's shapes follow whatever you give)."
        )
    if dtype != torch.bool and not dtype.is_floating_point:
        vocab = min(vocab, torch.iinfo(dtype).max)  # int8 ids stay below 127, not wrap negative; int64 fits
    if meta:  # shapes only: nothing is allocated
        return torch.empty(shape, dtype=dtype, device="meta")
    if dtype.is_floating_point:
        return torch.randn(shape, generator=generator).to(dtype)
    if dtype == torch.bool:
        return torch.randint(0, 2, shape, generator=generator).bool()
    return torch.randint(0, max(1, vocab), shape, generator=generator).to(dtype)


def find_inputs(
    ns: dict[str, Any], path: str, specs: tuple[str, ...], vocab: int, meta: bool = False
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Inputs from `--input` specs (seeded), else from the file's `example_inputs`."""
    base = os.path.basename(path)
    if specs:
        gen = torch.Generator().manual_seed(INPUT_SEED)
        return tuple(parse_input(s, vocab, gen, meta) for s in specs), {}
    if "example_inputs" not in ns:
        raise NoInputsError(
            f"{base}: no inputs for the forward pass. Give them with `--input 3x5x10` (repeat for several "
            "arguments; `long:8x20` for token ids), or define `example_inputs()` in the file returning a tensor, "
            "a tuple of positional arguments or a dict of keyword arguments; or, when the file calls its model "
            "itself, run it with `--script`."
        )
    value: Any = ns["example_inputs"]
    if callable(value):
        try:
            value = value()
        except SystemExit as exc:
            raise LoadError(f"{user_line(exc, path)}: example_inputs() {exit_text(exc)}.") from exc
        except Exception as exc:
            raise LoadError(f"{user_line(exc, path)}: example_inputs() raised {type(exc).__name__}: {exc}") from exc
    if isinstance(value, torch.Tensor):
        return (value,), {}
    if isinstance(value, (tuple, list)):
        return tuple(value), {}
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return (), dict(value)
    raise LoadUsageError(
        f"{base}: example_inputs gave a {type(value).__name__}; it must be a tensor (one argument), a tuple or "
        "list (positional arguments) or a dict with string keys (keyword arguments)."
    )


def device_of(device: str | None) -> torch.device | None:
    if device is None:
        return None
    try:
        where = torch.device(device)
    except (RuntimeError, ValueError) as exc:
        raise LoadUsageError(f"--device {device!r} is not a torch device (try cpu, meta or cuda:0).") from exc
    if where.type == "cuda" and not torch.cuda.is_available():
        raise LoadUsageError(f"--device {device}: this machine has no CUDA device; use cpu, or meta for shapes only.")
    return where


def move_to(
    model: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any], where: torch.device, path: str
) -> tuple[nn.Module, tuple[Any, ...], dict[str, Any]]:
    """Put the model and every input tensor on `where` (meta inputs keep shape and dtype only)."""

    def move(v: Any) -> Any:
        if isinstance(v, torch.Tensor):
            return torch.empty(v.shape, dtype=v.dtype, device="meta") if where.type == "meta" else v.to(where)
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            return dataclasses.replace(v, **{f.name: move(getattr(v, f.name)) for f in dataclasses.fields(v) if f.init})
        if isinstance(v, tuple) and hasattr(v, "_fields"):  # a namedtuple takes its fields as arguments
            return type(v)(*(move(x) for x in v))
        if isinstance(v, (tuple, list)):
            return type(v)(move(x) for x in v)
        if isinstance(v, dict):
            moved = {k: move(x) for k, x in v.items()}
            try:
                return moved if type(v) is dict else type(v)(moved)  # OrderedDict and friends keep their type
            except TypeError:
                return moved
        return v

    try:
        model = model.to(where)
    except Exception as exc:
        raise LoadError(
            f"{os.path.basename(path)}: moving the model to {where} failed: {type(exc).__name__}: {exc}"
        ) from exc
    return model, move(args), move(kwargs)
