"""What the analyses need to know about single ops: activations, products, Mogrifier rounds."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ..kinds import ACTIVATION_OPS, MUL_OPS, Activation, CallKind, op_stem
from ..record import Call

# Parameter-free activation modules (by class name) -> the activation they apply: `self.sig(f)` with
# `self.sig = nn.Sigmoid()` is the same op as `torch.sigmoid(f)`, and the capture records no op inside it.
ACTIVATION_MODULES = {"Sigmoid": Activation.SIGMOID, "Tanh": Activation.TANH, "ReLU": Activation.RELU}


def activation(c: Call) -> Activation | None:
    """The activation an op (`sigmoid`, `tanh_`, `relu`) or an activation module (nn.Sigmoid) applies."""
    if c.kind == CallKind.OP:
        return ACTIVATION_OPS.get(op_stem(c.name))
    if c.kind == CallKind.MODULE and not c.params:
        return ACTIVATION_MODULES.get(c.type)
    return None


def is_mul(c: Call) -> bool:
    """An elementwise product (`*`, `mul`, `mul_`)."""
    return c.kind == CallKind.OP and op_stem(c.name) in MUL_OPS


def round_product(sigmoid: Call, users: Callable[[str], Iterable[Call]]) -> Call | None:
    """The product a Mogrifier round's σ ends in: σ scaled by a constant, then times a tensor
    (`x = 2 * σ(Q h) * x`); None when `sigmoid` does not start such a round."""
    if activation(sigmoid) != Activation.SIGMOID:
        return None
    scaled = next((m for m in users(sigmoid.id) if is_mul(m) and len(m.inputs) == 1), None)
    if scaled is None:
        return None
    return next((m for m in users(scaled.id) if is_mul(m) and len(m.inputs) == 2), None)
