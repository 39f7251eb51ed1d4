"""The bad-input catalogue: every way a user can hand archviz something wrong, through the CLI.

Each case checks the exit status (2 for usage mistakes, 1 for failures, 130 for Ctrl-C), that
stderr is one `archviz: ` paragraph without a Python traceback, and that it names the file,
option or module involved. The end of the file checks what archviz leaves behind: hostile names
escaped in every output format, the traced model unchanged, and atomic writes.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import types
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner
from conftest import ROOT
from torch import nn

import archviz.app.files
import archviz.draw.dot
import archviz.draw.graphviz
from archviz import capture
from archviz.app.files import write_atomic
from archviz.cli import main
from archviz.errors import RenderError
from archviz.record import Trace

EXAMPLES = ROOT / "examples"
GRU = EXAMPLES / "gru.py"
SVG_NS = "{http://www.w3.org/2000/svg}"


def run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args])


def write(folder: Path, name: str, source: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(source).lstrip("\n"), encoding="utf-8")
    return path


def check_message(result, exit_code: int, *words: str) -> str:
    """Exit status, one `archviz: ` paragraph on stderr, no traceback, and every word in it."""
    err = result.stderr
    assert result.exit_code == exit_code, (result.exit_code, err, result.stdout, result.exception)
    assert err.startswith("archviz: "), err
    assert "Traceback" not in err and "Traceback" not in result.stdout, err
    assert "internal error" not in err, err
    assert "\n\n" not in err.strip(), err  # one paragraph
    for word in words:
        assert word in err, (word, err)
    return err


def line_of(path: Path, code: str) -> int:
    """1-based number of the only line of `path` that contains `code`."""
    hits = [i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if code in line]
    assert len(hits) == 1, (code, hits)
    return hits[0]


def files_in(folder: Path) -> list[str]:
    return sorted(os.listdir(folder)) if folder.exists() else []


def svg_text(path: Path) -> str:
    """All text of an SVG, whitespace-normalised, so wrapped label lines read as one string."""
    root = ET.parse(path).getroot()
    return " ".join(" ".join((el.text or "").split()) for el in root.iter(SVG_NS + "text"))


def hook_count(model: nn.Module) -> int:
    return sum(
        len(m._forward_hooks) + len(m._forward_pre_hooks) + len(m._backward_hooks) + len(m._backward_pre_hooks)
        for m in model.modules()
    )


def no_global_tracing_state() -> None:
    mod = nn.modules.module
    assert not mod._global_forward_hooks and not mod._global_forward_pre_hooks
    assert torch._C._len_torch_function_stack() == 0


HEADER = """
import torch
from torch import nn
"""

LINEAR_MODEL = (
    HEADER
    + """

def build_model():
    return nn.Linear(2, 2)
