"""`archviz summary`: the torchinfo table of a model file, with the same model and inputs as `render`."""

from __future__ import annotations

import os
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
            stats = torchinfo.summary(
                module,
                input_data=list(args),
                depth=depth,
                verbose=0,
                col_names=("input_size", "output_size", "num_params"),
                **kwargs,
            )
        except (Exception, SystemExit) as exc:  # torchinfo says only "see above stack traces": say what failed,
            raise _forward_error(path, module, args, kwargs, name, exc) from exc  # as render does (sys.exit too)
    note = _count_tied_once(stats, module)  # corrects the totals before the table is written out
    return str(stats) + ("\n" + note if note else "")


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
    groups: dict[int, list[str]] = {}
    for name, p in module.named_parameters(remove_duplicate=False):
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
