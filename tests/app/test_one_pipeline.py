"""One pipeline, one trace: `render` runs the model once; the doctor's experiments run only when asked
for (`--doctor`, `--dims`, `archviz doctor`), never because a clock said there was time."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import EXAMPLES

from archviz import app
from archviz.cli import main

COUNTER = """
import torch
from torch import nn

CALLS = []


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        CALLS.append(tuple(x.shape))
        with open({log!r}, "a") as fh:
            fh.write("forward\\n")
        return self.fc(x)


def build_model():
    return Net()


def example_inputs():
    return torch.randn(2, 4)
"""


def forward_calls(tmp_path: Path, *args: str) -> tuple[int, int]:
    """Render a model that logs each forward call to a file; (exit code, forward calls)."""
    log = tmp_path / "calls.log"
    model = tmp_path / "counted.py"
    model.write_text(COUNTER.format(log=str(log)), encoding="utf-8")
    result = CliRunner().invoke(main, [*args[:1], str(model), *args[1:]])
    calls = log.read_text(encoding="utf-8").count("forward") if log.exists() else 0
    return result.exit_code, calls


def test_render_runs_the_forward_pass_once(tmp_path: Path) -> None:
    assert forward_calls(tmp_path, "render", "-o", str(tmp_path / "out")) == (0, 1)


@pytest.mark.parametrize("extra", [["--doctor"], ["--dims", "auto"]])
def test_the_experiments_run_when_asked_for(tmp_path: Path, extra: list[str]) -> None:
    code, calls = forward_calls(tmp_path, "render", "-o", str(tmp_path / "out"), *extra)
    assert code == 0 and calls > 1  # the traced pass, then the model with its input axes grown


def test_archviz_doctor_runs_the_experiments(tmp_path: Path) -> None:
    code, calls = forward_calls(tmp_path, "doctor")
    assert code == 0 and calls > 1


def test_render_of_the_gru_example_traces_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """`archviz render examples/gru.py`: the model's forward runs once (counted by wrapping capture's entry)."""
    from archviz import capture

    runs: list[int] = []
    real = capture.run_model

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        runs.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(capture, "run_model", counted)
    monkeypatch.setattr(capture.tracer, "run_model", counted)
    result = CliRunner().invoke(main, ["render", str(EXAMPLES / "gru.py"), "-o", str(tmp_path)])
    assert result.exit_code == 0, result.stderr
    assert len(runs) == 1


def test_a_failure_carries_its_own_exception_not_a_retraces(tmp_path: Path) -> None:
    """`--debug` prints the traceback of the drawn pass: the result carries it, no thread-local state
    (the doctor's re-runs, each failing their own way, cannot overwrite it)."""
    model = tmp_path / "fails.py"
    model.write_text(
        "import torch\nfrom torch import nn\n\n"
        "class Net(nn.Module):\n"
        "    def forward(self, x):\n"
        "        if x.shape[0] == 2:\n"
        "            raise ValueError('the real failure')\n"
        "        raise KeyError('a re-run failure')\n\n"
        "def build_model():\n    return Net()\n\n"
        "def example_inputs():\n    return torch.randn(2, 4)\n",
        encoding="utf-8",
    )
    result = app.run(app.Source.file(model), app.Options(formats=(), doctor=True))
    assert isinstance(result.exception, ValueError) and "the real failure" in str(result.exception)
    cli = CliRunner().invoke(main, ["render", str(model), "-o", str(tmp_path / "o"), "--doctor", "--debug"])
    assert cli.exit_code == 1
    assert "ValueError: the real failure" in cli.stderr and "KeyError" not in cli.stderr
