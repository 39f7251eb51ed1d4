"""What the recorder needs to know about the ops it sees: their names, and which are bookkeeping."""

from __future__ import annotations

from typing import Any

from ..kinds import BOOKKEEPING_OPS, IN_PLACE_DUNDERS, named_in_place

_NAMES: dict[Any, tuple[str, str]] = {}  # torch's functions are few and live as long as torch: named once each
_NAMES_LIMIT = 1 << 14


def op_name(func: Any) -> tuple[str, str]:
    """Return (short name, qualified name) of a function seen by the TorchFunctionMode."""
    try:
        return _NAMES[func]
    except (KeyError, TypeError):  # not named yet, or unhashable
        pass
    names = _op_name(func)
    try:
        if len(_NAMES) < _NAMES_LIMIT:
            _NAMES[func] = names
    except TypeError:
        pass
    return names


def _op_name(func: Any) -> tuple[str, str]:
    """(short name, qualified name) of `func`, worked out."""
    name = getattr(func, "__name__", None) or type(func).__name__
    qual = getattr(func, "__qualname__", name)
    if name == "__get__" and hasattr(func, "__self__"):  # a property read such as `x.shape`
        name = getattr(func.__self__, "__name__", name)
        return name, f"Tensor.{name}"
    if qual.startswith(("TensorBase.", "Tensor.")):
        return name, "Tensor." + name
    if qual.startswith("_VariableFunctionsClass."):
        return name, "torch." + name
    module = getattr(func, "__module__", None) or ""
    if module.startswith("torch.nn.functional"):
        return name, "F." + name
    return name, (module + "." if module else "") + name


def is_bookkeeping(name: str, has_tensor_output: bool, tensor_inputs: int) -> bool:
    """Shape queries, dtype/device moves, and calls that neither make a tensor nor combine two; never a
    write into a tensor (`y[0] = 0` changes what the next layer reads)."""
    if name in IN_PLACE_DUNDERS:
        return False
    return name in BOOKKEEPING_OPS or (not has_tensor_output and tensor_inputs <= 1)


def may_write(name: str, kwargs: dict[str, Any]) -> bool:
    """Whether an op can write its inputs in place: `add_`, `x[i] = v`, `x += y`, `out=`, `inplace=True`.

    PyTorch names every in-place op with a trailing underscore; checking versions only for these
    keeps the common op cheap.
    """
    return named_in_place(name) or "out" in kwargs or bool(kwargs.get("inplace"))


def writes(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """Whether calling `func` may write one of its tensor arguments in place (`may_write`), or is
    `F.embedding` renormalising its weight's rows (`max_norm=`)."""
    name = getattr(func, "__name__", "")
    if name == "embedding":
        return kwargs.get("max_norm") is not None or (len(args) > 3 and args[3] is not None)
    return may_write(name, kwargs)