"""
)


# ---------------------------------------------------------------------------------------------
# the file itself
# ---------------------------------------------------------------------------------------------


def test_file_missing(tmp_path):
    result = run("render", tmp_path / "absent.py", "-o", tmp_path / "out")
    check_message(result, 2, "absent.py", "no such file")
    assert not (tmp_path / "out").exists()


def test_not_a_python_file(tmp_path):
    path = write(tmp_path, "notes.txt", "hello\n")
    check_message(run("render", path, "-o", tmp_path / "out"), 2, "notes.txt", "not a Python file", ".py")


def test_a_directory(tmp_path):
    err = check_message(run("render", tmp_path, "-o", tmp_path / "out"), 2, "is a directory", "model.py")
    assert str(tmp_path) in err


def test_syntax_error_names_file_line_and_column(tmp_path):
    path = write(tmp_path, "broken.py", "import torch\n\ndef build_model(:\n    pass\n")
    err = check_message(run("render", path, "-o", tmp_path / "out"), 1, "syntax error")
    assert re.search(r"\bbroken\.py:3:\d+: syntax error", err), err


def test_import_error_names_the_missing_module(tmp_path):
    path = write(tmp_path, "needs.py", "import torch\nimport not_a_real_module_xyz\n")
    check_message(
        run("render", path, "-o", tmp_path / "out"), 1, "needs.py:2", "ModuleNotFoundError", "not_a_real_module_xyz"
    )


def test_file_raising_at_import_names_exception_and_line(tmp_path):
    path = write(tmp_path, "raiser.py", "import torch\n\nx = 1\nraise ValueError('config missing')\n")
    check_message(run("render", path, "-o", tmp_path / "out"), 1, "raiser.py:4", "ValueError", "config missing")


# ---------------------------------------------------------------------------------------------
# finding the model
# ---------------------------------------------------------------------------------------------


def test_no_model_found_lists_what_was_found(tmp_path):
    path = write(
        tmp_path,
        "nomodel.py",
        HEADER
        + textwrap.dedent("""
        class Net(nn.Module):
            def __init__(self, width):
                super().__init__()
                self.fc = nn.Linear(4, width)

            def forward(self, x):
                return self.fc(x)


        def helper():
            return 1
        """),
    )
    check_message(
        run("render", path, "-o", tmp_path / "out"),
        2,
        "nomodel.py",
        "no model found",
        "Net (needs arguments)",
        "helper",
        "build_model()",
        "--model",
    )


def test_several_candidate_classes_suggest_model_option(tmp_path):
    path = write(
        tmp_path,
        "two.py",
        HEADER
        + textwrap.dedent("""
        class Left(nn.Module):
            def forward(self, x):
                return x + 1


        class Right(nn.Module):
            def forward(self, x):
                return x * 2


        example_inputs = torch.ones(2, 2)
        """),
    )
    check_message(run("render", path, "-o", tmp_path / "out"), 2, "two.py", "Left", "Right", "--model")


def test_model_option_on_a_class_that_needs_arguments(tmp_path):
    path = write(
        tmp_path,
        "ctor.py",
        HEADER
        + textwrap.dedent("""
        class Net(nn.Module):
            def __init__(self, width):
                super().__init__()
                self.fc = nn.Linear(4, width)

            def forward(self, x):
                return self.fc(x)


        example_inputs = torch.ones(2, 4)
        """),
    )
    check_message(
        run("render", path, "-o", tmp_path / "out", "--model", "Net"),
        2,
        "ctor.py",
        "Net needs constructor arguments",
        "width",
        "build_model()",
    )


# ---------------------------------------------------------------------------------------------
# finding the inputs
# ---------------------------------------------------------------------------------------------


def test_no_inputs_found_suggests_input_and_example_inputs(tmp_path):
    path = write(tmp_path, "noinputs.py", LINEAR_MODEL)
    check_message(
        run("render", path, "-o", tmp_path / "out"), 2, "noinputs.py", "no inputs", "--input", "example_inputs"
    )


@pytest.mark.parametrize("spec", ["3x", "x3", "axb", "3x-1", "3.5x2", "3 x 4", "", "complex:2x3", "long:", "3x5x10x"])
def test_malformed_input_spec(tmp_path, spec):
    result = run("render", GRU, "-o", tmp_path / "out", "--input", spec)
    check_message(result, 2, f"--input {spec!r}", "not a tensor spec", "3x5x10", "long:8x20")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("spec", ["99999999999999999999999", "10000000000x10000000000"])
def test_input_spec_with_impossible_sizes_is_a_usage_error(tmp_path, spec):
    result = run("render", GRU, "-o", tmp_path / "out", "--input", spec)
    check_message(result, 2, f"--input {spec!r}")


@pytest.mark.parametrize(
    ("value", "type_name"),
    [('"abc"', "str"), ("42", "int"), ("{1: torch.ones(2, 2)}", "dict"), ("lambda: {torch.ones(2)}", "set")],
)
def test_example_inputs_of_the_wrong_type(tmp_path, value, type_name):
    path = write(tmp_path, "badinputs.py", LINEAR_MODEL + f"\nexample_inputs = {value}\n")
    check_message(
        run("render", path, "-o", tmp_path / "out"), 2, "badinputs.py", f"example_inputs gave a {type_name}", "tensor"
    )


# ---------------------------------------------------------------------------------------------
# what forward returns
# ---------------------------------------------------------------------------------------------

RETURNS = (
    HEADER
    + """

