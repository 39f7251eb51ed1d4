"""A small BERT-shaped encoder called with keyword inputs and returning a dict.

PATTERN: `BertModel.forward(input_ids=..., attention_mask=..., token_type_ids=...)` with keyword
arguments (`example_inputs()` returns a dict); embeddings = word + position + token type ->
LayerNorm -> dropout; the extended mask `(1.0 - attention_mask[:, None, None, :]) * -10000.0` is
built ONCE and passed to all 3 identical layers; a `pooler` (dense + tanh) reads the first token.

TRUTHS a correct diagram must show (B=2, T=7, hidden 32, 4 heads, 3 layers):
- Inputs by name: `input_ids` -> `embeddings.word_embeddings`; `token_type_ids` ->
  `embeddings.token_type_embeddings`; `embeddings.position_embeddings` reads a slice of the
  `position_ids` BUFFER (not an input); the three lookups are summed, then `embeddings.LayerNorm`
  -> `embeddings.dropout`.
- `attention_mask` (sample 1 has 2 padded positions) feeds ONE extended-mask computation
  (`1.0 - ...`, `* -10000.0`) in `BertModel.forward`; its result is an input of the score addition
  inside `encoder.layer.0/1/2.attention` (one value, fanned out to three layers; not
  recomputed per layer).
- In each layer, `attention.query`, `attention.key` and `attention.value` all read the layer's
  input `hidden_states`; scores = q @ k^T / sqrt(8) + mask -> softmax -> `attention.dropout` -> @ v.
  `attention_output.dense` -> dropout -> add with the LAYER INPUT -> `attention_output.LayerNorm`;
  `intermediate` (Linear 32 -> 64) -> `intermediate_act_fn` (GELU); `output.dense` -> dropout ->
  add with attention_output's result -> `output.LayerNorm`. Layer k's output is layer k+1's input.
- `pooler.dense` reads `last_hidden_state[:, 0]` -> `pooler.activation` (tanh).
- Returns {"last_hidden_state": [2, 7, 32] from encoder.layer.2.output.LayerNorm,
  "pooler_output": [2, 32] from pooler.activation}.
"""

import math
from dataclasses import dataclass

import torch
import torch.nn as nn


@dataclass
class BertConfig:
    vocab_size: int = 64
    hidden_size: int = 32
    num_hidden_layers: int = 3
    num_attention_heads: int = 4
    intermediate_size: int = 64
    max_position_embeddings: int = 16
    type_vocab_size: int = 2
    dropout: float = 0.1
    layer_norm_eps: float = 1e-12


class BertEmbeddings(nn.Module):
    def __init__(self, cfg: BertConfig):
        super().__init__()
        self.word_embeddings = nn.Embedding(cfg.vocab_size, cfg.hidden_size, padding_idx=0)
        self.position_embeddings = nn.Embedding(cfg.max_position_embeddings, cfg.hidden_size)
        self.token_type_embeddings = nn.Embedding(cfg.type_vocab_size, cfg.hidden_size)
        self.LayerNorm = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)
        self.dropout = nn.Dropout(cfg.dropout)
        self.register_buffer("position_ids", torch.arange(cfg.max_position_embeddings)[None, :], persistent=False)

    def forward(self, input_ids, token_type_ids):
        position_ids = self.position_ids[:, : input_ids.size(1)]
        summed = (
            self.word_embeddings(input_ids)
            + self.position_embeddings(position_ids)
            + self.token_type_embeddings(token_type_ids)
        )
        return self.dropout(self.LayerNorm(summed))


