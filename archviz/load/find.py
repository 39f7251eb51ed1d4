"""Find the model in a model file's namespace: `--model`, `build_model`/`model`, or one no-argument class."""

from __future__ import annotations

import inspect
import os
import types
from typing import Any

from torch import nn

from ..errors import LoadError, LoadUsageError
from .userfile import exit_text, user_line


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
    except SystemExit as exc:
        raise LoadError(f"{user_line(exc, path)}: building the model with {label} {exit_text(exc)}.") from exc
    except Exception as exc:
        raise LoadError(
            f"{user_line(exc, path)}: building the model with {label} failed: {type(exc).__name__}: {exc}"
        ) from exc
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
        sig = inspect.signature(cls.__init__)  # type: ignore[misc]  # the class's own, read unbound
    except (TypeError, ValueError):
        return False
    params = list(sig.parameters.values())[1:]
    return all(p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params)


def find_model(
    ns: dict[str, Any], module_name: str, path: str, name: str | None = None
) -> tuple[nn.Module, str] | None:
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
        what = f"the imported module {obj.__name__}" if isinstance(obj, types.ModuleType) else f"a {type(obj).__name__}"
        found = ", ".join(k for k, _ in _classes(ns, module_name)) or "no nn.Module classes"
        raise LoadUsageError(
            f"{base}: --model {name} names {what}, not an nn.Module instance, an nn.Module class or a function "
            f"that builds one. {base} defines: {found}."
        )
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


def nothing_found(path: str, namespace: dict[str, Any], module_name: str) -> LoadError:
    """The error for a file that defines no model and whose script made no module call."""
    return LoadUsageError(
        f"{os.path.basename(path)}: no model found. The file has {describe(namespace, module_name)}, and running it "
        "as a script made no nn.Module call. Define `build_model()` (or a module-level `model`) and "
        "`example_inputs()`, choose one with `--model NAME`, or call the model in the script."
    )
