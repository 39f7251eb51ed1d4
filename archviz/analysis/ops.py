"""What the analyses need to know about single ops: activations, products, Mogrifier rounds."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ..kinds import ACTIVATION_OPS, MUL_OPS, Activation, CallKind
from ..record import Call


def activation(c: Call) -> Activation | None:
    """The activation an op applies (`sigmoid`, `tanh_`, `relu`), else None."""
    return ACTIVATION_OPS.get(c.name.strip("_")) if c.kind == CallKind.OP else None


def is_mul(c: Call) -> bool:
    """An elementwise product (`*`, `mul`, `mul_`)."""
    return c.kind == CallKind.OP and c.name.strip("_") in MUL_OPS


def round_product(sigmoid: Call, users: Callable[[str], Iterable[Call]]) -> Call | None:
    """The product a Mogrifier round's σ ends in: σ scaled by a constant, then times a tensor
    (`x = 2 * σ(Q h) * x`); None when `sigmoid` does not start such a round."""
    if activation(sigmoid) != Activation.SIGMOID:
        return None
    scaled = next((m for m in users(sigmoid.id) if is_mul(m) and len(m.inputs) == 1), None)
    if scaled is None:
        return None
    return next((m for m in users(scaled.id) if is_mul(m) and len(m.inputs) == 2), None)
