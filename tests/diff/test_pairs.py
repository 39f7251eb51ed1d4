"""`archviz diff` on changes people really make, each pair a small model file in tests/diff/pairs/.

The checkpoint verdicts are checked against torch itself: OLD's state dict, renamed by the diff's map
and stripped of the keys it calls reshaped, is loaded into NEW with `load_state_dict(strict=False)`, and
torch's missing and unexpected keys must be exactly the diff's.
"""

from __future__ import annotations

import pytest
from diffpairs import build, diff_of, side

from archviz.diff import NO_CHANGE, to_text


def _torch_verdict(old: str, new: str, renames: dict[str, str], reshaped: set[str]) -> tuple[set[str], set[str]]:
    state = {renames.get(k, k): v for k, v in build(old).state_dict().items() if k not in reshaped}
    result = build(new).load_state_dict(state, strict=False)
    return set(result.missing_keys), set(result.unexpected_keys)


@pytest.mark.parametrize("pair", ["widen", "residual", "norm", "rename", "batch_first", "stack", "gates"])
def test_checkpoint_verdict_is_torchs(pair: str) -> None:
    d = diff_of(f"{pair}_old", f"{pair}_new")
    ck = d.checkpoint
    assert ck.complete
    renames = dict(ck.renames)
    reshaped = {k for k, _, _ in ck.mismatched}
    missing, unexpected = _torch_verdict(f"{pair}_old", f"{pair}_new", renames, reshaped)
    assert {k for k, _ in ck.missing} == missing - {renames.get(k, k) for k in reshaped}
    assert {k for k, _ in ck.unexpected} == unexpected
    new_state = build(f"{pair}_new").state_dict()
    for key, old_shape, new_shape in ck.mismatched:
        assert tuple(new_state[dict(ck.renames).get(key, key)].shape) == new_shape != old_shape


def test_widening_a_layer() -> None:
    d = diff_of("widen_old", "widen_new")
    changed = {c.path: c for c in d.changed}
    assert set(changed) == {"fc1", "act", "fc2"}
    assert "weight [32, 16] → [64, 16]" in changed["fc1"].what
    assert changed["fc1"].params == (544, 1088)
    assert "out_features=32 → 64" in changed["fc1"].what  # constructor arguments, from the record
    assert {(e.src, e.dst, e.old, e.new) for e in d.edges} == {
        ("fc1", "act", (8, 32), (8, 64)),
        ("act", "fc2", (8, 32), (8, 64)),
    }
    assert not d.added and not d.removed and not d.renamed and not d.outputs
    assert {k for k, _, _ in d.checkpoint.mismatched} == {"fc1.weight", "fc1.bias", "fc2.weight"}
    old, new = d.totals
    assert (old.params, new.params) == (16 * 32 + 32 + 32 * 4 + 4, 16 * 64 + 64 + 64 * 4 + 4)


def test_adding_a_residual() -> None:
    d = diff_of("residual_old", "residual_new")
    assert [(w.kind, w.sign) for w in d.wiring] == [("residual", "+")]
    assert "block's input" in d.wiring[0].text and "block.ff" in d.wiring[0].text
    assert [(o.sign, o.op, o.where, o.count) for o in d.ops] == [("+", "add", "block", 1)]
    assert not d.changed and not d.added and d.checkpoint.loads
    assert d.any


def test_removing_a_residual_is_said_the_other_way() -> None:
    d = diff_of("residual_new", "residual_old")
    assert [(w.kind, w.sign) for w in d.wiring] == [("residual", "-")]
    assert [(o.sign, o.op) for o in d.ops] == [("-", "add")]


def test_layernorm_to_rmsnorm() -> None:
    d = diff_of("norm_old", "norm_new")
    changed = {c.path: c for c in d.changed}
    assert set(changed) == {"norm1", "norm2"}
    for c in changed.values():
        assert c.what[0] == "type LayerNorm → RMSNorm"
        assert "- bias [32]" in c.what
        assert c.params == (64, 32)
    assert {k for k, _ in d.checkpoint.unexpected} == {"norm1.bias", "norm2.bias"}
    assert not d.checkpoint.missing and not d.checkpoint.renames


def test_renaming_a_submodule_gives_the_rename_map() -> None:
    d = diff_of("rename_old", "rename_new")
    assert [(r.old, r.new, r.type) for r in d.renamed] == [("encoder.ff", "encoder.mlp", "Sequential")]
    assert dict(d.checkpoint.renames) == {
        f"encoder.ff.{i}.{p}": f"encoder.mlp.{i}.{p}" for i in (0, 2) for p in ("weight", "bias")
    }
    assert not d.checkpoint.missing and not d.checkpoint.unexpected
    assert not d.added and not d.removed and not d.changed and not d.edges and not d.wiring


