"""Shared test options: `--update-golden` rewrites committed golden files instead of comparing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite docs/*.dot golden files")


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(scope="session", autouse=True)
def _examples_importable() -> None:
    sys.path.insert(0, str(EXAMPLES))


def load_example(name: str):  # type: ignore[no-untyped-def]
    """Return (model, args, kwargs) of examples/<name>.py through archviz's own loader."""
    from archviz.load import loader, userfile

    path = str(EXAMPLES / f"{name}.py")
    with userfile.user_path(path):
        found = loader.load(path)
    assert isinstance(found, loader.Loaded)
    return found.model, found.args, found.kwargs


def trace_example(name: str, **kwargs):  # type: ignore[no-untyped-def]
    """Trace examples/<name>.py the way the CLI does."""
    from archviz import capture

    model, args, kw = load_example(name)
    return capture.trace_model(
        model, args, kw, name="build_model", source_file=f"{name}.py", root_dir=str(EXAMPLES), **kwargs
    )


def post_order(trace):  # type: ignore[no-untyped-def]
    """Module calls in the order they return (the order plain forward hooks fire)."""
    from archviz.kinds import CallKind

    kids = trace.children()
    out: list = []

    def visit(c) -> None:  # type: ignore[no-untyped-def]
        for k in kids.get(c.id, []):
            visit(k)
        if c.kind == CallKind.MODULE:
            out.append(c)

    visit(trace.calls[0])
    return out


def tensor_shapes(value: object) -> list[tuple[int, ...]]:
    """Shapes of the tensors in a (nested tuple/list) value, in order: the plain-forward reference."""
    import torch

    shapes: list[tuple[int, ...]] = []

    def walk(o: object) -> None:
        if isinstance(o, torch.Tensor):
            shapes.append(tuple(o.shape))
        elif isinstance(o, (tuple, list)):
            for v in o:
                walk(v)

    walk(value)
    return shapes


MODELS = ROOT / "tests" / "models"


def trace_file(path, model: str | None = None, **kwargs):  # type: ignore[no-untyped-def]
    """Trace a model file the way `archviz render` does, cells included."""
    from archviz import app

    target = app.trace_file(str(path), model=model, **kwargs)
    return app.with_gates(target.trace, app.Options())


def reads(trace, call) -> dict[str, str | None]:  # type: ignore[no-untyped-def]
    """Input path -> the name of the call that produced it (`input` for a model input, None if unseen)."""
    from archviz.record import is_call_id

    return {t.path: (trace.call(t.producer).name if is_call_id(t.producer) else t.producer) for t in call.inputs}


def calls_named(trace, name: str) -> list:  # type: ignore[no-untyped-def]
    return [c for c in trace.calls if c.name == name]
