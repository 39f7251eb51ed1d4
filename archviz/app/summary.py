"""`archviz summary`: the torchinfo table of a model file, with the same model and inputs as `render`."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

from ..errors import TraceError, text_of
from .options import LoadOptions
from .tracing import no_such_call, process_kept, time_limit


def summary_table(path: str, load: LoadOptions | None = None, depth: int = 4) -> str:
    """torchinfo's table for the model of `path`, found as `render` finds it (script mode included)."""
    from ..load import userfile

    load = load or LoadOptions()
    path = userfile.check_path(path)  # before torch and torchinfo: a usage error needs neither
    import torchinfo

    with userfile.user_path(path), process_kept(), time_limit(load.timeout):
        module, args, kwargs, name = _model_and_inputs(
            path, load.model, load.inputs, load.vocab, load.script, load.call, load.device
        )
        try:
            with _cycles_cut(module):
                stats = torchinfo.summary(
                    module,
                    input_data=_as_input_data(module, args, kwargs),
                    depth=depth,
                    verbose=0,
                    col_names=("input_size", "output_size", "num_params"),
                )
        except (Exception, SystemExit) as exc:  # torchinfo says only "see above stack traces": say what failed,
            raise _forward_error(path, module, args, kwargs, name, exc) from exc  # as render does (sys.exit too)
    note = _count_tied_once(stats, module)  # corrects the totals before the table is written out
    return str(stats) + ("\n" + note if note else "")


def _as_input_data(module: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """torchinfo's `input_data`: the positional inputs, or every input by name when some are keywords.
    Keywords are never passed through `summary(**kwargs)`, where `x` (the most common input name) clashes
    with torchinfo's own parameter."""
    if not kwargs:
        return list(args)
    import inspect

    try:
        bound = inspect.signature(module.forward).bind(*args, **kwargs)
    except (TypeError, ValueError):
        return list(args) if args else dict(kwargs)
    named = dict(bound.arguments)
    for name, param in inspect.signature(module.forward).parameters.items():  # **extra: spread, not nested
        if param.kind == param.VAR_KEYWORD and name in named:
            named.update(named.pop(name))
    return named if not any(p.kind == p.VAR_POSITIONAL for p in bound.signature.parameters.values()) else list(args)


@contextlib.contextmanager
def _cycles_cut(module: Any) -> Iterator[None]:
    """A module that contains itself (`self.me = self`) makes torchinfo walk its children forever: hide
    each link back to a module above it for the summary and put it back exactly as it was afterwards."""
    cut: list[tuple[Any, str, Any, int]] = []  # (parent, name, child, position among the parent's modules)
    stack: list[tuple[Any, frozenset[int]]] = [(module, frozenset())]
    seen: set[int] = set()
    while stack:
        m, above = stack.pop()
        inside = above | {id(m)}
        for i, (name, child) in enumerate(m._modules.items()):
            if child is None:
                continue
            if id(child) in inside:
                cut.append((m, name, child, i))
            elif id(child) not in seen:
                seen.add(id(child))
                stack.append((child, inside))
    for parent, name, _, _ in cut:
        del parent._modules[name]
    try:
        yield
    finally:
        for parent, name, child, i in cut:  # in order, so each goes back to its own position
            items = list(parent._modules.items())
            items.insert(i, (name, child))
            parent._modules.clear()
            parent._modules.update(items)


def _forward_error(
    path: str, module: Any, args: tuple[Any, ...], kwargs: dict[str, Any], name: str, exc: BaseException
) -> TraceError:
    """The forward pass's own failure (where, inputs, weights), found by tracing it as `render` does."""
    from .. import capture
    from .messages import failure_message

    trace = capture.trace_model(
        module, args, kwargs, name=name, source_file=os.path.basename(path), root_dir=os.path.dirname(path)
    )
    if trace.failure is not None:
        return TraceError(failure_message(trace, []))
    cause = exc.__cause__ or exc
    return TraceError(
        f"{os.path.basename(path)}: torchinfo could not summarise {name}: {type(cause).__name__}: {text_of(cause)}"
    )


def _count_tied_once(stats: Any, module: Any) -> str:
    """torchinfo counts a tied weight (an embedding shared with the output layer) once per module that
    holds it; correct its totals to count every parameter once, and say which weights are tied."""
    from ..capture.modules import every_parameter_name

    groups: dict[int, list[str]] = {}
    for name, p in every_parameter_name(module):
        groups.setdefault(id(p), []).append(name)
    tied = [names for names in groups.values() if len(names) > 1]
    if not tied:
        return ""
    unique = list(module.parameters())  # each parameter once
    stats.total_params = sum(p.numel() for p in unique)
    stats.trainable_params = sum(p.numel() for p in unique if p.requires_grad)
    stats.total_param_bytes = sum(p.numel() * p.element_size() for p in unique)
    lines = [" = ".join(names) for names in tied]
    return "Tied weights, counted once in the totals above: " + "; ".join(lines) + "\n"


def _model_and_inputs(
    path: str, model: str | None, inputs: tuple[str, ...], vocab: int, script: bool, call: int, device: str | None
) -> tuple[Any, tuple[Any, ...], dict[str, Any], str]:
    """The live model and its forward arguments: from the model rules, else from the script's call."""
    from .. import capture
    from ..load import loader, userfile

    no_model = None
    if not script:
        found = loader.load(path, model=model, inputs=inputs, vocab=vocab, device=device)
        if isinstance(found, loader.Loaded):
            return found.model, found.args, found.kwargs, found.name
        no_model = found
    with capture.ScriptCapture(call, source_file=os.path.basename(path), root_dir=os.path.dirname(path)) as running:
        userfile.run_script(path)
    if running.called is None:
        if no_model is not None and running.seen == 0:
            raise no_model.error
        raise no_such_call(os.path.basename(path), running.seen, call)
    module, args = running.called
    return module, args, {}, type(module).__name__