class BertSelfAttention(nn.Module):
    def __init__(self, cfg: BertConfig):
        super().__init__()
        self.num_heads = cfg.num_attention_heads
        self.head_dim = cfg.hidden_size // cfg.num_attention_heads
        self.query = nn.Linear(cfg.hidden_size, cfg.hidden_size)
        self.key = nn.Linear(cfg.hidden_size, cfg.hidden_size)
        self.value = nn.Linear(cfg.hidden_size, cfg.hidden_size)
        self.dropout = nn.Dropout(cfg.dropout)

    def split_heads(self, x: torch.Tensor) -> torch.Tensor:
        batch, seq, _ = x.shape
        return x.view(batch, seq, self.num_heads, self.head_dim).permute(0, 2, 1, 3)

    def forward(self, hidden_states, extended_mask):
        q = self.split_heads(self.query(hidden_states))
        k = self.split_heads(self.key(hidden_states))
        v = self.split_heads(self.value(hidden_states))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim)
        probs = self.dropout(nn.functional.softmax(scores + extended_mask, dim=-1))
        context = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous()
        return context.view(context.size(0), context.size(1), -1)


class DenseResidualNorm(nn.Module):
    """dense -> dropout -> add residual -> LayerNorm (BERT's SelfOutput / Output)."""

    def __init__(self, in_dim: int, cfg: BertConfig):
        super().__init__()
        self.dense = nn.Linear(in_dim, cfg.hidden_size)
        self.dropout = nn.Dropout(cfg.dropout)
        self.LayerNorm = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)

    def forward(self, hidden_states, input_tensor):
        return self.LayerNorm(self.dropout(self.dense(hidden_states)) + input_tensor)


class BertLayer(nn.Module):
    def __init__(self, cfg: BertConfig):
        super().__init__()
        self.attention = BertSelfAttention(cfg)
        self.attention_output = DenseResidualNorm(cfg.hidden_size, cfg)
        self.intermediate = nn.Linear(cfg.hidden_size, cfg.intermediate_size)
        self.intermediate_act_fn = nn.GELU()
        self.output = DenseResidualNorm(cfg.intermediate_size, cfg)

    def forward(self, hidden_states, extended_mask):
        attention_output = self.attention_output(self.attention(hidden_states, extended_mask), hidden_states)
        intermediate = self.intermediate_act_fn(self.intermediate(attention_output))
        return self.output(intermediate, attention_output)


class BertEncoder(nn.Module):
    def __init__(self, cfg: BertConfig):
        super().__init__()
        self.layer = nn.ModuleList(BertLayer(cfg) for _ in range(cfg.num_hidden_layers))

    def forward(self, hidden_states, extended_mask):
        for layer_module in self.layer:
            hidden_states = layer_module(hidden_states, extended_mask)
        return hidden_states


class BertPooler(nn.Module):
    def __init__(self, cfg: BertConfig):
        super().__init__()
        self.dense = nn.Linear(cfg.hidden_size, cfg.hidden_size)
        self.activation = nn.Tanh()

    def forward(self, hidden_states):
        return self.activation(self.dense(hidden_states[:, 0]))


class BertModel(nn.Module):
    def __init__(self, cfg: BertConfig | None = None):
        super().__init__()
        cfg = cfg or BertConfig()
        self.embeddings = BertEmbeddings(cfg)
        self.encoder = BertEncoder(cfg)
        self.pooler = BertPooler(cfg)

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
    ) -> dict[str, torch.Tensor]:
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        extended_mask = (1.0 - attention_mask[:, None, None, :].float()) * -10000.0
        sequence_output = self.encoder(self.embeddings(input_ids, token_type_ids), extended_mask)
        return {"last_hidden_state": sequence_output, "pooler_output": self.pooler(sequence_output)}


def build_model() -> nn.Module:
    torch.manual_seed(0)
    return BertModel().eval()


def example_inputs() -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    attention_mask = torch.tensor([[1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 0, 0]])
    input_ids = torch.randint(1, 64, (2, 7), generator=g) * attention_mask
    token_type_ids = torch.tensor([[0, 0, 0, 0, 1, 1, 1], [0, 0, 0, 1, 1, 0, 0]])
    return {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids}


if __name__ == "__main__":
    model = build_model()
    with torch.no_grad():
        outputs = model(**example_inputs())
    print({name: tuple(t.shape) for name, t in outputs.items()})
