"""What a failure inside a layer means in the layer's own terms, measured while its inputs are at hand
(the record keeps shapes, not values)."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


def ids_beyond(module: nn.Module, args: tuple[Any, ...], exc: BaseException) -> str:
    """What torch's "index out of range in self" means for an embedding table: `ids up to 99; the
    Embedding has 10 rows (ids 0–9)`; "" for any other failure."""
    rows = getattr(module, "num_embeddings", None)
    ids = args[0] if args else None
    if not isinstance(exc, IndexError) or not isinstance(rows, int) or not isinstance(ids, torch.Tensor):
        return ""
    if ids.is_floating_point() or ids.is_complex() or ids.device.type == "meta" or ids.numel() == 0:
        return ""
    with torch._C.DisableTorchFunction():  # archviz's own reading, not the model's work
        low, high = int(ids.min()), int(ids.max())
    said = f"ids up to {high}" if low >= 0 else f"ids from {low} to {high}"
    return f"{said}; the {type(module).__name__} has {rows} rows: ids 0–{rows - 1}"
