"""The bugs of the three pasted scripts archviz was first asked about (tests/doctor/seed): a Mogrifier
LSTM whose state is sized by the sequence length, a classifier whose LSTM reads the batch as time and
whose softmax feeds a CrossEntropyLoss, and a gate cell whose four gates share one Linear.

They are scripts (no build_model, no example_inputs): `archviz doctor FILE` runs them as they are, with
no flag, and re-runs the model call the script made to learn where sizes come from."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from archviz.cli import main

SEED = Path(__file__).resolve().parent / "seed"


def doctor(name: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["doctor", str(SEED / name)])
    return result.exit_code, result.stdout


def test_the_mogrifier_script_says_where_the_5_comes_from() -> None:
    code, out = doctor("mogrifier_script.py")
    assert code == 1
    assert "mogrifier_script.py:20: error [shape-clash]" in out
    assert "5 was given to zeros at line 20" in out
    assert (
        "5 = `input.size(0)` at line 18, which is T (dim 0 of a [5, 3, 10] sequence-first input); the batch is dim 1"
        in out
    )
    axes = next(line for line in out.splitlines() if line.startswith("axes:"))
    assert "T = 5 (input dim 0" in axes and "B = 3 (input dim 1" in axes


def test_the_classifier_script_gets_both_bugs_with_no_flag() -> None:
    code, out = doctor("classifier_script.py")
    assert code == 1
    assert "classifier_script.py:9: warning [layout] LSTM 'lstm' reads the batch axis as time" in out
    assert "classifier_script.py:14: warning [probabilities]" in out
    # the axes line agrees with the finding: dim 0 of the tokens is the batch, dim 1 time
    axes = next(line for line in out.splitlines() if line.startswith("axes:"))
    assert "B = 4 (tokens dim 0" in axes and "T = 12 (tokens dim 1" in axes


def test_the_gate_cell_script_names_the_shared_weight() -> None:
    code, out = doctor("gate_cell_script.py")
    assert code == 1
    line = next(line for line in out.splitlines() if "[shared-gate]" in line)
    assert line.startswith("gate_cell_script.py:15: warning [shared-gate]")
    assert "i, f, o and g" in line and "gate" in line
