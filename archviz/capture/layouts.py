"""The axes torch's own layers document for their tensor inputs, for `record.Call.layouts`.

Names: B (batch), T (time or sequence), F (features), C (channels) and `*` for any number of further
dims. A layout lists a tensor's dims from the left up to a `*` and from the right after it:
`("*", "F")` names the last dim, `("B", "C", "*")` the first two, `("*", "B", "F")` the last two.

One table maps a layer class to a rule; a rule sees the live module (its `batch_first` and other
settings), the forward argument a tensor sits in (`input`, `hx`, `src_key_padding_mask`), where it
sits inside that argument (`.data` of a PackedSequence, `[0]` of an `(h_0, c_0)` pair) and its rank,
and returns a layout, or `()` where the layer says nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn

B, T, F, C, ANY = "B", "T", "F", "C", "*"
Layout = tuple[str, ...]
Rule = Callable[[nn.Module, str, str, int], Layout]  # (module, argument, rest of its path, rank) -> layout


def _sequence(batch_first: bool, rank: int) -> Layout:
    """A sequence tensor: [T, B, F] or [B, T, F]; unbatched [T, F]."""
    if rank == 3:
        return (B, T, F) if batch_first else (T, B, F)
    return (T, F) if rank == 2 else ()


def _padding_mask(rank: int) -> Layout:
    return (B, T) if rank == 2 else (T,) if rank == 1 else ()


def _recurrent(m: nn.Module, arg: str, rest: str, rank: int) -> Layout:
    """nn.LSTM/GRU/RNN: input [T, B, F] (batch_first [B, T, F]) or packed; h_0/c_0 [layers·dirs, B, H]."""
    if arg == "input":
        if rest == "":
            return _sequence(bool(getattr(m, "batch_first", False)), rank)
        packed = {".data": (ANY, F), ".batch_sizes": (T,), ".sorted_indices": (B,), ".unsorted_indices": (B,)}
        return packed.get(rest, ())
    if arg == "hx":  # one tensor, or an (h_0, c_0) pair
        return (ANY, B, F) if rank == 3 else (ANY, F) if rank == 2 else ()
    return ()


def _recurrent_cell(m: nn.Module, arg: str, rest: str, rank: int) -> Layout:
    """nn.LSTMCell/GRUCell/RNNCell: input and states [B, F] (unbatched [F])."""
    if arg in ("input", "hx"):
        return (B, F) if rank == 2 else (F,) if rank == 1 else ()
    return ()


def _batch_first(m: nn.Module) -> bool:
    """The attention's batch_first, where a transformer keeps it (itself, its attention, its first layer)."""
    if hasattr(m, "batch_first"):
        return bool(m.batch_first)
    attention = getattr(m, "self_attn", None)
    layers = getattr(m, "layers", None)
    if attention is None and isinstance(layers, nn.ModuleList) and len(layers):
        attention = getattr(layers[0], "self_attn", None)
    return bool(getattr(attention, "batch_first", False))


_SEQUENCES = frozenset({"query", "key", "value", "src", "tgt", "memory"})
_PADDING_MASKS = frozenset(
    {"key_padding_mask", "src_key_padding_mask", "tgt_key_padding_mask", "memory_key_padding_mask"}
)


def _attention(m: nn.Module, arg: str, rest: str, rank: int) -> Layout:
    """nn.MultiheadAttention and the transformer layers: sequences per batch_first, padding masks [B, T]."""
    if arg in _SEQUENCES:
        return _sequence(_batch_first(m), rank)
    if arg in _PADDING_MASKS:
        return _padding_mask(rank)
    return ()


def _spatial(dims: int) -> Rule:
    """Convolutions, pools and instance norms over `dims` spatial dims: [B, C, *], unbatched [C, *]."""

    def rule(m: nn.Module, arg: str, rest: str, rank: int) -> Layout:
        if arg != "input":
            return ()
        return (B, C, ANY) if rank == dims + 2 else (C, ANY) if rank == dims + 1 else ()

    return rule


def _batch_norm(m: nn.Module, arg: str, rest: str, rank: int) -> Layout:
    """BatchNorm: [B, C] or [B, C, *] (no unbatched form)."""
    if arg != "input":
        return ()
    return (B, C) if rank == 2 else (B, C, ANY) if rank > 2 else ()


def _features(m: nn.Module, arg: str, rest: str, rank: int) -> Layout:
    """nn.Linear: features last."""
    return (ANY, F) if arg == "input" and rank >= 1 else ()


