"""A live model's inventory for the record: its state-dict entries and its modules' constructor settings.

Read after the pass (lazy modules have their weights by then); never fails the trace: a model whose
`state_dict()` or `extra_repr()` raises is recorded without them.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import torch
from torch import nn

from .. import record
from .walk import dtype_name

SETTING_CHARS = 300  # a module's settings text is cut here (a repr that prints a whole tensor)


def with_inventory(trace: record.Trace, model: Any) -> record.Trace:
    """`trace` with the state-dict entries and settings of `model` (unchanged when it is no nn.Module)."""
    if not isinstance(model, nn.Module) or trace.state or trace.settings:
        return trace
    return dataclasses.replace(trace, state=state_entries(model), settings=settings(model))


def state_entries(model: nn.Module) -> tuple[record.StateEntry, ...]:
    """The entries of `model.state_dict()`, in its order; () when it raises."""
    try:
        state = model.state_dict(keep_vars=True)
        params = {name for name, _ in model.named_parameters(remove_duplicate=False)}
    except Exception:  # noqa: BLE001 - a user override of state_dict: the record goes without
        return ()
    return tuple(
        record.StateEntry(key, tuple(value.shape), dtype_name(value.dtype), buffer=key not in params)
        for key, value in state.items()
        if isinstance(value, torch.Tensor)
    )


def settings(model: nn.Module) -> tuple[record.Setting, ...]:
    """Each module's `extra_repr()` text (one line, cut to SETTING_CHARS), for those that print any."""
    found = []
    for path, module in model.named_modules():
        try:
            text = " ".join(str(module.extra_repr()).split())
        except Exception:  # noqa: BLE001 - a user's extra_repr that fails says nothing
            continue
        if text:
            found.append(record.Setting(path, text if len(text) <= SETTING_CHARS else text[: SETTING_CHARS - 1] + "…"))
    return tuple(found)