class Returner(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)

    def forward(self, x):
        y = self.fc(x)
        return {value}


def build_model():
    return Returner()


def example_inputs():
    return torch.ones(3, 2)
"""
)


@pytest.mark.parametrize(
    ("value", "shown"), [("None", "NoneType"), ("'hello'", "str"), ("(t for t in [y])", "generator")]
)
def test_forward_returning_no_tensor(tmp_path, value, shown):
    path = write(tmp_path, "ret.py", RETURNS.replace("{value}", value))
    out = tmp_path / "out"
    result = run("render", path, "-o", out)
    check_message(result, 1, "Returner.forward", "ret.py", f"returned {shown}", "holds no tensor")
    assert "ret.svg" in files_in(out)  # the diagram of what ran is still written
    assert str(out / "ret.svg") in result.stdout
    ET.parse(out / "ret.svg")


def test_forward_returning_a_nested_dict_is_supported(tmp_path):
    path = write(tmp_path, "nested.py", RETURNS.replace("{value}", "{'a': {'b': y, 'c': y * 2}, 'd': x}"))
    out = tmp_path / "out"
    result = run("render", path, "-o", out, "--format", "svg,json")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    trace = Trace.from_json((out / "nested.json").read_text(encoding="utf-8"))
    assert [(t.path, t.shape) for t in trace.outputs] == [
        ("output['a']['b']", (3, 2)),
        ("output['a']['c']", (3, 2)),
        ("output['d']", (3, 2)),
    ]
    assert trace.failure is None and (out / "nested.svg").is_file()


def test_forward_returning_a_long_list_of_tensors_is_not_called_empty(tmp_path):
    path = write(tmp_path, "many.py", RETURNS.replace("{value}", "[y * i for i in range(70)]"))
    result = run("render", path, "-o", tmp_path / "out", "--format", "json")
    assert "holds no tensor" not in result.stderr
    assert result.exit_code == 0, result.stderr


# ---------------------------------------------------------------------------------------------
# building the model
# ---------------------------------------------------------------------------------------------


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine where CUDA is unavailable")
def test_model_built_on_an_unavailable_device(tmp_path):
    path = write(
        tmp_path,
        "oncuda.py",
        HEADER
        + textwrap.dedent("""
        def build_model():
            return nn.Linear(2, 2).to("cuda")


        def example_inputs():
            return torch.ones(3, 2)
        """),
    )
    out = tmp_path / "out"
    line = line_of(path, '.to("cuda")')
    err = check_message(run("render", path, "-o", out), 1, f"oncuda.py:{line}", "build_model()", "failed")
    assert "cuda" in err.lower()
    assert files_in(out) == []


# ---------------------------------------------------------------------------------------------
# output and Graphviz
# ---------------------------------------------------------------------------------------------


def test_output_folder_that_cannot_be_created(tmp_path):
    blocker = tmp_path / "somefile"
    blocker.write_text("not a folder", encoding="utf-8")
    result = run("render", GRU, "-o", blocker / "out")
    check_message(result, 1, "output folder", str(blocker / "out"), "-o/--out")
    assert blocker.read_text(encoding="utf-8") == "not a folder"


def test_output_folder_that_is_a_file(tmp_path):
    blocker = tmp_path / "somefile"
    blocker.write_text("not a folder", encoding="utf-8")
    check_message(run("render", GRU, "-o", blocker), 1, "output folder", str(blocker), "-o/--out")
    assert blocker.read_text(encoding="utf-8") == "not a folder"


@pytest.mark.parametrize("fmt", ["gif", "svg,gif", ","])
def test_unknown_format(tmp_path, fmt):
    out = tmp_path / "out"
    check_message(run("render", GRU, "-o", out, "--format", fmt), 2, f"--format {fmt!r}", "svg, png, pdf, dot, json")
    assert not out.exists()


def test_graphviz_missing_keeps_the_dot_file(tmp_path, monkeypatch):
    monkeypatch.setattr(archviz.draw.graphviz.shutil, "which", lambda name, *a, **k: None)
    out = tmp_path / "out"
    check_message(
        run("render", GRU, "-o", out), 1, "Graphviz", "`dot`", "apt-get install graphviz", ".dot file was written"
    )
    assert "gru.dot" in files_in(out)
    assert not [f for f in files_in(out) if not f.endswith(".dot")]
    assert (out / "gru.dot").read_text(encoding="utf-8").startswith("digraph archviz {")


def test_graphviz_failing_reports_its_stderr(tmp_path, monkeypatch):
    def failing_run(cmd, *args, **kwargs):
        return subprocess.CompletedProcess(cmd, 3, stdout=b"", stderr=b"boom")

    monkeypatch.setattr(archviz.draw.graphviz.subprocess, "run", failing_run)
    out = tmp_path / "out"
    check_message(run("render", GRU, "-o", out), 1, "Graphviz", "-Tsvg", "status 3", "boom")
    assert "gru.dot" in files_in(out)  # the source is kept
    assert not [f for f in files_in(out) if f.endswith(".svg") or f.endswith(".tmp")]


def test_graph_too_large_is_collapsed_and_says_so(tmp_path):
    out = tmp_path / "out"
    result = run("render", GRU, "-o", out, "--input", "3x30x10", "--unroll", "--max-nodes", "100")
    check_message(result, 0, "--max-nodes 100", "boxes", "instead")
    assert "gru.svg" in files_in(out) and str(out / "gru.svg") in result.stdout
    ET.parse(out / "gru.svg")


# ---------------------------------------------------------------------------------------------
# Ctrl-C
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def probe(monkeypatch):
    """A module the model file can import to hand its model instance back to the test."""
    ns = types.ModuleType("_archviz_robustness_probe")
    ns.built = []
    monkeypatch.setitem(sys.modules, ns.__name__, ns)
    return ns


def test_ctrl_c_during_tracing(tmp_path, probe):
    path = write(
        tmp_path,
        "stop.py",
        HEADER
        + textwrap.dedent("""
        import _archviz_robustness_probe as probe


        class Stop(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(2, 2)

            def forward(self, x):
                self.fc(x)
                raise KeyboardInterrupt


        def build_model():
            model = Stop()
            probe.built.append(model)
            return model


        def example_inputs():
            return torch.ones(3, 2)
        """),
    )
    out = tmp_path / "out"
    result = run("render", path, "-o", out, "--format", "svg,dot,json")
    check_message(result, 130, "interrupted")
    assert files_in(out) == []
    assert result.stdout == ""
    [model] = probe.built
    assert hook_count(model) == 0
    assert model.training and model.fc.training
    no_global_tracing_state()


def test_ctrl_c_in_a_script_model_call(tmp_path):
    path = write(
        tmp_path,
        "stopscript.py",
        HEADER
        + textwrap.dedent("""
        class Stop(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(2, 2)

            def forward(self, x):
                self.fc(x)
                raise KeyboardInterrupt


        net = Stop()
        net(torch.ones(1, 2))
        """),
    )
    out = tmp_path / "out"
    check_message(run("render", path, "-o", out), 130, "interrupted")
    assert files_in(out) == []
    no_global_tracing_state()


def test_ctrl_c_during_rendering(tmp_path, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(archviz.draw.graphviz, "render", interrupted)
    out = tmp_path / "out"
    check_message(run("render", GRU, "-o", out), 130, "interrupted")
    left = files_in(out)
    assert not [f for f in left if f.endswith(".svg")], left
    assert not [f for f in left if f.startswith(".archviz-") or f.endswith(".tmp")], left


# ---------------------------------------------------------------------------------------------
# --debug
# ---------------------------------------------------------------------------------------------


def test_debug_shows_the_traceback_of_a_load_failure(tmp_path):
    path = write(tmp_path, "raiser.py", "import torch\n\nraise ValueError('config missing')\n")
    result = run("render", path, "-o", tmp_path / "out", "--debug")
    assert result.exit_code == 1
    assert "Traceback" in result.stderr
    assert result.stderr.rstrip("\n").splitlines()[-1].startswith("archviz: error: raiser.py:3")


def test_debug_shows_the_traceback_of_a_usage_error(tmp_path):
    path = write(tmp_path, "noinputs.py", LINEAR_MODEL)
    result = run("render", path, "-o", tmp_path / "out", "--debug")
    assert result.exit_code == 2
    assert "Traceback" in result.stderr and "NoInputsError" in result.stderr


# ---------------------------------------------------------------------------------------------
# the forward pass fails: where, with which shapes, and the partial diagram
# ---------------------------------------------------------------------------------------------

BLOCK_ADD = (
    HEADER
    + """

class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 8)
        self.b = nn.Linear(4, 6)

    def forward(self, x):
        return self.a(x) + self.b(x)


def build_model():
    return Block()


def example_inputs():
    return torch.randn(3, 4)
"""
)

ADD_ERROR = "The size of tensor a (8) must match the size of tensor b (6) at non-singleton dimension 1"


def test_failing_forward_pass_at_an_add(tmp_path):
    path = write(tmp_path, "block.py", BLOCK_ADD)
    out = tmp_path / "out"
    result = run("render", path, "-o", out)
    check_message(
        result,
        1,
        "forward pass failed",
        "Block.forward",
        f"block.py:{line_of(path, 'self.a(x) + self.b(x)')}",
        "add",
        "[3, 8]",
        "[3, 6]",
        "RuntimeError",
        ADD_ERROR,
        f"partial diagram written to {out / 'block.svg'}",
    )
    svg = out / "block.svg"
    assert svg.is_file() and str(svg) in result.stdout
    assert ADD_ERROR in svg_text(svg)


def test_debug_shows_the_traceback_of_a_forward_failure(tmp_path):
    path = write(tmp_path, "block.py", BLOCK_ADD)
    result = run("render", path, "-o", tmp_path / "out", "--debug")
    assert result.exit_code == 1
    assert "Traceback" in result.stderr
    assert "block.py" in result.stderr.split("Traceback", 1)[1]


def test_failing_cat_is_located_at_cat_with_both_shapes(tmp_path):
    path = write(
        tmp_path,
        "catter.py",
        HEADER
        + textwrap.dedent("""
        class Joiner(nn.Module):
            def __init__(self):
                super().__init__()
                self.a = nn.Linear(4, 8)
                self.b = nn.Linear(4, 6)

            def forward(self, x):
                return torch.cat([self.a(x), self.b(x[:2])], dim=1)


        def build_model():
            return Joiner()


        def example_inputs():
            return torch.randn(3, 4)
        """),
    )
    out = tmp_path / "out"
    err = check_message(
        run("render", path, "-o", out),
        1,
        "forward pass failed",
        "Joiner.forward",
        f"catter.py:{line_of(path, 'torch.cat(')}",
        "[3, 8]",
        "[2, 6]",
        "Sizes of tensors must match",
        "partial diagram written to",
    )
    assert re.search(r"at op \S*cat with inputs", err), err
    assert (out / "catter.svg").is_file()


def test_script_that_fails_at_top_level_draws_the_failing_linear(tmp_path):
    path = write(
        tmp_path,
        "tagger.py",
        HEADER
        + textwrap.dedent("""
        class Tagger(nn.Module):
            # written for (batch, seq, feat) input
            def __init__(self):
                super().__init__()
                self.proj = nn.Linear(5 * 10, 7)

            def forward(self, x):
                batch = x.size(0)
                flat = x.reshape(batch, -1)
                return self.proj(flat)


        net = Tagger()
        x = torch.randn(5, 2, 10)  # (seq, batch, feat): dim 0 is not the batch
        print(net(x).shape)
        """),
    )
    out = tmp_path / "out"
    result = run("render", path, "-o", out, "--format", "svg,json")
    check_message(
        result,
        1,
        "forward pass failed",
        "Tagger.forward",
        "Linear 'proj'",
        "[5, 20]",
        "mat1 and mat2",
        "partial diagram written to",
    )
    trace = Trace.from_json((out / "tagger.json").read_text(encoding="utf-8"))
    failing = trace.call(trace.failure.call)
    assert (failing.name, failing.type) == ("proj", "Linear")
    error_fill = archviz.draw.dot.COLOURS["error"][0]
    red = []
    for g in ET.parse(out / "tagger.svg").getroot().iter(SVG_NS + "g"):
        if g.get("class") == "node" and g.get("id") != "legend-table":
            if any(el.get("fill") == error_fill for el in g.iter()):
                red.append((g.get("id"), [el.text for el in g.iter(SVG_NS + "text")][:2]))
    assert red == [(failing.id, ["proj", "Linear"])]


# ---------------------------------------------------------------------------------------------
# safety: hostile names in every output format
# ---------------------------------------------------------------------------------------------

HOSTILE = (
    HEADER
    + r"""

EVIL = "<script>alert(1)</script>\" ' {brace} }{ \\ \\N back\nnew line &amp; onload=alert(2)"


def _forward(self, x):
    for child in self.children():
        x = child(x)
    return x


Evil = type(EVIL, (nn.Module,), {"forward": _forward})


def build_model():
    model = Evil()
    model.add_module(EVIL, nn.Linear(3, 3))
    inner = nn.Sequential()
    inner.add_module(EVIL + "2", nn.Tanh())
    model.add_module("x" + EVIL, inner)
    return model


def example_inputs():
    return torch.randn(2, 3)
"""
)
EVIL = "<script>alert(1)</script>\" ' {brace} }{ \\ \\N back\nnew line &amp; onload=alert(2)"


def test_hostile_names_in_svg_dot_and_json(tmp_path):
    path = tmp_path / "hostile.py"
    path.write_text(HOSTILE, encoding="utf-8")
    out = tmp_path / "out"
    result = run("render", path, "-o", out, "--format", "svg,dot,json")
    assert result.exit_code == 0, (result.stderr, result.exception)
    assert files_in(out) == ["hostile.dot", "hostile.json", "hostile.svg"]

    root = ET.parse(out / "hostile.svg").getroot()
    assert not [el for el in root.iter() if el.tag.split("}")[-1].lower() == "script"]
    assert not [(el.tag, k) for el in root.iter() for k in el.attrib if k.split("}")[-1].lower().startswith("on")]
    assert "<script" not in (out / "hostile.svg").read_text(encoding="utf-8").lower()
    assert "alert(1)" in svg_text(out / "hostile.svg")  # drawn as text, not dropped

    if shutil.which("dot") is not None:
        done = subprocess.run(
            ["dot", "-Tcanon", str(out / "hostile.dot")], capture_output=True, timeout=60, check=False
        )
        assert done.returncode == 0, done.stderr.decode()
        assert not done.stderr.strip(), done.stderr.decode()

    text = (out / "hostile.json").read_text(encoding="utf-8")
    trace = Trace.from_json(text)
    assert trace.to_json() == text
    assert trace.model_class == EVIL
    names = [c.name for c in trace.calls if c.kind == "module"]
    assert names == ["", EVIL, "x" + EVIL, "x" + EVIL + "." + EVIL + "2"]
    assert json.loads(text)["model_class"] == EVIL


# ---------------------------------------------------------------------------------------------
# the traced model is left exactly as it was
# ---------------------------------------------------------------------------------------------


class _Recurrent(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.rnn = nn.GRU(8, 5, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(x)
        return out


class _Mixed(nn.Module):
    def __init__(self, head_in: int) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.3), nn.Tanh())
        self.rec = _Recurrent()
        self.head = nn.Linear(head_in, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.eval()  # a forward that changes its own mode: the user's flags must come back
        return self.head(self.rec(self.body(x)))


def _state(model: nn.Module) -> dict[str, object]:
    return {
        "values": {k: v.detach().clone() for k, v in model.state_dict().items()},
        "training": {n: m.training for n, m in model.named_modules()},
        "requires_grad": {n: p.requires_grad for n, p in model.named_parameters()},
        "hooks": {
            n: (
                dict(m._forward_hooks),
                dict(m._forward_pre_hooks),
                dict(m._forward_hooks_with_kwargs),
                dict(m._forward_hooks_always_called),
                dict(m._forward_pre_hooks_with_kwargs),
            )
            for n, m in model.named_modules()
        },
    }


def _assert_unchanged(model: nn.Module, before: dict[str, object]) -> None:
    after = _state(model)
    assert after["training"] == before["training"]
    assert after["requires_grad"] == before["requires_grad"]
    assert after["hooks"] == before["hooks"]
    values_before = before["values"]
    assert isinstance(values_before, dict)
    assert list(after["values"]) == list(values_before)
    for k, v in after["values"].items():
        assert torch.equal(v, values_before[k]), k
    no_global_tracing_state()


def _prepared(head_in: int) -> tuple[nn.Module, list[str]]:
    torch.manual_seed(0)
    model = _Mixed(head_in).train()
    model.body.eval()
    model.body[1].train()  # a mix: Dropout trains inside an eval Sequential
    model.rec.rnn.eval()
    model.body[0].weight.requires_grad_(False)
    model.rec.rnn.bias_hh_l0.requires_grad_(False)
    seen: list[str] = []
    model.head.register_forward_hook(lambda m, i, o: seen.append("user hook"))  # the user's own hook stays
    return model, seen


@pytest.mark.parametrize("grad", [False, True])
def test_model_is_left_as_it_was_after_a_successful_trace(grad):
    model, seen = _prepared(head_in=5)
    before = _state(model)
    grad_mode = torch.is_grad_enabled()
    trace = capture.trace_model(model, (torch.randn(3, 6, 4),), grad=grad)
    assert trace.failure is None and trace.outputs[0].shape == (3, 6, 2)
    assert seen == ["user hook"]
    assert torch.is_grad_enabled() == grad_mode
    assert all(p.grad is None for p in model.parameters())
    _assert_unchanged(model, before)


def test_model_is_left_as_it_was_after_a_failing_trace():
    model, seen = _prepared(head_in=7)  # the GRU gives 5 features, the head wants 7
    before = _state(model)
    trace = capture.trace_model(model, (torch.randn(3, 6, 4),))
    assert trace.failure is not None and trace.call(trace.failure.call).name == "head"
    assert seen == []
    _assert_unchanged(model, before)


def test_batchnorm_running_stats_are_left_as_they_were():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU()).train()
    before = _state(model)
    trace = capture.trace_model(model, (torch.randn(5, 3),))
    assert trace.failure is None
    _assert_unchanged(model, before)


# ---------------------------------------------------------------------------------------------
# atomic writes
# ---------------------------------------------------------------------------------------------


def test_atomic_write_replaces_the_whole_file(tmp_path):
    target = tmp_path / "diagram.svg"
    target.write_text("old", encoding="utf-8")
    assert write_atomic(str(target), "new ✓") == str(target)
    assert target.read_text(encoding="utf-8") == "new ✓"
    assert files_in(tmp_path) == ["diagram.svg"]


def test_atomic_write_failing_replace_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "diagram.svg"
    target.write_bytes(b"previous content")

    def broken_replace(src, dst, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(archviz.app.files.os, "replace", broken_replace)
    with pytest.raises(RenderError) as info:
        write_atomic(str(target), b"new content")
    assert str(target) in str(info.value) and "No space left on device" in str(info.value)
    assert target.read_bytes() == b"previous content"
    assert files_in(tmp_path) == ["diagram.svg"]


def test_atomic_write_interrupted_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "diagram.svg"
    target.write_bytes(b"previous content")

    def interrupted_replace(src, dst, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(archviz.app.files.os, "replace", interrupted_replace)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(str(target), "new content")
    assert target.read_bytes() == b"previous content"
    assert files_in(tmp_path) == ["diagram.svg"]


def test_cli_write_failure_is_a_clean_error(tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    (out / "gru.svg").write_bytes(b"previous diagram")

    def broken_replace(src, dst, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(archviz.app.files.os, "replace", broken_replace)
    check_message(run("render", GRU, "-o", out), 1, "could not write", str(out / "gru.svg"), "No space left on device")
    assert not [f for f in files_in(out) if f.startswith(".archviz-") or f.endswith(".tmp")]
    assert (out / "gru.svg").read_bytes() == b"previous diagram"