def _layer_norm(m: nn.Module, arg: str, rest: str, rank: int) -> Layout:
    """nn.LayerNorm over the last dim only: features last (over more dims it says nothing)."""
    shape = getattr(m, "normalized_shape", ())
    return (ANY, F) if arg == "input" and rank >= 1 and len(shape) == 1 else ()


def _by_dims(*families: tuple[type[nn.Module], type[nn.Module], type[nn.Module]]) -> dict[type[nn.Module], Rule]:
    return {cls: _spatial(d) for family in families for d, cls in enumerate(family, start=1)}


# Looked up along the class's MRO, so subclasses (LazyConv1d, a user's nn.LSTM subclass) follow their base.
RULES: dict[type[nn.Module], Rule] = {
    nn.RNNBase: _recurrent,
    nn.RNNCellBase: _recurrent_cell,
    nn.MultiheadAttention: _attention,
    nn.TransformerEncoderLayer: _attention,
    nn.TransformerDecoderLayer: _attention,
    nn.TransformerEncoder: _attention,
    nn.TransformerDecoder: _attention,
    nn.Transformer: _attention,
    **_by_dims(
        (nn.Conv1d, nn.Conv2d, nn.Conv3d),
        (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d),
        (nn.InstanceNorm1d, nn.InstanceNorm2d, nn.InstanceNorm3d),
        (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d),
        (nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d),
        (nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d),
        (nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d),
    ),
    nn.modules.batchnorm._BatchNorm: _batch_norm,
    nn.Linear: _features,
    nn.LayerNorm: _layer_norm,
}


class ModuleLayouts:
    """The layouts of one module's calls, remembered per input structure (paths and ranks): a layer
    called at every time step costs one look-up per call."""

    __slots__ = ("arg_names", "memo", "module", "rule")

    def __init__(self, module: nn.Module, rule: Rule, arg_names: Sequence[str]) -> None:
        self.module, self.rule, self.arg_names = module, rule, arg_names
        self.memo: dict[tuple[tuple[str, int], ...], tuple[Layout, ...]] = {}

    def __call__(self, found: Sequence[tuple[str, torch.Tensor]]) -> tuple[Layout, ...]:
        key = tuple([(path, t.dim()) for path, t in found])
        hit = self.memo.get(key)
        if hit is None:
            hit = self.memo[key] = of_inputs(self.rule, self.module, self.arg_names, found)
        return hit


def for_module(module: nn.Module, arg_names: Sequence[str]) -> ModuleLayouts | None:
    """What names the inputs of `module`'s calls; None for a module that documents no layout."""
    rule = rule_for(module)
    return None if rule is None else ModuleLayouts(module, rule, arg_names)


def rule_for(module: nn.Module) -> Rule | None:
    """The layout rule of a torch layer, or None for a layer (or user module) that documents none."""
    for cls in type(module).__mro__:
        rule = RULES.get(cls)
        if rule is not None:
            return rule
    return None


def _argument(path: str, arg_names: Sequence[str]) -> tuple[str, str]:
    """(forward argument name, rest of the path) of an input path: `args[0].data` -> (`input`, `.data`)."""
    if path.startswith("args["):
        end = path.index("]")
        i = int(path[5:end])
        return (arg_names[i] if i < len(arg_names) else ""), path[end + 1 :]
    if path.startswith("kwargs['"):
        end = path.index("']")
        return path[8:end], path[end + 2 :]
    return "", path


def of_inputs(
    rule: Rule, module: nn.Module, arg_names: Sequence[str], found: Sequence[tuple[str, torch.Tensor]]
) -> tuple[Layout, ...]:
    """One layout per input tensor of a module call, in order; () when the rule names none of them."""
    out = []
    for path, t in found:
        arg, rest = _argument(path, arg_names)
        out.append(rule(module, arg, rest, t.dim()) if arg else ())
    return tuple(out) if any(out) else ()


def of_pack_padded(found: Sequence[tuple[str, torch.Tensor]], batch_first: object) -> tuple[Layout, ...]:
    """`pack_padded_sequence(input, lengths, batch_first)`: input [T, B, *] or [B, T, *], lengths [B]."""
    out: list[Layout] = []
    for path, t in found:
        if path == "input" and t.dim() >= 2:
            out.append((B, T, ANY) if batch_first else (T, B, ANY))
        elif path == "lengths" and t.dim() == 1:
            out.append((B,))
        else:
            out.append(())
    return tuple(out) if any(out) else ()