def test_renamed_map_loads_strictly_into_new() -> None:
    d = diff_of("rename_old", "rename_new")
    renames = dict(d.checkpoint.renames)
    state = {renames.get(k, k): v for k, v in build("rename_old").state_dict().items()}
    build("rename_new").load_state_dict(state, strict=True)  # raises if the map were wrong or incomplete


def test_changing_batch_first() -> None:
    d = diff_of("batch_first_old", "batch_first_new")
    (lstm,) = d.changed
    assert lstm.path == "lstm"
    assert any("batch_first=True" in w for w in lstm.what)
    assert any(w.startswith("out [9, 3, 24]") and "→ [3, 9, 24]" in w for w in lstm.what)
    assert [(o.sign, o.op, o.count) for o in d.ops] == [("-", "transpose", 2)]
    assert not d.outputs and d.checkpoint.loads


def test_one_more_layer_in_a_repeated_stack() -> None:
    d = diff_of("stack_old", "stack_new")
    assert [(a.path, a.type, a.params, a.inside) for a in d.added] == [("layers.11", "Layer", 16 * 16 + 16, 1)]
    assert [(c.old, c.new) for c in d.counts] == [(11, 12)]
    assert "layers" in d.counts[0].what
    assert {k for k, _ in d.checkpoint.missing} == {"layers.11.lin.weight", "layers.11.lin.bias"}
    old, new = d.totals
    assert old.buffers == new.buffers == 3  # BatchNorm1d: running_mean, running_var, num_batches_tracked
    assert not d.ops  # the new layer's ops are inside the added module, not new ops of existing ones
    assert "×11 → ×12" in to_text(d)


def test_a_refactor_that_changes_nothing() -> None:
    d = diff_of("residual_new", "refactor_new")
    assert not d.any
    assert NO_CHANGE in to_text(d)


def test_same_file_twice_is_no_change() -> None:
    d = diff_of("norm_new", "norm_new")
    assert not d.any and d.checkpoint.loads


def test_a_cell_gains_a_gate_and_the_loop_runs_longer() -> None:
    d = diff_of("gates_old", "gates_new")
    assert [(g.cell, set(g.added), set(g.removed)) for g in d.gates] == [("cell", {"z", "r"}, {"f"})]
    assert [(c.old, c.new) for c in d.counts] == [(5, 7)]
    assert d.counts[0].what.startswith("loop over")
    (cell,) = [c for c in d.changed if c.path == "cell"]
    assert cell.what[0] == "type MGUCell → GRUishCell"
    assert not any("called" in w for c in d.changed for w in c.what)  # the loop's count says it
    assert {e.path for e in d.added} == {"cell.x2r", "cell.h2r"}


def test_a_module_that_reads_another_input() -> None:
    d = diff_of("reads_old", "reads_new")
    assert [(w.kind, w.text) for w in d.wiring] == [("reads", "~ head reads right (was left)")]
    assert not d.changed and not d.added and not d.removed and d.checkpoint.loads


def test_a_record_without_its_state_dict_says_so() -> None:
    import dataclasses

    from archviz.diff import compare

    old = dataclasses.replace(side("stack_old").trace, state=(), settings=())
    d = compare(old, side("stack_new").trace, "old.json", "new.py")
    assert not d.checkpoint.complete
    assert any(n.startswith("old.json: the record holds no state dict") for n in d.notes)
    assert {k for k, _ in d.checkpoint.missing} == {"layers.11.lin.weight", "layers.11.lin.bias"}
    assert d.totals[0].buffers is None


_MOVED = """
import torch
from torch import nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.{first} = nn.Linear(8, 8)
        self.body = nn.Sequential(nn.Linear(8, 8), nn.ReLU())
        self.{last} = nn.Linear(8, 8)

    def forward(self, x):
        return {call}

def build_model():
    return Net()

def example_inputs():
    return (torch.randn(2, 8),)
"""


def test_an_equal_layer_elsewhere_is_not_a_rename(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`pre` dropped before the body and `post` added after it: two layers, not one moved."""
    from archviz.app import diffing
    from archviz.app.options import LoadOptions

    (tmp_path / "a.py").write_text(_MOVED.format(first="pre", last="out", call="self.out(self.body(self.pre(x)))"))
    (tmp_path / "b.py").write_text(_MOVED.format(first="out", last="post", call="self.post(self.out(self.body(x)))"))
    old, new = (diffing.load_side(str(tmp_path / f), LoadOptions()) for f in ("a.py", "b.py"))
    d = diffing.compare(old, new)
    assert [r.old for r in d.renamed] == []
    assert [e.path for e in d.removed] == ["pre"] and [e.path for e in d.added] == ["post"]
