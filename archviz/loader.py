"""Run the user's model file and find the model and its inputs: the only place user files run."""

from __future__ import annotations

import contextlib
import importlib.util
import inspect
import os
import re
import runpy
import sys
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import torch
from torch import nn

from .errors import LoadError, LoadUsageError

_DTYPES = {
    "float": torch.float32, "float32": torch.float32, "float64": torch.float64, "double": torch.float64,
    "float16": torch.float16, "half": torch.float16, "bfloat16": torch.bfloat16,
    "long": torch.int64, "int64": torch.int64, "int": torch.int32, "int32": torch.int32,
    "int16": torch.int16, "int8": torch.int8, "uint8": torch.uint8, "bool": torch.bool,
}  # fmt: skip
_SPEC = re.compile(r"^(?:(?P<dtype>[a-z0-9]+):)?(?P<shape>\d+(?:x\d+)*)$")
INPUT_SEED = 0
MAX_INPUT_ELEMENTS = 2**31 - 1  # beyond this torch cannot index a tensor; no diagram needs it


@dataclass
class Loaded:
    """A model found in a file, with the arguments of its forward pass."""

    model: nn.Module
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    name: str
    path: str
    namespace: dict[str, Any] = field(repr=False, default_factory=dict)


def check_path(path: str) -> str:
    """Return the absolute path of a readable Python file, or raise a usage error naming it."""
    if not os.path.exists(path):
        raise LoadUsageError(f"{path}: no such file. Give the path of a Python file that defines or builds a model.")
    if os.path.isdir(path):
        raise LoadUsageError(f"{path} is a directory; archviz needs one Python file, e.g. `archviz render {path.rstrip('/')}/model.py`.")
    if not path.endswith(".py"):
        raise LoadUsageError(f"{path} is not a Python file (expected a name ending in .py).")
    return os.path.abspath(path)


@contextlib.contextmanager
def user_path(path: str) -> Iterator[None]:
    """Put the model file's folder first on sys.path while its code runs, so sibling imports work."""
    folder = os.path.dirname(path)
    sys.path.insert(0, folder)
    try:
        yield
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(folder)


def _compile(path: str) -> None:
    try:
        with open(path, "rb") as fh:
            compile(fh.read(), path, "exec")
    except SyntaxError as exc:
        raise LoadError(
            f"{os.path.basename(path)}:{exc.lineno}:{exc.offset}: syntax error: {exc.msg}. "
            f"Fix the file so that `python {os.path.basename(path)}` runs."
        ) from exc
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise LoadError(f"{path} could not be read as Python source: {exc}") from exc


