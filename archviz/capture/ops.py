"""What the recorder needs to know about the ops it sees: their names, and which are bookkeeping."""

from __future__ import annotations

from typing import Any

# Ops that only read metadata or move data between dtypes/devices; folded away by default.
BOOKKEEPING_NAMES = frozenset(
    {
        "to",
        "type",
        "float",
        "double",
        "half",
        "bfloat16",
        "int",
        "long",
        "bool",
        "cpu",
        "cuda",
        "contiguous",
        "detach",
        "detach_",
        "requires_grad_",
        "clone",
        "numel",
        "size",
        "dim",
        "shape",
        "dtype",
        "device",
        "ndim",
        "is_cuda",
        "is_floating_point",
        "data",
        "layout",
        "names",
        "T",
        "mT",
        "grad_fn",
        "requires_grad",
        "is_leaf",
        "stride",
        "storage_offset",
        "element_size",
        "__len__",
        "__bool__",
        "__index__",
        "__int__",
        "__float__",
        "__format__",
        "__hash__",
        "item",
        "tolist",
    }
)


def op_name(func: Any) -> tuple[str, str]:
    """Return (short name, qualified name) of a function seen by the TorchFunctionMode."""
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
    """Shape queries, dtype/device moves, and calls that neither make a tensor nor combine two."""
    return name in BOOKKEEPING_NAMES or (not has_tensor_output and tensor_inputs <= 1)


# Python's in-place operators, which PyTorch runs as these methods.
_IN_PLACE_DUNDERS = frozenset(
    {"__setitem__", "__iadd__", "__isub__", "__imul__", "__itruediv__", "__ifloordiv__", "__imod__", "__ipow__",
     "__imatmul__", "__iand__", "__ior__", "__ixor__", "__ilshift__", "__irshift__"}
)  # fmt: skip


def may_write(name: str, kwargs: dict[str, Any]) -> bool:
    """Whether an op can write its inputs in place: `add_`, `x[i] = v`, `x += y`, `out=`, `inplace=True`.

    PyTorch names every in-place op with a trailing underscore; checking versions only for these
    keeps the common op cheap.
    """
    return (
        (name.endswith("_") and not name.endswith("__"))
        or name in _IN_PLACE_DUNDERS
        or "out" in kwargs
        or bool(kwargs.get("inplace"))
    )
