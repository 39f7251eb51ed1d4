"""Tests of the `archviz` command through click's CliRunner (in-process) and `python -m archviz`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner
from conftest import ROOT
from torch import nn

from archviz.cli import main
from archviz.load import loader, userfile
from archviz.record import Trace

EXAMPLES = ROOT / "examples"
EXAMPLE_NAMES = ["gru", "mogrifier", "bilstm_classifier"]


def run(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args])


def write(tmp_path, name: str, source: str) -> str:
    path = tmp_path / name
    path.write_text(textwrap.dedent(source).lstrip("\n"), encoding="utf-8")
    return str(path)


def assert_usage_error(result) -> None:
    assert result.exit_code == 2, (result.exit_code, result.stderr, result.output)
    err = result.stderr
    assert err.startswith("archviz: error:"), err
    assert "Traceback" not in err and "Traceback" not in result.output
    assert "\n\n" not in err.strip()  # one paragraph
    assert "internal error" not in err


# ---------------------------------------------------------------------------------------------
# the three examples, rendered once per module
# ---------------------------------------------------------------------------------------------


class Rendered:
    def __init__(self, name: str, out: Path, result) -> None:
        self.name = name
        self.out = out
        self.result = result
        self.paths = [line for line in result.stdout.splitlines() if line.strip()]

    def text(self, ext: str) -> str:
        return (self.out / f"{self.name}.{ext}").read_text(encoding="utf-8")

    def data(self, ext: str) -> bytes:
        return (self.out / f"{self.name}.{ext}").read_bytes()


@pytest.fixture(scope="module", params=EXAMPLE_NAMES)
def rendered(request, tmp_path_factory) -> Rendered:
    name = request.param
    out = tmp_path_factory.mktemp(f"render-{name}")
    result = run("render", EXAMPLES / f"{name}.py", "-o", out, "--format", "svg,dot,json")
    return Rendered(name, out, result)


@pytest.fixture(scope="module")
def reference():
    """Model and plain forward-pass output of each example, loaded the way the CLI loads them."""
    cache: dict[str, tuple[nn.Module, torch.Tensor]] = {}

    def get(name: str) -> tuple[nn.Module, torch.Tensor]:
        if name not in cache:
            path = str(EXAMPLES / f"{name}.py")
            with userfile.user_path(path):
                found = loader.load(path)
            assert isinstance(found, loader.Loaded)
            with torch.no_grad():
                out = found.model(*found.args, **found.kwargs)
            cache[name] = (found.model, out)
        return cache[name]

    return get


@pytest.fixture(scope="module")
def gru_rendered(tmp_path_factory) -> Rendered:
    out = tmp_path_factory.mktemp("render-gru-main")
    return Rendered("gru", out, run("render", EXAMPLES / "gru.py", "-o", out, "--format", "svg,dot,json"))


def test_example_exit_code_and_printed_paths(rendered):
    assert rendered.result.exit_code == 0, rendered.result.stderr
    expected = {str(rendered.out / f"{rendered.name}.{ext}") for ext in ("svg", "dot", "json")}
    assert expected <= set(rendered.paths)
    extra = set(rendered.paths) - expected  # the recurrent cells' drill-in diagrams
    assert extra and all(".gates." in p and os.path.basename(p).startswith(rendered.name + ".") for p in extra)
    for p in rendered.paths:
        assert os.path.isfile(p) and os.path.getsize(p) > 0


def test_example_svg_parses(rendered):
    root = ET.fromstring(rendered.data("svg"))
    assert root.tag.endswith("svg")
    assert any(el.tag.endswith("g") for el in root.iter())


def test_example_json_output_shape_matches_forward_pass(rendered, reference):
    trace = Trace.from_json(rendered.text("json"))
    _, out = reference(rendered.name)
    assert trace.outputs[0].shape == tuple(out.shape)
    assert trace.failure is None
    assert trace.source_file == f"{rendered.name}.py"


def test_example_dot_names_every_linear_layer(rendered, reference):
    model, _ = reference(rendered.name)
    linears = [n for n, m in model.named_modules() if isinstance(m, nn.Linear)]
    assert linears
    dot_text = rendered.text("dot")
    missing = [n for n in linears if f"<B>{n}</B>" not in dot_text]
    assert not missing


def test_gru_linear_paths_are_the_expected_ones(reference):
    model, out = reference("gru")
    linears = {n for n, m in model.named_modules() if isinstance(m, nn.Linear)}
    assert "cells.0.update_gate" in linears and "cells.1.candidate" in linears
    assert tuple(out.shape) == (3, 5, 20)


# ---------------------------------------------------------------------------------------------
# views of gru.py: rolled, unrolled, depth
# ---------------------------------------------------------------------------------------------

UPDATE_GATE = "<B>cells.0.update_gate</B>"


def test_gru_rolled_has_loop(gru_rendered):
    dot_text = gru_rendered.text("dot")
    assert "loop ×5" in dot_text
    assert dot_text.count(UPDATE_GATE) == 1


def test_gru_unroll(gru_rendered, tmp_path):
    result = run("render", EXAMPLES / "gru.py", "-o", tmp_path, "--format", "dot", "--unroll")
    assert result.exit_code == 0, result.stderr
    unrolled = (tmp_path / "gru.dot").read_text(encoding="utf-8")
    rolled = gru_rendered.text("dot")
    assert "loop ×5" not in unrolled
    assert rolled.count(UPDATE_GATE) >= 1
    assert unrolled.count(UPDATE_GATE) == 5 * rolled.count(UPDATE_GATE)


def test_gru_depth_1(tmp_path):
    result = run("render", EXAMPLES / "gru.py", "-o", tmp_path, "--format", "dot", "--depth", "1")
    assert result.exit_code == 0, result.stderr
    dot_text = (tmp_path / "gru.dot").read_text(encoding="utf-8")
    labels = re.findall(r"label=(<<.*?>>)", dot_text)
    assert labels
    assert not [lb for lb in labels if "cells.0.update_gate" in lb]
    cell_labels = [lb for lb in labels if "<B>cells.0</B>" in lb]
    assert cell_labels
    assert all("(collapsed)" in lb for lb in cell_labels)


def test_negative_depth_is_usage_error(tmp_path):
    assert_usage_error(run("render", EXAMPLES / "gru.py", "-o", tmp_path, "--depth", "-1"))


def test_render_is_deterministic(gru_rendered, tmp_path):
    result = run("render", EXAMPLES / "gru.py", "-o", tmp_path, "--format", "svg,dot,json")
    assert result.exit_code == 0, result.stderr
    for ext in ("dot", "svg"):
        assert (tmp_path / f"gru.{ext}").read_bytes() == gru_rendered.data(ext), ext


# ---------------------------------------------------------------------------------------------
# usage errors (exit 2)
# ---------------------------------------------------------------------------------------------


def test_unknown_format(tmp_path):
    result = run("render", EXAMPLES / "gru.py", "-o", tmp_path, "--format", "gif")
    assert_usage_error(result)
    assert "gif" in result.stderr and "svg" in result.stderr
    assert not list(tmp_path.iterdir())  # nothing written


def test_missing_file(tmp_path):
    result = run("render", tmp_path / "absent.py", "-o", tmp_path / "out")
    assert_usage_error(result)
    assert "absent.py" in result.stderr and "no such file" in result.stderr


def test_directory(tmp_path):
    result = run("render", tmp_path, "-o", tmp_path / "out")
    assert_usage_error(result)
    assert "directory" in result.stderr


def test_malformed_input(tmp_path):
    result = run("render", EXAMPLES / "gru.py", "-o", tmp_path, "--input", "3x")
    assert_usage_error(result)
    assert "'3x'" in result.stderr and "spec" in result.stderr


def test_several_candidate_models(tmp_path):
    path = write(
        tmp_path,
        "two.py",
        """
        import torch
        from torch import nn

        class Left(nn.Module):
            def forward(self, x):
                return x + 1

        class Right(nn.Module):
            def forward(self, x):
                return x * 2

        example_inputs = torch.ones(2, 2)
        """,
    )
    result = run("render", path, "-o", tmp_path / "out")
    assert_usage_error(result)
    assert "Left" in result.stderr and "Right" in result.stderr and "--model" in result.stderr


def test_model_option_picks_candidate(tmp_path):
    path = write(
        tmp_path,
        "pick.py",
        """
        import torch
        from torch import nn

        class Left(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(2, 3)

            def forward(self, x):
                return self.fc(x)

        class Right(nn.Module):
            def forward(self, x):
                return x * 2

        example_inputs = torch.ones(4, 2)
        """,
    )
    result = run("render", path, "-o", tmp_path, "--format", "json", "--model", "Left")
    assert result.exit_code == 0, result.stderr
    trace = Trace.from_json((tmp_path / "pick.Left.json").read_text(encoding="utf-8"))
    assert trace.model_class == "Left" and trace.outputs[0].shape == (4, 3)


# ---------------------------------------------------------------------------------------------
# failures (exit 1)
# ---------------------------------------------------------------------------------------------

SHAPE_ERROR = """
import torch
from torch import nn


def build_model():
    return nn.Sequential(nn.Linear(4, 8), nn.Linear(16, 2))


def example_inputs():
    return torch.randn(3, 4)
"""


def test_syntax_error_exit_1(tmp_path):
    path = write(tmp_path, "broken.py", "import torch\n\n\ndef build_model(:\n    pass\n")
    result = run("render", path, "-o", tmp_path / "out")
    assert result.exit_code == 1, result.stderr
    assert result.stderr.startswith("archviz: error:")
    assert "broken.py:4" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def shape_error(tmp_path_factory):
    folder = tmp_path_factory.mktemp("shape-error")
    path = write(folder, "bad.py", SHAPE_ERROR)
    return folder, run("render", path, "-o", folder / "out", "--format", "svg,dot")


def test_forward_failure_writes_partial_diagram(shape_error):
    folder, result = shape_error
    assert result.exit_code == 1
    err = result.stderr
    assert "forward pass failed" in err
    assert "Linear" in err
    assert "Traceback" not in err and "internal error" not in err
    svg = folder / "out" / "bad.svg"
    assert svg.is_file()
    assert str(svg) in result.stdout
    text = svg.read_text(encoding="utf-8")
    ET.fromstring(text)
    assert "RuntimeError" in text or "mat1 and mat2" in text


def test_forward_failure_location_is_in_the_model_file(shape_error):
    _, result = shape_error
    locations = re.findall(r"\(([^()\s]+\.py):\d+\)", result.stderr)
    assert all(loc == "bad.py" for loc in locations), locations


# ---------------------------------------------------------------------------------------------
# script mode through the CLI
# ---------------------------------------------------------------------------------------------

SCRIPT = """
import torch
from torch import nn

if __name__ == "__main__":
    seq = nn.Sequential(nn.Linear(4, 3), nn.ReLU())
    with torch.no_grad():
        seq(torch.randn(2, 4))
        seq(torch.randn(5, 4))
"""


def test_script_mode_render(tmp_path):
    path = write(tmp_path, "script.py", SCRIPT)
    result = run("render", path, "-o", tmp_path, "--format", "json", "--call", "2")
    assert result.exit_code == 0, result.stderr
    trace = Trace.from_json((tmp_path / "script.json").read_text(encoding="utf-8"))
    assert trace.inputs[0].shape == (5, 4) and trace.outputs[0].shape == (5, 3)


def test_script_mode_call_beyond_last_names_the_call(tmp_path):
    path = write(tmp_path, "script.py", SCRIPT)
    result = run("render", path, "-o", tmp_path, "--format", "json", "--call", "3")
    assert result.exit_code == 1, result.stderr
    assert "made no nn.Module call" not in result.stderr
    assert "call number 3" in result.stderr and "2 top-level" in result.stderr


def test_script_raising_is_a_load_error(tmp_path):
    path = write(tmp_path, "crash.py", 'import torch\n\nif __name__ == "__main__":\n    raise RuntimeError("boom")\n')
    result = run("render", path, "-o", tmp_path / "out")
    assert result.exit_code == 1
    assert result.stderr.startswith("archviz: error:"), result.stderr
    assert "boom" in result.stderr
    assert "internal error" not in result.stderr


def test_script_forward_failure_is_reported_as_such(tmp_path):
    path = write(
        tmp_path,
        "scriptfail.py",
        """
        import torch
        from torch import nn

        if __name__ == "__main__":
            seq = nn.Sequential(nn.Linear(4, 8), nn.Linear(16, 2))
            seq(torch.randn(3, 4))
        """,
    )
    result = run("render", path, "-o", tmp_path / "out")
    assert result.exit_code == 1
    assert "internal error" not in result.stderr
    assert "forward pass failed" in result.stderr and "mat1 and mat2" in result.stderr
    svg = tmp_path / "out" / "scriptfail.svg"
    assert svg.is_file() and "RuntimeError" in svg.read_text(encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# python -m archviz, summary
# ---------------------------------------------------------------------------------------------


def test_python_m_help():
    done = subprocess.run(
        [sys.executable, "-m", "archviz", "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert re.search(r"^\s+render\b", done.stdout, re.M)
    assert re.search(r"^\s+summary\b", done.stdout, re.M)


def test_summary_gru(reference):
    model, _ = reference("gru")
    result = run("summary", EXAMPLES / "gru.py")
    assert result.exit_code == 0, result.stderr
    assert "StackedGRU" in result.stdout or "GRUCell" in result.stdout
    assert "Total params" in result.stdout
    total = sum(p.numel() for p in model.parameters())
    assert f"Total params: {total:,}" in result.stdout


def test_summary_usage_error(tmp_path):
    assert_usage_error(run("summary", tmp_path / "absent.py"))


def test_summary_of_a_plain_script(tmp_path):
    """`summary` finds the model as `render` does: a script with no build_model is run and its call summarised."""
    path = write(
        tmp_path,
        "pasted.py",
        """
        import torch
        from torch import nn

        net = nn.Sequential(nn.Linear(6, 9), nn.ReLU(), nn.Linear(9, 2))
        print(net(torch.randn(4, 6)).shape)
        """,
    )
    for extra in ([], ["--script"]):
        result = run("summary", path, *extra)
        assert result.exit_code == 0, result.stderr
        assert f"Total params: {6 * 9 + 9 + 9 * 2 + 2:,}" in result.stdout
        assert "[4, 2]" in result.stdout


def test_summary_script_without_that_call(tmp_path):
    path = write(tmp_path, "once.py", "import torch\nfrom torch import nn\n\nnn.Linear(2, 3)(torch.randn(1, 2))\n")
    result = run("summary", path, "--script", "--call", "2")
    assert result.exit_code == 1
    assert "no call number 2" in result.stderr
