"""The package's imports point down the pipeline, never up, never in a circle (STYLE.md's table).

Every import statement counts, including those inside functions and under `if TYPE_CHECKING:`.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "archviz"
BASE = {"errors", "kinds", "version"}
# What each part may import (besides itself and the standard library / third-party packages).
ALLOWED = {
    "errors": set(),
    "kinds": set(),
    "version": set(),
    "record": BASE,
    "load": BASE | {"record"},
    "capture": BASE | {"record"},
    "analysis": BASE | {"record"},
    "view": BASE | {"record", "analysis"},
    "draw": BASE | {"record", "view"},  # draws what the view and the analysis made; recomputes nothing
    "diff": BASE | {"record", "analysis", "view", "draw"},  # compares two records; marks NEW's view
    "app": BASE | {"record", "load", "capture", "analysis", "view", "draw", "diff"},
}
ENTRY_POINTS = {"cli", "api", "sphinx", "mkdocs", "__main__", "__init__"}
ALLOWED.update({e: BASE | {"record", "app"} for e in ENTRY_POINTS})
ALLOWED["__main__"] = {"cli"}
ALLOWED["__init__"] = {"version", "api"}
# Third-party packages that belong to one room only.
OWNERS = {
    "torch": {"load", "capture"},
    "jinja2": {"draw"},
    "markupsafe": {"draw"},
    "click": {"cli"},
    "sphinx": {"sphinx"},
    "mkdocs": {"mkdocs"},
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> list[tuple[str, int]]:
    """(imported module, line) for every import in the file; `from . import x` names the submodule x."""
    is_pkg = path.name == "__init__.py"
    out: list[tuple[str, int]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_pkg else name.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            subs = [f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in MODULES]
            out += [(s, node.lineno) for s in subs]
            if len(subs) < len(node.names):
                out.append((target, node.lineno))
    return out


def _room(module: str) -> str:
    """`capture` for archviz.capture.tracer, `cli` for archviz.cli, `__init__` for archviz itself."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_every_module_belongs_to_a_known_room() -> None:
    assert {_room(m) for m in MODULES} <= set(ALLOWED)


def test_imports_point_down_the_pipeline() -> None:
    wrong = []
    for name, path in MODULES.items():
        room = _room(name)
        for target, line in _imports(name, path):
            top = target.split(".")[0]
            if top == "archviz":
                other = _room(target)
                if other != room and other not in ALLOWED[room]:
                    wrong.append(f"{path.relative_to(ROOT)}:{line}: {room} imports {target}")
            elif top in OWNERS and room not in OWNERS[top]:
                wrong.append(f"{path.relative_to(ROOT)}:{line}: {room} imports {top}, which belongs to {OWNERS[top]}")
    assert wrong == []


def test_no_import_cycles() -> None:
    graph = {m: {t for t, _ in _imports(m, p) if t in MODULES and t != m} for m, p in MODULES.items()}
    state: dict[str, int] = {}
    cycles = []

    def visit(m: str, stack: list[str]) -> None:
        state[m] = 1
        for t in sorted(graph[m]):
            if state.get(t) == 1:
                cycles.append([*stack[stack.index(t) :], t] if t in stack else [m, t])
            elif t not in state:
                visit(t, [*stack, t])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])
    assert cycles == []


def test_the_test_sees_a_planted_upward_import(tmp_path: Path) -> None:
    """The walker finds imports inside functions: an upward one planted in a copy would be caught."""
    code = "def f():\n    from ..app import pipeline\n    return pipeline\n"
    planted = tmp_path / "planted.py"
    planted.write_text(code, encoding="utf-8")
    found = _imports("archviz.record.planted", planted)
    assert ("archviz.app.pipeline", 2) in found
    assert "app" not in ALLOWED["record"]


def test_help_and_version_do_not_import_torch() -> None:
    code = (
        "import sys\nfrom click.testing import CliRunner\nfrom archviz import cli\n"
        "for args in (['--help'], ['--version'], ['render', '--help']):\n"
        "    assert CliRunner().invoke(cli.main, args).exit_code == 0, args\n"
        "import archviz, archviz.errors, archviz.record, archviz.view, archviz.draw.dot, archviz.app\n"
        "print(sorted(m for m in sys.modules if m == 'torch' or m.startswith('torch.')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.strip() == "[]"


def test_no_module_over_400_lines() -> None:
    long = {n: len(p.read_text(encoding="utf-8").splitlines()) for n, p in MODULES.items()}
    assert {n: k for n, k in long.items() if k > 400} == {}
