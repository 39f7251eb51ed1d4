"""batch-mix (analysis/doctor/mixing.py) and probabilities (analysis/doctor/logits.py) on the silent corpus
and on fixtures of their own: each normalisation over the batch axis, and each activation whose scores a
loss expecting logits reads, found at its line; correct variants without a warning."""

from __future__ import annotations

from pathlib import Path

import pytest
from rulecases import SILENT, WRITTEN, expected, findings, fixtures, found_at, serious, silent

from archviz.kinds import Severity

CODES = {"batch-mix", "probabilities"}
ENTRIES = silent(CODES)
MIXING = Path(__file__).resolve().parent / "rules" / "mixing"


@pytest.mark.parametrize("entry", ENTRIES, ids=[Path(e["file"]).stem for e in ENTRIES])
def test_each_silent_bug_is_found_at_its_line(entry: dict) -> None:
    hit = found_at(SILENT / entry["file"], entry["line"], entry["code"])
    assert hit.severity == Severity.WARNING


@pytest.mark.parametrize("entry", ENTRIES, ids=[Path(e["twin"]).stem for e in ENTRIES])
def test_each_twin_is_clean(entry: dict) -> None:
    assert not serious(SILENT / entry["twin"], CODES)


@pytest.mark.parametrize("path", fixtures("mixing", "bad"), ids=lambda p: p.stem)
def test_own_bugs_are_found_at_their_line(path: Path) -> None:
    line, code = expected(path)
    assert found_at(path, line, code).severity == Severity.WARNING


@pytest.mark.parametrize("path", fixtures("mixing", "good"), ids=lambda p: p.stem)
def test_own_correct_variants_are_clean(path: Path) -> None:
    assert not serious(path, CODES)


@pytest.mark.parametrize("path", WRITTEN, ids=lambda p: p.stem)
def test_no_warning_on_the_written_public_models(path: Path) -> None:
    assert not serious(path, CODES)


def test_the_batch_is_named_from_evidence_and_the_finding_says_which() -> None:
    """A hand-written LayerNorm over dim 0: B comes from the axis every input and output leads with and a
    Linear maps row by row; the finding names the axes and groups the two statistics of one line."""
    hit = found_at(SILENT / "bad/batch-mix_layernorm_dim0.py", 21, "batch-mix")
    assert hit.title == "mean(dim=0) and var(dim=0) over the batch axis B, applied per sample"
    assert hit.seen.startswith("mean(dim=0) and var(dim=0) on [B=4, 7, 12]: dim 0 is B (")
    assert "Linear 'ffn.0' maps it row by row" in hit.seen
    assert len([f for f in findings(SILENT / "bad/batch-mix_layernorm_dim0.py") if f.code == "batch-mix"]) == 1


def test_a_softmax_module_in_a_sequential_points_at_the_line_that_built_it() -> None:
    hit = found_at(SILENT / "bad/batch-mix_policy_softmax_dim0.py", 18, "batch-mix")
    assert hit.title.startswith("nn.Softmax(dim=0) '3' normalises over the batch axis B")
    assert "[B=5, 2]" in hit.seen
    # built without a dim, torch's legacy choice for a 3-D input is dim 0: the finding says dim=0
    implicit = found_at(MIXING / "bad_tagger_softmax_implicit_dim.py", 23, "batch-mix")
    assert "nn.Softmax(dim=0)" in implicit.title


def test_the_loss_decides_the_severity_of_a_returned_activation() -> None:
    """Named in code as a logits loss: a warning; a probability loss: nothing; no loss named: a note."""
    bce = found_at(SILENT / "bad/probabilities_sigmoid_bce.py", 24, "probabilities")
    assert "BCEWithLogitsLoss" in bce.seen and "sigmoid" in bce.why
    assert not [f for f in findings(MIXING / "good_segmenter_sigmoid_bce.py") if f.code == "probabilities"]
    policy = [f for f in findings(SILENT / "good/batch-mix_policy_softmax_dim0.py") if f.code == "probabilities"]
    assert [f.severity for f in policy] == [Severity.NOTE] and "names no loss" in policy[0].seen


def test_a_loss_in_the_forward_pass_is_read_directly() -> None:
    hit = found_at(MIXING / "bad_loss_in_forward_softmax.py", 21, "probabilities")
    assert hit.title == "cross_entropy reads probabilities made by softmax; it expects logits"
    assert "cross_entropy at line 22 reads them" in hit.seen
