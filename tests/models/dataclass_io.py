"""Structured inputs and outputs: a dataclass batch in; dataclass, NamedTuple and ModelOutput out.

PATTERN: every model's forward takes ONE positional argument, a `@dataclass Batch(tokens, mask,
lengths)` (see `example_inputs`, shared by all three builders). Outputs:
- `build_model()`: `@dataclass Output(logits, hidden, extras)` where `extras` is a dict holding a
  list and a nested dict of tensors;
- `build_namedtuple_model()`: a `NamedTuple` `EncoderResult(summary, states)`;
- `build_modeloutput_model()`: `ClassifierOutput`, a Hugging-Face-style ModelOutput: a `@dataclass`
  whose base class subclasses `collections.OrderedDict` and copies its non-None fields into the
  dict in `__post_init__` (so `out["logits"]`, `out.logits` and `out[0]` all work).

TRUTHS a correct diagram must show (B=2, T=6, vocab 30, dim 16, 2-layer GRU):
- Inputs are the three fields of `Batch`: `batch.tokens` feeds `embedding`; `batch.mask` multiplies
  the embeddings and the GRU outputs (and masks the attention scores); `batch.lengths` divides the
  pooled sum. A diagram should name them by field (tokens / mask / lengths), not as one opaque blob.
- `Output.logits` [2, 6, 5] comes from `classifier` on the GRU output sequence; `Output.hidden`
  [2, 16] is `h_n[-1]` of `encoder` (the GRU's final state of the last layer).
- `extras["per_layer"]` is a LIST of the 2 per-layer final states `h_n[0]`, `h_n[1]`;
  `extras["pooling"]` is a DICT with "mean" (masked mean of GRU outputs / lengths) and
  "attention" {"scores" (from `attn_score`, masked_fill), "probs" (softmax of scores)}.
- NamedTuple model: `summary` [2, 16] = `summary_proj` of the masked mean of `embedding`
  outputs; `states` [2, 6, 16] = `embedding` output times the mask.
- ModelOutput model: keys are exactly ("logits", "hidden_states", "attentions"); `loss` is None
  and therefore absent. `logits` [2, 5] = `classifier` on `pooler` (tanh) of token 0;
  `hidden_states` is a tuple of the embedding output and the 2 `layers` outputs;
  `attentions` [2, 6] is the softmax over `attn_score`.
"""

from collections import OrderedDict
from dataclasses import dataclass, field, fields
from typing import Any, NamedTuple

import torch
import torch.nn as nn
from torch import Tensor


@dataclass
class Batch:
    tokens: Tensor
    mask: Tensor
    lengths: Tensor


@dataclass
class Output:
    logits: Tensor
    hidden: Tensor
    extras: dict[str, Any] = field(default_factory=dict)


class Tagger(nn.Module):
    def __init__(self, vocab: int = 30, dim: int = 16, n_tags: int = 5):
        super().__init__()
        self.embedding = nn.Embedding(vocab, dim)
        self.encoder = nn.GRU(dim, dim, num_layers=2, batch_first=True)
        self.classifier = nn.Linear(dim, n_tags)
        self.attn_score = nn.Linear(dim, 1)

    def forward(self, batch: Batch) -> Output:
        mask = batch.mask.unsqueeze(-1).float()
        states, h_n = self.encoder(self.embedding(batch.tokens) * mask)
        states = states * mask
        mean = states.sum(1) / batch.lengths[:, None].float()
        scores = self.attn_score(states).squeeze(-1).masked_fill(~batch.mask, float("-inf"))
        extras = {
            "per_layer": [h_n[0], h_n[1]],
            "pooling": {"mean": mean, "attention": {"scores": scores, "probs": scores.softmax(-1)}},
        }
        return Output(logits=self.classifier(states), hidden=h_n[-1], extras=extras)


class EncoderResult(NamedTuple):
    summary: Tensor
    states: Tensor


class BagEncoder(nn.Module):
    def __init__(self, vocab: int = 30, dim: int = 16):
        super().__init__()
        self.embedding = nn.Embedding(vocab, dim)
        self.summary_proj = nn.Linear(dim, dim)

    def forward(self, batch: Batch) -> EncoderResult:
        states = self.embedding(batch.tokens) * batch.mask.unsqueeze(-1)
        mean = states.sum(1) / batch.lengths[:, None]
        return EncoderResult(summary=self.summary_proj(mean), states=states)


class ModelOutput(OrderedDict):
    """Dict-and-attribute output container; subclasses must be dataclasses."""

    def __post_init__(self):
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None:
                self[f.name] = value

    def __getitem__(self, key):
        if isinstance(key, str):
            return dict.__getitem__(self, key)
        return self.to_tuple()[key]

    def to_tuple(self) -> tuple[Any, ...]:
        return tuple(self[k] for k in self.keys())


@dataclass
class ClassifierOutput(ModelOutput):
    loss: Tensor | None = None
    logits: Tensor | None = None
    hidden_states: tuple[Tensor, ...] | None = None
    attentions: Tensor | None = None


class SequenceClassifier(nn.Module):
    def __init__(self, vocab: int = 30, dim: int = 16, n_classes: int = 5):
        super().__init__()
        self.embedding = nn.Embedding(vocab, dim)
        self.layers = nn.ModuleList(nn.Sequential(nn.Linear(dim, dim), nn.GELU()) for _ in range(2))
        self.attn_score = nn.Linear(dim, 1)
        self.pooler = nn.Sequential(nn.Linear(dim, dim), nn.Tanh())
        self.classifier = nn.Linear(dim, n_classes)

    def forward(self, batch: Batch, labels: Tensor | None = None) -> ClassifierOutput:
        hidden = self.embedding(batch.tokens)
        all_hidden = [hidden]
        for layer in self.layers:
            hidden = layer(hidden)
            all_hidden.append(hidden)
        scores = self.attn_score(hidden).squeeze(-1).masked_fill(~batch.mask, float("-inf"))
        logits = self.classifier(self.pooler(hidden[:, 0]))
        loss = nn.functional.cross_entropy(logits, labels) if labels is not None else None
        return ClassifierOutput(
            loss=loss, logits=logits, hidden_states=tuple(all_hidden), attentions=scores.softmax(-1)
        )


def build_model() -> nn.Module:
    torch.manual_seed(0)
    return Tagger().eval()


def build_namedtuple_model() -> nn.Module:
    torch.manual_seed(0)
    return BagEncoder().eval()


def build_modeloutput_model() -> nn.Module:
    torch.manual_seed(0)
    return SequenceClassifier().eval()


def example_inputs():
    g = torch.Generator().manual_seed(0)
    lengths = torch.tensor([6, 4])
    mask = torch.arange(6)[None, :] < lengths[:, None]
    tokens = torch.randint(1, 30, (2, 6), generator=g) * mask
    return (Batch(tokens=tokens, mask=mask, lengths=lengths),)


if __name__ == "__main__":
    with torch.no_grad():
        out = build_model()(*example_inputs())
        print(
            "Output.logits",
            tuple(out.logits.shape),
            "hidden",
            tuple(out.hidden.shape),
            "per_layer",
            [tuple(t.shape) for t in out.extras["per_layer"]],
        )
        res = build_namedtuple_model()(*example_inputs())
        print("EncoderResult", {k: tuple(v.shape) for k, v in res._asdict().items()})
        mo = build_modeloutput_model()(*example_inputs())
        print(
            "ClassifierOutput keys",
            list(mo.keys()),
            "logits",
            tuple(mo["logits"].shape),
            "attentions",
            tuple(mo[2].shape),
        )
