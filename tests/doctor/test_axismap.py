"""axismap: where the dims of an op's output come from, read off the recorded arguments and shapes."""

from __future__ import annotations

from archviz.analysis.doctor.axismap import contracted, mapped, reduced_dims
from archviz.kinds import CallKind
from archviz.record import ArgMeta, Call, TensorMeta


def _t(shape: tuple[int, ...], tid: str = "t-0") -> TensorMeta:
    return TensorMeta("args[0]", shape, "float32", "cpu", tid)


def _op(name: str, ins: list[tuple[int, ...]], out: tuple[int, ...], **args: str) -> Call:
    inputs = tuple(_t(s, f"t-{i}") for i, s in enumerate(ins))
    summaries = tuple(ArgMeta(path, text) for path, text in args.items())
    return Call("call-0001", CallKind.OP, name, f"Tensor.{name}", None, 0, None, inputs, (_t(out, "t-9"),), summaries)


def test_shape_ops_move_or_keep_each_dim() -> None:
    x = (2, 3, 4)
    assert mapped(_op("unsqueeze", [x], (2, 3, 4, 1), **{"args[1]": "-1"}), _t(x), (0, 1, 2)) == (0, 1, 2, None)
    assert mapped(_op("transpose", [x], (2, 4, 3), **{"args[1]": "1", "args[2]": "2"}), _t(x), (0, 1, 2)) == (0, 2, 1)
    assert mapped(_op("permute", [x], (4, 2, 3), **{"args[1]": "(2, 0, 1)"}), _t(x), (0, 1, 2)) == (2, 0, 1)
    assert mapped(_op("squeeze", [(2, 1, 4)], (2, 4), **{"args[1]": "1"}), _t((2, 1, 4)), (0, 1, 2)) == (0, 2)
    assert mapped(_op("mT", [x], (2, 4, 3)), _t(x), (0, 1, 2)) == (0, 2, 1)


def test_a_view_keeps_only_unchanged_leading_and_trailing_sizes() -> None:
    heads = (2, 4, 6, 6)  # [B, H, Tq, Tk] viewed as [B·H, Tq, Tk]
    assert mapped(_op("view", [heads], (8, 6, 6)), _t(heads), (0, 1, 2, 3)) == (None, 2, 3)
    assert mapped(_op("reshape", [(2, 3, 4)], (2, 12)), _t((2, 3, 4)), (0, 1, 2)) == (0, None)
    assert mapped(_op("relu", [(2, 3)], (2, 3)), _t((2, 3)), (0, 1)) is None  # not a shape op


def test_reductions_name_their_dims() -> None:
    assert reduced_dims(_op("sum", [(2, 3, 4)], (2, 4), **{"kwargs['dim']": "1"}), 3) == (1,)
    assert reduced_dims(_op("mean", [(2, 3, 4)], (2,), **{"args[1]": "(-1, 1)"}), 3) == (1, 2)
    assert reduced_dims(_op("mean", [(2, 3, 4)], ()), 3) == (0, 1, 2)


def test_matmul_contracts_the_last_dim_of_the_first_operand_and_the_one_before_of_the_second() -> None:
    mm = _op("matmul", [(2, 5, 7), (2, 7, 3)], (2, 5, 3))
    assert contracted(mm, 0, (0, 1, 2)) == ((2,), (0, 1, None))
    assert contracted(mm, 1, (0, 1, 2)) == ((1,), (0, None, 2))
    eq = _op("einsum", [(2, 5, 7), (2, 7, 3)], (2, 5, 3), **{"args[0]": "'bqk,bkd->bqd'"})
    assert contracted(eq, 0, (0, 1, 2)) == ((2,), (0, 1, None))
    implicit = _op("einsum", [(5, 7), (7, 3)], (5, 3), **{"args[0]": "'ij,jk'"})
    assert contracted(implicit, 1, (0, 1)) == ((0,), (None, 1))