def _user_line(exc: BaseException, path: str) -> str:
    """`file.py:12` for the deepest frame of the traceback that lies in the user's file."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if os.path.abspath(frame.filename) == path:
            return f"{os.path.basename(path)}:{frame.lineno}"
    return os.path.basename(path)


def import_file(path: str) -> ModuleType:
    """Import the model file as a module (its `__main__` block does not run)."""
    path = check_path(path)
    _compile(path)
    name = "archviz_user_" + re.sub(r"\W", "_", os.path.splitext(os.path.basename(path))[0])
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except ImportError as exc:
        raise LoadError(f"{_user_line(exc, path)}: importing the model file failed: {type(exc).__name__}: {exc}. "
                        "Install the missing package or fix the import.") from exc
    except (Exception, SystemExit) as exc:
        raise LoadError(f"{_user_line(exc, path)}: the model file raised while it was being run: "
                        f"{type(exc).__name__}: {exc}") from exc
    return module


def run_script(path: str) -> None:
    """Run the file as `__main__`, as `python path` would (script mode)."""
    try:
        runpy.run_path(path, run_name="__main__")
    except SystemExit as exc:
        if exc.code not in (None, 0):
            raise LoadError(f"{os.path.basename(path)} exited with status {exc.code} while running as a script.") from exc
    except Exception as exc:
        raise LoadError(
            f"{_user_line(exc, path)}: the script raised {type(exc).__name__}: {exc} (run as `python "
            f"{os.path.basename(path)}` to see its own traceback)."
        ) from exc


def _construct(obj: Any, label: str, path: str) -> nn.Module:
    try:
        inspect.signature(obj).bind()
    except TypeError as exc:  # it needs arguments: the user must choose how to build it
        what = "constructor arguments" if isinstance(obj, type) else "arguments"
        raise LoadUsageError(
            f"{os.path.basename(path)}: {label} needs {what} ({exc}). Add a `build_model()` "
            "function that returns a configured instance, or give defaults to its arguments."
        ) from exc
    except ValueError:
        pass  # no signature to check (a builtin): just call it
    try:
        made = obj()
    except Exception as exc:
        raise LoadError(f"{_user_line(exc, path)}: building the model with {label} failed: {type(exc).__name__}: {exc}") from exc
    if not isinstance(made, nn.Module):
        raise LoadError(f"{os.path.basename(path)}: {label} returned {type(made).__name__}, not an nn.Module.")
    return made


def _classes(ns: dict[str, Any], module_name: str) -> list[tuple[str, type]]:
    return [
        (k, v)
        for k, v in ns.items()
        if isinstance(v, type) and issubclass(v, nn.Module) and v.__module__ == module_name
    ]


def _no_arg(cls: type) -> bool:
    try:
        sig = inspect.signature(cls.__init__)
    except (TypeError, ValueError):
        return False
    params = list(sig.parameters.values())[1:]
    return all(p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params)


def find_model(ns: dict[str, Any], module_name: str, path: str, name: str | None = None) -> tuple[nn.Module, str] | None:
    """Apply the model rules (`--model`, `build_model`/`model`, one no-argument class) to a namespace.

    Returns None when the file defines no model by these rules (script mode applies).
    """
    base = os.path.basename(path)
    if name is not None:
        if name not in ns:
            found = ", ".join(k for k, _ in _classes(ns, module_name)) or "no nn.Module classes"
            raise LoadUsageError(f"{base} has no name {name!r} (--model). It defines: {found}.")
        obj = ns[name]
        if isinstance(obj, nn.Module):
            return obj, name
        if callable(obj):
            return _construct(obj, name, path), name
        raise LoadUsageError(f"{base}: --model {name} names a {type(obj).__name__}, not a module, class or function.")
    if callable(ns.get("build_model")):
        return _construct(ns["build_model"], "build_model()", path), "build_model"
    if isinstance(ns.get("model"), nn.Module):
        return ns["model"], "model"
    classes = _classes(ns, module_name)
    ready = [(k, v) for k, v in classes if _no_arg(v)]
    if len(ready) == 1:
        k, cls = ready[0]
        return _construct(cls, k, path), k
    if len(ready) > 1:
        names = ", ".join(k for k, _ in ready)
        raise LoadUsageError(
            f"{base} defines several nn.Module classes that build without arguments: {names}. "
            f"Choose one with `--model NAME` (for example `--model {ready[0][0]}`), or add a build_model() function."
        )
    return None


def describe(ns: dict[str, Any], module_name: str) -> str:
    """List what a namespace holds that looks like a model, for 'nothing found' errors."""
    classes = [f"{k} (needs arguments)" for k, v in _classes(ns, module_name) if not _no_arg(v)]
    instances = [k for k, v in ns.items() if isinstance(v, nn.Module)]
    funcs = [k for k, v in ns.items() if inspect.isfunction(v) and v.__module__ == module_name]
    parts = []
    if classes:
        parts.append("classes " + ", ".join(classes))
    if instances:
        parts.append("module instances " + ", ".join(instances))
    if funcs:
        parts.append("functions " + ", ".join(funcs))
    return "; ".join(parts) or "no nn.Module classes, instances or functions"


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
        vocab = min(vocab, torch.iinfo(dtype).max + 1)  # int8 ids stay below 128, not wrap negative
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
        raise LoadUsageError(
            f"{base}: no inputs for the forward pass. Give them with `--input 3x5x10` (repeat for several "
            "arguments; `long:8x20` for token ids), or define `example_inputs()` in the file returning a tensor, "
            "a tuple of positional arguments or a dict of keyword arguments."
        )
    value: Any = ns["example_inputs"]
    if callable(value):
        try:
            value = value()
        except Exception as exc:
            raise LoadError(f"{_user_line(exc, path)}: example_inputs() raised {type(exc).__name__}: {exc}") from exc
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
    where = _device(device)
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
        obj, args, kwargs = _move(obj, args, kwargs, where, path)
    return Loaded(obj, args, kwargs, name, os.path.abspath(path), ns)


def _device(device: str | None) -> torch.device | None:
    if device is None:
        return None
    try:
        where = torch.device(device)
    except (RuntimeError, ValueError) as exc:
        raise LoadUsageError(f"--device {device!r} is not a torch device (try cpu, meta or cuda:0).") from exc
    if where.type == "cuda" and not torch.cuda.is_available():
        raise LoadUsageError(f"--device {device}: this machine has no CUDA device; use cpu, or meta for shapes only.")
    return where


def _move(model: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any], where: torch.device, path: str) -> tuple[nn.Module, tuple[Any, ...], dict[str, Any]]:
    """Put the model and every input tensor on `where` (meta inputs keep shape and dtype only)."""

    def move(v: Any) -> Any:
        if isinstance(v, torch.Tensor):
            return torch.empty(v.shape, dtype=v.dtype, device="meta") if where.type == "meta" else v.to(where)
        if isinstance(v, (tuple, list)):
            return type(v)(move(x) for x in v)
        if isinstance(v, dict):
            return {k: move(x) for k, x in v.items()}
        return v

    try:
        model = model.to(where)
    except Exception as exc:
        raise LoadError(f"{os.path.basename(path)}: moving the model to {where} failed: {type(exc).__name__}: {exc}") from exc
    return model, move(args), move(kwargs)


def nothing_found(path: str, namespace: dict[str, Any], module_name: str) -> LoadError:
    """The error for a file that defines no model and whose script made no module call."""
    return LoadUsageError(
        f"{os.path.basename(path)}: no model found. The file has {describe(namespace, module_name)}, and running it "
        "as a script made no nn.Module call. Define `build_model()` (or a module-level `model`) and "
        "`example_inputs()`, choose one with `--model NAME`, or call the model in the script."
    )

