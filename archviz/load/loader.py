"""Load a model file: import it, find the model and the inputs of its forward pass."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from ..errors import LoadError
from .find import find_model, nothing_found
from .inputs import device_of, find_inputs, move_to
from .userfile import import_file


@dataclass
class Loaded:
    """A model found in a file, with the arguments of its forward pass."""

    model: nn.Module
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    name: str
    path: str
    namespace: dict[str, Any] = field(repr=False, default_factory=dict)


@dataclass
class NoModel:
    """The file defines no model by the rules; `error` is raised if script mode finds none either."""

    error: LoadError


def load(
    path: str, *, model: str | None = None, inputs: tuple[str, ...] = (), vocab: int = 100, device: str | None = None
) -> Loaded | NoModel:
    """Import `path` and find its model and inputs; NoModel when it defines none (use script mode).

    Args:
        path: the model file.
        model: `--model NAME`.
        inputs: `--input` specs.
        vocab: upper bound (exclusive) for random integer inputs.
        device: build the model and inputs on this device; `meta` allocates no weights at all.
            A model whose parameters are already on `meta` gets its inputs there too.
    """
    module = import_file(path)
    ns = vars(module)
    where = device_of(device)
    with where if where is not None and where.type == "meta" else contextlib.nullcontext():
        found = find_model(ns, module.__name__, module.__file__ or path, model)  # no weight memory on meta
    if found is None:
        return NoModel(nothing_found(path, ns, module.__name__))
    obj, name = found
    meta = where is not None and where.type == "meta"
    args, kwargs = find_inputs(ns, module.__file__ or path, inputs, vocab, meta)  # moved to `where` below
    if where is None and any(p.device.type == "meta" for p in obj.parameters()):
        where = torch.device("meta")
    if where is not None:
        obj, args, kwargs = move_to(obj, args, kwargs, where, path)
    return Loaded(obj, args, kwargs, name, os.path.abspath(path), ns)
