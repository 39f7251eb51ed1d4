"""Files people paste, and files rendered side by side in one process."""

from __future__ import annotations

from click.testing import CliRunner
from conftest import MODELS

import archviz
from archviz.cli import main
from archviz.record import Trace


def run(*args: object):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, [str(a) for a in args])


def test_a_pasted_script_renders_without_script_mode(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = run("render", MODELS / "pasted_script.py", "-o", tmp_path, "--format", "json,svg", "-q")
    assert result.exit_code == 0, result.stderr
    trace = Trace.from_json((tmp_path / "pasted_script.json").read_text(encoding="utf-8"))
    assert trace.inputs[0].shape == (4, 1, 12, 12) and trace.outputs[0].shape == (4, 10)
    assert [c.name for c in trace.calls if c.depth == 1] == [str(i) for i in range(10)]


def test_a_model_without_inputs_says_how_to_give_them(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "bare.py"
    path.write_text("from torch import nn\n\nmodel = nn.Linear(3, 2)\n", encoding="utf-8")
    result = run("render", path, "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert "--input" in result.stderr and "--script" in result.stderr and "example_inputs" in result.stderr


def test_two_files_with_same_named_siblings_each_get_their_own(tmp_path) -> None:  # type: ignore[no-untyped-def]
    first = archviz.render(MODELS / "sibling_a" / "model.py", out=tmp_path / "a", formats="json")
    second = archviz.render(MODELS / "sibling_b" / "model.py", out=tmp_path / "b", formats="json")
    a = Trace.from_json(open(first[0], encoding="utf-8").read())
    b = Trace.from_json(open(second[0], encoding="utf-8").read())
    assert {c.type for c in a.calls if c.name in ("block1", "block2")} == {"Block"}
    assert "TemporalConvBlock" in {c.type for c in b.calls} and "Block" not in {c.type for c in b.calls}
    assert b.outputs[0].shape == (2, 5) and a.outputs[0].shape == (3, 4)
    again = archviz.render(MODELS / "sibling_a" / "model.py", out=tmp_path / "a2", formats="json")
    assert Trace.from_json(open(again[0], encoding="utf-8").read()).outputs == a.outputs


def test_summary_counts_tied_weights_once(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = run("summary", MODELS / "tied_lm.py")
    assert result.exit_code == 0, result.stderr
    assert "Total params: 5,202" in result.stdout
    assert "encoder.weight = decoder.weight" in result.stdout


def test_torchscript_and_dataclass_models_render(tmp_path) -> None:  # type: ignore[no-untyped-def]
    for name in ("torchscript_part", "dataclass_io"):
        result = run("render", MODELS / f"{name}.py", "-o", tmp_path, "--format", "svg", "-q")
        assert result.exit_code == 0, (name, result.stderr)
    svg = (tmp_path / "dataclass_io.svg").read_text(encoding="utf-8")
    assert "input batch.mask" in svg and "output.logits" in svg
    assert "TorchScript: not traced inside" in (tmp_path / "torchscript_part.svg").read_text(encoding="utf-8")
